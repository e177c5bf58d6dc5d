// Admin server under load with 1,000,000 scored contacts in the store: dashboard, runs and contact pages, p50/p95/p99
// latency from a bounded local client (8 in flight), the one-off summary recompute after a run, and RSS.
// Seeding is a direct SQLite bulk insert (one transaction), the same rows the engine would write.
import type { ChildProcess } from 'node:child_process';
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { fileURLToPath } from 'node:url';

import type { RunReport } from '../../src/store/run-report.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';
import { Client } from '../server/helpers.ts';

const CONTACTS = Number(process.env.BENCH_SERVER_CONTACTS ?? 1_000_000);
const RUNS = 2_000;
const REQUESTS = 400;
const IN_FLIGHT = 8;
const CONNECTION = 'salesforce-bench';

function tierOf(score: number): string {
  return score >= 65 ? 'A' : score >= 45 ? 'B' : score >= 25 ? 'C' : 'D';
}

function seed(file: string): { ms: number } {
  const started = performance.now();
  const db = new DatabaseSync(file);
  db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF');
  // The count triggers (migration 3) are dropped for the bulk load and the counts rebuilt after, as the migration
  // itself does: per-row trigger work roughly triples a 1M-row load.
  const triggers = db
    .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'server_%'")
    .all() as { name: string; sql: string }[];
  for (const t of triggers) db.exec(`DROP TRIGGER ${t.name}`);
  const state = db.prepare(
    'INSERT INTO contact_sync_state (connection_id, record_id, object_type, last_written, written_at, fingerprint) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const history = db.prepare(
    'INSERT INTO score_history (connection_id, record_id, at, score, tier) VALUES (?, ?, ?, ?, ?)',
  );
  const now = Date.now();
  db.exec('BEGIN');
  for (let i = 0; i < CONTACTS; i += 1) {
    const id = `003BENCH${i.toString().padStart(10, '0')}`;
    // A skewed, deterministic score distribution; one in five contacts unscored.
    const unscored = i % 5 === 0;
    const score = unscored
      ? null
      : Math.min(100, Math.round(Math.abs((Math.sin(i * 12.9898) * 43758.5453) % 1) ** 1.7 * 100));
    const tier = score === null ? 'Unscored' : tierOf(score);
    const at = new Date(now - (i % 30) * 86_400_000).toISOString();
    const fields = {
      score,
      tier,
      confidence: score === null ? null : 'medium',
      scoredAt: at,
      topFactors:
        score === null
          ? null
          : `+${Math.round(score / 2)} X: ${i % 9000} followers\n+${Math.round(score / 4)} GitHub: ${i % 300} stars`,
      reasonCodes: [],
      trend: 'Stable',
      orgPercentile: score,
    };
    state.run(CONNECTION, id, 'Contact', JSON.stringify(fields), at, `fp${i}`);
    history.run(CONNECTION, id, at, score, tier);
  }
  const run = db.prepare(
    'INSERT INTO runs (run_id, connection_id, crm, status, started_at, finished_at, report) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  for (let r = 0; r < RUNS; r += 1) {
    const startedAt = new Date(now - (RUNS - r) * 3_600_000).toISOString();
    const report: RunReport = {
      runId: `run-${r.toString().padStart(6, '0')}`,
      connection: CONNECTION,
      crm: 'salesforce',
      dryRun: false,
      startedAt,
      finishedAt: new Date(Date.parse(startedAt) + 600_000).toISOString(),
      status: r % 10 === 0 ? 'partial' : 'ok',
      counts: {
        read: 5000,
        scored: 4000,
        unscored: 1000,
        written: 800,
        unchanged: 4200,
        optedOut: 3,
        failed: r % 10 === 0 ? 2 : 0,
      },
      apiCalls: { crm: { read: 3, write: 1, other: 2 }, providers: { x: 40, github: 12, bluesky: 160 } },
      errors:
        r % 10 === 0
          ? [
              {
                recordId: '003BENCH0000000001',
                stage: 'write',
                code: 'FIELD_CUSTOM_VALIDATION_EXCEPTION',
                message: 'rejected',
                retryable: false,
              },
            ]
          : [],
    };
    run.run(
      report.runId,
      CONNECTION,
      'salesforce',
      report.status,
      startedAt,
      report.finishedAt,
      JSON.stringify(report),
    );
  }
  db.exec(`INSERT INTO server_score_counts (connection_id, score, tier, n)
    SELECT connection_id, COALESCE(CAST(ROUND(json_extract(last_written, '$.score')) AS INTEGER), -1), COALESCE(json_extract(last_written, '$.tier'), 'Unscored'), COUNT(*)
    FROM contact_sync_state WHERE last_written IS NOT NULL GROUP BY 1, 2, 3`);
  db.exec(
    'INSERT INTO server_daily_tiers (connection_id, day, tier, n) SELECT connection_id, SUBSTR(at, 1, 10), tier, COUNT(*) FROM score_history GROUP BY 1, 2, 3',
  );
  for (const t of triggers) db.exec(t.sql);
  db.exec('COMMIT');
  db.close();
  return { ms: performance.now() - started };
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function load(
  client: Client,
  paths: readonly string[],
  inFlight = IN_FLIGHT,
  requests = REQUESTS,
): Promise<{ p50: number; p95: number; p99: number; max: number; rps: number; errors: number }> {
  const latencies: number[] = [];
  let next = 0;
  let errors = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < requests) {
        const target = paths[next % paths.length]!;
        next += 1;
        const t0 = performance.now();
        const response = await client.request(target);
        await response.arrayBuffer();
        latencies.push(performance.now() - t0);
        if (response.status !== 200) errors += 1;
      }
    }),
  );
  const wall = performance.now() - started;
  latencies.sort((a, b) => a - b);
  return {
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    max: latencies[latencies.length - 1] ?? NaN,
    rps: (latencies.length / wall) * 1000,
    errors,
  };
}

const fmt = (ms: number): string => `${ms.toFixed(1)} ms`;

function ask<T>(child: ChildProcess, message: string | null, key: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (answer: unknown) => {
      if (typeof answer === 'object' && answer !== null && key in answer) {
        child.off('message', onMessage);
        resolve((answer as Record<string, T>)[key]!);
      }
    };
    child.on('message', onMessage);
    child.once('exit', (code) => reject(new Error(`server process exited (${code})`)));
    if (message !== null) child.send(message);
  });
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'crm-influence-server-bench-'));
  const file = path.join(dir, 'bench.db');
  try {
    // Create the schema, then seed underneath the store.
    await (await SqliteStore.open(file)).close();
    const seeded = seed(file);
    console.log(
      `seeded ${CONTACTS.toLocaleString('en-US')} scored contacts (+1 history point each) and ${RUNS} runs in ${(seeded.ms / 1000).toFixed(1)} s`,
    );

    const store = await SqliteStore.open(file, { secretKey: randomBytes(32) });
    await store.saveConnection({
      id: CONNECTION,
      crm: 'salesforce',
      name: 'Bench org',
      status: 'ok',
      statusMessage: null,
      credentials: {},
      settings: {},
    });
    await store.close();
    const child = fork(fileURLToPath(new URL('./server-process.ts', import.meta.url)), [file], {
      execArgv: [],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const port = await ask<number>(child, null, 'port');
    const client = new Client(`http://127.0.0.1:${port}`);
    await client.login('admin', 'bench password 123');
    const rssBefore = await ask<number>(child, 'rss', 'rss');

    let t0 = performance.now();
    const first = await client.request('/');
    await first.arrayBuffer();
    const recompute = performance.now() - t0;
    console.log(
      `dashboard summary recompute over ${CONTACTS.toLocaleString('en-US')} contacts (once per finished run): ${fmt(recompute)} (status ${first.status})`,
    );
    t0 = performance.now();
    await (await client.request('/')).arrayBuffer();
    console.log(`dashboard after that (summary row read): ${fmt(performance.now() - t0)}`);

    const pages: [string, string[]][] = [
      ['dashboard', ['/']],
      ['dashboard JSON', ['/api/dashboard']],
      ['runs (50 of 2,000)', ['/runs']],
      ['runs JSON', ['/api/runs']],
      ['run detail', ['/runs/run-001990', '/runs/run-000500']],
      [
        'contact lookup',
        ['/contacts?id=003BENCH0000000001', '/contacts?id=003BENCH0000777777', '/contacts?id=003BENCH0000424242'],
      ],
    ];
    for (const [name, target] of [
      ['dashboard', '/'],
      ['runs', '/runs'],
    ] as const) {
      const r = await load(client, [target], 1, 100);
      console.log(`one at a time: ${name.padEnd(10)} p50 ${fmt(r.p50)}  p95 ${fmt(r.p95)}`);
    }
    console.log(
      `load: ${REQUESTS} requests per page, ${IN_FLIGHT} in flight, loopback; target p95 < 200 ms; machine load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')} on ${availableParallelism()} CPUs (shared)`,
    );
    for (const [name, paths] of pages) {
      const r = await load(client, paths);
      console.log(
        `  ${name.padEnd(22)} p50 ${fmt(r.p50).padStart(9)}  p95 ${fmt(r.p95).padStart(9)}  p99 ${fmt(r.p99).padStart(9)}  max ${fmt(r.max).padStart(9)}  ${r.rps.toFixed(0).padStart(5)} req/s  ${r.errors === 0 ? '' : `${r.errors} non-200!`}  p95/target ${(r.p95 / 200).toFixed(2)}`,
      );
    }
    const rss = await ask<number>(child, 'rss', 'rss');
    console.log(
      `server process RSS: ${(rssBefore / 2 ** 20).toFixed(0)} MiB signed in and idle, ${(rss / 2 ** 20).toFixed(0)} MiB after the load`,
    );
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.send('stop');
    await exited;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
