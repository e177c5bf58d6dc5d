// Salesforce connector and sandbox figures: API calls against the platform minimum, records/s, peak memory of the
// connector side, a no-change run's calls as a share of a full run, and the sandbox's collection PATCH throughput.
// The sandbox org runs in a child process so the connector's memory is measured alone.
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import jsforce from 'jsforce';

import { SalesforceConnector } from '../../connectors/salesforce/index.ts';
import type { InfluenceFields, ScoreUpdate } from '../../src/crm/contract.ts';
import { createPopulation } from '../../src/sandbox/population.ts';
import { startSalesforceSandbox } from '../../src/sandbox/salesforce/index.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DAY = 86_400_000;
const BULK_SAMPLE = 20_000;

/** Starts the sandbox org with `size` people in a child process; resolves with its environment. */
async function startChildSandbox(size: number): Promise<{ env: Record<string, string>; child: ChildProcess }> {
  const code = `
    import { createPopulation } from ${JSON.stringify(path.join(ROOT, 'src/sandbox/population.ts'))};
    import { startSalesforceSandbox } from ${JSON.stringify(path.join(ROOT, 'src/sandbox/salesforce/index.ts'))};
    const sb = await startSalesforceSandbox({ population: createPopulation({ seed: 'bench', size: ${size} }), apiQuota: 10_000_000 });
    process.stdout.write(JSON.stringify(sb.env) + '\\n');
    process.stdin.on('end', () => sb.close().then(() => process.exit(0)));
    process.stdin.resume();`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
  return { env: JSON.parse(chunk.toString('utf8')) as Record<string, string>, child };
}

function connectorFor(env: Record<string, string>): SalesforceConnector {
  return new SalesforceConnector({
    instanceUrl: env.SALESFORCE_INSTANCE_URL!,
    loginUrl: env.SALESFORCE_LOGIN_URL!,
    clientId: env.SALESFORCE_CLIENT_ID!,
    clientSecret: env.SALESFORCE_CLIENT_SECRET!,
    accessToken: env.SALESFORCE_ACCESS_TOKEN!,
    refreshToken: env.SALESFORCE_REFRESH_TOKEN!,
    bulkPollIntervalMs: 200,
  });
}

function fields(score: number): InfluenceFields {
  return {
    score,
    tier: 'C',
    confidence: 'medium',
    scoredAt: new Date().toISOString(),
    topFactors: `+${score} X: 1,200 followers`,
    reasonCodes: ['LARGE_REACH'],
    trend: 'Stable',
    orgPercentile: null,
  };
}

/** Samples RSS while `run` works; returns its result and the peak growth over the starting RSS. */
async function withPeakRss<T>(run: () => Promise<T>): Promise<{ result: T; peakMb: number }> {
  const base = process.memoryUsage().rss;
  let peak = base;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 25);
  try {
    const result = await run();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { result, peakMb: (peak - base) / 1e6 };
  } finally {
    clearInterval(timer);
  }
}

const pct = (a: number, b: number): string => `${((100 * a) / b).toFixed(2)} %`;

async function connectorFigures(size: number): Promise<void> {
  const { env, child } = await startChildSandbox(size);
  try {
    const connector = connectorFor(env);
    const staleBefore = new Date(Date.now() - 7 * DAY);
    // Full run as the engine drives it: read a page, write its changed records in writeBatchSize chunks, next page.
    const started = performance.now();
    const full = await withPeakRss(async () => {
      let cursor: string | null = null;
      let read = 0;
      for await (const page of connector.readContacts(null, { full: true, staleBefore })) {
        read += page.contacts.length;
        cursor = page.cursor;
        const updates: ScoreUpdate[] = page.contacts.map((c, k) => ({
          objectType: c.objectType,
          id: c.id,
          fields: fields(k % 100),
        }));
        for (let i = 0; i < updates.length; i += connector.writeBatchSize)
          await connector.writeScores(updates.slice(i, i + connector.writeBatchSize));
      }
      return { cursor, read };
    });
    const seconds = (performance.now() - started) / 1000;
    const calls = connector.apiUsage().calls;
    const minRead = Math.ceil(size / 2000);
    const minWrite = Math.ceil(size / 1000);
    const fullCalls = calls.read + calls.write + calls.other;
    console.log(`  ${size.toLocaleString('en')} contacts — full run (read + write every record):`);
    console.log(
      `    read calls   ${calls.read} vs minimum ⌈N/2000⌉ = ${minRead}  (${(calls.read / minRead).toFixed(2)}×)`,
    );
    console.log(
      `    write calls  ${calls.write} vs minimum ⌈N/1000⌉ = ${minWrite}  (${(calls.write / minWrite).toFixed(2)}×)`,
    );
    console.log(`    other calls  ${calls.other} (integration user id)`);
    console.log(
      `    all calls    ${fullCalls} vs ${minRead + minWrite}  (${(fullCalls / (minRead + minWrite)).toFixed(2)}×)`,
    );
    console.log(
      `    throughput   ${Math.round(full.result.read / seconds).toLocaleString('en')} records/s read+written (${seconds.toFixed(1)} s, sandbox in a child process)`,
    );
    console.log(`    peak RSS     +${full.peakMb.toFixed(1)} MB over start (connector process)`);

    const again = connectorFor(env);
    let reread = 0;
    for await (const page of again.readContacts(full.result.cursor, { full: false, staleBefore }))
      reread += page.contacts.length;
    const noChange = again.apiUsage().calls;
    const noChangeCalls = noChange.read + noChange.write + noChange.other;
    console.log(
      `    no-change run ${noChangeCalls} calls (${noChange.read} read, ${noChange.other} other), ${reread} records re-read = ${pct(noChangeCalls, fullCalls)} of the full run`,
    );

    // The same write-back as Bulk API 2.0 jobs (what writeScores does above the threshold), on ≤ 20,000 records
    // to keep the bench bounded.
    const bulk = connectorFor(env);
    const ids: ScoreUpdate[] = [];
    for await (const page of bulk.readContacts(null, { full: true, staleBefore })) {
      for (const c of page.contacts)
        if (ids.length < BULK_SAMPLE) ids.push({ objectType: c.objectType, id: c.id, fields: fields(7) });
    }
    const readCalls = bulk.apiUsage().calls.write;
    const bulkStarted = performance.now();
    const results = await bulk.writeScores(ids);
    const bulkSeconds = (performance.now() - bulkStarted) / 1000;
    const jobs = new Set(ids.map((u) => u.objectType)).size;
    console.log(
      `    bulk 2.0     ${bulk.apiUsage().calls.write - readCalls} calls for ${results.filter((r) => r.ok).length.toLocaleString('en')} records in ${jobs} jobs (${Math.round(ids.length / bulkSeconds).toLocaleString('en')} records/s)`,
    );
  } finally {
    child.stdin!.end();
    await once(child, 'exit');
  }
}

async function sandboxThroughput(): Promise<void> {
  const sb = await startSalesforceSandbox({
    population: createPopulation({ seed: 'bench-patch', size: 20_000 }),
    apiQuota: 10_000_000,
  });
  try {
    const conn = new jsforce.Connection({
      instanceUrl: sb.url,
      accessToken: sb.env.SALESFORCE_ACCESS_TOKEN!,
      version: '64.0',
    });
    const ids = Array.from({ length: 20_000 }, (_, i) => i)
      .filter((i) => sb.control.org.objectTypeOf(i) === 'Contact')
      .map((i) => `003SB${String(i).padStart(13, '0')}`);
    let records = 0;
    let calls = 0;
    const started = performance.now();
    while (performance.now() - started < 3000) {
      const batch = ids.slice((calls * 200) % (ids.length - 200), ((calls * 200) % (ids.length - 200)) + 200);
      await conn.requestPatch('/composite/sobjects', {
        allOrNone: false,
        records: batch.map((id) => ({
          attributes: { type: 'Contact' },
          id,
          Influence_Score__c: calls % 100,
          Influence_Tier__c: 'B',
        })),
      });
      records += batch.length;
      calls += 1;
    }
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `  sandbox: 200-record collection PATCH  ${Math.round(calls / seconds)} requests/s = ${Math.round(records / seconds).toLocaleString('en')} records/s (target ≥ 2,000; client and server share the process)`,
    );
  } finally {
    await sb.close();
  }
}

export async function run(): Promise<void> {
  await sandboxThroughput();
  for (const size of [10_000, 100_000]) await connectorFigures(size);
}
