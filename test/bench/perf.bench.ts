// `npm run bench perf`: whole `sync --once` runs of the real CLI, each in its own process, against the sandbox on
// 127.0.0.1 (Salesforce and the networks, limits relaxed 100× so the networks do not end the run), one row per size:
// CRM calls against their minimum (read: ⌈records read ÷ 2,000⌉ REST query pages, which a Bulk 2.0 read — over
// 50,000 records — beats, hence below 1×; write: ⌈written ÷ 1,000⌉ Composite calls, a lower bound: Contacts and Leads
// go in separate calls), wall time, X reads and their estimated spend per
// 1,000 X-linked contacts on a first run, and the sync process's peak RSS against the smallest size's.
// PERF_SIZES (default 5000,10000; the issue's table adds 100000 and 1000000, which take long on a shared machine).
// Then one HubSpot run (PERF_HUBSPOT_CONTACTS, default 5000) at HubSpot's real Free/Starter limit: its wall time
// against the bound its calls set at that rate, and 429s served. X on a refresh: `npm run bench xreads`.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { X_PRICE_USD } from '../../src/providers/x.ts';
import { startHubSpotSandbox } from '../../src/sandbox/hubspot/index.ts';
import { startSandbox } from '../../src/sandbox/index.ts';
import { startXSandbox } from '../../src/sandbox/networks/x.ts';
import { RunReportSchema } from '../../src/store/run-report.ts';

const SIZES = (process.env.PERF_SIZES ?? '5000,10000').split(',').map(Number);
/** PERF_HUBSPOT_CONTACTS (default 5000; 0 skips the HubSpot row). */
const HUBSPOT_CONTACTS = Number(process.env.PERF_HUBSPOT_CONTACTS ?? 5000);
const HUBSPOT_TEN_SECOND_LIMIT = 100;
const HUBSPOT_SEARCH_PER_SECOND = 4;
const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/crm-influence.js');
/** Prints the process's peak RSS on exit (stderr is a pipe: written at once). */
const PEAK_RSS_HOOK =
  'data:text/javascript,process.on("exit",()=>process.stderr.write("\\npeak-rss-kib "+process.resourceUsage().maxRSS+"\\n"))';

interface Row {
  contacts: number;
  status: string;
  read: number;
  readCalls: number;
  written: number;
  writeCalls: number;
  wallSeconds: number;
  xLinked: number;
  xUsd: number;
  peakRssMiB: number;
}

function syncOnce(
  env: Record<string, string>,
  crm: 'salesforce' | 'hubspot' = 'salesforce',
): Promise<{ stdout: string; stderr: string; seconds: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', PEAK_RSS_HOOK, BIN, 'sync', '--crm', crm, '--once', '--json'],
      { env, encoding: 'utf8', maxBuffer: 256 * 2 ** 20 },
      (error, stdout, stderr) => {
        if (error && stdout === '') reject(new Error(`sync failed: ${stderr.slice(-2000)}`));
        else resolve({ stdout, stderr, seconds: (Date.now() - started) / 1000 });
      },
    );
  });
}

async function measure(contacts: number): Promise<Row> {
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-perf-'));
  const sandbox = await startSandbox({
    contacts,
    seed: 'bench-perf',
    networkLimits: 'relaxed',
    only: ['salesforce', 'github', 'mastodon', 'bluesky'],
  });
  const x = await startXSandbox({
    population: sandbox.population,
    limits: { users: { limit: 30_000, windowSeconds: 900 }, tweets: { limit: 1_000_000, windowSeconds: 900 } },
  });
  try {
    let xLinked = 0;
    for (let i = 0; i < contacts; i++) if (sandbox.population.truth(i).some((t) => t.network === 'x')) xLinked++;
    const run = await syncOnce({
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      ...sandbox.env,
      ...x.env,
      CRM_INFLUENCE_DB: path.join(dir, 'perf.db'),
      CRM_INFLUENCE_SECRET_KEY: randomBytes(32).toString('hex'),
      CRM_INFLUENCE_LOG_LEVEL: 'silent',
      CRM_INFLUENCE_RATE_LIMIT_WAIT: '60',
      // Experiments: e.g. PERF_NODE_OPTIONS=--max-old-space-size=96 shows what a capped old space costs.
      ...(process.env.PERF_NODE_OPTIONS ? { NODE_OPTIONS: process.env.PERF_NODE_OPTIONS } : {}),
    });
    const report = RunReportSchema.parse(JSON.parse(run.stdout));
    const rss = /peak-rss-kib (\d+)/.exec(run.stderr);
    const billed = x.billed();
    return {
      contacts,
      status: report.status,
      read: report.counts.read,
      readCalls: report.apiCalls.crm.read,
      written: report.counts.written,
      writeCalls: report.apiCalls.crm.write,
      wallSeconds: run.seconds,
      xLinked,
      xUsd: billed.userReads * X_PRICE_USD.userRead + billed.postReads * X_PRICE_USD.postRead,
      peakRssMiB: rss ? Number(rss[1]) / 1024 : Number.NaN,
    };
  } finally {
    await x.close();
    await sandbox.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * HubSpot at its real Free/Starter limit (100 requests per rolling 10 s, search 4 per second; not scaled): the run's
 * wall time against the bound its calls set at that rate, and the 429s the portal served.
 */
async function measureHubSpot(contacts: number): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-perf-hs-'));
  const sandbox = await startSandbox({
    contacts,
    seed: 'bench-perf',
    networkLimits: 'relaxed',
    only: ['github', 'mastodon', 'bluesky'],
  });
  const portal = await startHubSpotSandbox({
    population: sandbox.population,
    tenSecondLimit: HUBSPOT_TEN_SECOND_LIMIT,
    searchPerSecond: HUBSPOT_SEARCH_PER_SECOND,
  });
  try {
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      ...sandbox.env,
      HUBSPOT_BASE_URL: portal.env.HUBSPOT_BASE_URL,
      HUBSPOT_ACCESS_TOKEN: portal.env.HUBSPOT_ACCESS_TOKEN,
      CRM_INFLUENCE_DB: path.join(dir, 'perf.db'),
      CRM_INFLUENCE_SECRET_KEY: randomBytes(32).toString('hex'),
      CRM_INFLUENCE_LOG_LEVEL: 'silent',
      CRM_INFLUENCE_RATE_LIMIT_WAIT: '60',
    };
    await new Promise<void>((resolve, reject) =>
      execFile(process.execPath, [BIN, 'fields', 'install', '--crm', 'hubspot'], { env }, (error, _out, stderr) =>
        error ? reject(new Error(`fields install failed: ${stderr}`)) : resolve(),
      ),
    );
    // The run's own calls only (not the property set-up's).
    const before = { ...portal.counters, calls: { ...portal.counters.calls } };
    const run = await syncOnce(env, 'hubspot');
    const report = RunReportSchema.parse(JSON.parse(run.stdout));
    const counters = {
      totalCalls: portal.counters.totalCalls - before.totalCalls,
      calls: Object.fromEntries(
        Object.entries(portal.counters.calls).map(([endpoint, n]) => [endpoint, n - (before.calls[endpoint] ?? 0)]),
      ),
      served429: portal.counters.served429,
    };
    const searches = Object.entries(counters.calls)
      .filter(([endpoint]) => endpoint.endsWith('/search'))
      .reduce((sum, [, n]) => sum + n, 0);
    // The run's own calls (the report's); the lift's deal reads after it are in the portal's count, not in the run.
    const runCalls = report.apiCalls.crm.read + report.apiCalls.crm.write + report.apiCalls.crm.other;
    const bound = Math.max(runCalls / (HUBSPOT_TEN_SECOND_LIMIT / 10), searches / HUBSPOT_SEARCH_PER_SECOND);
    const runSeconds = (Date.parse(report.finishedAt ?? report.startedAt) - Date.parse(report.startedAt)) / 1000;
    const served429 = Object.values(counters.served429).reduce((a, b) => a + b, 0);
    console.log(
      `\nHubSpot, ${contacts} contacts at ${HUBSPOT_TEN_SECOND_LIMIT} requests / 10 s (search ${HUBSPOT_SEARCH_PER_SECOND}/s): ` +
        `status ${report.status}${report.message ? ` (${report.message})` : ''}, ${runCalls} calls in the run (${searches} searches; ${counters.totalCalls} with the lift's deal reads after it), read ${report.counts.read}, written ${report.counts.written}`,
    );
    console.log(
      `  rate bound ${bound.toFixed(1)} s; run ${runSeconds.toFixed(1)} s (${(runSeconds / bound).toFixed(2)}×), ` +
        `process ${run.seconds.toFixed(1)} s (${(run.seconds / bound).toFixed(2)}×); 429s served: ${served429}`,
    );
  } finally {
    await portal.close();
    await sandbox.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(): Promise<void> {
  const rows: Row[] = [];
  for (const size of SIZES) rows.push(await measure(size));
  const base = rows[0]!;
  const ratio = (used: number, minimum: number) => (minimum === 0 ? '—' : `${(used / minimum).toFixed(2)}×`);
  console.log(
    'contacts   status   read (calls/min)        written (calls/min)     wall s   X $/1,000 linked   peak RSS MiB',
  );
  for (const r of rows) {
    const minRead = Math.ceil(r.read / 2000);
    const minWrite = Math.ceil(r.written / 1000);
    console.log(
      [
        String(r.contacts).padStart(8),
        r.status.padEnd(8),
        `${r.read} (${r.readCalls}/${minRead} ${ratio(r.readCalls, minRead)})`.padEnd(23),
        `${r.written} (${r.writeCalls}/${minWrite} ${ratio(r.writeCalls, minWrite)})`.padEnd(23),
        r.wallSeconds.toFixed(0).padStart(6),
        `$${((r.xUsd * 1000) / Math.max(1, r.xLinked)).toFixed(2)}`.padStart(18),
        `${r.peakRssMiB.toFixed(0)} (${(r.peakRssMiB / base.peakRssMiB).toFixed(2)}× ${base.contacts})`.padStart(20),
      ].join(' '),
    );
  }
  if (HUBSPOT_CONTACTS > 0) await measureHubSpot(HUBSPOT_CONTACTS);
}
