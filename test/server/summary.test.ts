// The dashboard's counts (kept by migration 3's triggers) against a direct count of the same rows, on SQLite and
// PostgreSQL, through inserts, updates, purges, damaged values and a deleted connection; and the server tables.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { expect } from 'chai';
import pg from 'pg';

import type { InfluenceFields } from '../../src/crm/contract.ts';
import { ServerStore } from '../../src/server/server-store.ts';
import { ProductSessionStore } from '../../src/server/session-store.ts';
import { buckets, DashboardSummaries, retier } from '../../src/server/summary.ts';
import type { Store } from '../../src/store/contract.ts';
import { PostgresStore } from '../../src/store/postgres.ts';
import type { RunReport } from '../../src/store/run-report.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';

const DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

function fields(score: number | null, tier: InfluenceFields['tier']): InfluenceFields {
  return {
    score,
    tier,
    confidence: null,
    scoredAt: '2026-11-20T10:00:00.000Z',
    topFactors: null,
    reasonCodes: [],
    trend: null,
    orgPercentile: null,
  };
}

function report(runId: string, connection: string, at: string): RunReport {
  return {
    runId,
    connection,
    crm: 'salesforce',
    dryRun: false,
    startedAt: at,
    finishedAt: at,
    status: 'ok',
    counts: { read: 0, scored: 0, unscored: 0, written: 0, unchanged: 0, optedOut: 0, failed: 0 },
    apiCalls: { crm: { read: 0, write: 0, other: 0 }, providers: {} },
    errors: [],
  };
}

const backends: { name: string; open: () => Promise<{ store: Store; cleanup: () => Promise<void> }> }[] = [
  {
    name: 'SQLite',
    open: async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'crm-influence-summary-'));
      const store = await SqliteStore.open(path.join(dir, 's.db'));
      return {
        store,
        cleanup: async () => {
          await store.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: 'PostgreSQL',
    open: async () => {
      const schema = `test_${randomBytes(6).toString('hex')}`;
      const store = await PostgresStore.open({ connectionString: DATABASE_URL, schema });
      return {
        store,
        cleanup: async () => {
          await store.close();
          const client = new pg.Client({ connectionString: DATABASE_URL });
          await client.connect();
          await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
          await client.end();
        },
      };
    },
  },
];

for (const backend of backends) {
  describe(`admin server tables on ${backend.name}`, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    beforeEach(async () => {
      ({ store, cleanup } = await backend.open());
    });
    afterEach(async () => {
      await cleanup();
    });

    it('dashboard counts follow every write, update, purge and delete (triggers), and equal a direct count', async () => {
      const db = store.sql!();
      const summaries = new DashboardSummaries(db, () => new Date('2026-11-26T00:00:00Z'));
      await store.saveConnection({
        id: 'c1',
        crm: 'salesforce',
        name: 'c1',
        status: 'ok',
        statusMessage: null,
        credentials: {},
        settings: {},
      });
      const states = Array.from({ length: 60 }, (_, i) => ({
        recordId: `r${i}`,
        objectType: 'Contact',
        lastWritten: i % 6 === 0 ? fields(null, 'Unscored') : fields(i, i >= 45 ? 'B' : 'C'),
        writtenAt: null,
        fingerprint: null,
      }));
      await store.putSyncStates('c1', states);
      await store.putSyncStates('c2', [
        { recordId: 'x', objectType: 'Contact', lastWritten: fields(99, 'A'), writtenAt: null, fingerprint: null },
      ]);
      await store.saveRun({
        ...report('run-1', 'c1', '2026-11-25T00:00:00.000Z'),
        crmBudget: { limit: 15_000, remaining: 14_200 },
      });
      let summary = await summaries.get('c1');
      expect(summary.budget, 'the budget the latest run reported').to.deep.equal({ limit: 15_000, remaining: 14_200 });
      expect(summary.contacts).to.equal(60);
      expect(summary.tiers).to.deep.equal({ Unscored: 10, C: 37, B: 13 });
      expect(summary.scores[7]).to.equal(1);
      expect(summary.scores[6]).to.equal(0, 'r6 is unscored');

      // Updates move counts; a damaged value counts as unscored instead of failing the write.
      await store.putSyncStates('c1', [
        { recordId: 'r7', objectType: 'Contact', lastWritten: fields(80, 'A'), writtenAt: null, fingerprint: null },
      ]);
      await store.purgeContact('c1', 'r8');
      await db.execute(`UPDATE contact_sync_state SET last_written = '{"score": "high"}' WHERE record_id = 'r9'`);
      await store.appendHistory('c1', [
        { recordId: 'r1', at: '2026-11-24T08:00:00.000Z', score: 1, tier: 'D' },
        { recordId: 'r2', at: '2026-11-24T09:00:00.000Z', score: 2, tier: 'D' },
        { recordId: 'r1', at: '2026-10-01T09:00:00.000Z', score: 2, tier: 'D' },
      ]);
      await store.saveRun(report('run-2', 'c1', '2026-11-25T01:00:00.000Z'));
      summary = await summaries.get('c1');
      expect(summary.contacts).to.equal(60, 'a purge keeps the row (it remembers the opt-out)');
      expect(summary.budget, 'a newer run without a budget keeps the last one reported').to.deep.equal({
        limit: 15_000,
        remaining: 14_200,
      });
      expect(summary.tiers).to.deep.equal({ Unscored: 11, C: 35, B: 13, A: 1 });
      expect(summary.scores[80]).to.equal(1);
      expect(summary.scores[7]).to.equal(0);
      expect(summary.daily).to.deep.equal([{ day: '2026-11-24', tiers: { D: 2 } }], 'only the last 30 days');
      const direct = await db.query<{ n: number | string }>(
        "SELECT COUNT(*) AS n FROM contact_sync_state WHERE connection_id = 'c1' AND last_written IS NOT NULL",
      );
      expect(Number(direct[0]!.n)).to.equal(summary.contacts);

      expect(buckets(summary.scores).reduce((a, b) => a + b.n, 0)).to.equal(summary.contacts - 11);
      expect(retier(summary.scores, { A: 40, B: 30, C: 10 }).A).to.equal(
        summary.scores.slice(40).reduce((a, b) => a + b, 0),
      );

      await store.deleteConnection('c1');
      const left = await db.query<{ n: number | string }>(
        "SELECT COALESCE(SUM(n), 0) AS n FROM server_score_counts WHERE connection_id = 'c1'",
      );
      expect(Number(left[0]!.n)).to.equal(0);
    });

    it('keeps admins, secrets, sessions and the webhook queue', async () => {
      const db = store.sql!();
      let now = new Date('2026-11-26T00:00:00Z');
      const server = new ServerStore(db, () => now);
      expect(await server.adminCount()).to.equal(0);
      await server.putAdmin('admin', 'scrypt$1$1$1$a$b');
      await server.putAdmin('admin', 'scrypt$1$1$1$c$d');
      expect(await server.adminCount()).to.equal(1);
      expect((await server.getAdmin('admin'))!.password_hash).to.equal('scrypt$1$1$1$c$d');
      const secret = await server.secret('s');
      expect(await server.secret('s')).to.equal(secret);

      const sessions = new ProductSessionStore(db, () => now);
      const data = { cookie: { originalMaxAge: 1000, expires: new Date('2026-11-26T01:00:00Z') }, csrfToken: 't' };
      await new Promise<void>((resolve, reject) =>
        sessions.set('sid-1', data, (e) =>
          e ? reject(e instanceof Error ? e : new Error('session store failed')) : resolve(),
        ),
      );
      const read = await new Promise((resolve) => sessions.get('sid-1', (_e, d) => resolve(d)));
      expect(read).to.deep.include({ csrfToken: 't' });
      const raw = await db.query<{ sid_hash: string }>('SELECT sid_hash FROM server_sessions');
      expect(raw[0]!.sid_hash).to.not.equal('sid-1');
      now = new Date('2026-11-26T02:00:00Z');
      expect(await new Promise((resolve) => sessions.get('sid-1', (_e, d) => resolve(d)))).to.equal(null);
      expect(await server.pruneSessions()).to.equal(1);

      await server.queueContacts('h1', ['1', '2']);
      await server.queueContacts('h1', ['2']);
      expect((await server.queuedContacts('h1')).sort()).to.deep.equal(['1', '2']);
      now = new Date('2026-11-26T03:00:00Z');
      await server.clearQueued('h1', new Date('2026-11-26T02:30:00Z'));
      expect(await server.queuedContacts('h1')).to.deep.equal([]);
    });
  });
}
