// The statements both stores run. Written with numbered `?N` parameters (SQLite's syntax); the PostgreSQL store
// turns them into `$N`. Set-valued look-ups differ (SQLite `json_each`, PostgreSQL `ANY(array)`), and PostgreSQL
// upserts whole batches through `unnest`; the ON CONFLICT rules are shared text, so both behave alike.

const SYNC_STATE_COLUMNS =
  'record_id, object_type, last_written, written_at, fingerprint, email, name, crm_modified_at, scored_with';
const CACHE_COLUMNS = 'handle, result, fetched_at, expires_at, last_good, last_good_fetched_at, last_good_expires_at';

const SYNC_STATE_UPSERT = `
  ON CONFLICT (connection_id, record_id) DO UPDATE SET object_type = excluded.object_type,
    last_written = excluded.last_written, written_at = excluded.written_at, fingerprint = excluded.fingerprint,
    percentile_score = excluded.percentile_score, email = excluded.email, name = excluded.name,
    list_score = excluded.list_score, confidence = excluded.confidence, trend = excluded.trend,
    scored_at = excluded.scored_at, reason_codes = excluded.reason_codes, networks = excluded.networks,
    scored_with = COALESCE(excluded.scored_with, contact_sync_state.scored_with),
    tier_since = CASE WHEN COALESCE(contact_sync_state.tier, '') = COALESCE(excluded.tier, '')
      AND contact_sync_state.tier_since <> '' THEN contact_sync_state.tier_since ELSE excluded.tier_since END,
    tier = excluded.tier, crm_modified_at = excluded.crm_modified_at`;
/** The contacts list's columns (codec.listColumns), after the state's own. */
const LIST_COLUMNS = 'name, list_score, tier, confidence, trend, scored_at, tier_since, reason_codes, networks';
/** Every column a put writes, in its parameters' order. */
const PUT_COLUMNS = `record_id, object_type, last_written, written_at, fingerprint, percentile_score, email, ${LIST_COLUMNS}, crm_modified_at, scored_with`;

const HISTORY_UPSERT =
  'ON CONFLICT (connection_id, record_id, at) DO UPDATE SET score = excluded.score, tier = excluded.tier';

const CACHE_INSERT_COLUMNS = `network, handle, status, result, fetched_at, expires_at,
  last_good, last_good_fetched_at, last_good_expires_at`;
/**
 * The last good result: an `ok` one replaces it; a transient failure (`unavailable`) keeps it, so metrics can be
 * carried forward through an outage; `not_found` / `suspended` / `protected` drop it (the old metrics no longer stand).
 */
const CACHE_UPSERT = `
  ON CONFLICT (network, handle) DO UPDATE SET status = excluded.status, result = excluded.result,
    fetched_at = excluded.fetched_at, expires_at = excluded.expires_at,
    last_good = CASE excluded.status WHEN 'ok' THEN excluded.result
      WHEN 'unavailable' THEN provider_cache.last_good END,
    last_good_fetched_at = CASE excluded.status WHEN 'ok' THEN excluded.fetched_at
      WHEN 'unavailable' THEN provider_cache.last_good_fetched_at END,
    last_good_expires_at = CASE excluded.status WHEN 'ok' THEN excluded.expires_at
      WHEN 'unavailable' THEN provider_cache.last_good_expires_at END`;

const ERROR_INSERT_COLUMNS = `connection_id, record_id, object_type, run_id, stage, code, message, retryable, attempts,
  first_failed_at, last_failed_at`;
/** Attempts count runs: a second error for the same record in the same run does not add one. */
const ERROR_UPSERT = `
  ON CONFLICT (connection_id, record_id) DO UPDATE SET
    object_type = COALESCE(excluded.object_type, record_errors.object_type),
    attempts = CASE WHEN record_errors.run_id = excluded.run_id THEN record_errors.attempts ELSE record_errors.attempts + 1 END,
    run_id = excluded.run_id, stage = excluded.stage, code = excluded.code, message = excluded.message,
    retryable = excluded.retryable, last_failed_at = excluded.last_failed_at`;

/** `?2` holding a set of ids, per dialect. */
function inSet(column: string, param: number, dialect: 'sqlite' | 'postgres'): string {
  return dialect === 'sqlite'
    ? `${column} IN (SELECT value FROM json_each(?${param}))`
    : `${column} = ANY(?${param}::text[])`;
}

function setQueries(dialect: 'sqlite' | 'postgres') {
  return {
    getSyncStates: `SELECT ${SYNC_STATE_COLUMNS} FROM contact_sync_state WHERE connection_id = ?1 AND ${inSet('record_id', 2, dialect)}`,
    getHistories: `
      SELECT record_id, at, score, tier FROM (
        SELECT record_id, at, score, tier, ROW_NUMBER() OVER (PARTITION BY record_id ORDER BY at DESC) AS position
        FROM score_history WHERE connection_id = ?1 AND ${inSet('record_id', 2, dialect)}
      ) AS ranked WHERE position <= ?3 ORDER BY record_id, at DESC`,
    getCached: `SELECT ${CACHE_COLUMNS} FROM provider_cache WHERE network = ?1 AND ${inSet('handle', 2, dialect)} AND expires_at > ?3`,
    getLastGood: `SELECT ${CACHE_COLUMNS} FROM provider_cache WHERE network = ?1 AND ${inSet('handle', 2, dialect)} AND last_good IS NOT NULL`,
    clearErrors: `DELETE FROM record_errors WHERE connection_id = ?1 AND ${inSet('record_id', 2, dialect)}`,
    /** Records gone from the CRM (deleted, merged away, erased for privacy): nothing about them is kept. */
    forgetContacts: [
      `DELETE FROM tier_rises WHERE connection_id = ?1 AND ${inSet('record_id', 2, dialect)}`,
      `DELETE FROM score_history WHERE connection_id = ?1 AND ${inSet('record_id', 2, dialect)}`,
      `DELETE FROM record_errors WHERE connection_id = ?1 AND ${inSet('record_id', 2, dialect)}`,
      `DELETE FROM contact_sync_state WHERE connection_id = ?1 AND ${inSet('record_id', 2, dialect)}`,
    ],
    forgetCached: `DELETE FROM provider_cache WHERE network = ?1 AND ${inSet('handle', 2, dialect)}`,
    endTierRises: `DELETE FROM tier_rises WHERE connection_id = ?1 AND ${inSet('record_id', 2, dialect)}`,
    markTierRisesSending: `UPDATE tier_rises SET state = 'sending' WHERE connection_id = ?1 AND ${inSet('record_id', 2, dialect)}`,
    writtenTiers:
      dialect === 'sqlite'
        ? `SELECT record_id, json_extract(last_written, '$.tier') AS tier, json_extract(last_written, '$.score') AS score,
             last_written IS NOT NULL AS written
           FROM contact_sync_state WHERE connection_id = ?1 ORDER BY record_id`
        : `SELECT record_id, CAST(last_written AS JSON)->>'tier' AS tier, CAST(last_written AS JSON)->>'score' AS score,
             CAST(last_written IS NOT NULL AS INTEGER) AS written
           FROM contact_sync_state WHERE connection_id = ?1 ORDER BY record_id`,
  };
}

export const SQL = {
  saveConnection: `
    INSERT INTO connections (id, crm, name, status, status_message, credentials, settings, created_at, updated_at)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
    ON CONFLICT (id) DO UPDATE SET crm = excluded.crm, name = excluded.name, status = excluded.status,
      status_message = excluded.status_message, credentials = excluded.credentials, settings = excluded.settings,
      updated_at = excluded.updated_at`,
  getConnection: 'SELECT * FROM connections WHERE id = ?1',
  listConnections: 'SELECT * FROM connections ORDER BY created_at, id',
  setConnectionStatus: 'UPDATE connections SET status = ?1, status_message = ?2, updated_at = ?3 WHERE id = ?4',
  deleteConnection: [
    'DELETE FROM connections WHERE id = ?1',
    'DELETE FROM cursors WHERE connection_id = ?1',
    'DELETE FROM contact_sync_state WHERE connection_id = ?1',
    'DELETE FROM score_history WHERE connection_id = ?1',
    'DELETE FROM runs WHERE connection_id = ?1',
    'DELETE FROM leases WHERE connection_id = ?1',
    'DELETE FROM record_errors WHERE connection_id = ?1',
    'DELETE FROM tier_rises WHERE connection_id = ?1',
    'DELETE FROM deal_outcomes WHERE connection_id = ?1',
    'DELETE FROM outcome_checkpoints WHERE connection_id = ?1',
    'DELETE FROM lift_reports WHERE connection_id = ?1',
  ],

  /** `?1` the old id, `?2` the new: every row keyed by the connection (the admin server's tables too). */
  renameConnection: [
    'UPDATE connections SET id = ?2 WHERE id = ?1',
    ...[
      'cursors',
      'contact_sync_state',
      'score_history',
      'runs',
      'leases',
      'record_errors',
      'tier_rises',
      'server_webhook_queue',
      'server_dashboard_summary',
      'server_score_counts',
      'server_daily_tiers',
    ].map((table) => `UPDATE ${table} SET connection_id = ?2 WHERE connection_id = ?1`),
  ],

  getCursor: 'SELECT cursor FROM cursors WHERE connection_id = ?1',
  getScoringKey: 'SELECT scoring_key FROM cursors WHERE connection_id = ?1',
  startScoringKey: `
    INSERT INTO cursors (connection_id, cursor, scoring_key, updated_at) VALUES (?1, NULL, ?2, ?3)
    ON CONFLICT (connection_id) DO UPDATE SET cursor = NULL, scoring_key = excluded.scoring_key, updated_at = excluded.updated_at`,
  setCursor: `
    INSERT INTO cursors (connection_id, cursor, updated_at) VALUES (?1, ?2, ?3)
    ON CONFLICT (connection_id) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at`,

  putSyncState: `
    INSERT INTO contact_sync_state (connection_id, ${PUT_COLUMNS})
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19) ${SYNC_STATE_UPSERT}`,
  /** `?1` a LIKE pattern matching the network's keys in `scored_with` (rows scored from that network). */
  contactsScoredOn: `
    SELECT connection_id, record_id, object_type, scored_with FROM contact_sync_state
    WHERE scored_with LIKE ?1 ORDER BY connection_id, record_id`,
  /** `?1` the lower-cased e-mail; `?2` a connection id, or NULL for every connection. */
  findRecordIdsByEmail: `
    SELECT connection_id, record_id FROM contact_sync_state
    WHERE email = ?1 AND (CAST(?2 AS TEXT) IS NULL OR connection_id = CAST(?2 AS TEXT)) ORDER BY connection_id, record_id LIMIT 100`,
  scoreHistogram: `
    SELECT percentile_score AS bucket, COUNT(*) AS n FROM contact_sync_state
    WHERE connection_id = ?1 AND percentile_score IS NOT NULL GROUP BY percentile_score`,

  appendHistory: `
    INSERT INTO score_history (connection_id, record_id, at, score, tier) VALUES (?1, ?2, ?3, ?4, ?5) ${HISTORY_UPSERT}`,
  /** Opt-out: history and errors go; the sync state stays (it is what we wrote to the CRM) minus its input hash. */
  purgeContact: [
    'DELETE FROM tier_rises WHERE connection_id = ?1 AND record_id = ?2',
    'DELETE FROM score_history WHERE connection_id = ?1 AND record_id = ?2',
    'DELETE FROM record_errors WHERE connection_id = ?1 AND record_id = ?2',
    "UPDATE contact_sync_state SET fingerprint = NULL, email = NULL, name = NULL, scored_with = '[]' WHERE connection_id = ?1 AND record_id = ?2",
  ],
  pruneHistory: 'DELETE FROM score_history WHERE at < ?1',

  /** A record already remembered keeps its rise (whatever its state): one task per rise. */
  rememberTierRise: `
    INSERT INTO tier_rises (connection_id, record_id, object_type, rose_at, subject, body, state)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending') ON CONFLICT (connection_id, record_id) DO NOTHING`,
  waitingTierRises: `
    SELECT record_id, object_type, rose_at, subject, body FROM tier_rises
    WHERE connection_id = ?1 AND state = 'pending' AND rose_at >= ?2 ORDER BY rose_at, record_id LIMIT ?3`,
  countWaitingTierRises:
    "SELECT COUNT(*) AS n FROM tier_rises WHERE connection_id = ?1 AND state = 'pending' AND rose_at >= ?2",
  settleTierRise:
    'UPDATE tier_rises SET state = ?3, note = ?4, settled_at = ?5 WHERE connection_id = ?1 AND record_id = ?2',

  /** Every handle of the network whose metrics we hold (fresh or last good), with what we hold. */
  cachedMetrics: `SELECT ${CACHE_COLUMNS} FROM provider_cache WHERE network = ?1 AND (status = 'ok' OR last_good IS NOT NULL)`,
  putOutcome: `
    INSERT INTO deal_outcomes (connection_id, deal_id, outcome) VALUES (?1, ?2, ?3)
    ON CONFLICT (connection_id, deal_id) DO UPDATE SET outcome = excluded.outcome`,
  setOutcomeCheckpoint: `
    INSERT INTO outcome_checkpoints (connection_id, checkpoint, updated_at) VALUES (?1, ?2, ?3)
    ON CONFLICT (connection_id) DO UPDATE SET checkpoint = excluded.checkpoint, updated_at = excluded.updated_at`,
  getOutcomeCheckpoint: 'SELECT checkpoint FROM outcome_checkpoints WHERE connection_id = ?1',
  clearOutcomes: [
    'DELETE FROM deal_outcomes WHERE connection_id = ?1',
    'DELETE FROM outcome_checkpoints WHERE connection_id = ?1',
  ],
  listOutcomes: 'SELECT deal_id, outcome FROM deal_outcomes WHERE connection_id = ?1 ORDER BY deal_id',
  saveLiftReport: `
    INSERT INTO lift_reports (connection_id, computed_at, report) VALUES (?1, ?2, ?3)
    ON CONFLICT (connection_id, computed_at) DO UPDATE SET report = excluded.report`,
  latestLiftReport:
    'SELECT computed_at, report FROM lift_reports WHERE connection_id = ?1 ORDER BY computed_at DESC LIMIT 1',

  putCached: `
    INSERT INTO provider_cache (${CACHE_INSERT_COLUMNS})
    VALUES (?1, ?2, ?3, ?4, ?5, ?6,
      CASE WHEN ?3 = 'ok' THEN ?4 END, CASE WHEN ?3 = 'ok' THEN ?5 END, CASE WHEN ?3 = 'ok' THEN ?6 END)
    ${CACHE_UPSERT}`,

  /** One statement, so two processes cannot both win: insert, or take over when expired (or already ours). */
  acquireLease: `
    INSERT INTO leases (connection_id, owner, expires_at) VALUES (?1, ?2, ?3)
    ON CONFLICT (connection_id) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
    WHERE leases.expires_at <= ?4 OR leases.owner = excluded.owner`,
  renewLease: 'UPDATE leases SET expires_at = ?1 WHERE connection_id = ?2 AND owner = ?3',
  releaseLease: 'DELETE FROM leases WHERE connection_id = ?1 AND owner = ?2',

  saveRun: `
    INSERT INTO runs (run_id, connection_id, crm, status, started_at, finished_at, report, worker, spend) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
    ON CONFLICT (run_id) DO UPDATE SET connection_id = excluded.connection_id, crm = excluded.crm,
      status = excluded.status, started_at = excluded.started_at, finished_at = excluded.finished_at, report = excluded.report,
      worker = excluded.worker, spend = excluded.spend`,
  /** Runs' spend by the month (UTC) they started in: summed per network by the store. */
  runSpendSince: `
    SELECT substr(started_at, 1, 7) AS month, spend FROM runs WHERE started_at >= ?1 AND spend IS NOT NULL`,
  getRun: 'SELECT run_id, connection_id, report, worker FROM runs WHERE run_id = ?1',
  /** Filters given as null match every run. */
  listRuns: `
    SELECT run_id, connection_id, report, worker FROM runs WHERE (CAST(?1 AS TEXT) IS NULL OR connection_id = ?1) AND (CAST(?2 AS TEXT) IS NULL OR status = ?2)
    ORDER BY started_at DESC, run_id DESC LIMIT ?3`,

  recordError: `
    INSERT INTO record_errors (${ERROR_INSERT_COLUMNS})
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 1, ?9, ?10) ${ERROR_UPSERT}`,
  pendingRetries: `
    SELECT record_id, object_type, stage, code, message, retryable, attempts FROM record_errors
    WHERE connection_id = ?1 AND retryable = 1 AND attempts < ?2
    ORDER BY last_failed_at, record_id LIMIT ?3`,

  sqlite: setQueries('sqlite'),
  postgres: setQueries('postgres'),

  /** PostgreSQL batch upserts: one statement per batch, rows as parallel arrays through unnest. */
  postgresBatch: {
    putOutcomes: `
      INSERT INTO deal_outcomes (connection_id, deal_id, outcome)
      SELECT ?1::text, * FROM unnest(?2::text[], ?3::text[])
      ON CONFLICT (connection_id, deal_id) DO UPDATE SET outcome = excluded.outcome`,
    putSyncStates: `
      INSERT INTO contact_sync_state (connection_id, ${PUT_COLUMNS})
      SELECT ?1::text, * FROM unnest(?2::text[], ?3::text[], ?4::text[], ?5::text[], ?6::text[], ?7::integer[], ?8::text[],
        ?9::text[], ?10::integer[], ?11::text[], ?12::text[], ?13::text[], ?14::text[], ?15::text[], ?16::text[], ?17::text[],
        ?18::text[], ?19::text[]) ${SYNC_STATE_UPSERT}`,
    appendHistory: `
      INSERT INTO score_history (connection_id, record_id, at, score, tier)
      SELECT ?1::text, * FROM unnest(?2::text[], ?3::text[], ?4::double precision[], ?5::text[]) ${HISTORY_UPSERT}`,
    putCached: `
      INSERT INTO provider_cache (${CACHE_INSERT_COLUMNS})
      SELECT ?1::text, handle, status, result, fetched_at, expires_at, CASE WHEN status = 'ok' THEN result END,
        CASE WHEN status = 'ok' THEN fetched_at END, CASE WHEN status = 'ok' THEN expires_at END
      FROM unnest(?2::text[], ?3::text[], ?4::text[], ?5::text[], ?6::text[]) AS t(handle, status, result, fetched_at, expires_at)
      ${CACHE_UPSERT}`,
    recordErrors: `
      INSERT INTO record_errors (${ERROR_INSERT_COLUMNS})
      SELECT ?1::text, record_id, object_type, ?2::text, stage, code, message, retryable, 1, ?3::text, ?3::text
      FROM unnest(?4::text[], ?5::text[], ?6::text[], ?7::text[], ?8::text[], ?9::integer[])
        AS t(record_id, object_type, stage, code, message, retryable)
      ${ERROR_UPSERT}`,
  },
} as const;

/** The last item per key, in first-seen order (one upsert may not touch a row twice). */
export function lastPerKey<T>(items: readonly T[], key: (item: T) => string): T[] {
  const byKey = new Map<string, T>();
  for (const item of items) byKey.set(key(item), item);
  return [...byKey.values()];
}

/** `?N` → `$N` for PostgreSQL. */
export function toPostgres(sql: string): string {
  return sql.replace(/\?(\d+)/g, (_match, n: string) => `$${n}`);
}
