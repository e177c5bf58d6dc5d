// Issue 18 end to end: the sandbox's hostile Mastodon instance, reached through the real adapter built the way
// `sync` builds it (createProviders, the 900 s rate-limit wait of the default config). One hostile handle costs
// its own handle only: the honest handles in the same batch are answered, nothing inward is called, no wait is long,
// memory stays bounded.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

import { expect } from 'chai';

import { loadConfig } from '../../src/config.ts';
import type { Resolver } from '../../src/http/index.ts';
import type { ProviderAdapter } from '../../src/providers/contract.ts';
import { createProviders } from '../../src/providers/index.ts';
import { MastodonAdapter } from '../../src/providers/mastodon.ts';
import { createPopulation, HOSTILE_HANDLES, type Population, startSandbox } from '../../src/sandbox/index.ts';
import { type MastodonSandbox, startMastodonSandbox } from '../../src/sandbox/networks/mastodon.ts';
import { accountFor, expectedStatus, identitiesByNetwork } from './sandbox-support.ts';

describe('providers: a hostile Mastodon instance (issue 18), through the real adapter', function () {
  this.timeout(60_000);
  let population: Population;
  let sandbox: MastodonSandbox;
  let canary: { url: string; hits: string[]; close(): Promise<void> };
  let honest: string[];

  before(async () => {
    const hits: string[] = [];
    const server = createServer((req, res) => {
      hits.push(req.url ?? '');
      res.end('{"AccessKeyId":"ASIA-CANARY","SecretAccessKey":"canary"}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    canary = {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      hits,
      close: () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    };
    population = createPopulation({ seed: 'hostile-instance', size: 300 });
    sandbox = await startMastodonSandbox({
      population,
      hostile: { inwardUrl: `${canary.url}/latest/meta-data/iam/security-credentials/` },
    });
    honest = (identitiesByNetwork(population).get('mastodon') ?? [])
      .map((i) => i.handle)
      .filter((h) => expectedStatus('mastodon', accountFor(population, 'mastodon', h)) === 'ok')
      .slice(0, 4);
    expect(honest).to.have.length(4);
  });
  after(async () => {
    await sandbox?.close();
    await canary?.close();
  });

  /** The adapter `sync` builds, with waits recorded instead of spent. */
  function productionAdapter(waits: number[]): ProviderAdapter {
    const config = loadConfig(sandbox.env);
    const sleep = (ms: number) => {
      waits.push(ms);
      return Promise.resolve();
    };
    const adapter = createProviders(config, {
      http: { maxWaitMs: config.CRM_INFLUENCE_RATE_LIMIT_WAIT * 1000, sleep },
    }).find((a) => a.network === 'mastodon');
    if (!adapter) throw new Error('no Mastodon adapter');
    return adapter;
  }

  it('redirects inward and redirect loops are refused; the internal service never hears of it', async () => {
    const waits: number[] = [];
    const mastodon = productionAdapter(waits);
    const results = await mastodon.fetchProfiles([
      HOSTILE_HANDLES.redirectInward,
      HOSTILE_HANDLES.redirectLoop,
      ...honest,
    ]);
    expect(results.get(HOSTILE_HANDLES.redirectInward)).to.deep.equal({ status: 'not_found' });
    expect(results.get(HOSTILE_HANDLES.redirectLoop)).to.deep.equal({ status: 'not_found' });
    for (const handle of honest) expect(results.get(handle)?.status, handle).to.equal('ok');
    expect(canary.hits).to.deep.equal([]);
    expect(mastodon.usage().refused).to.equal(2);
  });

  it('Retry-After: 899 from a user instance is not waited for (the config allows 900 s) and not retried', async () => {
    const waits: number[] = [];
    const mastodon = productionAdapter(waits);
    const before = sandbox.counters.snapshot().calls['GET /api/v1/accounts/lookup'] ?? 0;
    const results = await mastodon.fetchProfiles([HOSTILE_HANDLES.retryAfter, ...honest]);
    expect(results.get(HOSTILE_HANDLES.retryAfter)).to.deep.include({ status: 'unavailable', reason: 'rate_limited' });
    for (const handle of honest) expect(results.get(handle)?.status, handle).to.equal('ok');
    expect(
      waits.filter((ms) => ms >= 60_000),
      'waits of a minute or more',
    ).to.deep.equal([]);
    const lookups = (sandbox.counters.snapshot().calls['GET /api/v1/accounts/lookup'] ?? 0) - before;
    expect(lookups, 'lookups: one per honest handle, one for the hostile one').to.equal(honest.length + 1);
  });

  it('a 50 MB body fails only its handle: a few MB read, memory bounded', async () => {
    const mastodon = productionAdapter([]);
    const rssBefore = process.memoryUsage().rss;
    const results = await mastodon.fetchProfiles([HOSTILE_HANDLES.hugeBody, ...honest]);
    const rssGrowth = process.memoryUsage().rss - rssBefore;
    expect(results.get(HOSTILE_HANDLES.hugeBody)).to.deep.equal({ status: 'unavailable', reason: 'too_large' });
    for (const handle of honest) expect(results.get(handle)?.status, handle).to.equal('ok');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(sandbox.hostileBytesSent(), 'bytes the hostile instance got to send').to.be.below(16 * 1024 * 1024);
    // Reading the whole body (the old res.text()) took ~3× its size; the cap keeps growth far below one copy.
    expect(rssGrowth, 'RSS growth in bytes').to.be.below(48 * 1024 * 1024);
  });

  it('a body that drips forever costs its handle the time budget, not the page', async () => {
    const mastodon = new MastodonAdapter({
      baseUrlOverride: sandbox.env.MASTODON_API_BASE_URL,
      handleBudgetMs: 1_000,
      postSample: 5,
    });
    const started = Date.now();
    const results = await mastodon.fetchProfiles([HOSTILE_HANDLES.trickle, ...honest]);
    expect(results.get(HOSTILE_HANDLES.trickle)).to.deep.equal({ status: 'unavailable', reason: 'timeout' });
    for (const handle of honest) expect(results.get(handle)?.status, handle).to.equal('ok');
    // The budget (1 s), not the request timeout (15 s), ended it.
    expect(Date.now() - started).to.be.below(10_000);
  });

  it('a handle whose public-looking instance resolves inward (a@169.254.169.254.nip.io) is refused at connect', async () => {
    // nip.io answers any name with the address embedded in it; this fake DNS does the same, offline.
    const asked: string[] = [];
    const nipIo: Resolver = (hostname) => {
      asked.push(hostname);
      const ip = /^(\d+\.\d+\.\d+\.\d+)\.nip\.io$/.exec(hostname)?.[1];
      return ip ? Promise.resolve([{ address: ip, family: 4 }]) : Promise.reject(new Error(`ENOTFOUND ${hostname}`));
    };
    const mastodon = new MastodonAdapter({ http: { resolve: nipIo } });
    const results = await mastodon.fetchProfiles(['a@169.254.169.254.nip.io', 'b@10.0.0.5.nip.io']);
    expect(results.get('a@169.254.169.254.nip.io')).to.deep.equal({ status: 'not_found' });
    expect(results.get('b@10.0.0.5.nip.io')).to.deep.equal({ status: 'not_found' });
    expect(asked).to.deep.equal(['169.254.169.254.nip.io', '10.0.0.5.nip.io']);
    expect(mastodon.usage().refused).to.equal(2);
  });

  it('startSandbox passes the hostile instance its settings (the soak points its redirect at a canary)', async () => {
    const whole = await startSandbox({
      contacts: 10,
      seed: 'hostile-settings',
      only: ['mastodon'],
      hostileMastodon: { inwardUrl: `${canary.url}/x` },
    });
    try {
      const res = await fetch(
        `${whole.env.MASTODON_API_BASE_URL}/api/v1/accounts/lookup?acct=${HOSTILE_HANDLES.redirectInward}`,
        { redirect: 'manual' },
      );
      expect(res.status).to.equal(302);
      expect(res.headers.get('location')).to.equal(`${canary.url}/x`);
      const slow = await fetch(
        `${whole.env.MASTODON_API_BASE_URL}/api/v1/accounts/lookup?acct=${HOSTILE_HANDLES.retryAfter}`,
      );
      expect([slow.status, slow.headers.get('retry-after')]).to.deep.equal([429, '899']);
    } finally {
      await whole.close();
    }
  });
});
