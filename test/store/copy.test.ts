// `migrate --from sqlite --to …`: an install's SQLite store copied into a fresh PostgreSQL schema reads back the
// same through the Store contract (credentials still decrypt with the same key), and a target that already holds
// connections is refused.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { expect } from 'chai';
import pg from 'pg';

import type { InfluenceFields } from '../../src/crm/contract.ts';
import type { Store } from '../../src/store/contract.ts';
import { copySqliteToPostgres } from '../../src/store/copy.ts';
import { PostgresStore } from '../../src/store/postgres.ts';
import type { RunReport } from '../../src/store/run-report.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';

const DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

function fields(score: number): InfluenceFields {
  return {
    score,
    tier: score >= 50 ? 'A' : 'C',
    confidence: 'high',
    scoredAt: '2026-01-02T03:04:05.000Z',
    topFactors: `+${score} Bluesky: median reposts`,
    reasonCodes: ['BSKY_ENGAGEMENT'],
    trend: 'Stable',
    orgPercentile: 90,
  };
}

async function fill(store: Store): Promise<void> {
  await store.saveConnection({
    id: 'sf1',
    crm: 'salesforce',
    name: 'Acme',
    status: 'ok',
    statusMessage: null,
    credentials: { refreshToken: 'secret-token' },
    settings: { schedule: '0 4 * * *' },
  });
  await store.setCursor('sf1', 'cursor-after-page-7');
  // More rows than one copy batch.
  await store.putSyncStates(
    'sf1',
    Array.from({ length: 1_234 }, (_, i) => ({
      recordId: `r${i}`,
      objectType: 'Contact',
      lastWritten: fields(i % 100),
      writtenAt: '2026-01-02T03:04:05.000Z',
      fingerprint: `fp${i}`,
    })),
  );
  await store.appendHistory('sf1', [
    { recordId: 'r1', at: '2026-01-01T00:00:00.000Z', score: 40, tier: 'C' },
    { recordId: 'r1', at: '2026-02-01T00:00:00.000Z', score: 55, tier: 'A' },
  ]);
  const run: RunReport = {
    runId: 'run-1',
    connection: 'sf1',
    crm: 'salesforce',
    dryRun: false,
    startedAt: '2026-02-01T00:00:00.000Z',
    finishedAt: '2026-02-01T00:01:00.000Z',
    status: 'partial',
    counts: { read: 3, scored: 2, unscored: 0, written: 2, unchanged: 0, optedOut: 0, failed: 1 },
    apiCalls: { crm: { read: 1, write: 1, other: 0 }, providers: { github: 1 } },
    errors: [{ recordId: 'r9', stage: 'write', code: 'LOCKED', message: 'row locked', retryable: true }],
  };
  await store.saveRun(run);
  await store.recordErrors('sf1', 'run-1', run.errors);
}

describe('migrate: SQLite store → PostgreSQL', function () {
  this.timeout(60_000);
  const secretKey = randomBytes(32);
  let dir: string;
  let schema: string;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'crm-influence-copy-'));
    schema = `test_copy_${randomBytes(6).toString('hex')}`;
  });
  afterEach(async () => {
    rmSync(dir, { recursive: true, force: true });
    const client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
  });

  it('copies every table; the PostgreSQL store reads back what the SQLite one held', async () => {
    const source = await SqliteStore.open(path.join(dir, 'old.db'), { secretKey });
    const target = await PostgresStore.open({ connectionString: DATABASE_URL, schema, secretKey });
    try {
      await fill(source);
      await source.acquireLease('sf1', 'old-process-run', 600);
      const { tables } = await copySqliteToPostgres(source.sql(), target.sql());
      expect(tables.find((t) => t.table === 'contact_sync_state')?.rows).to.equal(1_234);
      expect(tables.map((t) => t.table)).to.not.include('leases');

      expect(await target.getConnection('sf1')).to.deep.equal(await source.getConnection('sf1'));
      expect((await target.getConnection('sf1'))?.credentials).to.deep.equal({ refreshToken: 'secret-token' });
      expect(await target.getCursor('sf1')).to.equal('cursor-after-page-7');
      const ids = ['r0', 'r500', 'r1233'];
      expect(await target.getSyncStates('sf1', ids)).to.deep.equal(await source.getSyncStates('sf1', ids));
      expect(await target.getHistory('sf1', 'r1')).to.deep.equal(await source.getHistory('sf1', 'r1'));
      expect(await target.listRuns({ limit: 10 })).to.deep.equal(await source.listRuns({ limit: 10 }));
      expect(await target.pendingRetries('sf1', 10)).to.deep.equal(await source.pendingRetries('sf1', 10));
      expect(await target.getScoreHistogram('sf1')).to.deep.equal(await source.getScoreHistogram('sf1'));
      // The old install's lease stayed behind: a run on the new one starts at once.
      expect(await target.acquireLease('sf1', 'new-run', 60)).to.equal(true);

      // Never merged into an install that has connections.
      let refused = '';
      await copySqliteToPostgres(source.sql(), target.sql()).catch((error: unknown) => {
        refused = error instanceof Error ? error.message : String(error);
      });
      expect(refused).to.equal('the PostgreSQL database already holds connections: migrate into an empty one');
    } finally {
      await source.close();
      await target.close();
    }
  });
});
