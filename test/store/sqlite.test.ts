import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';

import { expect } from 'chai';

import { openStore } from '../../src/store/open.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';
import type { StoreHarness } from './store-suite.ts';
import { storeContractSuite } from './store-suite.ts';

function sqliteHarness(): Promise<StoreHarness> {
  const dir = mkdtempSync(path.join(tmpdir(), 'crm-influence-store-'));
  const file = path.join(dir, 'nested', 'store.db');
  return Promise.resolve({
    open: (options = {}) => SqliteStore.open(file, options),
    query: (sql) => {
      const db = new DatabaseSync(file);
      try {
        db.exec('PRAGMA busy_timeout = 5000');
        return Promise.resolve(db.prepare(sql).all() as Record<string, unknown>[]);
      } finally {
        db.close();
      }
    },
    destroy: () => {
      rmSync(dir, { recursive: true, force: true });
      return Promise.resolve();
    },
  });
}

storeContractSuite('SQLite', sqliteHarness);

describe('SQLite store specifics', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'crm-influence-store-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates the parent folder and uses WAL mode', async () => {
    const file = path.join(dir, 'a', 'b', 'x.db');
    const store = await SqliteStore.open(file);
    await store.setCursor('c', '1');
    await store.close();
    expect(existsSync(file)).to.equal(true);
    const db = new DatabaseSync(file);
    expect(db.prepare('PRAGMA journal_mode').get()).to.deep.equal({ journal_mode: 'wal' });
    db.close();
  });

  it('openStore picks SQLite at CRM_INFLUENCE_DB when DATABASE_URL is unset', async () => {
    const file = path.join(dir, 'via-config.db');
    const store = await openStore({
      CRM_INFLUENCE_DB: file,
      DATABASE_URL: undefined,
      CRM_INFLUENCE_SECRET_KEY: undefined,
    });
    expect(store).to.be.instanceOf(SqliteStore);
    await store.close();
    expect(existsSync(file)).to.equal(true);
  });

  it('applies a new migration on re-open, once', async () => {
    const file = path.join(dir, 'm.db');
    const { MIGRATIONS } = await import('../../src/store/migrations.ts');
    await (await SqliteStore.open(file)).close();
    const extra = [
      ...MIGRATIONS,
      { version: MIGRATIONS.length + 1, name: 'admin users', sql: 'CREATE TABLE admin_users (id TEXT PRIMARY KEY)' },
    ];
    await (await SqliteStore.open(file, { migrations: extra })).close();
    await (await SqliteStore.open(file, { migrations: extra })).close();
    const db = new DatabaseSync(file);
    expect(
      db.prepare('SELECT version, name FROM schema_migrations ORDER BY version DESC LIMIT 1').get(),
    ).to.deep.include({ name: 'admin users' });
    db.close();
  });

  it('rolls back a failing migration entirely', async () => {
    const file = path.join(dir, 'bad.db');
    const { MIGRATIONS } = await import('../../src/store/migrations.ts');
    const broken = [
      ...MIGRATIONS,
      { version: MIGRATIONS.length + 1, name: 'broken', sql: 'CREATE TABLE t1 (a TEXT); CREATE TABLEX oops' },
    ];
    let failed = false;
    try {
      await SqliteStore.open(file, { migrations: broken });
    } catch {
      failed = true;
    }
    expect(failed).to.equal(true);
    const db = new DatabaseSync(file);
    expect(
      db.prepare("SELECT COUNT(*) AS n FROM sqlite_master WHERE name IN ('t1', 'connections')").get(),
    ).to.deep.equal({ n: 0 });
    db.close();
  });
});
