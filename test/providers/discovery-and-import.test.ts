import { expect } from 'chai';
import nock from 'nock';

import { loadConfig } from '../../src/config.ts';
import type { handleFor } from '../../src/identity/grammar.ts';
import { resolveRawHandles } from '../../src/identity/index.ts';
import {
  createProviders,
  describeProviders,
  GravatarDiscovery,
  gravatarHash,
  ImportedCountsAdapter,
  loadCsvImport,
  parseCsv,
  PROVIDER_TTL_SECONDS,
  providerTtlSeconds,
  STALE_MAX_AGE_SECONDS,
} from '../../src/providers/index.ts';
import { fastHttp, useNock } from './helpers.ts';

const GRAVATAR = 'https://api.gravatar.com/v3';

describe('providers: Gravatar discovery', () => {
  useNock();

  it('hashes the trimmed, lower-cased e-mail with SHA-256', () => {
    expect(gravatarHash('  Jane@Example.COM ')).to.equal(gravatarHash('jane@example.com'));
    expect(gravatarHash('jane@example.com')).to.match(/^[0-9a-f]{64}$/);
  });

  it('verified, visible accounts become `discovered` identities; hidden ones are skipped; 404 is not_found', async () => {
    const hash = gravatarHash('jane@example.com');
    nock(GRAVATAR, { reqheaders: { authorization: 'Bearer grav-key-123456' } })
      .get(`/profiles/${hash}`)
      .reply(
        200,
        {
          hash,
          display_name: 'Jane',
          profile_url: 'https://gravatar.com/jane',
          avatar_url: 'https://0.gravatar.com/avatar/x',
          location: '',
          description: '',
          job_title: 'CTO',
          company: 'Acme',
          pronunciation: '',
          pronouns: '',
          verified_accounts: [
            {
              service_type: 'twitter',
              service_label: 'X',
              service_icon: 'https://gravatar.com/icons/x.svg',
              url: 'https://x.com/JaneDoe',
              is_hidden: false,
            },
            {
              service_type: 'mastodon',
              service_label: 'Mastodon',
              service_icon: 'i',
              url: 'https://hachyderm.io/@jane',
              is_hidden: false,
            },
            {
              service_type: 'github',
              service_label: 'GitHub',
              service_icon: 'i',
              url: 'https://github.com/secret-jane',
              is_hidden: true,
            },
            {
              service_type: 'tumblr',
              service_label: 'Tumblr',
              service_icon: 'i',
              url: 'https://jane.tumblr.com',
              is_hidden: false,
            },
          ],
        },
        { 'x-ratelimit-limit': '1000', 'x-ratelimit-remaining': '999', 'x-ratelimit-reset': '1782907200' },
      )
      .get(`/profiles/${gravatarHash('nobody@example.com')}`)
      .reply(404, { error: 'Profile not found' });
    const discovery = new GravatarDiscovery({ baseUrl: GRAVATAR, apiKey: 'grav-key-123456', http: fastHttp() });
    const results = await discovery.discover(['jane@example.com', 'nobody@example.com', 'not-an-email']);
    const jane = results.get('jane@example.com');
    if (jane?.status !== 'ok') throw new Error(JSON.stringify(jane));
    const { identities, rejected } = resolveRawHandles(jane.handles, 'discovered');
    expect(identities).to.deep.equal([
      { network: 'x', handle: 'janedoe', provenance: 'discovered', sourceField: 'gravatar:twitter' },
      { network: 'mastodon', handle: 'jane@hachyderm.io', provenance: 'discovered', sourceField: 'gravatar:mastodon' },
    ]);
    expect(rejected.map((r) => r.reason)).to.deep.equal(['unknown_network']);
    expect(results.get('nobody@example.com')).to.deep.equal({ status: 'not_found' });
    expect(results.get('not-an-email')).to.deep.equal({ status: 'not_found' });
    expect(discovery.usage().calls).to.equal(2);
  });

  it('a 429 over the hourly limit is unavailable with retryAfter, not a throw', async () => {
    const reset = String(Math.floor(Date.now() / 1000) + 3000);
    nock(GRAVATAR)
      .get(/\/profiles\/.*/)
      .reply(
        429,
        { error: 'Rate limit exceeded', code: 'rate_limit_exceeded' },
        { 'x-ratelimit-limit': '100', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset },
      );
    const r = (await new GravatarDiscovery({ baseUrl: GRAVATAR, http: fastHttp() }).discover(['a@b.co'])).get('a@b.co');
    expect(r).to.deep.include({ status: 'unavailable', reason: 'rate_limited' });
  });
});

describe('providers: CSV import', () => {
  const normalise = (network: Parameters<typeof handleFor>[0], value: string) => {
    const { identities } = resolveRawHandles([{ field: 'csv', network, value }], 'crm-field');
    const hit = identities.find((i) => i.network === network);
    return hit ? hit.handle : null;
  };

  it('parses quoted fields, CRLF, BOM and embedded commas/quotes/newlines', () => {
    expect(parseCsv('\uFEFFa,b\r\n"x, y","say ""hi"""\n"multi\nline",2\n\n')).to.deep.equal([
      ['a', 'b'],
      ['x, y', 'say "hi"'],
      ['multi\nline', '2'],
    ]);
  });

  it('reads LinkedIn rows (newest row wins, dates alone accepted), bad rows reported by line and column', () => {
    const csv = [
      'email,network,handle,followers,connections,posts,as_of,source',
      'ada@example.com,linkedin,https://www.linkedin.com/in/Ada-Lovelace/,5400,500,,2026-06-01,export',
      'ada@example.com,,https://www.linkedin.com/in/ada-lovelace,5600,510,12,2026-06-15,self_reported',
      'bob@example.com,linkedin,https://www.linkedin.com/in/bob,lots,,,2026-06-01,manual',
      'eve@example.com,myspace,eve,10,,,2026-06-01,manual',
      'joe@example.com,linkedin,https://example.com/joe,10,,,2026-06-01,manual',
      'kim@example.com,x,@Kim,900,100,3000,2026-05-01T10:00:00Z,',
      'max@example.com,linkedin,https://www.linkedin.com/in/max-big,1000000000000,,,2026-06-01,manual',
      'sam@example.com,linkedin,https://www.linkedin.com/in/sam-later,10,,,2027-01-01,manual',
      'tom@example.com,linkedin,https://www.linkedin.com/in/tom-when,10,,,June 1,manual',
    ].join('\n');
    const imported = loadCsvImport(csv, normalise, () => new Date('2026-07-01T00:00:00Z'));
    expect(imported.rows).to.deep.equal([
      {
        network: 'linkedin',
        handle: 'ada-lovelace',
        followers: 5600,
        following: 510,
        posts: 12,
        asOf: '2026-06-15T00:00:00.000Z',
        source: 'self_reported',
      },
      {
        network: 'x',
        handle: 'kim',
        followers: 900,
        following: 100,
        posts: 3000,
        asOf: '2026-05-01T10:00:00.000Z',
        source: 'manual',
      },
    ]);
    expect(imported.problems).to.deep.equal([
      { line: 4, field: 'followers', message: 'followers must be a whole number' },
      { line: 5, field: 'network', message: imported.problems[1]?.message },
      { line: 6, field: 'handle', message: '"https://example.com/joe" is not a linkedin profile URL or handle' },
      { line: 8, field: 'followers', message: 'followers must be at most 2,000,000,000' },
      { line: 9, field: 'as_of', message: 'as_of is in the future' },
      { line: 10, field: 'as_of', message: 'as_of must be a date like 2026-06-01 or 2026-06-01T09:00:00Z' },
    ]);
  });

  it("takes the score command's fetched_at as another name for as_of", () => {
    const imported = loadCsvImport(
      'handle,followers,fetched_at\nhttps://www.linkedin.com/in/ada-l,10,2026-06-01\n',
      normalise,
    );
    expect(imported.problems).to.deep.equal([]);
    expect(imported.rows[0]?.asOf).to.equal('2026-06-01T00:00:00.000Z');
  });

  it('the imported-counts adapter answers from its look-up: metrics as old as as_of, no calls, others not_found', async () => {
    const adapter = new ImportedCountsAdapter('linkedin', (handles) =>
      Promise.resolve(
        new Map(
          handles
            .filter((h) => h === 'ada-lovelace')
            .map((h) => [
              h,
              {
                network: 'linkedin' as const,
                handle: h,
                followers: 5600,
                following: 510,
                posts: 12,
                asOf: '2026-06-15T00:00:00.000Z',
                source: 'export' as const,
              },
            ]),
        ),
      ),
    );
    const results = await adapter.fetchProfiles(['ada-lovelace', 'nobody']);
    const ada = results.get('ada-lovelace');
    expect(ada?.status === 'ok' && ada.metrics).to.deep.include({
      followers: 5600,
      following: 510,
      posts: 12,
      fetchedAt: '2026-06-15T00:00:00.000Z',
    });
    expect(results.get('nobody')).to.deep.equal({ status: 'not_found' });
    expect(adapter.usage()).to.deep.equal({ calls: 0 });
    expect(adapter.local).to.equal(true);
  });

  it('a file without the required columns says which', () => {
    expect(loadCsvImport('email,followers\n', normalise).problems.map((p) => p.field)).to.deep.equal([
      'handle',
      'as_of',
    ]);
  });
});

describe('providers: registry, doctor descriptions and cache lifetimes', () => {
  it('defaults: X off (paid), YouTube off (no key), GitHub/Mastodon/Bluesky on; each off one says how to turn it on', () => {
    const config = loadConfig({});
    expect(createProviders(config).map((p) => p.network)).to.deep.equal(['github', 'mastodon', 'bluesky']);
    const described = describeProviders(config);
    const x = described.find((d) => d.network === 'x');
    expect(x?.enabled).to.equal(false);
    expect(x?.howToEnable).to.include('X_ENABLED=true').and.include('X_BEARER_TOKEN');
    expect(described.find((d) => d.network === 'youtube')?.howToEnable).to.include('YOUTUBE_API_KEY');
    expect(described.find((d) => d.network === 'github')?.howToEnable).to.include('GITHUB_TOKEN');
    for (const d of described.filter((d) => !d.enabled)) expect(d.howToEnable, d.network).to.be.a('string');
  });

  it('with credentials every network adapter is built, with the configured base URLs; secrets never in descriptions', () => {
    const config = loadConfig({
      X_ENABLED: 'true',
      X_BEARER_TOKEN: 'xtok-abcdefgh',
      YOUTUBE_API_KEY: 'ykey-abcdefgh',
      GITHUB_TOKEN: 'ghtok-abcdefgh',
    });
    const adapters = createProviders(config);
    expect(adapters.map((p) => p.network)).to.deep.equal(['x', 'github', 'mastodon', 'bluesky', 'youtube']);
    expect(adapters.find((a) => a.network === 'github')?.maxBatch).to.equal(50);
    const text = JSON.stringify(describeProviders(config));
    for (const secret of ['xtok-abcdefgh', 'ykey-abcdefgh', 'ghtok-abcdefgh']) expect(text).to.not.include(secret);
    expect(describeProviders(config).every((d) => d.network === 'linkedin' || d.enabled)).to.equal(true);
  });

  it('doctor says LinkedIn is on once counts were imported, and how to import them while none are', () => {
    const config = loadConfig({});
    const before = describeProviders(config).find((d) => d.network === 'linkedin');
    expect(before?.enabled).to.equal(false);
    expect(before?.howToEnable).to.include('crm-influence import --file counts.csv');
    const after = describeProviders(config, [
      { network: 'linkedin', accounts: 204, newestAsOf: '2026-06-01T00:00:00.000Z' },
    ]).find((d) => d.network === 'linkedin');
    expect(after).to.deep.include({
      enabled: true,
      detail: 'imported counts: 204 accounts, the newest as of 2026-06-01',
    });
  });

  it('TTLs: 7 days by default, X 30 days, negative answers 1 day, transient ones never cached, stale rule 14 days', () => {
    expect(PROVIDER_TTL_SECONDS.github).to.equal(7 * 86_400);
    expect(PROVIDER_TTL_SECONDS.x).to.equal(30 * 86_400);
    expect(providerTtlSeconds('bluesky', 'not_found')).to.equal(86_400);
    expect(providerTtlSeconds('x', 'unavailable')).to.equal(0);
    expect(STALE_MAX_AGE_SECONDS).to.equal(14 * 86_400);
  });
});
