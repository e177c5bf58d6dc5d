import { randomBytes } from 'node:crypto';

import { expect } from 'chai';
import pg from 'pg';

import { MIGRATIONS } from '../../src/store/migrations.ts';
import { openStore } from '../../src/store/open.ts';
import { PostgresStore } from '../../src/store/postgres.ts';
import type { StoreHarness } from './store-suite.ts';
import { storeContractSuite } from './store-suite.ts';

// The real PostgreSQL on 127.0.0.1:5432, database `test`; each harness gets a throwaway schema, dropped after.
const DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

async function withClient<T>(schema: string | null, body: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({
    connectionString: DATABASE_URL,
    ...(schema === null ? {} : { options: `-c search_path=${schema}` }),
  });
  await client.connect();
  try {
    return await body(client);
  } finally {
    await client.end();
  }
}

function postgresHarness(): Promise<StoreHarness> {
  const schema = `test_${randomBytes(6).toString('hex')}`;
  return Promise.resolve({
    open: (options = {}) => PostgresStore.open({ connectionString: DATABASE_URL, schema, ...options }),
    query: (sql) => withClient(schema, async (client) => (await client.query<Record<string, unknown>>(sql)).rows),
    destroy: () =>
      withClient(null, async (client) => {
        await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      }),
  });
}

storeContractSuite('PostgreSQL', postgresHarness);

describe('PostgreSQL store specifics', () => {
  it('migrates once when several processes open the same empty schema at the same time', async () => {
    const harness = await postgresHarness();
    try {
      const stores = await Promise.all(Array.from({ length: 4 }, () => harness.open()));
      await Promise.all(stores.map((s) => s.close()));
      const rows = await harness.query('SELECT version FROM schema_migrations ORDER BY version');
      expect(rows.map((r) => r.version)).to.deep.equal(MIGRATIONS.map((m) => m.version));
    } finally {
      await harness.destroy();
    }
  });

  it('openStore picks PostgreSQL when DATABASE_URL is set (schema from the URL options)', async () => {
    const schema = `test_${randomBytes(6).toString('hex')}`;
    await withClient(null, (client) => client.query(`CREATE SCHEMA ${schema}`));
    try {
      const url = `${DATABASE_URL}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
      const store = await openStore({
        DATABASE_URL: url,
        CRM_INFLUENCE_DB: '/nonexistent/never-used.db',
        CRM_INFLUENCE_SECRET_KEY: undefined,
      });
      expect(store).to.be.instanceOf(PostgresStore);
      await store.setCursor('c1', 'pg');
      await store.close();
      const rows = await withClient(
        schema,
        async (client) => (await client.query<{ cursor: string }>('SELECT cursor FROM cursors')).rows,
      );
      expect(rows).to.deep.equal([{ cursor: 'pg' }]);
    } finally {
      await withClient(null, (client) => client.query(`DROP SCHEMA ${schema} CASCADE`));
    }
  });

  it('rejects an unsafe schema name', async () => {
    let message = '';
    try {
      await PostgresStore.open({ connectionString: DATABASE_URL, schema: 'x; DROP TABLE y' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).to.match(/schema name .* must be lower-case letters/);
  });
});
