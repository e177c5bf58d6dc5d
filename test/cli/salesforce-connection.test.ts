// A Salesforce connection is the org, named by the org id the identity URL gives (`salesforce-<org id>`), whatever
// token reaches it: credentials Salesforce refuses save nothing, another token for the same org is the same
// connection, and a connection named the old way (a hash of the instance URL) is renamed with its history. On both
// stores, through the CLI against the Salesforce emulator.
import { createHash, randomBytes } from 'node:crypto';

import { expect } from 'chai';

import { createPopulation } from '../../src/sandbox/population.ts';
import { ORG_ID } from '../../src/sandbox/salesforce/org.ts';
import type { Store } from '../../src/store/contract.ts';
import { PostgresStore } from '../../src/store/postgres.ts';
import { RunReportSchema } from '../../src/store/run-report.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';
import { DATABASE_URL, sql } from '../pg.ts';
import { type CliWorld, startCliWorld } from './world.ts';

const CONNECTION = `salesforce-${ORG_ID}`;

for (const backend of ['sqlite', 'postgres'] as const) {
  describe(`crm-influence: a Salesforce connection is named by its org id (${backend}, sandbox)`, function () {
    this.timeout(90_000);
    const population = createPopulation({ seed: 'sf-connection', size: 30 });
    let world: CliWorld;
    let schema: string;
    const key = () => Buffer.from(world.env.CRM_INFLUENCE_SECRET_KEY!, 'hex');
    const withStore = async <T>(use: (store: Store) => Promise<T>): Promise<T> => {
      const store =
        backend === 'sqlite'
          ? await SqliteStore.open(world.env.CRM_INFLUENCE_DB!, { secretKey: key() })
          : await PostgresStore.open({ connectionString: DATABASE_URL, schema, secretKey: key() });
      try {
        return await use(store);
      } finally {
        await store.close();
      }
    };

    beforeEach(async () => {
      world = await startCliWorld(`sf-connection-${backend}`, population, { timeoutMs: 80_000 });
      if (backend === 'postgres') {
        schema = `test_sf_connection_${randomBytes(6).toString('hex')}`;
        await sql(`CREATE SCHEMA ${schema}`);
        world.env.DATABASE_URL = `${DATABASE_URL}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
      }
    });
    afterEach(async () => {
      await world?.close();
      if (backend === 'postgres') await sql(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    });

    it('saves nothing when Salesforce refuses the credentials on the first call', async () => {
      world.env.SALESFORCE_ACCESS_TOKEN = '00DSB0000000000001!not-a-token';
      delete world.env.SALESFORCE_REFRESH_TOKEN;
      const result = await world.cli(['sync', '--crm', 'salesforce', '--once', '--json']);
      expect(result.code).to.not.equal(0);
      expect(result.stderr).to.include('nothing was saved');
      expect(result.stderr).to.not.include('not-a-token', 'the token is never shown');
      expect(await withStore((store) => store.listConnections())).to.deep.equal([]);
    });

    it('is one connection per org whatever token reaches it, and renames one named the old way with its history', async () => {
      // Saved before 0.2: named by a hash of the instance URL, with a run and a checkpoint.
      const legacyId = `salesforce-${createHash('sha256').update(world.env.SALESFORCE_INSTANCE_URL!).digest('hex').slice(0, 16)}`;
      const legacyRun = RunReportSchema.parse({
        runId: 'legacy-run',
        connection: legacyId,
        crm: 'salesforce',
        dryRun: false,
        startedAt: '2026-01-01T00:00:00.000Z',
        finishedAt: '2026-01-01T00:01:00.000Z',
        status: 'ok',
        counts: { read: 1, scored: 1, unscored: 0, written: 1, unchanged: 0, optedOut: 0, failed: 0 },
        apiCalls: { crm: { read: 1, write: 1, other: 0 }, providers: {} },
        errors: [],
      });
      await withStore(async (store) => {
        await store.saveConnection({
          id: legacyId,
          crm: 'salesforce',
          name: 'Our org',
          status: 'ok',
          statusMessage: null,
          credentials: {},
          settings: { salesforce: { queryBatchSize: 200 } },
        });
        await store.saveRun(legacyRun);
      });

      const first = await world.cli(['sync', '--crm', 'salesforce', '--once', '--json']);
      expect(first.code, first.stderr).to.equal(0);
      expect(RunReportSchema.parse(JSON.parse(first.stdout)).connection).to.equal(CONNECTION);
      await withStore(async (store) => {
        const connections = await store.listConnections();
        expect(connections.map((c) => c.id)).to.deep.equal([CONNECTION]);
        expect(connections[0]!.name, 'kept its name and settings').to.equal('Our org');
        expect(connections[0]!.settings).to.deep.equal({ salesforce: { queryBatchSize: 200 } });
        const runs = await store.listRuns({ connectionId: CONNECTION, limit: 10 });
        expect(runs.map((r) => r.runId)).to.include('legacy-run');
        expect(runs).to.have.length(2);
        expect(await store.getCursor(CONNECTION)).to.not.equal(null);
      });

      // Another token for the same org (here: only the refresh token): the same connection, nothing new.
      delete world.env.SALESFORCE_ACCESS_TOKEN;
      const second = await world.cli(['sync', '--crm', 'salesforce', '--once', '--json']);
      expect(second.code, second.stderr).to.equal(0);
      expect(RunReportSchema.parse(JSON.parse(second.stdout)).readAll, 'resumed from the checkpoint').to.equal(
        undefined,
      );
      await withStore(async (store) => {
        expect((await store.listConnections()).map((c) => c.id)).to.deep.equal([CONNECTION]);
        expect(await store.listRuns({ connectionId: CONNECTION, limit: 10 })).to.have.length(3);
      });
    });
  });
}
