// The embedded store: node:sqlite (no native addon), WAL mode, one file. Calls are synchronous underneath, so each
// method's transaction runs to completion before another starts; other processes wait on busy_timeout.
import { closeSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import type { SQLInputValue, StatementSync } from 'node:sqlite';
import { DatabaseSync } from 'node:sqlite';

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
  Store,
  TierRiseLog,
} from './contract.ts';
import { CredentialsCipher } from './crypto.ts';
import type { Migration } from './migrations.ts';
import { checkMigrationOrder, MIGRATIONS, migrationSql } from './migrations.ts';
import type { RecordError, RunReport, RunStatus } from './run-report.ts';
import { lastPerKey, SQL } from './sql.ts';

export interface StoreOptions {
  /** CRM_INFLUENCE_SECRET_KEY; needed only once credentials are stored. */
  secretKey?: Buffer;
  /** The clock for leases and timestamps (tests move it). */
  now?: () => Date;
  /** Override the migration list (tests of the migration runner). */
  migrations?: readonly Migration[];
}

const BUSY_TIMEOUT_MS = 5000;

export class SqliteStore implements Store {
  readonly #db: DatabaseSync;
  readonly #cipher: CredentialsCipher;
  readonly #now: () => Date;
  readonly #statements = new Map<string, StatementSync>();

  readonly tierRises: TierRiseLog = {
    remember: (connectionId, rises) =>
      this.#async(() =>
        this.#transaction(() => {
          for (const r of rises)
            this.#run(SQL.rememberTierRise, connectionId, r.recordId, r.objectType, r.roseAt, r.subject, r.body);
        }),
      ),
    end: (connectionId, recordIds) =>
      this.#async(() => {
        if (recordIds.length > 0) this.#run(SQL.sqlite.endTierRises, connectionId, JSON.stringify(recordIds));
      }),
    take: (connectionId, limit, since) =>
      this.#async(() =>
        this.#transaction(() => {
          const rises = this.#all<TierRiseRow>(SQL.waitingTierRises, connectionId, isoUtc(since), limit).map(
            decodeTierRise,
          );
          if (rises.length > 0)
            this.#run(SQL.sqlite.markTierRisesSending, connectionId, JSON.stringify(rises.map((r) => r.recordId)));
          return rises;
        }),
      ),
    settle: (connectionId, outcomes) =>
      this.#async(() =>
        this.#transaction(() => {
          const at = isoUtc(this.#now());
          for (const o of outcomes) this.#run(SQL.settleTierRise, connectionId, o.recordId, o.state, o.note, at);
        }),
      ),
    countWaiting: (connectionId, since) =>
      this.#async(() =>
        Number(this.#all<{ n: number }>(SQL.countWaitingTierRises, connectionId, isoUtc(since))[0]?.n ?? 0),
      ),
  };

  readonly outcomes: OutcomeLog = {
    save: (connectionId, outcomes, checkpoint) =>
      this.#async(() =>
        this.#transaction(() => {
          for (const o of outcomes) this.#run(SQL.putOutcome, connectionId, o.id, JSON.stringify(o));
          this.#run(SQL.setOutcomeCheckpoint, connectionId, checkpoint, isoUtc(this.#now()));
        }),
      ),
    clear: (connectionId) =>
      this.#async(() =>
        this.#transaction(() => {
          for (const sql of SQL.clearOutcomes) this.#run(sql, connectionId);
        }),
      ),
    checkpoint: (connectionId) =>
      this.#async(
        () => this.#all<{ checkpoint: string | null }>(SQL.getOutcomeCheckpoint, connectionId)[0]?.checkpoint ?? null,
      ),
    list: (connectionId) =>
      this.#async(() =>
        this.#all<OutcomeRow>(SQL.listOutcomes, connectionId).map((row) => decodeOutcome(connectionId, row)),
      ),
    writtenTiers: (connectionId) =>
      this.#async(() => this.#all<WrittenTierRow>(SQL.sqlite.writtenTiers, connectionId).map(decodeWrittenTier)),
    saveReport: (connectionId, computedAt, report) =>
      this.#async(() => {
        this.#run(SQL.saveLiftReport, connectionId, isoUtc(computedAt), JSON.stringify(report));
      }),
    latestReport: (connectionId) =>
      this.#async(() => {
        const row = this.#all<{ computed_at: string; report: string }>(SQL.latestLiftReport, connectionId)[0];
        return row === undefined ? null : { computedAt: row.computed_at, report: JSON.parse(row.report) as unknown };
      }),
  };

  private constructor(db: DatabaseSync, options: StoreOptions) {
    this.#db = db;
    this.#cipher = new CredentialsCipher(options.secretKey);
    this.#now = options.now ?? (() => new Date());
  }

  /** Opens (creating the file and its folder if missing) and migrates to the latest schema. */
  static open(file: string, options: StoreOptions = {}): Promise<SqliteStore> {
    if (file !== ':memory:') {
      // Contact data and (encrypted) CRM tokens: readable by the owner only. SQLite gives the -wal and -shm files
      // the database file's mode. Folders and files that already exist keep theirs.
      const resolved = path.resolve(file);
      mkdirSync(path.dirname(resolved), { recursive: true, mode: 0o700 });
      closeSync(openSync(resolved, 'a', 0o600));
    }
    let db: DatabaseSync | undefined;
    try {
      db = new DatabaseSync(file);
      db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
      db.exec('PRAGMA journal_mode = WAL');
      db.exec('PRAGMA synchronous = NORMAL');
      const store = new SqliteStore(db, options);
      store.#migrate(options.migrations ?? MIGRATIONS);
      return Promise.resolve(store);
    } catch (error) {
      if (db?.isOpen) db.close();
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  #migrate(migrations: readonly Migration[]): void {
    checkMigrationOrder(migrations);
    this.#db.exec(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)',
    );
    this.#transaction(() => {
      const row = this.#db.prepare('SELECT MAX(version) AS version FROM schema_migrations').get() as {
        version: number | null;
      };
      const current = row.version ?? 0;
      if (current > migrations.length) {
        throw new Error(
          `the database schema is version ${current} but this crm-influence knows only up to ${migrations.length}: upgrade crm-influence`,
        );
      }
      for (const migration of migrations.slice(current)) {
        this.#db.exec(migrationSql(migration, 'sqlite'));
        this.#db
          .prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)')
          .run(migration.version, migration.name, isoUtc(this.#now()));
      }
    });
  }

  /** Applied migration versions, oldest first. */
  schemaVersions(): Promise<number[]> {
    const rows = this.#db.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as {
      version: number;
    }[];
    return Promise.resolve(rows.map((r) => r.version));
  }

  #stmt(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  #run(sql: string, ...params: SQLInputValue[]): number {
    return Number(this.#stmt(sql).run(...params).changes);
  }

  #all<T>(sql: string, ...params: SQLInputValue[]): T[] {
    return this.#stmt(sql).all(...params) as T[];
  }

  #transaction<T>(body: () => T): T {
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      const result = body();
      this.#db.exec('COMMIT');
      return result;
    } catch (error) {
      if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
      throw error;
    }
  }

  /** Async face over synchronous work: errors become rejections, never synchronous throws. */
  #async<T>(body: () => T): Promise<T> {
    try {
      return Promise.resolve(body());
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  // connections

  saveConnection(connection: Omit<Connection, 'createdAt' | 'updatedAt'>): Promise<void> {
    return this.#async(() => {
      const now = isoUtc(this.#now());
      this.#run(
        SQL.saveConnection,
        connection.id,
        connection.crm,
        connection.name,
        connection.status,
        connection.statusMessage,
        encodeCredentials(connection.id, connection.credentials, this.#cipher),
        JSON.stringify(connection.settings),
        now,
        now,
      );
    });
  }

  getConnection(id: string): Promise<Connection | null> {
    return this.#async(() => {
      const row = this.#all<ConnectionRow>(SQL.getConnection, id)[0];
      return row === undefined ? null : decodeConnection(row, this.#cipher);
    });
  }

  listConnections(): Promise<Connection[]> {
    return this.#async(() =>
      this.#all<ConnectionRow>(SQL.listConnections).map((row) => decodeConnection(row, this.#cipher)),
    );
  }

  setConnectionStatus(id: string, status: ConnectionStatus, message: string | null): Promise<void> {
    return this.#async(() => {
      if (this.#run(SQL.setConnectionStatus, status, message, isoUtc(this.#now()), id) === 0) {
        throw new Error(`no connection '${id}' to set the status of`);
      }
    });
  }

  deleteConnection(id: string): Promise<void> {
    return this.#async(() =>
      this.#transaction(() => {
        for (const sql of SQL.deleteConnection) this.#run(sql, id);
      }),
    );
  }

  renameConnection(from: string, to: string): Promise<boolean> {
    return this.#async(() =>
      this.#transaction(() => {
        const exists = (id: string) => this.#all(SQL.getConnection, id).length > 0;
        if (!exists(from) || exists(to)) return false;
        for (const sql of SQL.renameConnection) this.#run(sql, from, to);
        return true;
      }),
    );
  }

  // cursors

  getCursor(connectionId: string): Promise<string | null> {
    return this.#async(() => this.#all<{ cursor: string | null }>(SQL.getCursor, connectionId)[0]?.cursor ?? null);
  }

  setCursor(connectionId: string, cursor: string | null): Promise<void> {
    return this.#async(() => {
      this.#run(SQL.setCursor, connectionId, cursor, isoUtc(this.#now()));
    });
  }

  getScoringKey(connectionId: string): Promise<string | null> {
    return this.#async(
      () => this.#all<{ scoring_key: string | null }>(SQL.getScoringKey, connectionId)[0]?.scoring_key ?? null,
    );
  }

  startScoringKey(connectionId: string, scoringKey: string): Promise<void> {
    return this.#async(() => {
      this.#run(SQL.startScoringKey, connectionId, scoringKey, isoUtc(this.#now()));
    });
  }

  // per-contact sync state

  getSyncStates(connectionId: string, recordIds: readonly string[]): Promise<Map<string, ContactSyncState>> {
    return this.#async(() => {
      const states = new Map<string, ContactSyncState>();
      if (recordIds.length === 0) return states;
      for (const row of this.#all<SyncStateRow>(SQL.sqlite.getSyncStates, connectionId, JSON.stringify(recordIds))) {
        states.set(row.record_id, decodeSyncState(connectionId, row));
      }
      return states;
    });
  }

  putSyncStates(connectionId: string, states: readonly ContactSyncState[]): Promise<void> {
    return this.#async(() => {
      if (states.length === 0) return;
      this.#transaction(() => {
        for (const s of lastPerKey(states, (x) => x.recordId)) {
          const l = listColumns(s);
          this.#run(
            SQL.putSyncState,
            connectionId,
            s.recordId,
            s.objectType,
            s.lastWritten === null ? null : JSON.stringify(s.lastWritten),
            s.writtenAt === null ? null : isoUtc(s.writtenAt),
            s.fingerprint,
            percentileBucket(s.lastWritten),
            normalizeEmail(s.email),
            l.name,
            l.listScore,
            l.tier,
            l.confidence,
            l.trend,
            l.scoredAt,
            l.tierSince,
            l.reasonCodes,
            l.networks,
            crmModifiedAtOf(s),
            encodeScoredWith(s),
          );
        }
      });
    });
  }

  findRecordIdsByEmail(
    connectionId: string | undefined,
    email: string,
  ): Promise<{ connectionId: string; recordId: string }[]> {
    return this.#async(() => {
      const wanted = normalizeEmail(email);
      if (wanted === null) return [];
      return this.#all<{ connection_id: string; record_id: string }>(
        SQL.findRecordIdsByEmail,
        wanted,
        connectionId ?? null,
      ).map((row) => ({ connectionId: row.connection_id, recordId: row.record_id }));
    });
  }

  getScoreHistogram(connectionId: string): Promise<number[]> {
    return this.#async(() => toHistogram(this.#all<{ bucket: number; n: number }>(SQL.scoreHistogram, connectionId)));
  }

  // score history

  appendHistory(connectionId: string, points: readonly (ScoreHistoryPoint & { recordId: string })[]): Promise<void> {
    return this.#async(() => {
      if (points.length === 0) return;
      this.#transaction(() => {
        for (const p of points) this.#run(SQL.appendHistory, connectionId, p.recordId, isoUtc(p.at), p.score, p.tier);
      });
    });
  }

  async getHistory(connectionId: string, recordId: string, limit?: number): Promise<ScoreHistoryPoint[]> {
    return (await this.getHistories(connectionId, [recordId], limit)).get(recordId) ?? [];
  }

  getHistories(
    connectionId: string,
    recordIds: readonly string[],
    limit?: number,
  ): Promise<Map<string, ScoreHistoryPoint[]>> {
    return this.#async(() => {
      const histories = new Map<string, ScoreHistoryPoint[]>();
      if (recordIds.length === 0) return histories;
      const rows = this.#all<HistoryRow>(
        SQL.sqlite.getHistories,
        connectionId,
        JSON.stringify(recordIds),
        limit ?? Number.MAX_SAFE_INTEGER,
      );
      for (const row of rows) {
        let list = histories.get(row.record_id);
        if (list === undefined) histories.set(row.record_id, (list = []));
        list.push(decodeHistory(connectionId, row));
      }
      return histories;
    });
  }

  contactsScoredOn(network: Network): Promise<ContactScoredOn[]> {
    return this.#async(() => decodeScoredOn(network, this.#all<ScoredOnRow>(SQL.contactsScoredOn, `%"${network}:%`)));
  }

  purgeContact(connectionId: string, recordId: string): Promise<void> {
    return this.#async(() =>
      this.#transaction(() => {
        for (const sql of SQL.purgeContact) this.#run(sql, connectionId, recordId);
      }),
    );
  }

  forgetContacts(connectionId: string, recordIds: readonly string[]): Promise<void> {
    return this.#async(() => {
      if (recordIds.length === 0) return;
      this.#transaction(() => {
        for (const sql of SQL.sqlite.forgetContacts) this.#run(sql, connectionId, JSON.stringify(recordIds));
      });
    });
  }

  pruneHistory(olderThan: Date): Promise<number> {
    return this.#async(() => this.#run(SQL.pruneHistory, isoUtc(olderThan)));
  }

  // provider cache

  getCached(network: Network, handles: readonly string[], now: Date): Promise<Map<string, CachedProviderResult>> {
    return this.#async(() => {
      const cached = new Map<string, CachedProviderResult>();
      if (handles.length === 0) return cached;
      for (const row of this.#all<CacheRow>(SQL.sqlite.getCached, network, JSON.stringify(handles), isoUtc(now))) {
        cached.set(row.handle, decodeCached(network, row));
      }
      return cached;
    });
  }

  getLastGood(network: Network, handles: readonly string[]): Promise<Map<string, CachedProviderResult>> {
    return this.#async(() => {
      const good = new Map<string, CachedProviderResult>();
      if (handles.length === 0) return good;
      for (const row of this.#all<CacheRow>(SQL.sqlite.getLastGood, network, JSON.stringify(handles))) {
        const entry = decodeLastGood(network, row);
        if (entry !== null) good.set(row.handle, entry);
      }
      return good;
    });
  }

  cachedAccountIds(network: Network): Promise<Map<string, string[]>> {
    return this.#async(() => handlesByAccountId(network, this.#all<CacheRow>(SQL.cachedMetrics, network)));
  }

  forgetCached(network: Network, handles: readonly string[]): Promise<void> {
    return this.#async(() => {
      if (handles.length > 0) this.#run(SQL.sqlite.forgetCached, network, JSON.stringify(handles));
    });
  }

  putCached(
    network: Network,
    entries: readonly { handle: string; result: ProviderResult }[],
    ttlSeconds: number,
    now: Date,
  ): Promise<void> {
    return this.#async(() => {
      if (entries.length === 0) return;
      this.#transaction(() => {
        for (const entry of entries) {
          const e = encodeCacheEntry(entry.result, ttlSeconds, now);
          this.#run(SQL.putCached, network, entry.handle, e.status, e.result, e.fetchedAt, e.expiresAt);
        }
      });
    });
  }

  // leases and runs

  acquireLease(connectionId: string, owner: string, ttlSeconds: number): Promise<boolean> {
    return this.#async(() => {
      const now = this.#now();
      const expiresAt = isoUtc(new Date(now.getTime() + ttlSeconds * 1000));
      return this.#run(SQL.acquireLease, connectionId, owner, expiresAt, isoUtc(now)) === 1;
    });
  }

  renewLease(connectionId: string, owner: string, ttlSeconds: number): Promise<boolean> {
    return this.#async(() => {
      const expiresAt = isoUtc(new Date(this.#now().getTime() + ttlSeconds * 1000));
      return this.#run(SQL.renewLease, expiresAt, connectionId, owner) === 1;
    });
  }

  releaseLease(connectionId: string, owner: string): Promise<void> {
    return this.#async(() => {
      this.#run(SQL.releaseLease, connectionId, owner);
    });
  }

  saveRun(report: RunReport): Promise<void> {
    return this.#async(() => {
      this.#run(
        SQL.saveRun,
        report.runId,
        report.connection,
        report.crm,
        report.status,
        isoUtc(report.startedAt),
        report.finishedAt === null ? null : isoUtc(report.finishedAt),
        JSON.stringify(report),
        report.worker ?? null,
        encodeRunSpend(report),
      );
    });
  }

  getRun(runId: string): Promise<RunReport | null> {
    return this.#async(() => {
      const row = this.#all<RunRow>(SQL.getRun, runId)[0];
      return row === undefined ? null : decodeRun(row);
    });
  }

  listRuns(options: { connectionId?: string; status?: RunStatus; limit: number }): Promise<RunReport[]> {
    return this.#async(() =>
      this.#all<RunRow>(SQL.listRuns, options.connectionId ?? null, options.status ?? null, options.limit).map(
        decodeRun,
      ),
    );
  }

  monthlySpend(since: Date): Promise<MonthlySpend[]> {
    return this.#async(() =>
      sumMonthlySpend(this.#all<{ month: string; spend: string }>(SQL.runSpendSince, isoUtc(since))),
    );
  }

  // per-record errors

  recordErrors(
    connectionId: string,
    runId: string,
    errors: readonly (RecordError & { objectType?: string })[],
  ): Promise<void> {
    return this.#async(() => {
      if (errors.length === 0) return;
      const now = isoUtc(this.#now());
      this.#transaction(() => {
        for (const e of lastPerKey(errors, (x) => x.recordId)) {
          this.#run(
            SQL.recordError,
            connectionId,
            e.recordId,
            e.objectType ?? null,
            runId,
            e.stage,
            e.code,
            e.message,
            e.retryable ? 1 : 0,
            now,
            now,
          );
        }
      });
    });
  }

  pendingRetries(connectionId: string, limit: number): Promise<PendingRetry[]> {
    return this.#async(() =>
      this.#all<ErrorRow>(SQL.pendingRetries, connectionId, MAX_RECORD_ATTEMPTS, limit).map((row) =>
        decodePendingRetry(connectionId, row),
      ),
    );
  }

  clearErrors(connectionId: string, recordIds: readonly string[]): Promise<void> {
    return this.#async(() => {
      if (recordIds.length === 0) return;
      this.#run(SQL.sqlite.clearErrors, connectionId, JSON.stringify(recordIds));
    });
  }

  sql(): SqlAccess {
    return {
      dialect: 'sqlite',
      query: <T extends object>(sql: string, params: readonly SQLInputValue[] = []) =>
        this.#async(() => this.#all<T>(sql, ...params)),
      execute: (sql: string, params: readonly SQLInputValue[] = []) => this.#async(() => this.#run(sql, ...params)),
    };
  }

  close(): Promise<void> {
    return this.#async(() => {
      this.#statements.clear();
      if (this.#db.isOpen) this.#db.close();
    });
  }
}
