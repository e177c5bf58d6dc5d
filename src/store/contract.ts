// The Store contract: everything the product remembers. SQLite (embedded default) and PostgreSQL implement it
// and pass the same test suite. All methods are async so both fit.
import type { CrmName, InfluenceFields } from '../crm/contract.ts';
import type { Outcome } from '../crm/outcomes.ts';
import type { ProviderResult } from '../providers/contract.ts';
import type { Network, ScoreHistoryPoint, Tier } from '../scoring/types.ts';
import type { RecordError, RunReport, RunStatus } from './run-report.ts';

export type ConnectionStatus = 'ok' | 'needs_reauth' | 'disabled';

export interface Connection {
  id: string;
  crm: CrmName;
  name: string;
  status: ConnectionStatus;
  statusMessage: string | null;
  /** Decrypted on read; stored with AES-256-GCM under CRM_INFLUENCE_SECRET_KEY. */
  credentials: Record<string, unknown>;
  /** Per-connection settings (schedule, tiers, weights, overwrite policy, mapping), validated by their owner. */
  settings: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
}

/** What we last wrote to one CRM record and from which inputs. */
export interface ContactSyncState {
  recordId: string;
  objectType: string;
  lastWritten: InfluenceFields | null;
  writtenAt: string | null;
  /** Hash of the scoring inputs (identities + metrics + model version). */
  fingerprint: string | null;
  /** The contact's e-mail (stored lower-cased) for finding it in the admin server; cleared on opt-out. */
  email?: string | null;
  /** The contact's name as last synced, for the admin server's contacts list; cleared on opt-out. */
  name?: string | null;
  /**
   * The record's modification stamp in the CRM right after our last write (HubSpot's `updatedAt`), when the CRM
   * answers with it: a later read showing the same stamp is our own write coming back, not a change.
   */
  crmModifiedAt?: string | null;
  /**
   * The identities (`network:handle`) whose metrics the written fields were computed from, so data a network makes
   * us forget (X compliance) can be taken out of the CRM too. Undefined on a put keeps what is stored.
   */
  scoredWith?: readonly string[];
}

/** A contact whose written fields were computed from `handles` of one network (see Store.contactsScoredOn). */
export interface ContactScoredOn {
  connectionId: string;
  recordId: string;
  objectType: string;
  handles: string[];
}

export interface CachedProviderResult {
  result: ProviderResult;
  fetchedAt: string;
  expiresAt: string;
}

/** One network's estimated spend in one month (UTC), summed over every connection's runs. */
export interface MonthlySpend {
  /** `YYYY-MM`. */
  month: string;
  network: string;
  usd: number;
}

export interface PendingRetry {
  recordId: string;
  objectType: string | null;
  attempts: number;
  lastError: RecordError;
}

/** A contact's rise to tier A, remembered so its owner gets one task per rise (see TierRiseLog). */
export interface TierRise {
  recordId: string;
  objectType: string;
  /** When the tier we wrote became A. */
  roseAt: string;
  /** The task as it will be sent (plain text). */
  subject: string;
  body: string;
}

/**
 * Rises to tier A and their owner tasks (opt-in per connection). One row per record while it stays A: remembering a
 * rise again is a no-op, so neither a re-run nor a crash and resume makes a second task; leaving A ends the rise.
 * A rise taken for sending is never taken again (after a crash mid-call the task may be missing, never doubled).
 */
export interface TierRiseLog {
  /** Remembers rises; a record whose current rise is already remembered keeps it as it is. */
  remember(connectionId: string, rises: readonly TierRise[]): Promise<void>;
  /** These records are no longer tier A: their rise is over (a later one is a new rise). */
  end(connectionId: string, recordIds: readonly string[]): Promise<void>;
  /** Up to `limit` rises since `since` still waiting for their task, oldest first, now marked as being sent. */
  take(connectionId: string, limit: number, since: Date): Promise<TierRise[]>;
  /** What the CRM answered: `sent` (created, or refused for good, `note` says why) or `pending` (retried next run). */
  settle(
    connectionId: string,
    outcomes: readonly { recordId: string; state: 'sent' | 'pending'; note: string | null }[],
  ): Promise<void>;
  /** Rises since `since` still waiting for their task. */
  countWaiting(connectionId: string, since: Date): Promise<number>;
}

/** A contact with the tier and score we last wrote to it (the lift analytics group by these). */
export interface WrittenTier {
  recordId: string;
  tier: Tier | null;
  score: number | null;
  /** We cleared its fields: it opted out of profiling (not Unscored). */
  optedOut?: true;
}

/**
 * Deal outcomes read from the CRM (kept per deal, so a run reads only what changed), the checkpoint of that read,
 * and the lift reports computed from them, one per run. Reports are kept as the lift room's JSON: it validates them.
 */
export interface OutcomeLog {
  /** Upserts outcomes by deal id and moves the checkpoint, together. */
  save(connectionId: string, outcomes: readonly Outcome[], checkpoint: string): Promise<void>;
  /** Forgets every outcome and the checkpoint (before a full re-read). */
  clear(connectionId: string): Promise<void>;
  checkpoint(connectionId: string): Promise<string | null>;
  list(connectionId: string): Promise<Outcome[]>;
  /** Every contact of the connection we hold a written state for. */
  writtenTiers(connectionId: string): Promise<WrittenTier[]>;
  saveReport(connectionId: string, computedAt: string, report: unknown): Promise<void>;
  /** The newest report, or null. */
  latestReport(connectionId: string): Promise<{ computedAt: string; report: unknown } | null>;
}

export type SqlValue = string | number | null;

/**
 * Direct SQL over the store's database, for a room that keeps its own tables through its own migrations (the admin
 * server: users, sessions). Statements use numbered `?1…?N` parameters; the PostgreSQL store turns them into `$N`.
 */
export interface SqlAccess {
  readonly dialect: 'sqlite' | 'postgres';
  query<T extends object>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  /** Rows changed. */
  execute(sql: string, params?: readonly SqlValue[]): Promise<number>;
}

export interface Store {
  // connections
  saveConnection(connection: Omit<Connection, 'createdAt' | 'updatedAt'>): Promise<void>;
  getConnection(id: string): Promise<Connection | null>;
  listConnections(): Promise<Connection[]>;
  setConnectionStatus(id: string, status: ConnectionStatus, message: string | null): Promise<void>;
  deleteConnection(id: string): Promise<void>;
  /**
   * Gives a connection a new id, with its cursor, contacts, history, runs and errors (an id derived from a token
   * becoming the CRM's own portal / org id). False, and nothing changed, when `to` exists or `from` does not.
   */
  renameConnection(from: string, to: string): Promise<boolean>;

  // cursors (opaque strings from the connector), and the scoring key the contacts behind them were scored with
  getCursor(connectionId: string): Promise<string | null>;
  setCursor(connectionId: string, cursor: string | null): Promise<void>;
  getScoringKey(connectionId: string): Promise<string | null>;
  /** A new scoring key (model version and options): also forgets the cursor, so the next read starts over. */
  startScoringKey(connectionId: string, scoringKey: string): Promise<void>;

  // per-contact sync state
  getSyncStates(connectionId: string, recordIds: readonly string[]): Promise<Map<string, ContactSyncState>>;
  putSyncStates(connectionId: string, states: readonly ContactSyncState[]): Promise<void>;
  /**
   * How many contacts of the connection we last wrote each rounded score (index 0–100) to, counting only
   * Medium/High-confidence scores (the population an org percentile is taken over). Always 101 entries.
   */
  getScoreHistogram(connectionId: string): Promise<number[]>;
  /**
   * Records whose last recorded e-mail is this one (compared case-insensitively), in one connection or (undefined) in
   * all; at most 100. Optional so in-memory doubles need not offer it.
   */
  findRecordIdsByEmail?(
    connectionId: string | undefined,
    email: string,
  ): Promise<{ connectionId: string; recordId: string }[]>;

  // score history (24 months by default; pruned by the engine)
  appendHistory(connectionId: string, points: readonly (ScoreHistoryPoint & { recordId: string })[]): Promise<void>;
  /** Most recent first. */
  getHistory(connectionId: string, recordId: string, limit?: number): Promise<ScoreHistoryPoint[]>;
  getHistories(
    connectionId: string,
    recordIds: readonly string[],
    limit?: number,
  ): Promise<Map<string, ScoreHistoryPoint[]>>;
  /** Every contact, of every connection, whose written fields were computed from handles of this network. */
  contactsScoredOn(network: Network): Promise<ContactScoredOn[]>;
  /** Opt-out: forget everything about one contact except that it opted out. */
  purgeContact(connectionId: string, recordId: string): Promise<void>;
  /** Records gone from the CRM (deleted, merged away, erased for privacy): their state, history and errors go. */
  forgetContacts(connectionId: string, recordIds: readonly string[]): Promise<void>;
  pruneHistory(olderThan: Date): Promise<number>;

  // provider cache
  getCached(network: Network, handles: readonly string[], now: Date): Promise<Map<string, CachedProviderResult>>;
  /** Last good (`ok`) result even if expired, for carrying metrics forward during an outage. */
  getLastGood(network: Network, handles: readonly string[]): Promise<Map<string, CachedProviderResult>>;
  /**
   * The network's own account ids (NetworkMetrics.accountId) of every handle whose metrics we hold, fresh or last
   * good: what X's compliance jobs check.
   */
  cachedAccountIds(network: Network): Promise<Map<string, string[]>>;
  /** Everything held about these handles of the network (fresh, negative and last good answers) goes. */
  forgetCached(network: Network, handles: readonly string[]): Promise<void>;
  putCached(
    network: Network,
    entries: readonly { handle: string; result: ProviderResult }[],
    ttlSeconds: number,
    now: Date,
  ): Promise<void>;

  // runs and their lease (runs of one connection never overlap)
  /** True when this owner now holds the lease; false when another live run holds it. */
  acquireLease(connectionId: string, owner: string, ttlSeconds: number): Promise<boolean>;
  renewLease(connectionId: string, owner: string, ttlSeconds: number): Promise<boolean>;
  releaseLease(connectionId: string, owner: string): Promise<void>;
  saveRun(report: RunReport): Promise<void>;
  getRun(runId: string): Promise<RunReport | null>;
  /** Most recent first; `status` keeps only runs in that status (e.g. the `running` ones a crash left behind). */
  listRuns(options: { connectionId?: string; status?: RunStatus; limit: number }): Promise<RunReport[]>;
  /**
   * Estimated spend per paid network and month (UTC, `YYYY-MM`, of the runs' start), over every connection's runs
   * started at or after `since`: most recent month first. The networks bill the app, not one connection.
   */
  monthlySpend(since: Date): Promise<MonthlySpend[]>;

  // per-record errors, retried on later runs
  recordErrors(
    connectionId: string,
    runId: string,
    errors: readonly (RecordError & { objectType?: string })[],
  ): Promise<void>;
  pendingRetries(connectionId: string, limit: number): Promise<PendingRetry[]>;
  clearErrors(connectionId: string, recordIds: readonly string[]): Promise<void>;

  /** Rises to tier A and their owner tasks; optional so in-memory doubles need not offer it. */
  readonly tierRises?: TierRiseLog;

  /** Deal outcomes and lift reports; optional so in-memory doubles need not offer it. */
  readonly outcomes?: OutcomeLog;

  /** Direct SQL (see SqlAccess); optional so in-memory doubles need not offer it. */
  sql?(): SqlAccess;

  close(): Promise<void>;
}
