import { randomBytes } from 'node:crypto';

import { expect } from 'chai';

import { CredentialsCipher } from '../../src/store/crypto.ts';
import { CredentialsError } from '../../src/store/errors.ts';

describe('store credentials cipher', () => {
  const cipher = new CredentialsCipher(randomBytes(32));
  const value = { accessToken: 'tok', nested: { n: 1, list: [true, null] } };

  it('round-trips JSON and never contains the plaintext', () => {
    const blob = cipher.encrypt('sf1', value);
    expect(blob).to.match(/^v1\.[0-9a-f]{16}\.[A-Za-z0-9+/=]+$/);
    expect(blob).to.not.include('tok');
    expect(cipher.decrypt('sf1', blob)).to.deep.equal(value);
  });

  it('binds the ciphertext to its connection', () => {
    const blob = cipher.encrypt('sf1', value);
    expect(() => cipher.decrypt('sf2', blob)).to.throw(CredentialsError, /connection sf2: the stored value is damaged/);
  });

  it('tells a different key apart from damage', () => {
    const blob = new CredentialsCipher(randomBytes(32)).encrypt('sf1', value);
    expect(() => cipher.decrypt('sf1', blob)).to.throw(
      /CRM_INFLUENCE_SECRET_KEY differs from the key they were saved with/,
    );
    expect(() => cipher.decrypt('sf1', 'garbage')).to.throw(/damaged \(unknown format/);
    const [version, id] = cipher.encrypt('sf1', value).split('.');
    expect(() => cipher.decrypt('sf1', `${version}.${id}.AAAA`)).to.throw(/damaged \(too short\)/);
  });

  it('refuses a key of the wrong length', () => {
    expect(() => new CredentialsCipher(randomBytes(16))).to.throw(/must be 32 bytes/);
  });
});
