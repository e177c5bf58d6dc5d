import { expect } from 'chai';

import type { GravatarSandbox } from '../../../src/sandbox/networks/gravatar.ts';
import { gravatarHash, startGravatarSandbox } from '../../../src/sandbox/networks/gravatar.ts';
import { createPopulation } from '../../../src/sandbox/population.ts';
import { getJson } from './helpers.ts';

describe('sandbox Gravatar', () => {
  const population = createPopulation({ seed: 'gravatar-test', size: 2000, now: new Date('2026-06-01T00:00:00Z') });
  let g: GravatarSandbox;
  before(async () => {
    g = await startGravatarSandbox({ population });
  });
  after(() => g.close());

  function personWithProfile(withAccounts: boolean): number {
    for (let i = 0; i < population.size; i++) {
      if (population.hasGravatar(i) && population.truth(i).some((t) => t.state !== 'not_found') === withAccounts)
        return i;
    }
    throw new Error('none');
  }

  it("finds a profile by sha256 of the trimmed lower-case email and lists the person's real accounts", async () => {
    const i = personWithProfile(true);
    const person = population.person(i);
    const hash = gravatarHash(`  ${person.email.toUpperCase()} `);
    const { status, body, headers } = await getJson(`${g.env.GRAVATAR_API_BASE_URL}/profiles/${hash}`);
    expect(status).to.equal(200);
    const profile = body as {
      hash: string;
      display_name: string;
      verified_accounts: { service_type: string; url: string; is_hidden: boolean }[];
      company: string;
    };
    expect(profile.display_name).to.equal(`${person.firstName} ${person.lastName}`);
    expect(profile.company).to.equal(person.company);
    const expected = population.truth(i).filter((t) => t.state !== 'not_found');
    expect(profile.verified_accounts).to.have.length(expected.length);
    expect(profile).to.not.have.property('registration_date');
    expect(headers.get('x-ratelimit-limit')).to.equal('100');
    const withKey = await getJson(`${g.env.GRAVATAR_API_BASE_URL}/profiles/${hash}`, {
      headers: { authorization: `Bearer ${g.env.GRAVATAR_API_KEY}` },
    });
    expect(withKey.body).to.have.property('registration_date');
    expect(withKey.headers.get('x-ratelimit-limit')).to.equal('1000');
  });

  it('answers 404 Profile not found for unknown hashes and people without a profile', async () => {
    let without = 0;
    while (population.hasGravatar(without)) without++;
    for (const hash of [gravatarHash('nobody@example.com'), gravatarHash(population.person(without).email)]) {
      const { status, body } = await getJson(`${g.env.GRAVATAR_API_BASE_URL}/profiles/${hash}`);
      expect(status).to.equal(404);
      expect(body).to.deep.equal({ error: 'Profile not found' });
    }
  });

  it('answers 429 once the hourly limit is spent', async () => {
    g.setRemaining(0);
    const { status, body } = await getJson(`${g.env.GRAVATAR_API_BASE_URL}/profiles/${gravatarHash('a@b.c')}`);
    expect(status).to.equal(429);
    expect(body).to.deep.include({ code: 'rate_limit_exceeded' });
    expect(g.counters.snapshot().served429).to.equal(1);
  });
});
