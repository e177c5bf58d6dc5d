// The one Store test suite, run against every backend (sqlite.test.ts, postgres.test.ts).
import { randomBytes } from 'node:crypto';

import { expect } from 'chai';

import type { InfluenceFields } from '../../src/crm/contract.ts';
import { CLEARED_FIELDS } from '../../src/crm/contract.ts';
import type { Outcome } from '../../src/crm/outcomes.ts';
import type { ProviderResult } from '../../src/providers/contract.ts';
import type { NetworkMetrics } from '../../src/scoring/types.ts';
import { MAX_RECORD_ATTEMPTS } from '../../src/store/codec.ts';
import type { ContactCursor } from '../../src/store/contact-list.ts';
import { ContactListFilterSchema, listContacts } from '../../src/store/contact-list.ts';
import type { Store } from '../../src/store/contract.ts';
import { CorruptRowError, CredentialsError } from '../../src/store/errors.ts';
import type { Migration } from '../../src/store/migrations.ts';
import { MIGRATIONS } from '../../src/store/migrations.ts';
import type { RunReport } from '../../src/store/run-report.ts';

export interface HarnessOptions {
  secretKey?: Buffer;
  migrations?: readonly Migration[];
  now?: () => Date;
}

/** One throwaway database (a temp file, a PostgreSQL schema) that stores can be opened on. */
export interface StoreHarness {
  open(options?: HarnessOptions): Promise<Store>;
  /** Raw SQL against the same database, to inspect or damage rows. */
  query(sql: string): Promise<Record<string, unknown>[]>;
  destroy(): Promise<void>;
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  expect.fail('expected the promise to reject');
}

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

function metrics(handle: string, followers: number): NetworkMetrics {
  return {
    network: 'bluesky',
    handle,
    followers,
    following: 10,
    posts: 100,
    recentPosts: [{ at: '2026-01-01T00:00:00.000Z', reshares: 3, replies: 1, likes: 9 }],
    fetchedAt: '2026-01-01T00:00:00.000Z',
  };
}

function report(runId: string, connection: string, startedAt: string, status: RunReport['status'] = 'ok'): RunReport {
  return {
    runId,
    connection,
    crm: 'salesforce',
    dryRun: false,
    startedAt,
    finishedAt: status === 'running' ? null : startedAt,
    status,
    counts: { read: 10, scored: 8, unscored: 2, written: 5, unchanged: 3, optedOut: 0, failed: 0 },
    apiCalls: { crm: { read: 1, write: 1, other: 0 }, providers: { bluesky: 1 } },
    errors: [],
  };
}

async function schemaVersions(harness: StoreHarness): Promise<number[]> {
  return (await harness.query('SELECT version FROM schema_migrations ORDER BY version')).map((row) =>
    Number(row.version),
  );
}

class Clock {
  ms = Date.parse('2026-03-01T12:00:00.000Z');
  readonly now = () => new Date(this.ms);
  advance(seconds: number) {
    this.ms += seconds * 1000;
  }
}

export function storeContractSuite(backend: string, makeHarness: () => Promise<StoreHarness>): void {
  describe(`Store contract: ${backend}`, function () {
    this.timeout(20000);
    let harness: StoreHarness;
    let store: Store;
    let clock: Clock;
    const key = randomBytes(32);

    beforeEach(async () => {
      harness = await makeHarness();
      clock = new Clock();
      store = await harness.open({ secretKey: key, now: clock.now });
    });
    afterEach(async () => {
      await store.close();
      await harness.destroy();
    });

    describe('migrations', () => {
      it('migrates an empty database to the latest version', async () => {
        expect(await schemaVersions(harness)).to.deep.equal(MIGRATIONS.map((m) => m.version));
        await store.setCursor('c1', 'page-1');
        expect(await store.getCursor('c1')).to.equal('page-1');
      });

      it('re-opens idempotently, keeping data', async () => {
        await store.setCursor('c1', 'page-7');
        await store.close();
        store = await harness.open({ secretKey: key, now: clock.now });
        const again = await harness.open({ secretKey: key, now: clock.now });
        try {
          expect(await schemaVersions(harness)).to.deep.equal(MIGRATIONS.map((m) => m.version));
          expect(await again.getCursor('c1')).to.equal('page-7');
        } finally {
          await again.close();
        }
      });

      it('refuses a database written by a newer version, saying to upgrade', async () => {
        await harness.query(
          "INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', '2030-01-01T00:00:00.000Z')",
        );
        const error = await rejection(harness.open({ secretKey: key }));
        expect(error.message).to.match(/schema is version 999 .* upgrade crm-influence/);
      });
    });

    describe('contacts list (migration 10)', () => {
      const written = (score: number | null, tier: InfluenceFields['tier'], extra: Partial<InfluenceFields> = {}) => ({
        ...fields(score ?? 0),
        score,
        tier,
        ...extra,
      });
      const put = (
        recordId: string,
        lastWritten: InfluenceFields | null,
        writtenAt: string,
        name: string | null = null,
      ) =>
        store.putSyncStates('c1', [
          {
            recordId,
            objectType: 'Contact',
            lastWritten,
            writtenAt,
            fingerprint: 'f',
            email: `${recordId}@x.org`,
            name,
          },
        ]);

      it('filters, sorts highest first and pages by keyset without repeating or skipping a contact', async () => {
        for (let i = 0; i < 25; i++)
          await put(
            `r${String(i).padStart(2, '0')}`,
            written(i * 4, i * 4 >= 65 ? 'A' : 'C'),
            '2026-01-01T00:00:00.000Z',
            `Person ${i}`,
          );
        await put(
          'u1',
          written(null, 'Unscored', { reasonCodes: ['NO_IDENTITY'], topFactors: null }),
          '2026-01-01T00:00:00.000Z',
        );
        await put('other', written(99, 'A'), '2026-01-01T00:00:00.000Z');
        await store.putSyncStates('c2', [
          {
            recordId: 'elsewhere',
            objectType: 'Contact',
            lastWritten: written(99, 'A'),
            writtenAt: '2026-01-01T00:00:00.000Z',
            fingerprint: null,
          },
        ]);
        const db = store.sql!();
        const filter = ContactListFilterSchema.parse({});
        const seen: string[] = [];
        let after: ContactCursor | null = null;
        do {
          const page: Awaited<ReturnType<typeof listContacts>> = await listContacts(db, 'c1', filter, {
            after,
            limit: 7,
          });
          seen.push(...page.rows.map((r) => r.recordId));
          after = page.next;
        } while (after !== null);
        expect(seen).to.have.length(27);
        expect(seen.slice(0, 3)).to.deep.equal(['other', 'r24', 'r23']);
        expect(seen.at(-1)).to.equal('u1');
        // Ascending, forwards to the end and back to the start by "previous page": the same contacts, each page the same.
        const ascending = ContactListFilterSchema.parse({ order: 'asc' });
        const pages: string[][] = [];
        let page: Awaited<ReturnType<typeof listContacts>> = await listContacts(db, 'c1', ascending, { limit: 7 });
        expect(page.previous, 'the first page has none before it').to.equal(null);
        for (;;) {
          pages.push(page.rows.map((r) => r.recordId));
          if (page.next === null) break;
          page = await listContacts(db, 'c1', ascending, { after: page.next, limit: 7 });
        }
        expect(pages.flat()).to.deep.equal([...seen].reverse(), 'ascending is the descending list reversed');
        for (let i = pages.length - 2; i >= 0; i--) {
          expect(page.previous).to.not.equal(null);
          page = await listContacts(db, 'c1', ascending, { before: page.previous, limit: 7 });
          expect(page.rows.map((r) => r.recordId)).to.deep.equal(pages[i]);
        }
        expect(page.previous, 'back on the first page').to.equal(null);
        expect(page.next).to.not.equal(null);
        const top = (await listContacts(db, 'c1', filter, { limit: 1 })).rows[0];
        expect(top).to.deep.include({
          score: 99,
          tier: 'A',
          confidence: 'high',
          networks: ['bluesky'],
          profiled: true,
        });
        const a = await listContacts(
          db,
          'c1',
          ContactListFilterSchema.parse({ tier: 'A', minScore: '70', maxScore: '90' }),
          { limit: 50 },
        );
        expect(a.rows.map((r) => r.recordId)).to.deep.equal(['r22', 'r21', 'r20', 'r19', 'r18']);
        expect(a.rows[0]?.name).to.equal('Person 22');
        const why = await listContacts(db, 'c1', ContactListFilterSchema.parse({ reason: 'NO_IDENTITY' }), {
          limit: 50,
        });
        expect(why.rows.map((r) => r.recordId)).to.deep.equal(['u1']);
        expect(why.rows[0]?.score).to.equal(null);
        const network = await listContacts(db, 'c1', ContactListFilterSchema.parse({ network: 'x' }), { limit: 50 });
        expect(network.rows).to.deep.equal([]);
      });

      it('remembers when a contact reached its tier, so "risen into A in N days" lists the newest risers first', async () => {
        await put('old-a', written(80, 'A'), '2026-01-01T00:00:00.000Z');
        await put('old-a', written(82, 'A'), '2026-03-01T00:00:00.000Z');
        await put('riser', written(40, 'C'), '2026-01-01T00:00:00.000Z');
        await put('riser', written(70, 'A'), '2026-02-20T00:00:00.000Z');
        await put('newest', written(60, 'B'), '2026-01-01T00:00:00.000Z');
        await put('newest', written(66, 'A'), '2026-02-25T00:00:00.000Z');
        const now = new Date('2026-03-01T00:00:00.000Z');
        const risen = await listContacts(
          store.sql!(),
          'c1',
          ContactListFilterSchema.parse({ risenDays: '30', sort: 'tier_since' }),
          { limit: 10, now },
        );
        expect(risen.rows.map((r) => [r.recordId, r.tierSince])).to.deep.equal([
          ['newest', '2026-02-25T00:00:00.000Z'],
          ['riser', '2026-02-20T00:00:00.000Z'],
        ]);
      });

      it('an opted-out contact is listed as not profiled, its name and e-mail gone', async () => {
        await put('gone', written(70, 'A'), '2026-01-01T00:00:00.000Z', 'Ada');
        await store.putSyncStates('c1', [
          {
            recordId: 'gone',
            objectType: 'Contact',
            lastWritten: { ...CLEARED_FIELDS },
            writtenAt: '2026-01-02T00:00:00.000Z',
            fingerprint: null,
            email: null,
            name: null,
          },
        ]);
        await store.purgeContact('c1', 'gone');
        const rows = (await listContacts(store.sql!(), 'c1', ContactListFilterSchema.parse({}), { limit: 10 })).rows;
        expect(rows).to.have.length(1);
        expect(rows[0]).to.deep.include({ recordId: 'gone', name: null, email: null, tier: null, profiled: false });
      });

      it('an upgraded database fills the columns of contacts written before them', async () => {
        await store.close();
        await harness.destroy();
        harness = await makeHarness();
        const before = MIGRATIONS.filter((m) => m.version < 9);
        const old = await harness.open({ secretKey: key, now: clock.now, migrations: before });
        await old.close();
        const before9 = JSON.stringify(
          written(72, 'A', {
            reasonCodes: ['STALE_DATA', 'TIER_HELD'],
            topFactors: '+60 GitHub: 4k followers\n+12 Other, smaller factors',
          }),
        );
        await harness.query(
          `INSERT INTO contact_sync_state (connection_id, record_id, object_type, last_written, written_at, fingerprint) VALUES ('c1', 'r1', 'Contact', '${before9}', '2026-01-05T00:00:00.000Z', 'f'), ('c1', 'bad', 'Contact', '{"score": "many"', NULL, NULL)`,
        );
        store = await harness.open({ secretKey: key, now: clock.now });
        const rows = (
          await listContacts(
            store.sql!(),
            'c1',
            ContactListFilterSchema.parse({ reason: 'TIER_HELD', network: 'github' }),
            { limit: 10 },
          )
        ).rows;
        expect(rows).to.have.length(1);
        expect(rows[0]).to.deep.include({
          score: 72,
          tier: 'A',
          tierSince: '2026-01-05T00:00:00.000Z',
          scoredAt: '2026-01-02T03:04:05.000Z',
          reasonCodes: ['STALE_DATA', 'TIER_HELD'],
          networks: ['github'],
        });
      });
    });

    describe('connections and credentials', () => {
      const credentials = {
        accessToken: 'sf-access-token-SECRET',
        refreshToken: 'sf-refresh-SECRET',
        instanceUrl: 'https://acme.my.salesforce.com',
      };

      it('round-trips credentials, encrypted at rest', async () => {
        await store.saveConnection({
          id: 'sf1',
          crm: 'salesforce',
          name: 'Acme',
          status: 'ok',
          statusMessage: null,
          credentials,
          settings: { tiers: [80, 60] },
        });
        const connection = await store.getConnection('sf1');
        expect(connection?.credentials).to.deep.equal(credentials);
        expect(connection?.settings).to.deep.equal({ tiers: [80, 60] });
        expect(connection?.createdAt).to.equal(clock.now().toISOString());
        const raw = await harness.query('SELECT credentials FROM connections');
        const stored = JSON.stringify(raw);
        expect(stored).to.not.include('SECRET');
        expect(stored).to.not.include('acme.my.salesforce.com');
        expect(String(raw[0]?.credentials)).to.match(/^v1\./);
      });

      it('uses a fresh IV each time (same credentials, different ciphertext)', async () => {
        await store.saveConnection({
          id: 'a',
          crm: 'hubspot',
          name: 'A',
          status: 'ok',
          statusMessage: null,
          credentials,
          settings: {},
        });
        await store.saveConnection({
          id: 'b',
          crm: 'hubspot',
          name: 'B',
          status: 'ok',
          statusMessage: null,
          credentials,
          settings: {},
        });
        const rows = await harness.query('SELECT credentials FROM connections ORDER BY id');
        expect(rows[0]?.credentials).to.not.equal(rows[1]?.credentials);
      });

      it('updates keep createdAt, move updatedAt; list and status and delete work', async () => {
        await store.saveConnection({
          id: 'h1',
          crm: 'hubspot',
          name: 'Portal',
          status: 'ok',
          statusMessage: null,
          credentials: {},
          settings: {},
        });
        const created = clock.now().toISOString();
        clock.advance(60);
        await store.saveConnection({
          id: 'h1',
          crm: 'hubspot',
          name: 'Portal 2',
          status: 'ok',
          statusMessage: null,
          credentials: {},
          settings: { a: 1 },
        });
        await store.setConnectionStatus('h1', 'needs_reauth', 'refresh token revoked: reconnect HubSpot');
        const [connection] = await store.listConnections();
        expect(connection).to.include({
          id: 'h1',
          name: 'Portal 2',
          status: 'needs_reauth',
          createdAt: created,
          updatedAt: clock.now().toISOString(),
        });
        expect(connection?.statusMessage).to.equal('refresh token revoked: reconnect HubSpot');
        expect((await rejection(store.setConnectionStatus('nope', 'ok', null))).message).to.include("'nope'");
        await store.setCursor('h1', 'x');
        await store.deleteConnection('h1');
        expect(await store.getConnection('h1')).to.equal(null);
        expect(await store.getCursor('h1')).to.equal(null);
        expect(await store.listConnections()).to.deep.equal([]);
      });

      it('renames a connection with its cursor, contacts, history, runs and errors; never onto an existing id', async () => {
        const save = (id: string) =>
          store.saveConnection({
            id,
            crm: 'hubspot',
            name: id,
            status: 'ok',
            statusMessage: null,
            credentials: {},
            settings: {},
          });
        await save('hubspot-3f2a');
        await store.setCursor('hubspot-3f2a', 'cursor-1');
        await store.putSyncStates('hubspot-3f2a', [
          { recordId: 'r1', objectType: 'contact', lastWritten: fields(70), writtenAt: null, fingerprint: 'f' },
        ]);
        await store.saveRun(report('run-1', 'hubspot-3f2a', '2026-03-01T00:00:00.000Z'));
        await store.recordErrors('hubspot-3f2a', 'run-1', [
          { recordId: 'r2', stage: 'write', code: 'X', message: 'refused', retryable: true },
        ]);

        expect(await store.renameConnection('hubspot-3f2a', 'hubspot-1234567')).to.equal(true);
        expect(await store.getConnection('hubspot-3f2a')).to.equal(null);
        expect((await store.getConnection('hubspot-1234567'))?.createdAt).to.equal(clock.now().toISOString());
        expect(await store.getCursor('hubspot-1234567')).to.equal('cursor-1');
        expect([...(await store.getSyncStates('hubspot-1234567', ['r1'])).keys()]).to.deep.equal(['r1']);
        const runs = await store.listRuns({ connectionId: 'hubspot-1234567', limit: 5 });
        expect(runs.map((r) => [r.runId, r.connection])).to.deep.equal([['run-1', 'hubspot-1234567']]);
        expect((await store.getRun('run-1'))?.connection).to.equal('hubspot-1234567');
        expect((await store.pendingRetries('hubspot-1234567', 5)).map((p) => p.recordId)).to.deep.equal(['r2']);
        expect(await store.listRuns({ connectionId: 'hubspot-3f2a', limit: 5 })).to.deep.equal([]);

        await save('hubspot-other');
        expect(await store.renameConnection('hubspot-other', 'hubspot-1234567')).to.equal(false);
        expect(await store.renameConnection('missing', 'hubspot-new')).to.equal(false);
        expect(await store.getConnection('hubspot-other')).to.not.equal(null);
        expect(await store.getCursor('hubspot-1234567')).to.equal('cursor-1');
      });

      it('says clearly when the secret key differs from the one the credentials were saved with', async () => {
        await store.saveConnection({
          id: 'sf1',
          crm: 'salesforce',
          name: 'Acme',
          status: 'ok',
          statusMessage: null,
          credentials,
          settings: {},
        });
        const other = await harness.open({ secretKey: randomBytes(32) });
        try {
          const error = await rejection(other.getConnection('sf1'));
          expect(error).to.be.instanceOf(CredentialsError);
          expect(error.message).to.include(
            'cannot decrypt stored credentials for connection sf1: CRM_INFLUENCE_SECRET_KEY differs from the key they were saved with',
          );
          expect(error.message).to.not.include(key.toString('hex'));
        } finally {
          await other.close();
        }
      });

      it('says how to generate a key when none is set', async () => {
        const keyless = await harness.open({});
        try {
          const error = await rejection(
            keyless.saveConnection({
              id: 'sf2',
              crm: 'salesforce',
              name: 'X',
              status: 'ok',
              statusMessage: null,
              credentials,
              settings: {},
            }),
          );
          expect(error.message).to.match(
            /CRM_INFLUENCE_SECRET_KEY is not set; generate one with: node -e .*randomBytes\(32\)/,
          );
          // Without credentials there is nothing to encrypt: the sandbox works without a key.
          await keyless.saveConnection({
            id: 'demo',
            crm: 'hubspot',
            name: 'Demo',
            status: 'ok',
            statusMessage: null,
            credentials: {},
            settings: {},
          });
          expect((await keyless.getConnection('demo'))?.credentials).to.deep.equal({});
        } finally {
          await keyless.close();
        }
      });

      it('reports damaged ciphertext as damaged, naming the connection', async () => {
        await store.saveConnection({
          id: 'sf1',
          crm: 'salesforce',
          name: 'Acme',
          status: 'ok',
          statusMessage: null,
          credentials,
          settings: {},
        });
        const [row] = await harness.query('SELECT credentials FROM connections');
        const blob = String(row?.credentials);
        const tampered = blob.slice(0, -6) + (blob.endsWith('AAAA==') ? 'BBBB==' : 'AAAA==');
        await harness.query(`UPDATE connections SET credentials = '${tampered}' WHERE id = 'sf1'`);
        const error = await rejection(store.getConnection('sf1'));
        expect(error).to.be.instanceOf(CredentialsError);
        expect(error.message).to.match(/connection sf1: the stored value is damaged/);
      });

      it('reports a corrupt row naming table, id and column', async () => {
        await store.saveConnection({
          id: 'sf1',
          crm: 'salesforce',
          name: 'Acme',
          status: 'ok',
          statusMessage: null,
          credentials: {},
          settings: {},
        });
        await harness.query("UPDATE connections SET settings = '{not json' WHERE id = 'sf1'");
        const error = await rejection(store.getConnection('sf1'));
        expect(error).to.be.instanceOf(CorruptRowError);
        expect(error.message).to.match(/^corrupt row in connections \(id sf1\), column settings: invalid JSON/);

        await store.putSyncStates('sf1', [
          { recordId: 'r1', objectType: 'Contact', lastWritten: fields(10), writtenAt: null, fingerprint: null },
        ]);
        await harness.query(`UPDATE contact_sync_state SET last_written = '{"score": "high"}'`);
        const stateError = await rejection(store.getSyncStates('sf1', ['r1']));
        expect(stateError.message).to.match(
          /^corrupt row in contact_sync_state \(id sf1\/r1\), column last_written: unexpected value at score/,
        );

        await store.saveRun(report('run-1', 'sf1', '2026-03-01T00:00:00.000Z'));
        await harness.query("UPDATE runs SET report = '[]'");
        expect((await rejection(store.listRuns({ limit: 5 }))).message).to.match(
          /^corrupt row in runs \(id run-1\), column report/,
        );
      });
    });

    describe('leases', () => {
      it('is exclusive until released or expired', async () => {
        expect(await store.acquireLease('c1', 'run-a', 60)).to.equal(true);
        expect(await store.acquireLease('c1', 'run-b', 60)).to.equal(false);
        expect(await store.acquireLease('c1', 'run-a', 60)).to.equal(true, 'the holder may re-acquire');
        expect(await store.acquireLease('c2', 'run-b', 60)).to.equal(true, 'leases are per connection');
        expect(await store.renewLease('c1', 'run-b', 60)).to.equal(false);
        await store.releaseLease('c1', 'run-b');
        expect(await store.acquireLease('c1', 'run-b', 60)).to.equal(false, 'a non-holder cannot release');
        await store.releaseLease('c1', 'run-a');
        expect(await store.acquireLease('c1', 'run-b', 60)).to.equal(true);
      });

      it('is taken over after expiry, and the old holder can no longer renew', async () => {
        expect(await store.acquireLease('c1', 'run-a', 30)).to.equal(true);
        clock.advance(29);
        expect(await store.renewLease('c1', 'run-a', 30)).to.equal(true);
        clock.advance(29);
        expect(await store.acquireLease('c1', 'run-b', 30)).to.equal(false, 'renewed, so still live');
        clock.advance(1);
        expect(await store.acquireLease('c1', 'run-b', 30)).to.equal(true);
        expect(await store.renewLease('c1', 'run-a', 30)).to.equal(false);
        await store.releaseLease('c1', 'run-a');
        expect(await store.acquireLease('c1', 'run-c', 30)).to.equal(false, 'the old holder released nothing');
      });

      it('lets exactly one of many concurrent runs (two store instances) win', async () => {
        const second = await harness.open({ secretKey: key, now: clock.now });
        try {
          const attempts = Array.from({ length: 12 }, (_, i) =>
            (i % 2 === 0 ? store : second).acquireLease('c9', `owner-${i}`, 60),
          );
          const won = (await Promise.all(attempts)).filter(Boolean);
          expect(won).to.have.length(1);
        } finally {
          await second.close();
        }
      });
    });

    describe('cursors and sync state', () => {
      it('round-trips a cursor, including clearing it', async () => {
        expect(await store.getCursor('c1')).to.equal(null);
        await store.setCursor('c1', '2026-03-01T00:00:00Z|003xx');
        expect(await store.getCursor('c1')).to.equal('2026-03-01T00:00:00Z|003xx');
        await store.setCursor('c1', null);
        expect(await store.getCursor('c1')).to.equal(null);
      });

      it('a new scoring key forgets the cursor; cursors saved after it keep the key', async () => {
        expect(await store.getScoringKey('c1')).to.equal(null);
        await store.setCursor('c1', 'page-3');
        await store.startScoringKey('c1', '1.0.0 {"weights":{"x":0.5}}');
        expect(await store.getCursor('c1')).to.equal(null);
        expect(await store.getScoringKey('c1')).to.equal('1.0.0 {"weights":{"x":0.5}}');
        await store.setCursor('c1', 'page-1');
        expect(await store.getScoringKey('c1')).to.equal('1.0.0 {"weights":{"x":0.5}}');
        await store.startScoringKey('new', 'k');
        expect(await store.getCursor('new')).to.equal(null);
        expect(await store.getScoringKey('new')).to.equal('k');
      });

      it('gets and puts sync states in batches', async () => {
        const states = Array.from({ length: 250 }, (_, i) => ({
          recordId: `r${i}`,
          objectType: 'Contact',
          lastWritten: fields(i % 100),
          writtenAt: '2026-03-01T10:00:00+02:00',
          fingerprint: `fp${i}`,
          // The CRM's stamp after our write (HubSpot's updatedAt), kept to the millisecond.
          ...(i === 0 ? { crmModifiedAt: '2026-03-01T10:00:01.234+02:00' } : {}),
        }));
        await store.putSyncStates('c1', states);
        await store.putSyncStates('c1', [
          { recordId: 'r1', objectType: 'Lead', lastWritten: null, writtenAt: null, fingerprint: null },
          { recordId: 'r2', objectType: 'Contact', lastWritten: fields(1), writtenAt: null, fingerprint: 'old' },
          { recordId: 'r2', objectType: 'Contact', lastWritten: fields(2), writtenAt: null, fingerprint: 'new' },
        ]);
        const got = await store.getSyncStates('c1', ['r0', 'r1', 'r2', 'r249', 'missing']);
        expect([...got.keys()].sort()).to.deep.equal(['r0', 'r1', 'r2', 'r249']);
        expect(got.get('r0')).to.deep.equal({
          recordId: 'r0',
          objectType: 'Contact',
          lastWritten: fields(0),
          writtenAt: '2026-03-01T08:00:00.000Z',
          fingerprint: 'fp0',
          crmModifiedAt: '2026-03-01T08:00:01.234Z',
        });
        expect(got.get('r1')).to.deep.equal({
          recordId: 'r1',
          objectType: 'Lead',
          lastWritten: null,
          writtenAt: null,
          fingerprint: null,
        });
        expect(got.get('r2')?.fingerprint).to.equal('new', 'the last of duplicates wins');
        expect((await store.getSyncStates('other', ['r0'])).size).to.equal(0, 'per connection');
        expect((await store.getSyncStates('c1', [])).size).to.equal(0);
        const all = await store.getSyncStates(
          'c1',
          states.map((s) => s.recordId),
        );
        expect(all.size).to.equal(250);
      });

      it('remembers which handles each written state was scored from, and finds the contacts scored on a network', async () => {
        const state = (recordId: string, scoredWith?: string[]) => ({
          recordId,
          objectType: 'Contact',
          lastWritten: fields(10),
          writtenAt: null,
          fingerprint: 'fp',
          ...(scoredWith !== undefined ? { scoredWith } : {}),
        });
        await store.putSyncStates('c1', [
          state('ada', ['x:ada_x', 'github:ada']),
          state('bob', ['github:bob']),
          state('old'),
          state('optout', ['x:opt']),
        ]);
        await store.saveConnection({
          id: 'c2',
          crm: 'hubspot',
          name: 'c2',
          status: 'ok',
          statusMessage: null,
          credentials: {},
          settings: {},
        });
        await store.putSyncStates('c2', [state('cy', ['x:cy', 'x:cy2'])]);
        expect((await store.getSyncStates('c1', ['ada'])).get('ada')?.scoredWith).to.deep.equal([
          'x:ada_x',
          'github:ada',
        ]);
        expect((await store.getSyncStates('c1', ['old'])).get('old')).to.not.have.property('scoredWith');
        // A put without it keeps what is stored (a write the CRM refused leaves the record as it was).
        await store.putSyncStates('c1', [state('ada')]);
        await store.purgeContact('c1', 'optout');
        const scoredOnX = await store.contactsScoredOn('x');
        expect(scoredOnX).to.deep.equal([
          { connectionId: 'c1', recordId: 'ada', objectType: 'Contact', handles: ['ada_x'] },
          { connectionId: 'c2', recordId: 'cy', objectType: 'Contact', handles: ['cy', 'cy2'] },
        ]);
        expect((await store.contactsScoredOn('github')).map((c) => c.recordId)).to.deep.equal(['ada', 'bob']);
        // Re-scored without X: no longer found.
        await store.putSyncStates('c1', [state('ada', ['github:ada'])]);
        expect(await store.renameConnection('c2', 'c3')).to.equal(true);
        expect(await store.contactsScoredOn('x')).to.deep.equal([
          { connectionId: 'c3', recordId: 'cy', objectType: 'Contact', handles: ['cy', 'cy2'] },
        ]);
        await store.forgetContacts('c3', ['cy']);
        expect(await store.contactsScoredOn('x')).to.deep.equal([]);
      });

      it('keeps a histogram of the last written Medium/High-confidence scores, per connection', async () => {
        expect(await store.getScoreHistogram('c1')).to.deep.equal(new Array(101).fill(0), 'empty: 101 zero buckets');
        const state = (recordId: string, written: InfluenceFields | null) => ({
          recordId,
          objectType: 'Contact',
          lastWritten: written,
          writtenAt: null,
          fingerprint: null,
        });
        await store.putSyncStates('c1', [
          state('a', fields(40)),
          state('b', fields(40)),
          state('c', { ...fields(72.6), confidence: 'medium' }),
          state('low', { ...fields(90), confidence: 'low' }),
          state('none', { ...fields(0), score: null, confidence: null }),
          state('never', null),
        ]);
        await store.putSyncStates('c2', [state('x', fields(10))]);
        // An update moves the contact out of its old bucket; a drop to Low confidence takes it out.
        await store.putSyncStates('c1', [state('b', fields(100)), state('c', { ...fields(73), confidence: 'low' })]);
        const histogram = await store.getScoreHistogram('c1');
        expect(histogram).to.have.length(101);
        expect(histogram.reduce((a, b) => a + b, 0)).to.equal(2);
        expect(histogram[40]).to.equal(1);
        expect(histogram[100]).to.equal(1);
        expect((await store.getScoreHistogram('c2'))[10]).to.equal(1);
      });

      it('fills the histogram column for sync states written before its migration (damaged rows count as none)', async () => {
        const percentileMigration = MIGRATIONS.findIndex((m) => m.name.startsWith('sync: score of each Medium/High'));
        expect(percentileMigration).to.be.greaterThan(0);
        const older = await makeHarness();
        try {
          const before = await older.open({ secretKey: key, migrations: MIGRATIONS.slice(0, percentileMigration) });
          await before.close();
          const row = (id: string, written: string) => `('c1', '${id}', 'Contact', '${written}', NULL, NULL)`;
          await older.query(`INSERT INTO contact_sync_state (connection_id, record_id, object_type, last_written, written_at, fingerprint) VALUES
            ${row('a', JSON.stringify(fields(61.4)))}, ${row('b', JSON.stringify({ ...fields(61), confidence: 'medium' }))},
            ${row('low', JSON.stringify({ ...fields(30), confidence: 'low' }))}, ${row('bad', '{not json')}`);
          const after = await older.open({ secretKey: key });
          try {
            const histogram = await after.getScoreHistogram('c1');
            expect(histogram[61]).to.equal(2);
            expect(histogram.reduce((a, b) => a + b, 0)).to.equal(2);
          } finally {
            await after.close();
          }
        } finally {
          await older.destroy();
        }
      });
    });

    describe('score history', () => {
      it('returns most recent first, limited, per record', async () => {
        await store.appendHistory('c1', [
          { recordId: 'r1', at: '2026-01-01T00:00:00.000Z', score: 40, tier: 'C' },
          { recordId: 'r1', at: '2026-03-01T00:00:00.000Z', score: 62.5, tier: 'B' },
          { recordId: 'r1', at: '2026-02-01T00:00:00.000Z', score: 55, tier: 'B' },
          { recordId: 'r2', at: '2026-02-15T00:00:00.000Z', score: null, tier: 'Unscored' },
          { recordId: 'r2', at: '2026-01-15T00:00:00.000Z', score: 10, tier: 'D' },
        ]);
        await store.appendHistory('c2', [{ recordId: 'r1', at: '2026-04-01T00:00:00.000Z', score: 99, tier: 'A' }]);
        expect(await store.getHistory('c1', 'r1')).to.deep.equal([
          { at: '2026-03-01T00:00:00.000Z', score: 62.5, tier: 'B' },
          { at: '2026-02-01T00:00:00.000Z', score: 55, tier: 'B' },
          { at: '2026-01-01T00:00:00.000Z', score: 40, tier: 'C' },
        ]);
        expect((await store.getHistory('c1', 'r1', 1)).map((p) => p.score)).to.deep.equal([62.5]);
        const both = await store.getHistories('c1', ['r1', 'r2', 'r3'], 2);
        expect(both.get('r1')?.map((p) => p.at)).to.deep.equal([
          '2026-03-01T00:00:00.000Z',
          '2026-02-01T00:00:00.000Z',
        ]);
        expect(both.get('r2')).to.deep.equal([
          { at: '2026-02-15T00:00:00.000Z', score: null, tier: 'Unscored' },
          { at: '2026-01-15T00:00:00.000Z', score: 10, tier: 'D' },
        ]);
        expect(both.has('r3')).to.equal(false);
        expect(await store.getHistory('c1', 'nobody')).to.deep.equal([]);
      });

      it('finds records by e-mail, case-insensitively, per connection or across all, and forgets it on opt-out', async () => {
        const state = (recordId: string, email: string | null) => ({
          recordId,
          objectType: 'Contact',
          lastWritten: fields(5),
          writtenAt: null,
          fingerprint: 'fp',
          email,
        });
        await store.putSyncStates('c1', [
          state('r1', ' Ada@Example.COM '),
          state('r2', 'ada@example.com'),
          state('r3', 'bob@example.com'),
          state('r4', null),
        ]);
        await store.putSyncStates('c2', [state('r9', 'ADA@example.com')]);
        const find = store.findRecordIdsByEmail?.bind(store);
        if (find === undefined) throw new Error('the store offers no findRecordIdsByEmail');
        expect(await find(undefined, 'ada@EXAMPLE.com')).to.deep.equal([
          { connectionId: 'c1', recordId: 'r1' },
          { connectionId: 'c1', recordId: 'r2' },
          { connectionId: 'c2', recordId: 'r9' },
        ]);
        expect(await find('c2', 'Ada@example.com')).to.deep.equal([{ connectionId: 'c2', recordId: 'r9' }]);
        expect(await find('c1', 'nobody@example.com')).to.deep.equal([]);
        expect(await find(undefined, '  ')).to.deep.equal([]);
        expect((await store.getSyncStates('c1', ['r1'])).get('r1')?.email).to.equal('ada@example.com');
        await store.putSyncStates('c1', [state('r2', 'new@example.com')]);
        expect(await find('c1', 'ada@example.com')).to.deep.equal(
          [{ connectionId: 'c1', recordId: 'r1' }],
          'a changed e-mail replaces the old one',
        );
        await store.purgeContact('c1', 'r1');
        expect(await find(undefined, 'ada@example.com')).to.deep.equal(
          [{ connectionId: 'c2', recordId: 'r9' }],
          'opt-out forgets the e-mail',
        );
        expect((await store.getSyncStates('c1', ['r1'])).get('r1')?.email).to.equal(undefined);
      });

      it('prunes old points across connections and purges one contact', async () => {
        await store.appendHistory('c1', [
          { recordId: 'r1', at: '2024-01-01T00:00:00.000Z', score: 1, tier: 'D' },
          { recordId: 'r1', at: '2026-01-01T00:00:00.000Z', score: 2, tier: 'D' },
          { recordId: 'r2', at: '2026-01-01T00:00:00.000Z', score: 3, tier: 'D' },
        ]);
        await store.appendHistory('c2', [{ recordId: 'r1', at: '2023-06-01T00:00:00.000Z', score: 4, tier: 'D' }]);
        expect(await store.pruneHistory(new Date('2025-01-01T00:00:00Z'))).to.equal(2);
        expect((await store.getHistory('c1', 'r1')).map((p) => p.score)).to.deep.equal([2]);
        expect(await store.getHistory('c2', 'r1')).to.deep.equal([]);

        await store.putSyncStates('c1', [
          { recordId: 'r1', objectType: 'Contact', lastWritten: fields(2), writtenAt: null, fingerprint: 'fp' },
        ]);
        await store.recordErrors('c1', 'run-1', [
          { recordId: 'r1', stage: 'write', code: 'UNABLE_TO_LOCK_ROW', message: 'locked', retryable: true },
        ]);
        await store.purgeContact('c1', 'r1');
        expect(await store.getHistory('c1', 'r1')).to.deep.equal([]);
        expect(await store.pendingRetries('c1', 10)).to.deep.equal([]);
        expect((await store.getSyncStates('c1', ['r1'])).get('r1')?.fingerprint).to.equal(null);
        expect((await store.getHistory('c1', 'r2')).length).to.equal(1, 'other contacts untouched');
      });

      it('forgets contacts gone from the CRM: state, e-mail, history and errors, in that connection only', async () => {
        const at = '2026-01-01T00:00:00.000Z';
        const state = (recordId: string, score: number, email: string) => ({
          recordId,
          objectType: 'contact',
          lastWritten: fields(score),
          writtenAt: at,
          fingerprint: 'fp',
          email,
        });
        for (const connection of ['c1', 'c2']) {
          await store.putSyncStates(connection, [
            state('r1', 70, 'ada@example.com'),
            state('r2', 20, 'bob@example.com'),
          ]);
          await store.appendHistory(connection, [{ recordId: 'r1', at, score: 70, tier: 'B' }]);
          await store.recordErrors(connection, 'run-1', [
            { recordId: 'r1', stage: 'write', code: 'LOCKED', message: 'locked', retryable: true },
          ]);
        }
        await store.forgetContacts('c1', ['r1', 'never-seen']);
        await store.forgetContacts('c1', []);
        expect([...(await store.getSyncStates('c1', ['r1', 'r2'])).keys()]).to.deep.equal(['r2']);
        expect(await store.getHistory('c1', 'r1')).to.deep.equal([]);
        expect(await store.pendingRetries('c1', 10)).to.deep.equal([]);
        expect(await store.findRecordIdsByEmail?.(undefined, 'ada@example.com')).to.deep.equal([
          { connectionId: 'c2', recordId: 'r1' },
        ]);
        expect((await store.getScoreHistogram('c1'))[20]).to.equal(1);
        expect((await store.getScoreHistogram('c1'))[70]).to.equal(0, 'the percentile population no longer counts it');
        expect((await store.getHistory('c2', 'r1')).length).to.equal(1, 'the other connection is untouched');
        expect((await store.pendingRetries('c2', 10)).map((p) => p.recordId)).to.deep.equal(['r1']);
      });
    });

    describe('tier rises (tier-change tasks)', () => {
      const rise = (recordId: string, roseAt: string, subject = `Influential contact: ${recordId} reached tier A`) => ({
        recordId,
        objectType: 'Contact',
        roseAt,
        subject,
        body: 'Top factors:\n+12 Bluesky: …',
      });
      const since = new Date('2026-01-01T00:00:00.000Z');

      it('remembers each rise once, hands out waiting ones oldest first and never the same one twice', async () => {
        const log = store.tierRises!;
        await log.remember('c1', [rise('r2', '2026-02-02T00:00:00.000Z'), rise('r1', '2026-02-01T00:00:00.000Z')]);
        // A re-run (or a resume after a crash) remembers the same rise again: nothing changes.
        await log.remember('c1', [rise('r1', '2026-02-05T00:00:00.000Z', 'another subject')]);
        await log.remember('c2', [rise('r1', '2026-02-03T00:00:00.000Z')]);
        expect(await log.countWaiting('c1', since)).to.equal(2);
        const first = await log.take('c1', 1, since);
        expect(first).to.deep.equal([rise('r1', '2026-02-01T00:00:00.000Z')]);
        expect(await log.countWaiting('c1', since)).to.equal(1);
        await log.settle('c1', [{ recordId: 'r1', state: 'sent', note: null }]);
        expect((await log.take('c1', 10, since)).map((r) => r.recordId)).to.deep.equal(['r2']);
        // Taken and never settled (a crash mid-call): not handed out again.
        expect(await log.take('c1', 10, since)).to.deep.equal([]);
        await log.remember('c1', [rise('r1', '2026-02-06T00:00:00.000Z')]);
        expect(await log.take('c1', 10, since)).to.deep.equal([], 'the rise of r1 already had its task');
        expect((await log.take('c2', 10, since)).map((r) => r.recordId)).to.deep.equal(['r1']);
      });

      it('a rise put back as pending is handed out again; leaving tier A ends it, and a later rise is new', async () => {
        const log = store.tierRises!;
        await log.remember('c1', [rise('r1', '2026-02-01T00:00:00.000Z')]);
        await log.take('c1', 10, since);
        await log.settle('c1', [{ recordId: 'r1', state: 'pending', note: 'rate limited' }]);
        expect((await log.take('c1', 10, since)).map((r) => r.recordId)).to.deep.equal(['r1']);
        await log.settle('c1', [{ recordId: 'r1', state: 'sent', note: null }]);
        await log.end('c1', ['r1', 'never-rose']);
        await log.end('c1', []);
        await log.remember('c1', [rise('r1', '2026-03-01T00:00:00.000Z')]);
        expect(await log.take('c1', 10, since)).to.deep.equal([rise('r1', '2026-03-01T00:00:00.000Z')]);
      });

      it('leaves rises older than `since` waiting, and forgets them with the contact, on opt-out and with the connection', async () => {
        const log = store.tierRises!;
        await log.remember('c1', [
          rise('old', '2025-12-01T00:00:00.000Z'),
          rise('gone', '2026-02-01T00:00:00.000Z'),
          rise('optout', '2026-02-01T00:00:00.000Z'),
          rise('kept', '2026-02-01T00:00:00.000Z'),
        ]);
        await log.remember('c2', [rise('kept', '2026-02-01T00:00:00.000Z')]);
        expect(await log.countWaiting('c1', since)).to.equal(3);
        await store.forgetContacts('c1', ['gone']);
        await store.purgeContact('c1', 'optout');
        expect((await log.take('c1', 10, since)).map((r) => r.recordId)).to.deep.equal(['kept']);
        await store.deleteConnection('c2');
        expect(await log.countWaiting('c2', since)).to.equal(0);
      });
    });

    describe('deal outcomes and lift reports', () => {
      const outcome = (id: string, contactIds: string[], isWon = false): Outcome => ({
        id,
        contactIds,
        pipeline: null,
        stage: isWon ? 'Closed Won' : 'Prospecting',
        isClosed: isWon,
        isWon,
        amount: 1200.5,
        createdAt: '2026-01-02T03:04:05.000Z',
        closeDate: isWon ? '2026-02-01' : null,
        modifiedAt: '2026-02-01T00:00:00.000Z',
      });

      it('upserts outcomes per deal with their checkpoint, per connection; clear forgets both', async () => {
        const log = store.outcomes!;
        expect(await log.checkpoint('c1')).to.equal(null);
        await log.save('c1', [outcome('o1', ['r1']), outcome('o2', ['r2', 'r3'])], 'cp1');
        // A deal read twice in one page (a re-windowed search) is kept once, as last read.
        await log.save('c1', [outcome('o1', ['r1'], true), outcome('o1', ['r9'], true)], 'cp2');
        await log.save('c2', [outcome('o1', ['x'])], 'other');
        expect(await log.checkpoint('c1')).to.equal('cp2');
        expect(await log.list('c1')).to.deep.equal([outcome('o1', ['r9'], true), outcome('o2', ['r2', 'r3'])]);
        await log.clear('c1');
        expect(await log.list('c1')).to.deep.equal([]);
        expect(await log.checkpoint('c1')).to.equal(null);
        expect(await log.list('c2')).to.have.length(1);
        await store.deleteConnection('c2');
        expect(await log.list('c2')).to.deep.equal([]);
      });

      it('lists the tier and score last written to each contact (none for a cleared one: opted out)', async () => {
        await store.putSyncStates('c1', [
          { recordId: 'r1', objectType: 'Contact', lastWritten: fields(81), writtenAt: null, fingerprint: null },
          {
            recordId: 'r2',
            objectType: 'Contact',
            lastWritten: { ...fields(0), score: null, tier: null },
            writtenAt: null,
            fingerprint: null,
          },
          { recordId: 'r3', objectType: 'Lead', lastWritten: null, writtenAt: null, fingerprint: null },
        ]);
        expect(await store.outcomes!.writtenTiers('c1')).to.deep.equal([
          { recordId: 'r1', tier: fields(81).tier, score: 81 },
          { recordId: 'r2', tier: null, score: null, optedOut: true },
          { recordId: 'r3', tier: null, score: null },
        ]);
      });

      it('keeps one report per run and gives back the newest', async () => {
        const log = store.outcomes!;
        expect(await log.latestReport('c1')).to.equal(null);
        await log.saveReport('c1', '2026-02-01T00:00:00.000Z', { n: 1 });
        await log.saveReport('c1', '2026-02-02T00:00:00.000Z', { n: 2 });
        await log.saveReport('c2', '2026-02-03T00:00:00.000Z', { n: 3 });
        expect(await log.latestReport('c1')).to.deep.equal({
          computedAt: '2026-02-02T00:00:00.000Z',
          report: { n: 2 },
        });
      });

      it('reports a corrupt outcome row naming it', async () => {
        await store.outcomes!.save('c1', [outcome('o1', ['r1'])], 'cp');
        await harness.query(`UPDATE deal_outcomes SET outcome = '{"id": 5}' WHERE deal_id = 'o1'`);
        const error = await rejection(store.outcomes!.list('c1'));
        expect(error).to.be.instanceOf(CorruptRowError);
        expect(error.message).to.contain('deal_outcomes').and.contain('c1/o1');
      });
    });

    describe('provider cache', () => {
      const ok = (followers: number): ProviderResult => ({
        status: 'ok',
        metrics: metrics('ada.bsky.social', followers),
      });

      it('serves entries until their TTL, and the last good one after expiry', async () => {
        const t0 = clock.now();
        await store.putCached(
          'bluesky',
          [
            { handle: 'ada.bsky.social', result: ok(100) },
            { handle: 'gone.bsky.social', result: { status: 'not_found' } },
          ],
          3600,
          t0,
        );
        const fresh = await store.getCached(
          'bluesky',
          ['ada.bsky.social', 'gone.bsky.social', 'unknown'],
          new Date(t0.getTime() + 3599_000),
        );
        expect(fresh.get('ada.bsky.social')?.result).to.deep.equal(ok(100));
        expect(fresh.get('ada.bsky.social')?.expiresAt).to.equal(new Date(t0.getTime() + 3600_000).toISOString());
        expect(fresh.get('gone.bsky.social')?.result).to.deep.equal({ status: 'not_found' });
        expect(fresh.has('unknown')).to.equal(false);
        expect((await store.getCached('github', ['ada.bsky.social'], t0)).size).to.equal(0, 'per network');

        const later = new Date(t0.getTime() + 3600_000);
        expect((await store.getCached('bluesky', ['ada.bsky.social'], later)).size).to.equal(0, 'expired');
        const good = await store.getLastGood('bluesky', ['ada.bsky.social', 'gone.bsky.social']);
        expect(good.get('ada.bsky.social')?.result).to.deep.equal(ok(100));
        expect(good.has('gone.bsky.social')).to.equal(false, 'never ok');
      });

      it('keeps the last good result through an outage and drops it when the account is gone', async () => {
        const t0 = clock.now();
        await store.putCached('bluesky', [{ handle: 'ada.bsky.social', result: ok(100) }], 60, t0);
        const t1 = new Date(t0.getTime() + 120_000);
        await store.putCached(
          'bluesky',
          [{ handle: 'ada.bsky.social', result: { status: 'unavailable', retryAfterSeconds: 30 } }],
          60,
          t1,
        );
        expect(
          (await store.getCached('bluesky', ['ada.bsky.social'], t1)).get('ada.bsky.social')?.result.status,
        ).to.equal('unavailable');
        const carried = (await store.getLastGood('bluesky', ['ada.bsky.social'])).get('ada.bsky.social');
        expect(carried?.result).to.deep.equal(ok(100));
        expect(carried?.fetchedAt).to.equal(t0.toISOString());

        await store.putCached('bluesky', [{ handle: 'ada.bsky.social', result: ok(150) }], 60, t1);
        expect((await store.getLastGood('bluesky', ['ada.bsky.social'])).get('ada.bsky.social')?.result).to.deep.equal(
          ok(150),
        );
        await store.putCached('bluesky', [{ handle: 'ada.bsky.social', result: { status: 'suspended' } }], 60, t1);
        expect((await store.getLastGood('bluesky', ['ada.bsky.social'])).size).to.equal(0);
      });

      it("lists the account ids of the metrics it holds (fresh or last good) and forgets a handle's every answer", async () => {
        const t0 = clock.now();
        const xOk = (handle: string, accountId: string): ProviderResult => ({
          status: 'ok',
          metrics: { ...metrics(handle, 10), network: 'x', accountId },
        });
        await store.putCached(
          'x',
          [
            { handle: 'ada', result: xOk('ada', '2244994945') },
            { handle: 'bob', result: xOk('bob', '783214') },
            { handle: 'ghost', result: { status: 'not_found' } },
          ],
          60,
          t0,
        );
        // An outage after a good answer: the last good one still names the account.
        await store.putCached('x', [{ handle: 'bob', result: { status: 'unavailable' } }], 60, t0);
        await store.putCached('bluesky', [{ handle: 'ada.bsky.social', result: ok(1) }], 60, t0);
        expect(Object.fromEntries(await store.cachedAccountIds('x'))).to.deep.equal({
          '2244994945': ['ada'],
          '783214': ['bob'],
        });
        await store.forgetCached('x', ['bob', 'ghost']);
        expect([...(await store.cachedAccountIds('x')).keys()]).to.deep.equal(['2244994945']);
        expect((await store.getLastGood('x', ['bob'])).size).to.equal(0);
        expect((await store.getCached('x', ['ghost'], t0)).size).to.equal(0);
        expect((await store.getCached('bluesky', ['ada.bsky.social'], t0)).size).to.equal(1, 'other networks kept');
      });

      it('reports a corrupt cache row naming it', async () => {
        await store.putCached('bluesky', [{ handle: 'ada.bsky.social', result: ok(1) }], 60, clock.now());
        await harness.query(`UPDATE provider_cache SET result = '{"status":"ok","metrics":{"followers":-1}}'`);
        const error = await rejection(store.getCached('bluesky', ['ada.bsky.social'], clock.now()));
        expect(error.message).to.match(
          /^corrupt row in provider_cache \(id bluesky\/ada\.bsky\.social\), column result: unexpected value/,
        );
      });
    });

    describe('runs', () => {
      it('saves, updates and lists runs, most recent first', async () => {
        await store.saveRun(report('run-1', 'c1', '2026-03-01T00:00:00.000Z'));
        await store.saveRun(report('run-2', 'c1', '2026-03-02T00:00:00.000Z', 'running'));
        await store.saveRun(report('run-3', 'c2', '2026-03-03T00:00:00.000Z'));
        await store.saveRun({ ...report('run-2', 'c1', '2026-03-02T00:00:00.000Z', 'partial'), message: 'budget' });
        expect((await store.getRun('run-2'))?.status).to.equal('partial');
        expect((await store.getRun('run-2'))?.message).to.equal('budget');
        expect(await store.getRun('nope')).to.equal(null);
        expect((await store.listRuns({ limit: 10 })).map((r) => r.runId)).to.deep.equal(['run-3', 'run-2', 'run-1']);
        expect((await store.listRuns({ limit: 2 })).map((r) => r.runId)).to.deep.equal(['run-3', 'run-2']);
        expect((await store.listRuns({ connectionId: 'c1', limit: 10 })).map((r) => r.runId)).to.deep.equal([
          'run-2',
          'run-1',
        ]);
        expect(await store.getRun('run-1')).to.deep.equal(report('run-1', 'c1', '2026-03-01T00:00:00.000Z'));
      });

      it("sums every connection's estimated spend per network and month, a run saved again counted once", async () => {
        const spent = (r: RunReport, usd: Record<string, number>): RunReport => ({
          ...r,
          apiCalls: { ...r.apiCalls, estimatedSpendUsd: usd },
        });
        await store.saveRun(spent(report('run-1', 'c1', '2026-02-27T23:59:59.000Z'), { x: 5 }));
        await store.saveRun(spent(report('run-2', 'c1', '2026-03-01T00:00:00.000Z', 'running'), { x: 1.25 }));
        // The same run after its next page: its spend so far replaces what it had saved.
        await store.saveRun(spent(report('run-2', 'c1', '2026-03-01T00:00:00.000Z'), { x: 2.5 }));
        await store.saveRun(spent(report('run-3', 'c2', '2026-03-31T23:00:00.000Z'), { x: 0.75, youtube: 0 }));
        await store.saveRun(report('run-4', 'c2', '2026-03-15T00:00:00.000Z'));
        expect(await store.monthlySpend(new Date('2026-02-01T00:00:00.000Z'))).to.deep.equal([
          { month: '2026-03', network: 'x', usd: 3.25 },
          { month: '2026-03', network: 'youtube', usd: 0 },
          { month: '2026-02', network: 'x', usd: 5 },
        ]);
        expect(await store.monthlySpend(new Date('2026-03-01T00:00:00.000Z'))).to.deep.equal([
          { month: '2026-03', network: 'x', usd: 3.25 },
          { month: '2026-03', network: 'youtube', usd: 0 },
        ]);
      });

      it('keeps the worker that ran each run in the run row', async () => {
        await store.saveRun({ ...report('run-1', 'c1', '2026-03-01T00:00:00.000Z'), worker: 'host-a:101' });
        await store.saveRun(report('run-2', 'c1', '2026-03-02T00:00:00.000Z'));
        expect((await store.getRun('run-1'))?.worker).to.equal('host-a:101');
        expect((await store.listRuns({ limit: 10 })).map((r) => r.worker)).to.deep.equal([undefined, 'host-a:101']);
        const rows = await harness.query(`SELECT run_id, worker FROM runs ORDER BY run_id`);
        expect(rows.map((r) => [r.run_id, r.worker])).to.deep.equal([
          ['run-1', 'host-a:101'],
          ['run-2', null],
        ]);
      });

      it('lists the runs of one status (the running ones a crash left behind), of one connection or all', async () => {
        await store.saveRun(report('run-1', 'c1', '2026-03-01T00:00:00.000Z', 'running'));
        await store.saveRun(report('run-2', 'c1', '2026-03-02T00:00:00.000Z', 'interrupted'));
        await store.saveRun(report('run-3', 'c2', '2026-03-03T00:00:00.000Z', 'running'));
        await store.saveRun(report('run-4', 'c1', '2026-03-04T00:00:00.000Z', 'running'));
        const ids = async (options: Parameters<Store['listRuns']>[0]) =>
          (await store.listRuns(options)).map((r) => r.runId);
        expect(await ids({ connectionId: 'c1', status: 'running', limit: 10 })).to.deep.equal(['run-4', 'run-1']);
        expect(await ids({ status: 'running', limit: 10 })).to.deep.equal(['run-4', 'run-3', 'run-1']);
        expect(await ids({ status: 'interrupted', limit: 10 })).to.deep.equal(['run-2']);
        expect(await ids({ connectionId: 'c2', status: 'abandoned', limit: 10 })).to.deep.equal([]);
      });
    });

    describe('per-record errors', () => {
      const write = (recordId: string, retryable: boolean, code = 'UNABLE_TO_LOCK_ROW') => ({
        recordId,
        stage: 'write' as const,
        code,
        message: `${code} on ${recordId}`,
        retryable,
        objectType: 'Contact',
      });

      it('counts attempts per run and retries only retryable ones', async () => {
        await store.recordErrors('c1', 'run-1', [
          write('r1', true),
          write('r2', false, 'INVALID_FIELD'),
          write('r3', true),
        ]);
        clock.advance(1);
        await store.recordErrors('c1', 'run-1', [{ ...write('r1', true), stage: 'provider', objectType: undefined }]);
        let pending = await store.pendingRetries('c1', 10);
        expect(pending.map((p) => p.recordId)).to.deep.equal(['r3', 'r1']);
        expect(pending.find((p) => p.recordId === 'r1')).to.deep.include({ attempts: 1, objectType: 'Contact' });
        expect(pending.find((p) => p.recordId === 'r1')?.lastError).to.deep.equal({
          recordId: 'r1',
          stage: 'provider',
          code: 'UNABLE_TO_LOCK_ROW',
          message: 'UNABLE_TO_LOCK_ROW on r1',
          retryable: true,
        });

        clock.advance(1);
        await store.recordErrors('c1', 'run-2', [write('r1', true)]);
        pending = await store.pendingRetries('c1', 10);
        expect(pending.find((p) => p.recordId === 'r1')?.attempts).to.equal(2);
        expect(await store.pendingRetries('c1', 1)).to.have.length(1);
        expect(await store.pendingRetries('c2', 10)).to.deep.equal([]);

        await store.clearErrors('c1', ['r1', 'r2']);
        expect((await store.pendingRetries('c1', 10)).map((p) => p.recordId)).to.deep.equal(['r3']);
      });

      it(`stops retrying after ${MAX_RECORD_ATTEMPTS} failed runs`, async () => {
        for (let run = 1; run <= MAX_RECORD_ATTEMPTS; run++) {
          await store.recordErrors('c1', `run-${run}`, [write('r1', true)]);
          const expected = run < MAX_RECORD_ATTEMPTS ? ['r1'] : [];
          expect((await store.pendingRetries('c1', 10)).map((p) => p.recordId)).to.deep.equal(
            expected,
            `after run ${run}`,
          );
        }
      });

      it('a non-retryable error replaces a retryable one', async () => {
        await store.recordErrors('c1', 'run-1', [write('r1', true)]);
        await store.recordErrors('c1', 'run-2', [write('r1', false, 'FIELD_CUSTOM_VALIDATION_EXCEPTION')]);
        expect(await store.pendingRetries('c1', 10)).to.deep.equal([]);
      });
    });
  });
}
