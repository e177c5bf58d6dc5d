// `npm run bench hostile`: what the sandbox's hostile Mastodon instance (issue 18) costs a page, through the adapter
// `sync` builds (the default config's 900 s rate-limit wait, real clock). Each trick shares a page with honest
// handles; printed per trick: wall time of the page, what the honest handles got, what the hostile one got, and for
// the 50 MB body how much the instance got to send and how much the peak RSS grew.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

import { loadConfig } from '../../src/config.ts';
import { createProviders } from '../../src/providers/index.ts';
import { createPopulation, HOSTILE_HANDLES } from '../../src/sandbox/index.ts';
import { startMastodonSandbox } from '../../src/sandbox/networks/mastodon.ts';
import { accountFor, expectedStatus, identitiesByNetwork } from '../providers/sandbox-support.ts';

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const peakRss = () => process.resourceUsage().maxRSS * 1024;

export async function run(): Promise<void> {
  let inwardHits = 0;
  const canary = createServer((_req, res) => {
    inwardHits += 1;
    res.end('{}');
  });
  await new Promise<void>((resolve) => canary.listen(0, '127.0.0.1', resolve));
  const population = createPopulation({ seed: 'hostile-bench', size: 500 });
  const sandbox = await startMastodonSandbox({
    population,
    hostile: { inwardUrl: `http://127.0.0.1:${(canary.address() as AddressInfo).port}/latest/meta-data/` },
  });
  try {
    const config = loadConfig({ MASTODON_API_BASE_URL: sandbox.url });
    const honest = (identitiesByNetwork(population).get('mastodon') ?? [])
      .map((i) => i.handle)
      .filter((h) => expectedStatus('mastodon', accountFor(population, 'mastodon', h)) === 'ok')
      .slice(0, 16);
    console.log(`each page: 1 hostile handle + ${honest.length} honest ones, concurrency 8, real clock`);
    for (const [trick, handle] of Object.entries(HOSTILE_HANDLES)) {
      const mastodon = createProviders(config, {
        http: { maxWaitMs: config.CRM_INFLUENCE_RATE_LIMIT_WAIT * 1000 },
      }).find((a) => a.network === 'mastodon');
      if (!mastodon) throw new Error('no Mastodon adapter');
      const sentBefore = sandbox.hostileBytesSent();
      const rssBefore = peakRss();
      const started = performance.now();
      const results = await mastodon.fetchProfiles([handle, ...honest]);
      const seconds = (performance.now() - started) / 1000;
      const honestOk = honest.filter((h) => results.get(h)?.status === 'ok').length;
      const extra =
        trick === 'hugeBody'
          ? `, instance sent ${mb(sandbox.hostileBytesSent() - sentBefore)} of 50 MB, peak RSS +${mb(peakRss() - rssBefore)}`
          : '';
      console.log(
        `${trick.padEnd(15)} page ${seconds.toFixed(2).padStart(6)} s, honest ok ${honestOk}/${honest.length}, ` +
          `hostile → ${JSON.stringify(results.get(handle))}, refused ${mastodon.usage().refused ?? 0}${extra}`,
      );
    }
    console.log(`requests that reached the internal service: ${inwardHits}`);
  } finally {
    await sandbox.close();
    canary.closeAllConnections();
    await new Promise((resolve) => canary.close(resolve));
  }
}
