// Sandbox networks bench: population generation speed, and requests/s of the batch endpoints the adapters lean on
// (X /2/users/by with 100 usernames, Bluesky getProfiles with 25 actors), client and server in this one process
// (one core). The ratio against each network's real published limit shows the sandbox is never the bottleneck.
import { startBlueskySandbox } from '../../src/sandbox/networks/bluesky.ts';
import { startXSandbox } from '../../src/sandbox/networks/x.ts';
import type { Population, SandboxNetwork } from '../../src/sandbox/population.ts';
import { createPopulation } from '../../src/sandbox/population.ts';

const SECONDS = 4;
const CONCURRENCY = 8;

function handles(population: Population, network: SandboxNetwork, count: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < population.size && out.length < count; i++) {
    for (const t of population.truth(i)) if (t.network === network) out.push(t.handle);
  }
  return out;
}

/** CPU seconds (user + system) this process used since `since`: wall time lies when the machine is shared. */
function cpuSeconds(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1e6;
}

async function measure(
  url: () => string,
  init: RequestInit,
): Promise<{ perSecond: number; perCpuSecond: number; p50: number; p99: number; errors: number }> {
  const cpu = process.cpuUsage();
  const deadline = performance.now() + SECONDS * 1000;
  const latencies: number[] = [];
  let errors = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < deadline) {
        const started = performance.now();
        const response = await fetch(url(), init);
        await response.arrayBuffer();
        if (response.status !== 200) errors++;
        latencies.push(performance.now() - started);
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return {
    perSecond: latencies.length / SECONDS,
    perCpuSecond: latencies.length / cpuSeconds(cpu),
    p50: at(0.5),
    p99: at(0.99),
    errors,
  };
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

export async function run(): Promise<void> {
  // 1. Generation speed.
  const population = createPopulation({ seed: 'bench', size: 1_000_000 });
  for (let i = 0; i < 20_000; i++) population.person(i); // warm up
  const started = performance.now();
  const cpu = process.cpuUsage();
  let chars = 0;
  const N = 200_000;
  for (let i = 0; i < N; i++) chars += population.person(i).email.length;
  const peoplePerSecond = N / ((performance.now() - started) / 1000);
  const peoplePerCpuSecond = N / cpuSeconds(cpu);
  console.log(
    `population.person():      ${fmt(peoplePerSecond)} people/s wall, ${fmt(peoplePerCpuSecond)} per CPU-second  (1,000,000 people in ${(1_000_000 / peoplePerCpuSecond).toFixed(1)} CPU-s; ${chars > 0 ? 'ok' : ''})`,
  );
  let found = 0;
  const lookups = handles(population, 'x', 20_000);
  const cpu0 = process.cpuUsage();
  for (const h of lookups) if (population.account('x', h)) found++;
  console.log(
    `population.account('x'):  ${fmt(lookups.length / cpuSeconds(cpu0))} look-ups per CPU-second  (${found}/${lookups.length} exist)`,
  );
  const heap = process.memoryUsage().heapUsed / 1024 / 1024;
  console.log(`heap after 220,000 people: ${heap.toFixed(0)} MB (nothing retained per person)`);

  // 2. X /2/users/by, 100 usernames per call.
  const limits = { users: { limit: 1e9, windowSeconds: 900 }, tweets: { limit: 1e9, windowSeconds: 900 } };
  const x = await startXSandbox({ population, limits });
  const xHandles = handles(population, 'x', 5000);
  let offset = 0;
  const xBatch = () => {
    const batch = xHandles.slice(offset, offset + 100);
    offset = (offset + 100) % (xHandles.length - 100);
    return `${x.url}/2/users/by?usernames=${batch.join(',')}&user.fields=public_metrics,created_at,verified,protected,most_recent_tweet_id`;
  };
  const xr = await measure(xBatch, { headers: { authorization: `Bearer ${x.env.X_BEARER_TOKEN}` } });
  await x.close();
  // Real X: 300 lookups per 15 minutes per app = 0.33 requests/s.
  console.log(
    `X /2/users/by ×100:       ${fmt(xr.perSecond)} req/s wall, ${fmt(xr.perCpuSecond)} per CPU-second (client + server) = ${fmt(xr.perCpuSecond * 100)} users/CPU-s; p50 ${xr.p50.toFixed(1)} ms, p99 ${xr.p99.toFixed(1)} ms, non-200 ${xr.errors}; ${fmt(xr.perSecond / (300 / 900))}× the real app limit (wall)`,
  );

  // 3. Bluesky getProfiles, 25 actors per call.
  const bsky = await startBlueskySandbox({ population, limits: { requests: { limit: 1e9, windowSeconds: 300 } } });
  const bHandles = handles(population, 'bluesky', 5000);
  let bOffset = 0;
  const bBatch = () => {
    const batch = bHandles.slice(bOffset, bOffset + 25);
    bOffset = (bOffset + 25) % (bHandles.length - 25);
    return `${bsky.url}/xrpc/app.bsky.actor.getProfiles?${batch.map((a) => `actors=${encodeURIComponent(a)}`).join('&')}`;
  };
  const br = await measure(bBatch, {});
  await bsky.close();
  // Real Bluesky PDS: 3,000 requests per 5 minutes per IP = 10 requests/s.
  console.log(
    `Bluesky getProfiles ×25:  ${fmt(br.perSecond)} req/s wall, ${fmt(br.perCpuSecond)} per CPU-second (client + server) = ${fmt(br.perCpuSecond * 25)} profiles/CPU-s; p50 ${br.p50.toFixed(1)} ms, p99 ${br.p99.toFixed(1)} ms, non-200 ${br.errors}; ${fmt(br.perSecond / 10)}× the published per-IP limit (wall)`,
  );
}
