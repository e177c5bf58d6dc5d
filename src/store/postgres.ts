// The PostgreSQL store (DATABASE_URL): the same schema, statements and row checks as SQLite; batches go in one
// statement each through unnest; migrations run under an advisory lock so several processes can start at once.
import { createHash } from 'node:crypto';

import type { PoolClient, QueryResultRow } from 'pg';
import pg from 'pg';

import type { ProviderResult } from '../providers/contract.ts';
import type { Network, ScoreHistoryPoint } from '../scoring/types.ts';
import type {
  CacheRow,
  ConnectionRow,
  ErrorRow,
  HistoryRow,
  OutcomeRow,
  RunRow,
  ScoredOnRow,
  SyncStateRow,
  TierRiseRow,
  WrittenTierRow,
} from './codec.ts';
import {
  crmModifiedAtOf,
  decodeCached,
  decodeConnection,
  decodeHistory,
  decodeLastGood,
  decodeOutcome,
  decodePendingRetry,
  decodeRun,
  decodeScoredOn,
  decodeSyncState,
  decodeTierRise,
  decodeWrittenTier,
  encodeCacheEntry,
  encodeCredentials,
  encodeRunSpend,
  encodeScoredWith,
  handlesByAccountId,
  isoUtc,
  listColumns,
  MAX_RECORD_ATTEMPTS,
  normalizeEmail,
  percentileBucket,
  sumMonthlySpend,
  toHistogram,
} from './codec.ts';
import type {
  CachedProviderResult,
  Connection,
  ConnectionStatus,
  ContactScoredOn,
  ContactSyncState,
  MonthlySpend,
  OutcomeLog,
  PendingRetry,
  SqlAccess,
  SqlValue,
  Store,
  TierRiseLog,
} from './contract.ts';
import { CredentialsCipher } from './crypto.ts';
import { checkMigrationOrder, MIGRATIONS, migrationSql } from './migrations.ts';
import type { RecordError, RunReport, RunStatus } from './run-report.ts';
import { lastPerKey, SQL, toPostgres } from './sql.ts';
import type { StoreOptions } from './sqlite.ts';

export interface PostgresStoreOptions extends StoreOptions {
  connectionString: string;
  /** Schema to keep the tables in (created if missing); default: the server's search_path (usually `public`). */
  schema?: string;
  /** Pool size; default 5. */
  maxConnections?: number;
}

type Param = string | number | null | readonly (string | number | null)[];

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Statements converted to `$N` once, and named, so each pooled connection parses and plans them only once
 * (about 3× faster for the engine's batched look-ups than unnamed statements).
 */
const prepared = new Map<string, { name: string; text: string }>();
function pgStatement(sql: string): { name: string; text: string } {
  let statement = prepared.get(sql);
  if (statement === undefined) {
    statement = {
      name: `crm_influence_${createHash('sha1').update(sql).digest('hex').slice(0, 16)}`,
      text: toPostgres(sql),
    };
    prepared.set(sql, statement);
  }
  return statement;
}

export class PostgresStore implements Store {
  readonly #pool: pg.Pool;
  readonly #cipher: CredentialsCipher;
  readonly #now: () => Date;

  readonly tierRises: TierRiseLog = {
    remember: async (connectionId, rises) => {
      if (rises.length === 0) return;
      await this.#transaction(async (client) => {
        for (const r of rises)
          await this.#query(
            SQL.rememberTierRise,
            [connectionId, r.recordId, r.objectType, r.roseAt, r.subject, r.body],
            client,
          );
      });
    },
    end: async (connectionId, recordIds) => {
      if (recordIds.length > 0) await this.#query(SQL.postgres.endTierRises, [connectionId, [...recordIds]]);
    },
    take: (connectionId, limit, since) =>
      this.#transaction(async (client) => {
        const { rows } = await this.#query<TierRiseRow>(
          SQL.waitingTierRises,
          [connectionId, isoUtc(since), limit],
          client,
        );
        const rises = rows.map(decodeTierRise);
        if (rises.length > 0)
          await this.#query(SQL.postgres.markTierRisesSending, [connectionId, rises.map((r) => r.recordId)], client);
        return rises;
      }),
    settle: async (connectionId, outcomes) => {
      if (outcomes.length === 0) return;
      const at = isoUtc(this.#now());
      await this.#transaction(async (client) => {
        for (const o of outcomes)
          await this.#query(SQL.settleTierRise, [connectionId, o.recordId, o.state, o.note, at], client);
      });
    },
    countWaiting: async (connectionId, since) =>
      Number(
        (await this.#query<{ n: string }>(SQL.countWaitingTierRises, [connectionId, isoUtc(since)])).rows[0]?.n ?? 0,
      ),
  };
  readonly outcomes: OutcomeLog = {
    save: (connectionId, outcomes, checkpoint) =>
      this.#transaction(async (client) => {
        const unique = lastPerKey(outcomes, (o) => o.id);
        if (unique.length > 0)
          await this.#query(
            SQL.postgresBatch.putOutcomes,
            [connectionId, unique.map((o) => o.id), unique.map((o) => JSON.stringify(o))],
            client,
          );
        await this.#query(SQL.setOutcomeCheckpoint, [connectionId, checkpoint, isoUtc(this.#now())], client);
      }),
    clear: (connectionId) =>
      this.#transaction(async (client) => {
        for (const sql of SQL.clearOutcomes) await this.#query(sql, [connectionId], client);
      }),
    checkpoint: async (connectionId) =>
      (await this.#query<{ checkpoint: string | null }>(SQL.getOutcomeCheckpoint, [connectionId])).rows[0]
        ?.checkpoint ?? null,
    list: async (connectionId) =>
      (await this.#query<OutcomeRow>(SQL.listOutcomes, [connectionId])).rows.map((row) =>
        decodeOutcome(connectionId, row),
      ),
    writtenTiers: async (connectionId) =>
      (await this.#query<WrittenTierRow>(SQL.postgres.writtenTiers, [connectionId])).rows.map(decodeWrittenTier),
    saveReport: async (connectionId, computedAt, report) => {
      await this.#query(SQL.saveLiftReport, [connectionId, isoUtc(computedAt), JSON.stringify(report)]);
    },
    latestReport: async (connectionId) => {
      const row = (await this.#query<{ computed_at: string; report: string }>(SQL.latestLiftReport, [connectionId]))
        .rows[0];
      return row === undefined ? null : { computedAt: row.computed_at, report: JSON.parse(row.report) as unknown };
    },
  };
  #closed = false;

  private constructor(pool: pg.Pool, options: StoreOptions) {
    this.#pool = pool;
    this.#cipher = new CredentialsCipher(options.secretKey);
    this.#now = options.now ?? (() => new Date());
  }

  /** Connects, creates the schema if asked for one, and migrates to the latest version. */
  static async open(options: PostgresStoreOptions): Promise<PostgresStore> {
    const { schema } = options;
    if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
      throw new Error(
        `PostgreSQL schema name '${schema}' must be lower-case letters, digits and _ (starting with a letter or _)`,
      );
    }
    if (schema !== undefined) {
      const setup = new pg.Client({ connectionString: options.connectionString });
      await setup.connect();
      try {
        // Concurrent CREATE SCHEMA IF NOT EXISTS can still collide; serialise it.
        await setup.query('BEGIN');
        await setup.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`crm-influence-schema:${schema}`]);
        await setup.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
        await setup.query('COMMIT');
      } finally {
        await setup.end();
      }
    }
    const pool = new pg.Pool({
      connectionString: options.connectionString,
      max: options.maxConnections ?? 5,
      ...(schema === undefined ? {} : { options: `-c search_path=${schema}` }),
    });
    // An idle client losing its connection must not crash the process; the next query reconnects.
    pool.on('error', () => undefined);
    const store = new PostgresStore(pool, options);
    try {
      await store.#migrate(options.migrations ?? MIGRATIONS);
    } catch (error) {
      await pool.end();
      throw error;
    }
    return store;
  }

  async #migrate(migrations: typeof MIGRATIONS): Promise<void> {
    checkMigrationOrder(migrations);
    await this.#transaction(async (client) => {
      // One migrator at a time per schema; the others wait, then find nothing left to do.
      await client.query("SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':crm-influence-migrations'))");
      await client.query(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)',
      );
      const { rows } = await client.query<{ version: number | null }>(
        'SELECT MAX(version) AS version FROM schema_migrations',
      );
      const current = rows[0]?.version ?? 0;
      if (current > migrations.length) {
        throw new Error(
          `the database schema is version ${current} but this crm-influence knows only up to ${migrations.length}: upgrade crm-influence`,
        );
      }
      for (const migration of migrations.slice(current)) {
        await client.query(migrationSql(migration, 'postgres'));
        await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
          migration.version,
          migration.name,
          isoUtc(this.#now()),
        ]);
      }
    });
  }

  async #query<T extends QueryResultRow>(
    sql: string,
    params: Param[],
    client?: PoolClient,
  ): Promise<{ rows: T[]; count: number }> {
    const result = await (client ?? this.#pool).query<T>({ ...pgStatement(sql), values: params as unknown[] });
    return { rows: result.rows, count: result.rowCount ?? 0 };
  }

  async #transaction<T>(body: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    try {
      await client.query('BEGIN');
      const result = await body(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  // connections

  async saveConnection(connection: Omit<Connection, 'createdAt' | 'updatedAt'>): Promise<void> {
    const now = isoUtc(this.#now());
    await this.#query(SQL.saveConnection, [
      connection.id,
      connection.crm,
      connection.name,
      connection.status,
      connection.statusMessage,
      encodeCredentials(connection.id, connection.credentials, this.#cipher),
      JSON.stringify(connection.settings),
      now,
      now,
    ]);
  }

  async getConnection(id: string): Promise<Connection | null> {
    const row = (await this.#query<ConnectionRow>(SQL.getConnection, [id])).rows[0];
    return row === undefined ? null : decodeConnection(row, this.#cipher);
  }

  async listConnections(): Promise<Connection[]> {
    return (await this.#query<ConnectionRow>(SQL.listConnections, [])).rows.map((row) =>
      decodeConnection(row, this.#cipher),
    );
  }

  async setConnectionStatus(id: string, status: ConnectionStatus, message: string | null): Promise<void> {
    const { count } = await this.#query(SQL.setConnectionStatus, [status, message, isoUtc(this.#now()), id]);
    if (count === 0) throw new Error(`no connection '${id}' to set the status of`);
  }

  async deleteConnection(id: string): Promise<void> {
    await this.#transaction(async (client) => {
      for (const sql of SQL.deleteConnection) await this.#query(sql, [id], client);
    });
  }

  async renameConnection(from: string, to: string): Promise<boolean> {
    return this.#transaction(async (client) => {
      const exists = async (id: string) => (await this.#query(SQL.getConnection, [id], client)).rows.length > 0;
      if (!(await exists(from)) || (await exists(to))) return false;
      for (const sql of SQL.renameConnection) await this.#query(sql, [from, to], client);
      return true;
    });
  }

  // cursors

  async getCursor(connectionId: string): Promise<string | null> {
    return (await this.#query<{ cursor: string | null }>(SQL.getCursor, [connectionId])).rows[0]?.cursor ?? null;
  }

  async setCursor(connectionId: string, cursor: string | null): Promise<void> {
    await this.#query(SQL.setCursor, [connectionId, cursor, isoUtc(this.#now())]);
  }

  async getScoringKey(connectionId: string): Promise<string | null> {
    return (
      (await this.#query<{ scoring_key: string | null }>(SQL.getScoringKey, [connectionId])).rows[0]?.scoring_key ??
      null
    );
  }

  async startScoringKey(connectionId: string, scoringKey: string): Promise<void> {
    await this.#query(SQL.startScoringKey, [connectionId, scoringKey, isoUtc(this.#now())]);
  }

  // per-contact sync state

  async getSyncStates(connectionId: string, recordIds: readonly string[]): Promise<Map<string, ContactSyncState>> {
    const states = new Map<string, ContactSyncState>();
    if (recordIds.length === 0) return states;
    for (const row of (await this.#query<SyncStateRow>(SQL.postgres.getSyncStates, [connectionId, recordIds])).rows) {
      states.set(row.record_id, decodeSyncState(connectionId, row));
    }
    return states;
  }

  async putSyncStates(connectionId: string, states: readonly ContactSyncState[]): Promise<void> {
    if (states.length === 0) return;
    const rows = lastPerKey(states, (s) => s.recordId);
    const list = rows.map(listColumns);
    await this.#query(SQL.postgresBatch.putSyncStates, [
      connectionId,
      rows.map((s) => s.recordId),
      rows.map((s) => s.objectType),
      rows.map((s) => (s.lastWritten === null ? null : JSON.stringify(s.lastWritten))),
      rows.map((s) => (s.writtenAt === null ? null : isoUtc(s.writtenAt))),
      rows.map((s) => s.fingerprint),
      rows.map((s) => percentileBucket(s.lastWritten)),
      rows.map((s) => normalizeEmail(s.email)),
      list.map((l) => l.name),
      list.map((l) => l.listScore),
      list.map((l) => l.tier),
      list.map((l) => l.confidence),
      list.map((l) => l.trend),
      list.map((l) => l.scoredAt),
      list.map((l) => l.tierSince),
      list.map((l) => l.reasonCodes),
      list.map((l) => l.networks),
      rows.map(crmModifiedAtOf),
      rows.map(encodeScoredWith),
    ]);
  }

  async findRecordIdsByEmail(
    connectionId: string | undefined,
    email: string,
  ): Promise<{ connectionId: string; recordId: string }[]> {
    const wanted = normalizeEmail(email);
    if (wanted === null) return [];
    const rows = (
      await this.#query<{ connection_id: string; record_id: string }>(SQL.findRecordIdsByEmail, [
        wanted,
        connectionId ?? null,
      ])
    ).rows;
    return rows.map((row) => ({ connectionId: row.connection_id, recordId: row.record_id }));
  }

  async getScoreHistogram(connectionId: string): Promise<number[]> {
    return toHistogram((await this.#query<{ bucket: number; n: string }>(SQL.scoreHistogram, [connectionId])).rows);
  }

  // score history

  async appendHistory(
    connectionId: string,
    points: readonly (ScoreHistoryPoint & { recordId: string })[],
  ): Promise<void> {
    if (points.length === 0) return;
    const rows = lastPerKey(
      points.map((p) => ({ ...p, at: isoUtc(p.at) })),
      (p) => `${p.recordId}\0${p.at}`,
    );
    await this.#query(SQL.postgresBatch.appendHistory, [
      connectionId,
      rows.map((p) => p.recordId),
      rows.map((p) => p.at),
      rows.map((p) => p.score),
      rows.map((p) => p.tier),
    ]);
  }

  async getHistory(connectionId: string, recordId: string, limit?: number): Promise<ScoreHistoryPoint[]> {
    return (await this.getHistories(connectionId, [recordId], limit)).get(recordId) ?? [];
  }

  async getHistories(
    connectionId: string,
    recordIds: readonly string[],
    limit?: number,
  ): Promise<Map<string, ScoreHistoryPoint[]>> {
    const histories = new Map<string, ScoreHistoryPoint[]>();
    if (recordIds.length === 0) return histories;
    const { rows } = await this.#query<HistoryRow>(SQL.postgres.getHistories, [
      connectionId,
      recordIds,
      limit ?? Number.MAX_SAFE_INTEGER,
    ]);
    for (const row of rows) {
      let list = histories.get(row.record_id);
      if (list === undefined) histories.set(row.record_id, (list = []));
      list.push(decodeHistory(connectionId, row));
    }
    return histories;
  }

  async contactsScoredOn(network: Network): Promise<ContactScoredOn[]> {
    return decodeScoredOn(network, (await this.#query<ScoredOnRow>(SQL.contactsScoredOn, [`%"${network}:%`])).rows);
  }

  async purgeContact(connectionId: string, recordId: string): Promise<void> {
    await this.#transaction(async (client) => {
      for (const sql of SQL.purgeContact) await this.#query(sql, [connectionId, recordId], client);
    });
  }

  async forgetContacts(connectionId: string, recordIds: readonly string[]): Promise<void> {
    if (recordIds.length === 0) return;
    await this.#transaction(async (client) => {
      for (const sql of SQL.postgres.forgetContacts) await this.#query(sql, [connectionId, [...recordIds]], client);
    });
  }

  async pruneHistory(olderThan: Date): Promise<number> {
    return (await this.#query(SQL.pruneHistory, [isoUtc(olderThan)])).count;
  }

  // provider cache

  async getCached(network: Network, handles: readonly string[], now: Date): Promise<Map<string, CachedProviderResult>> {
    const cached = new Map<string, CachedProviderResult>();
    if (handles.length === 0) return cached;
    for (const row of (await this.#query<CacheRow>(SQL.postgres.getCached, [network, handles, isoUtc(now)])).rows) {
      cached.set(row.handle, decodeCached(network, row));
    }
    return cached;
  }

  async getLastGood(network: Network, handles: readonly string[]): Promise<Map<string, CachedProviderResult>> {
    const good = new Map<string, CachedProviderResult>();
    if (handles.length === 0) return good;
    for (const row of (await this.#query<CacheRow>(SQL.postgres.getLastGood, [network, handles])).rows) {
      const entry = decodeLastGood(network, row);
      if (entry !== null) good.set(row.handle, entry);
    }
    return good;
  }

  async cachedAccountIds(network: Network): Promise<Map<string, string[]>> {
    return handlesByAccountId(network, (await this.#query<CacheRow>(SQL.cachedMetrics, [network])).rows);
  }

  async forgetCached(network: Network, handles: readonly string[]): Promise<void> {
    if (handles.length > 0) await this.#query(SQL.postgres.forgetCached, [network, [...handles]]);
  }

  async putCached(
    network: Network,
    entries: readonly { handle: string; result: ProviderResult }[],
    ttlSeconds: number,
    now: Date,
  ): Promise<void> {
    if (entries.length === 0) return;
    const rows = lastPerKey(entries, (e) => e.handle).map((e) => ({
      handle: e.handle,
      ...encodeCacheEntry(e.result, ttlSeconds, now),
    }));
    await this.#query(SQL.postgresBatch.putCached, [
      network,
      rows.map((r) => r.handle),
      rows.map((r) => r.status),
      rows.map((r) => r.result),
      rows.map((r) => r.fetchedAt),
      rows.map((r) => r.expiresAt),
    ]);
  }

  // leases and runs

  async acquireLease(connectionId: string, owner: string, ttlSeconds: number): Promise<boolean> {
    const now = this.#now();
    const expiresAt = isoUtc(new Date(now.getTime() + ttlSeconds * 1000));
    return (await this.#query(SQL.acquireLease, [connectionId, owner, expiresAt, isoUtc(now)])).count === 1;
  }

  async renewLease(connectionId: string, owner: string, ttlSeconds: number): Promise<boolean> {
    const expiresAt = isoUtc(new Date(this.#now().getTime() + ttlSeconds * 1000));
    return (await this.#query(SQL.renewLease, [expiresAt, connectionId, owner])).count === 1;
  }

  async releaseLease(connectionId: string, owner: string): Promise<void> {
    await this.#query(SQL.releaseLease, [connectionId, owner]);
  }

  async saveRun(report: RunReport): Promise<void> {
    await this.#query(SQL.saveRun, [
      report.runId,
      report.connection,
      report.crm,
      report.status,
      isoUtc(report.startedAt),
      report.finishedAt === null ? null : isoUtc(report.finishedAt),
      JSON.stringify(report),
      report.worker ?? null,
      encodeRunSpend(report),
    ]);
  }

  async getRun(runId: string): Promise<RunReport | null> {
    const row = (await this.#query<RunRow>(SQL.getRun, [runId])).rows[0];
    return row === undefined ? null : decodeRun(row);
  }

  async listRuns(options: { connectionId?: string; status?: RunStatus; limit: number }): Promise<RunReport[]> {
    const params = [options.connectionId ?? null, options.status ?? null, options.limit];
    return (await this.#query<RunRow>(SQL.listRuns, params)).rows.map(decodeRun);
  }

  async monthlySpend(since: Date): Promise<MonthlySpend[]> {
    return sumMonthlySpend(
      (await this.#query<{ month: string; spend: string }>(SQL.runSpendSince, [isoUtc(since)])).rows,
    );
  }

  // per-record errors

  async recordErrors(
    connectionId: string,
    runId: string,
    errors: readonly (RecordError & { objectType?: string })[],
  ): Promise<void> {
    if (errors.length === 0) return;
    const rows = lastPerKey(errors, (e) => e.recordId);
    await this.#query(SQL.postgresBatch.recordErrors, [
      connectionId,
      runId,
      isoUtc(this.#now()),
      rows.map((e) => e.recordId),
      rows.map((e) => e.objectType ?? null),
      rows.map((e) => e.stage),
      rows.map((e) => e.code),
      rows.map((e) => e.message),
      rows.map((e) => (e.retryable ? 1 : 0)),
    ]);
  }

  async pendingRetries(connectionId: string, limit: number): Promise<PendingRetry[]> {
    const { rows } = await this.#query<ErrorRow>(SQL.pendingRetries, [connectionId, MAX_RECORD_ATTEMPTS, limit]);
    return rows.map((row) => decodePendingRetry(connectionId, row));
  }

  async clearErrors(connectionId: string, recordIds: readonly string[]): Promise<void> {
    if (recordIds.length === 0) return;
    await this.#query(SQL.postgres.clearErrors, [connectionId, recordIds]);
  }

  sql(): SqlAccess {
    return {
      dialect: 'postgres',
      query: async <T extends object>(sql: string, params: readonly SqlValue[] = []) =>
        (await this.#query<T & QueryResultRow>(sql, [...params])).rows,
      execute: async (sql: string, params: readonly SqlValue[] = []) => (await this.#query(sql, [...params])).count,
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool.end();
  }
}
