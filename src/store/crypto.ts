// Credentials at rest: AES-256-GCM over JSON under CRM_INFLUENCE_SECRET_KEY.
// Format: `v1.<key id>.<base64(iv ‖ tag ‖ ciphertext)>`. The key id (a short hash of the key, not the key) tells
// "saved under another key" apart from "damaged"; the connection id is bound in as associated data, so a blob
// copied onto another connection does not decrypt.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

import { SECRET_KEY_HINT } from '../config.ts';
import { CredentialsError } from './errors.ts';

const FORMAT_VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

function keyId(key: Buffer): string {
  return createHash('sha256').update('crm-influence credentials key id\0').update(key).digest('hex').slice(0, 16);
}

export class CredentialsCipher {
  readonly #key: Buffer | undefined;
  readonly #keyId: string | undefined;

  constructor(key: Buffer | undefined) {
    if (key !== undefined && key.length !== 32) {
      throw new Error(`CRM_INFLUENCE_SECRET_KEY: must be 32 bytes (got ${key.length}); ${SECRET_KEY_HINT}`);
    }
    this.#key = key;
    this.#keyId = key === undefined ? undefined : keyId(key);
  }

  #requireKey(connectionId: string, action: string): Buffer {
    if (this.#key === undefined) {
      throw new CredentialsError(
        connectionId,
        `cannot ${action} credentials for connection ${connectionId}: CRM_INFLUENCE_SECRET_KEY is not set; ${SECRET_KEY_HINT}`,
      );
    }
    return this.#key;
  }

  encrypt(connectionId: string, value: unknown): string {
    const key = this.#requireKey(connectionId, 'store');
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(connectionId, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
    const payload = Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64');
    return `${FORMAT_VERSION}.${this.#keyId ?? ''}.${payload}`;
  }

  decrypt(connectionId: string, blob: string): unknown {
    const key = this.#requireKey(connectionId, 'read stored');
    const damaged = (why: string) =>
      new CredentialsError(
        connectionId,
        `cannot decrypt stored credentials for connection ${connectionId}: the stored value is damaged (${why}); ` +
          'save the connection again (re-authorise it)',
      );
    const [version, storedKeyId, payload, ...rest] = blob.split('.');
    if (version !== FORMAT_VERSION || storedKeyId === undefined || payload === undefined || rest.length > 0) {
      throw damaged(`unknown format '${String(version).slice(0, 8)}'`);
    }
    if (storedKeyId !== this.#keyId) {
      throw new CredentialsError(
        connectionId,
        `cannot decrypt stored credentials for connection ${connectionId}: CRM_INFLUENCE_SECRET_KEY differs from the ` +
          'key they were saved with; set the original key, or re-authorise the connection to save them under this one',
      );
    }
    const raw = Buffer.from(payload, 'base64');
    if (raw.length < IV_BYTES + TAG_BYTES) throw damaged('too short');
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(connectionId, 'utf8'));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    let plaintext: string;
    try {
      plaintext = Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString(
        'utf8',
      );
    } catch {
      throw damaged('authentication failed');
    }
    try {
      return JSON.parse(plaintext) as unknown;
    } catch {
      throw damaged('not JSON');
    }
  }
}
