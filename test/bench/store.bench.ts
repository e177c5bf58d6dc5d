// Store throughput per record for the engine's batched calls, SQLite and PostgreSQL, with SQLite compared against its
// physical limit here: bare prepared INSERTs of the same rows in one transaction per batch.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';

import pg from 'pg';

import type { InfluenceFields } from '../../src/crm/contract.ts';
import type { ContactSyncState, Store } from '../../src/store/contract.ts';
import { PostgresStore } from '../../src/store/postgres.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';

const RECORDS = 20_000;
const BATCH = 200;
const DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const fields: InfluenceFields = {
  score: 57,
  tier: 'B',
  confidence: 'medium',
  scoredAt: '2026-03-01T00:00:00.000Z',
  topFactors:
    '+20 Bluesky: median 42 reposts and replies per post (90 days)\n+12 GitHub: 1,200 stars on own repositories',
  reasonCodes: ['BSKY_ENGAGEMENT', 'GH_STARS'],
  trend: 'Stable',
  orgPercentile: 81,
};

function states(): ContactSyncState[] {
  return Array.from({ length: RECORDS }, (_, i) => ({
    recordId: `003${String(i).padStart(15, '0')}`,
    objectType: 'Contact',
    lastWritten: fields,
    writtenAt: '2026-03-01T00:00:00.000Z',
    fingerprint: randomBytes(16).toString('hex'),
  }));
}

function batches<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += BATCH) out.push(items.slice(i, i + BATCH));
  return out;
}

async function timed(body: () => Promise<void>): Promise<number> {
  const start = process.hrtime.bigint();
  await body();
  return Number(process.hrtime.bigint() - start) / 1000 / RECORDS; // µs per record
}

async function measure(store: Store): Promise<Record<string, number>> {
  const rows = states();
  const ids = rows.map((r) => r.recordId);
  const out: Record<string, number> = {};
  out.putSyncStates = await timed(async () => {
    for (const batch of batches(rows)) await store.putSyncStates('bench', batch);
  });
  out.getSyncStates = await timed(async () => {
    for (const batch of batches(ids)) await store.getSyncStates('bench', batch);
  });
  out.appendHistory = await timed(async () => {
    for (const batch of batches(rows)) {
      await store.appendHistory(
        'bench',
        batch.map((r) => ({ recordId: r.recordId, at: '2026-03-01T00:00:00.000Z', score: 57, tier: 'B' as const })),
      );
    }
  });
  out.getHistories = await timed(async () => {
    for (const batch of batches(ids)) await store.getHistories('bench', batch, 12);
  });
  out.putCached = await timed(async () => {
    for (const batch of batches(ids)) {
      await store.putCached(
        'github',
        batch.map((handle) => ({ handle, result: { status: 'not_found' as const } })),
        3600,
        new Date(),
      );
    }
  });
  out.getCached = await timed(async () => {
    for (const batch of batches(ids)) await store.getCached('github', batch, new Date());
  });
  return out;
}

function bareSqliteInsert(file: string): number {
  const db = new DatabaseSync(file);
  db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL');
  db.exec(
    'CREATE TABLE bare (connection_id TEXT, record_id TEXT, object_type TEXT, last_written TEXT, written_at TEXT, fingerprint TEXT, PRIMARY KEY (connection_id, record_id))',
  );
  const insert = db.prepare('INSERT OR REPLACE INTO bare VALUES (?, ?, ?, ?, ?, ?)');
  const rows = states();
  const start = process.hrtime.bigint();
  for (const batch of batches(rows)) {
    db.exec('BEGIN');
    for (const r of batch)
      insert.run('bench', r.recordId, r.objectType, JSON.stringify(r.lastWritten), r.writtenAt, r.fingerprint);
    db.exec('COMMIT');
  }
  const perRecord = Number(process.hrtime.bigint() - start) / 1000 / RECORDS;
  db.close();
  return perRecord;
}

function print(name: string, figures: Record<string, number>, baseline?: number) {
  for (const [op, us] of Object.entries(figures)) {
    const ratio =
      op === 'putSyncStates' && baseline !== undefined
        ? `  (${(us / baseline).toFixed(2)}× bare INSERT ${baseline.toFixed(2)} µs)`
        : '';
    console.log(`${name.padEnd(10)} ${op.padEnd(14)} ${us.toFixed(2).padStart(7)} µs/record${ratio}`);
  }
}

export async function run(): Promise<void> {
  console.log(`${RECORDS} records in batches of ${BATCH}`);
  const dir = mkdtempSync(path.join(tmpdir(), 'crm-influence-bench-'));
  try {
    const baseline = bareSqliteInsert(path.join(dir, 'bare.db'));
    const sqlite = await SqliteStore.open(path.join(dir, 'store.db'));
    print('SQLite', await measure(sqlite), baseline);
    await sqlite.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const schema = `bench_${randomBytes(4).toString('hex')}`;
  let store: PostgresStore | undefined;
  try {
    store = await PostgresStore.open({ connectionString: DATABASE_URL, schema });
  } catch (error) {
    console.log(`PostgreSQL skipped: ${(error as Error).message}`);
    return;
  }
  try {
    print('PostgreSQL', await measure(store));
  } finally {
    await store.close();
    const client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
  }
}
