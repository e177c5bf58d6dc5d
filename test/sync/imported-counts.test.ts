// Imported counts in both stores: newer counts replace older ones, the stamp moves only when something changed.
import { randomBytes } from 'node:crypto';

import { expect } from 'chai';
import pg from 'pg';

import type { ImportedCounts } from '../../src/providers/csv-import.ts';
import type { Store } from '../../src/store/contract.ts';
import { PostgresStore } from '../../src/store/postgres.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';
import { importedAdapters, ImportedCountsStore } from '../../src/sync/imported-counts.ts';

const DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const ada = (followers: number, asOf: string): ImportedCounts => ({
  network: 'linkedin',
  handle: 'ada-lovelace',
  followers,
  following: 10,
  posts: 0,
  asOf,
  source: 'export',
});

for (const [name, open] of [
  ['SQLite', () => SqliteStore.open(':memory:')],
  [
    'PostgreSQL',
    async () => {
      const schema = `test_${randomBytes(6).toString('hex')}`;
      const store = await PostgresStore.open({ connectionString: DATABASE_URL, schema });
      const close = store.close.bind(store);
      store.close = async () => {
        await close();
        const client = new pg.Client({ connectionString: DATABASE_URL });
        await client.connect();
        await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await client.end();
      };
      return store;
    },
  ],
] as const satisfies readonly (readonly [string, () => Promise<Store>])[]) {
  describe(`imported counts (${name})`, () => {
    let store: Store;
    let clock: Date;
    let counts: ImportedCountsStore;
    beforeEach(async () => {
      store = await open();
      clock = new Date('2026-07-01T00:00:00Z');
      counts = new ImportedCountsStore(store.sql!(), () => clock);
    });
    afterEach(() => store.close());

    it('keeps the newest counts per account; an older file changes nothing, a same-day correction does', async () => {
      expect(await counts.stamp()).to.equal(null);
      await counts.save([ada(500, '2026-06-15T00:00:00.000Z')]);
      const first = await counts.stamp();
      clock = new Date('2026-07-02T00:00:00Z');
      await counts.save([ada(400, '2026-06-01T00:00:00.000Z')]);
      expect(await counts.stamp(), 'older counts').to.equal(first);
      expect((await counts.lookUp('linkedin', ['ada-lovelace'])).get('ada-lovelace')?.followers).to.equal(500);
      await counts.save([ada(500, '2026-06-15T00:00:00.000Z')]);
      expect(await counts.stamp(), 'the same counts again').to.equal(first);
      await counts.save([ada(520, '2026-06-15T00:00:00.000Z')]);
      expect(await counts.stamp(), 'a correction').to.not.equal(first);
      expect((await counts.lookUp('linkedin', ['ada-lovelace', 'bob'])).get('ada-lovelace')?.followers).to.equal(520);
      expect([...(await counts.lookUp('linkedin', ['bob'])).keys()]).to.deep.equal([]);
    });

    it('stores many rows in batches and summarises them per network', async () => {
      const rows = Array.from({ length: 250 }, (_, i) => ({ ...ada(i, '2026-06-01T00:00:00.000Z'), handle: `p-${i}` }));
      await counts.save([...rows, { ...ada(7, '2026-05-01T00:00:00.000Z'), network: 'x', handle: 'kim' }]);
      expect(await counts.summary()).to.deep.equal([
        {
          network: 'linkedin',
          accounts: 250,
          oldestAsOf: '2026-06-01T00:00:00.000Z',
          newestAsOf: '2026-06-01T00:00:00.000Z',
        },
        { network: 'x', accounts: 1, oldestAsOf: '2026-05-01T00:00:00.000Z', newestAsOf: '2026-05-01T00:00:00.000Z' },
      ]);
      const found = await counts.lookUp('linkedin', ['p-0', 'p-249', 'kim']);
      expect([...found.keys()].sort()).to.deep.equal(['p-0', 'p-249']);
    });

    it('serves a network from its imports only while its API is off', async () => {
      await counts.save([
        ada(5, '2026-06-01T00:00:00.000Z'),
        { ...ada(7, '2026-06-01T00:00:00.000Z'), network: 'github', handle: 'ada' },
      ]);
      const { adapters } = await importedAdapters(counts, [
        {
          network: 'github',
          maxBatch: 50,
          fetchProfiles: () => Promise.resolve(new Map()),
          usage: () => ({ calls: 0 }),
        },
      ]);
      expect(adapters.map((a) => a.network)).to.deep.equal(['linkedin']);
    });
  });
}
