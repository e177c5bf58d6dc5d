// One bad record never fails a page, on either store: bytes a store cannot keep (NUL, lone surrogates) are refused at
// the CRM boundary with a per-record error, and a store that refuses one record fails that record alone.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { expect } from 'chai';
import pg from 'pg';

import type { CrmContact } from '../../src/crm/contract.ts';
import type { Store } from '../../src/store/contract.ts';
import { PostgresStore } from '../../src/store/postgres.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';
import { runSync } from '../../src/sync/engine.ts';
import { MemoryCrm, MemoryProvider, resolveTestIdentities, TestModel } from './doubles.ts';

const CONNECTION = 'conn-bad';
const DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

interface Backend {
  name: string;
  open(): Promise<{ store: Store; destroy(): Promise<void> }>;
}

const BACKENDS: Backend[] = [
  {
    name: 'SQLite',
    open: async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'crm-influence-bad-'));
      const store = await SqliteStore.open(path.join(dir, 'store.db'), { secretKey: randomBytes(32) });
      return {
        store,
        destroy: async () => {
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
      const store = await PostgresStore.open({ connectionString: DATABASE_URL, schema, secretKey: randomBytes(32) });
      return {
        store,
        destroy: async () => {
          await store.close();
          const client = new pg.Client({ connectionString: DATABASE_URL });
          await client.connect();
          try {
            await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
          } finally {
            await client.end();
          }
        },
      };
    },
  },
];

for (const backend of BACKENDS) {
  describe(`one bad record never fails a page (${backend.name})`, function () {
    this.timeout(30_000);
    let store: Store;
    let backendStore: { store: Store; destroy(): Promise<void> };
    let crm: MemoryCrm;
    let bluesky: MemoryProvider;
    /** Changes made to records as the CRM hands them over (the memory CRM cannot hold such bytes itself). */
    let corrupt: Map<string, (contact: CrmContact) => Record<string, unknown>>;

    const sync = () => {
      const model = new TestModel();
      return runSync(
        {
          store,
          connector: crm,
          providers: [bluesky],
          resolveIdentities: resolveTestIdentities,
          score: model.score,
          scoringKey: model.version,
          now: () => new Date('2026-03-01T12:00:00.000Z'),
        },
        { connectionId: CONNECTION },
      );
    };

    beforeEach(async () => {
      backendStore = await backend.open();
      store = backendStore.store;
      await store.saveConnection({
        id: CONNECTION,
        crm: 'salesforce',
        name: 'Test org',
        status: 'ok',
        statusMessage: null,
        credentials: {},
        settings: {},
      });
      crm = new MemoryCrm(200, 10);
      bluesky = new MemoryProvider('bluesky', 25);
      for (let i = 0; i < 20; i++) {
        const id = `c${String(i).padStart(3, '0')}`;
        crm.add(id, [{ network: 'bluesky', value: `@user${i}.bsky.social` }]);
        bluesky.followers.set(`user${i}.bsky.social`, 100 * (i + 1));
      }
      corrupt = new Map();
      const read = crm.readContacts.bind(crm);
      crm.readContacts = async function* (cursor, options) {
        for await (const page of read(cursor, options)) {
          yield {
            ...page,
            contacts: page.contacts.map((c) => (corrupt.get(c.id)?.(c) ?? c) as CrmContact),
          };
        }
      };
    });
    afterEach(async () => {
      await backendStore.destroy();
    });

    it('refuses NUL bytes and lone surrogates per record, naming record and field; the rest is written and checkpointed', async () => {
      corrupt.set('c001', (c) => ({ ...c, email: 'ada\u0000@example.com' }));
      corrupt.set('c002', (c) => ({ ...c, handles: [{ ...c.handles[0]!, field: 'Twitter__c', value: '@ad\u0000a' }] }));
      corrupt.set('c003', (c) => ({ ...c, name: 'Ad\uD800a' }));
      corrupt.set('c012', (c) => ({ ...c, id: 'c012\u0000' })); // second page: its checkpoint too
      const report = await sync();
      expect(report.status).to.equal('partial');
      expect(report.counts).to.include({ read: 20, written: 16, failed: 4 });
      const byId = new Map(report.errors.map((e) => [e.recordId, e]));
      expect(byId.get('c001')?.message).to.match(/^record from the CRM is malformed: email: contains a NUL byte/);
      expect(byId.get('c002')?.message).to.match(/handles\.0\.value \(CRM field Twitter__c\): contains a NUL byte/);
      expect(byId.get('c003')?.message).to.match(/name: contains a broken character \(a lone UTF-16 surrogate\)/);
      expect(byId.get('c012\\0')?.message, 'an id it cannot store is shown escaped').to.match(/^record from the CRM/);
      expect(await store.getCursor(CONNECTION), 'both pages checkpointed').to.not.equal(null);
      expect((await store.getSyncStates(CONNECTION, ['c000', 'c004', 'c019'])).size).to.equal(3);
      const stored = await store.getRun(report.runId);
      expect(stored?.errors.map((e) => e.recordId).sort()).to.deep.equal(['c001', 'c002', 'c003', 'c012\\0']);

      // Fixed in the CRM: the next run writes them (the edits make them changed records).
      corrupt.clear();
      for (const id of ['c001', 'c002', 'c003', 'c012']) crm.edit(id, {});
      const next = await sync();
      expect(next.status).to.equal('ok');
      expect(next.counts.written).to.equal(4);
      expect(new Set(crm.accepted.map((u) => u.id)).size).to.equal(20);
    });

    it('keeps a CRM error message carrying a NUL byte (shown escaped) without failing the page', async () => {
      crm.recordFaults.set('c004', {
        code: 'FIELD_CUSTOM_VALIDATION_EXCEPTION',
        message: 'value "x\u0000y" is not allowed',
        retryable: false,
        times: 1,
      });
      const report = await sync();
      expect(report.status).to.equal('partial');
      expect(report.counts).to.include({ written: 19, failed: 1 });
      expect(report.errors[0]).to.include({ recordId: 'c004', message: 'value "x\\0y" is not allowed' });
      expect((await store.getRun(report.runId))?.errors[0]?.message).to.equal('value "x\\0y" is not allowed');
    });

    it('a store that refuses one record fails that record alone; the page is recorded and checkpointed', async () => {
      const put = store.putSyncStates.bind(store);
      store.putSyncStates = (connectionId, states) =>
        states.some((s) => s.recordId === 'c005')
          ? Promise.reject(new Error('invalid byte sequence for encoding "UTF8": 0x00'))
          : put(connectionId, states);
      const report = await sync();
      expect(report.status).to.equal('partial');
      expect(report.counts.failed).to.equal(1);
      expect(report.errors[0]).to.include({ recordId: 'c005', code: 'store_failed', stage: 'write', retryable: true });
      expect(report.errors[0]?.message).to.match(/^could not save its sync state: invalid byte sequence/);
      expect(await store.getCursor(CONNECTION)).to.not.equal(null);
      const states = await store.getSyncStates(
        CONNECTION,
        Array.from({ length: 20 }, (_, i) => `c${String(i).padStart(3, '0')}`),
      );
      expect(states.size, 'every other record of the page is recorded').to.equal(19);
      expect((await store.pendingRetries(CONNECTION, 10)).map((p) => p.recordId)).to.deep.equal(['c005']);

      store.putSyncStates = put;
      const next = await sync();
      expect(next.status).to.equal('ok');
      expect(next.counts.failed).to.equal(0);
      expect(await store.pendingRetries(CONNECTION, 10), 'retried: nothing left to retry').to.deep.equal([]);
      expect(crm.writesOf('c005'), 'written once').to.have.length(1);
    });
  });
}
