// Versioned schema migrations, shared by the SQLite and PostgreSQL stores.
//
// Adding a migration (e.g. admin users and sessions for the server):
//   1. Append an entry to MIGRATIONS with the next `version` (never edit or reorder an applied one).
//   2. Write `sql` in the common subset both databases accept: TEXT, INTEGER, BIGINT, DOUBLE PRECISION, primary keys,
//      `CREATE INDEX`, `CREATE TABLE IF NOT EXISTS`. Timestamps are ISO-8601 UTC TEXT (`Date#toISOString()`, which
//      sorts and compares correctly as text); JSON is TEXT; booleans are INTEGER 0/1. No foreign keys: deleting a
//      connection deletes its rows explicitly.
//   3. When the dialects must differ (auto-increment ids, partial indexes…), give `{ sqlite, postgres }` instead.
// Each migration runs in its own transaction with its row in `schema_migrations`; opening a store applies the missing
// ones in order, so re-opening is idempotent.

export interface Migration {
  version: number;
  name: string;
  sql: string | { sqlite: string; postgres: string };
}

export type Dialect = 'sqlite' | 'postgres';

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
      CREATE TABLE connections (
        id TEXT PRIMARY KEY,
        crm TEXT NOT NULL,
        name TEXT NOT NULL,
        status TEXT NOT NULL,
        status_message TEXT,
        credentials TEXT,            -- AES-256-GCM ciphertext (see crypto.ts); NULL when there are none
        settings TEXT NOT NULL,      -- JSON
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );

      CREATE TABLE cursors (
        connection_id TEXT PRIMARY KEY,
        cursor TEXT,
        updated_at TEXT NOT NULL
      );

      CREATE TABLE contact_sync_state (
        connection_id TEXT NOT NULL,
        record_id TEXT NOT NULL,
        object_type TEXT NOT NULL,
        last_written TEXT,           -- JSON InfluenceFields
        written_at TEXT,
        fingerprint TEXT,
        PRIMARY KEY (connection_id, record_id)
      );

      CREATE TABLE score_history (
        connection_id TEXT NOT NULL,
        record_id TEXT NOT NULL,
        at TEXT NOT NULL,
        score DOUBLE PRECISION,
        tier TEXT NOT NULL,
        PRIMARY KEY (connection_id, record_id, at)
      );
      CREATE INDEX score_history_at ON score_history (at);

      CREATE TABLE provider_cache (
        network TEXT NOT NULL,
        handle TEXT NOT NULL,
        status TEXT NOT NULL,
        result TEXT NOT NULL,        -- JSON ProviderResult
        fetched_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        -- The last 'ok' result, kept after expiry and after later failures so metrics can be carried forward.
        last_good TEXT,
        last_good_fetched_at TEXT,
        last_good_expires_at TEXT,
        PRIMARY KEY (network, handle)
      );

      CREATE TABLE runs (
        run_id TEXT PRIMARY KEY,
        connection_id TEXT NOT NULL,
        crm TEXT NOT NULL,
        status TEXT NOT NULL,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        report TEXT NOT NULL         -- JSON RunReport
      );
      CREATE INDEX runs_connection_started ON runs (connection_id, started_at);
      CREATE INDEX runs_started ON runs (started_at);

      CREATE TABLE leases (
        connection_id TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        expires_at TEXT NOT NULL
      );

      CREATE TABLE record_errors (
        connection_id TEXT NOT NULL,
        record_id TEXT NOT NULL,
        object_type TEXT,
        run_id TEXT NOT NULL,        -- the last run that failed on it
        stage TEXT NOT NULL,
        code TEXT NOT NULL,
        message TEXT NOT NULL,
        retryable INTEGER NOT NULL,
        attempts INTEGER NOT NULL,   -- runs that failed on it
        first_failed_at TEXT NOT NULL,
        last_failed_at TEXT NOT NULL,
        PRIMARY KEY (connection_id, record_id)
      );
      CREATE INDEX record_errors_retry ON record_errors (connection_id, retryable, last_failed_at);
    `,
  },
  {
    version: 2,
    name: 'admin server: users, sessions, secrets, webhook queue, dashboard summary',
    sql: `
      CREATE TABLE server_admins (
        username TEXT PRIMARY KEY,
        password_hash TEXT NOT NULL, -- scrypt$N$r$p$salt$hash (src/server/passwords.ts)
        created_at TEXT NOT NULL,
        last_login_at TEXT
      );

      CREATE TABLE server_sessions (
        sid_hash TEXT PRIMARY KEY,   -- SHA-256 of the session id, so a copy of the database holds no live session
        data TEXT NOT NULL,          -- JSON express-session data
        expires_at TEXT NOT NULL
      );
      CREATE INDEX server_sessions_expires ON server_sessions (expires_at);

      CREATE TABLE server_secrets (
        name TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        created_at TEXT NOT NULL
      );

      CREATE TABLE server_webhook_queue (
        connection_id TEXT NOT NULL,
        record_id TEXT NOT NULL,
        queued_at TEXT NOT NULL,
        PRIMARY KEY (connection_id, record_id)
      );

      -- Score histogram and tier counts per connection, recomputed once per finished run (not per page view).
      CREATE TABLE server_dashboard_summary (
        connection_id TEXT PRIMARY KEY,
        source_run TEXT NOT NULL,
        computed_at TEXT NOT NULL,
        summary TEXT NOT NULL        -- JSON
      );
    `,
  },
  {
    version: 3,
    name: 'admin server: score and daily tier counts kept by triggers (dashboard without scanning every contact)',
    sql: {
      // A damaged last_written counts as "no score, Unscored" rather than failing the engine's write.
      sqlite: `
        CREATE TABLE server_score_counts (
          connection_id TEXT NOT NULL,
          score INTEGER NOT NULL,      -- rounded written score; -1 = none
          tier TEXT NOT NULL,
          n INTEGER NOT NULL,
          PRIMARY KEY (connection_id, score, tier)
        );
        INSERT INTO server_score_counts (connection_id, score, tier, n)
          SELECT connection_id, (CASE WHEN json_valid(s.last_written) AND json_type(s.last_written, '$.score') IN ('integer', 'real') THEN CAST(ROUND(json_extract(s.last_written, '$.score')) AS INTEGER) ELSE -1 END), (CASE WHEN json_valid(s.last_written) AND json_type(s.last_written, '$.tier') = 'text' THEN json_extract(s.last_written, '$.tier') ELSE 'Unscored' END), COUNT(*)
          FROM contact_sync_state AS s WHERE s.last_written IS NOT NULL GROUP BY 1, 2, 3;
        CREATE TRIGGER server_score_counts_insert AFTER INSERT ON contact_sync_state WHEN NEW.last_written IS NOT NULL BEGIN
          INSERT INTO server_score_counts (connection_id, score, tier, n) VALUES (NEW.connection_id, (CASE WHEN json_valid(NEW.last_written) AND json_type(NEW.last_written, '$.score') IN ('integer', 'real') THEN CAST(ROUND(json_extract(NEW.last_written, '$.score')) AS INTEGER) ELSE -1 END), (CASE WHEN json_valid(NEW.last_written) AND json_type(NEW.last_written, '$.tier') = 'text' THEN json_extract(NEW.last_written, '$.tier') ELSE 'Unscored' END), 1)
            ON CONFLICT (connection_id, score, tier) DO UPDATE SET n = n + 1;
        END;
        CREATE TRIGGER server_score_counts_update AFTER UPDATE OF last_written ON contact_sync_state BEGIN
          UPDATE server_score_counts SET n = n - 1
            WHERE OLD.last_written IS NOT NULL AND connection_id = OLD.connection_id AND score = (CASE WHEN json_valid(OLD.last_written) AND json_type(OLD.last_written, '$.score') IN ('integer', 'real') THEN CAST(ROUND(json_extract(OLD.last_written, '$.score')) AS INTEGER) ELSE -1 END) AND tier = (CASE WHEN json_valid(OLD.last_written) AND json_type(OLD.last_written, '$.tier') = 'text' THEN json_extract(OLD.last_written, '$.tier') ELSE 'Unscored' END);
          INSERT INTO server_score_counts (connection_id, score, tier, n)
            SELECT NEW.connection_id, (CASE WHEN json_valid(NEW.last_written) AND json_type(NEW.last_written, '$.score') IN ('integer', 'real') THEN CAST(ROUND(json_extract(NEW.last_written, '$.score')) AS INTEGER) ELSE -1 END), (CASE WHEN json_valid(NEW.last_written) AND json_type(NEW.last_written, '$.tier') = 'text' THEN json_extract(NEW.last_written, '$.tier') ELSE 'Unscored' END), 1 WHERE NEW.last_written IS NOT NULL
            ON CONFLICT (connection_id, score, tier) DO UPDATE SET n = n + 1;
        END;
        CREATE TRIGGER server_score_counts_delete AFTER DELETE ON contact_sync_state WHEN OLD.last_written IS NOT NULL BEGIN
          UPDATE server_score_counts SET n = n - 1 WHERE connection_id = OLD.connection_id AND score = (CASE WHEN json_valid(OLD.last_written) AND json_type(OLD.last_written, '$.score') IN ('integer', 'real') THEN CAST(ROUND(json_extract(OLD.last_written, '$.score')) AS INTEGER) ELSE -1 END) AND tier = (CASE WHEN json_valid(OLD.last_written) AND json_type(OLD.last_written, '$.tier') = 'text' THEN json_extract(OLD.last_written, '$.tier') ELSE 'Unscored' END);
        END;

        CREATE TABLE server_daily_tiers (
          connection_id TEXT NOT NULL,
          day TEXT NOT NULL,           -- YYYY-MM-DD of score_history.at
          tier TEXT NOT NULL,
          n INTEGER NOT NULL,
          PRIMARY KEY (connection_id, day, tier)
        );
        INSERT INTO server_daily_tiers (connection_id, day, tier, n)
          SELECT connection_id, SUBSTR(at, 1, 10), tier, COUNT(*) FROM score_history GROUP BY 1, 2, 3;
        CREATE TRIGGER server_daily_tiers_insert AFTER INSERT ON score_history BEGIN
          INSERT INTO server_daily_tiers (connection_id, day, tier, n) VALUES (NEW.connection_id, SUBSTR(NEW.at, 1, 10), NEW.tier, 1)
            ON CONFLICT (connection_id, day, tier) DO UPDATE SET n = n + 1;
        END;
        CREATE TRIGGER server_daily_tiers_update AFTER UPDATE OF tier ON score_history BEGIN
          UPDATE server_daily_tiers SET n = n - 1 WHERE connection_id = OLD.connection_id AND day = SUBSTR(OLD.at, 1, 10) AND tier = OLD.tier;
          INSERT INTO server_daily_tiers (connection_id, day, tier, n) VALUES (NEW.connection_id, SUBSTR(NEW.at, 1, 10), NEW.tier, 1)
            ON CONFLICT (connection_id, day, tier) DO UPDATE SET n = n + 1;
        END;
        CREATE TRIGGER server_daily_tiers_delete AFTER DELETE ON score_history BEGIN
          UPDATE server_daily_tiers SET n = n - 1 WHERE connection_id = OLD.connection_id AND day = SUBSTR(OLD.at, 1, 10) AND tier = OLD.tier;
        END;
      `,
      postgres: `
        CREATE TABLE server_score_counts (
          connection_id TEXT NOT NULL,
          score INTEGER NOT NULL,
          tier TEXT NOT NULL,
          n INTEGER NOT NULL,
          PRIMARY KEY (connection_id, score, tier)
        );
        CREATE OR REPLACE FUNCTION server_written_key(written TEXT, OUT score INTEGER, OUT tier TEXT) LANGUAGE plpgsql IMMUTABLE AS $$
        DECLARE doc JSON;
        BEGIN
          score := -1;
          tier := 'Unscored';
          IF written IS NULL OR LEFT(LTRIM(written), 1) <> '{' THEN RETURN; END IF;
          BEGIN
            doc := CAST(written AS JSON);
            IF json_typeof(doc->'score') = 'number' THEN score := CAST(ROUND(CAST(doc->>'score' AS NUMERIC)) AS INTEGER); END IF;
            IF json_typeof(doc->'tier') = 'string' THEN tier := doc->>'tier'; END IF;
          EXCEPTION WHEN others THEN
            score := -1;
            tier := 'Unscored';
          END;
        END $$;
        INSERT INTO server_score_counts (connection_id, score, tier, n)
          SELECT s.connection_id, k.score, k.tier, COUNT(*)
          FROM contact_sync_state AS s, LATERAL server_written_key(s.last_written) AS k WHERE s.last_written IS NOT NULL GROUP BY 1, 2, 3;
        CREATE OR REPLACE FUNCTION server_score_counts_track() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE k RECORD;
        BEGIN
          IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.last_written IS NOT NULL THEN
            SELECT * INTO k FROM server_written_key(OLD.last_written);
            UPDATE server_score_counts SET n = n - 1 WHERE connection_id = OLD.connection_id AND score = k.score AND tier = k.tier;
          END IF;
          IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.last_written IS NOT NULL THEN
            SELECT * INTO k FROM server_written_key(NEW.last_written);
            INSERT INTO server_score_counts (connection_id, score, tier, n) VALUES (NEW.connection_id, k.score, k.tier, 1)
              ON CONFLICT (connection_id, score, tier) DO UPDATE SET n = server_score_counts.n + 1;
          END IF;
          RETURN NULL;
        END $$;
        CREATE TRIGGER server_score_counts_track AFTER INSERT OR UPDATE OF last_written OR DELETE ON contact_sync_state
          FOR EACH ROW EXECUTE FUNCTION server_score_counts_track();

        CREATE TABLE server_daily_tiers (
          connection_id TEXT NOT NULL,
          day TEXT NOT NULL,
          tier TEXT NOT NULL,
          n INTEGER NOT NULL,
          PRIMARY KEY (connection_id, day, tier)
        );
        INSERT INTO server_daily_tiers (connection_id, day, tier, n)
          SELECT connection_id, SUBSTR(at, 1, 10), tier, COUNT(*) FROM score_history GROUP BY 1, 2, 3;
        CREATE OR REPLACE FUNCTION server_daily_tiers_track() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF TG_OP IN ('UPDATE', 'DELETE') THEN
            UPDATE server_daily_tiers SET n = n - 1 WHERE connection_id = OLD.connection_id AND day = SUBSTR(OLD.at, 1, 10) AND tier = OLD.tier;
          END IF;
          IF TG_OP IN ('INSERT', 'UPDATE') THEN
            INSERT INTO server_daily_tiers (connection_id, day, tier, n) VALUES (NEW.connection_id, SUBSTR(NEW.at, 1, 10), NEW.tier, 1)
              ON CONFLICT (connection_id, day, tier) DO UPDATE SET n = server_daily_tiers.n + 1;
          END IF;
          RETURN NULL;
        END $$;
        CREATE TRIGGER server_daily_tiers_track AFTER INSERT OR UPDATE OF tier OR DELETE ON score_history
          FOR EACH ROW EXECUTE FUNCTION server_daily_tiers_track();
      `,
    },
  },
  {
    version: 4,
    name: 'sync: score of each Medium/High-confidence contact in its own column, for the org percentile histogram',
    sql: {
      // Written by the store from last_written on every put (NULL: no score, or Low/no confidence); the histogram is
      // then an index-only GROUP BY, not a JSON scan.
      sqlite: `
        ALTER TABLE contact_sync_state ADD COLUMN percentile_score INTEGER;
        UPDATE contact_sync_state SET percentile_score = MIN(100, MAX(0, CAST(ROUND(json_extract(last_written, '$.score')) AS INTEGER)))
          WHERE json_valid(last_written) AND json_type(last_written, '$.score') IN ('integer', 'real')
            AND json_extract(last_written, '$.confidence') IN ('medium', 'high');
        CREATE INDEX contact_sync_state_percentile ON contact_sync_state (connection_id, percentile_score);
      `,
      postgres: `
        ALTER TABLE contact_sync_state ADD COLUMN percentile_score INTEGER;
        CREATE OR REPLACE FUNCTION sync_percentile_score(written TEXT) RETURNS INTEGER LANGUAGE plpgsql IMMUTABLE AS $$
        DECLARE doc JSON;
        BEGIN
          IF written IS NULL OR LEFT(LTRIM(written), 1) <> '{' THEN RETURN NULL; END IF;
          doc := CAST(written AS JSON);
          IF json_typeof(doc->'score') <> 'number' OR COALESCE(doc->>'confidence', '') NOT IN ('medium', 'high') THEN RETURN NULL; END IF;
          RETURN LEAST(100, GREATEST(0, CAST(ROUND(CAST(doc->>'score' AS NUMERIC)) AS INTEGER)));
        EXCEPTION WHEN others THEN
          RETURN NULL;
        END $$;
        UPDATE contact_sync_state SET percentile_score = sync_percentile_score(last_written) WHERE last_written IS NOT NULL;
        DROP FUNCTION sync_percentile_score(TEXT);
        CREATE INDEX contact_sync_state_percentile ON contact_sync_state (connection_id, percentile_score);
      `,
    },
  },
  {
    version: 5,
    name: 'sync: lower-cased e-mail of each contact, for finding it by e-mail in the admin server (cleared on opt-out)',
    sql: `
      ALTER TABLE contact_sync_state ADD COLUMN email TEXT;
      CREATE INDEX contact_sync_state_email ON contact_sync_state (email, connection_id);
    `,
  },
  {
    version: 6,
    name: "sync: the scoring key (model version and options) each connection's contacts were scored with",
    sql: 'ALTER TABLE cursors ADD COLUMN scoring_key TEXT;',
  },
  {
    version: 7,
    name: "sync: contacts' rises to tier A and the owner task each gets (tier-change tasks)",
    sql: `
      CREATE TABLE tier_rises (
        connection_id TEXT NOT NULL,
        record_id TEXT NOT NULL,
        object_type TEXT NOT NULL,
        rose_at TEXT NOT NULL,
        subject TEXT NOT NULL,
        body TEXT NOT NULL,
        state TEXT NOT NULL,         -- pending | sending | sent
        note TEXT,                   -- why a task was not created (no owner, refused…)
        settled_at TEXT,
        PRIMARY KEY (connection_id, record_id)
      );
      CREATE INDEX tier_rises_waiting ON tier_rises (connection_id, state, rose_at);
    `,
  },
  {
    version: 8,
    name: 'lift: deal outcomes read from the CRM, the checkpoint of that read, and the lift report of each run',
    sql: `
      CREATE TABLE deal_outcomes (
        connection_id TEXT NOT NULL,
        deal_id TEXT NOT NULL,
        outcome TEXT NOT NULL,       -- JSON Outcome (src/crm/outcomes.ts)
        PRIMARY KEY (connection_id, deal_id)
      );
      CREATE TABLE outcome_checkpoints (
        connection_id TEXT PRIMARY KEY,
        checkpoint TEXT,
        updated_at TEXT NOT NULL
      );
      CREATE TABLE lift_reports (
        connection_id TEXT NOT NULL,
        computed_at TEXT NOT NULL,
        report TEXT NOT NULL,        -- JSON LiftReport (src/lift/report.ts)
        PRIMARY KEY (connection_id, computed_at)
      );
    `,
  },
  {
    version: 9,
    name: 'providers: counts imported from CSV (LinkedIn and other networks without an open API)',
    sql: `
      CREATE TABLE imported_counts (
        network TEXT NOT NULL,
        handle TEXT NOT NULL,        -- normalised as identity resolution makes it
        followers BIGINT NOT NULL,
        following BIGINT NOT NULL,
        posts BIGINT NOT NULL,
        as_of TEXT NOT NULL,         -- when the numbers were read (the file's as_of)
        source TEXT NOT NULL,        -- self_reported | export | manual
        imported_at TEXT NOT NULL,
        PRIMARY KEY (network, handle)
      );
    `,
  },
  {
    version: 10,
    name: "admin server: each contact's name, score, tier and the rest as columns, for the contacts list (filters, sorts, keyset pages)",
    // Written by the store from each put (codec.listColumns); existing rows filled from last_written once here. The
    // sort columns are never NULL (-1 = no score, '' = no date) so keyset pages compare plainly.
    sql: {
      sqlite: `
        ALTER TABLE contact_sync_state ADD COLUMN name TEXT;
        ALTER TABLE contact_sync_state ADD COLUMN list_score INTEGER NOT NULL DEFAULT -1;
        ALTER TABLE contact_sync_state ADD COLUMN tier TEXT;
        ALTER TABLE contact_sync_state ADD COLUMN confidence TEXT;
        ALTER TABLE contact_sync_state ADD COLUMN trend TEXT;
        ALTER TABLE contact_sync_state ADD COLUMN scored_at TEXT NOT NULL DEFAULT '';
        ALTER TABLE contact_sync_state ADD COLUMN tier_since TEXT NOT NULL DEFAULT '';
        ALTER TABLE contact_sync_state ADD COLUMN reason_codes TEXT;
        ALTER TABLE contact_sync_state ADD COLUMN networks TEXT;
        UPDATE contact_sync_state SET
          list_score = (CASE WHEN json_type(last_written, '$.score') IN ('integer', 'real') THEN CAST(ROUND(json_extract(last_written, '$.score')) AS INTEGER) ELSE -1 END),
          tier = json_extract(last_written, '$.tier'),
          confidence = json_extract(last_written, '$.confidence'),
          trend = json_extract(last_written, '$.trend'),
          scored_at = COALESCE(json_extract(last_written, '$.scoredAt'), ''),
          tier_since = COALESCE(written_at, ''),
          reason_codes = (SELECT ';' || group_concat(value, ';') || ';' FROM json_each(last_written, '$.reasonCodes')),
          networks = ',' || (CASE WHEN instr(json_extract(last_written, '$.topFactors'), ' X:') > 0 OR instr(json_extract(last_written, '$.topFactors'), 'X, scored separately') > 0 THEN 'x,' ELSE '' END) || (CASE WHEN instr(json_extract(last_written, '$.topFactors'), ' GitHub:') > 0 OR instr(json_extract(last_written, '$.topFactors'), 'GitHub, scored separately') > 0 THEN 'github,' ELSE '' END) || (CASE WHEN instr(json_extract(last_written, '$.topFactors'), ' Mastodon:') > 0 OR instr(json_extract(last_written, '$.topFactors'), 'Mastodon, scored separately') > 0 THEN 'mastodon,' ELSE '' END) || (CASE WHEN instr(json_extract(last_written, '$.topFactors'), ' Bluesky:') > 0 OR instr(json_extract(last_written, '$.topFactors'), 'Bluesky, scored separately') > 0 THEN 'bluesky,' ELSE '' END) || (CASE WHEN instr(json_extract(last_written, '$.topFactors'), ' YouTube:') > 0 OR instr(json_extract(last_written, '$.topFactors'), 'YouTube, scored separately') > 0 THEN 'youtube,' ELSE '' END) || (CASE WHEN instr(json_extract(last_written, '$.topFactors'), ' LinkedIn:') > 0 OR instr(json_extract(last_written, '$.topFactors'), 'LinkedIn, scored separately') > 0 THEN 'linkedin,' ELSE '' END)
          WHERE json_valid(last_written);
        CREATE INDEX contact_list_score ON contact_sync_state (connection_id, list_score, record_id);
        CREATE INDEX contact_list_scored_at ON contact_sync_state (connection_id, scored_at, record_id);
        CREATE INDEX contact_list_tier_score ON contact_sync_state (connection_id, tier, list_score, record_id);
        CREATE INDEX contact_list_tier_since ON contact_sync_state (connection_id, tier, tier_since, record_id);
      `,
      postgres: `
        ALTER TABLE contact_sync_state ADD COLUMN name TEXT;
        ALTER TABLE contact_sync_state ADD COLUMN list_score INTEGER NOT NULL DEFAULT -1;
        ALTER TABLE contact_sync_state ADD COLUMN tier TEXT;
        ALTER TABLE contact_sync_state ADD COLUMN confidence TEXT;
        ALTER TABLE contact_sync_state ADD COLUMN trend TEXT;
        ALTER TABLE contact_sync_state ADD COLUMN scored_at TEXT NOT NULL DEFAULT '';
        ALTER TABLE contact_sync_state ADD COLUMN tier_since TEXT NOT NULL DEFAULT '';
        ALTER TABLE contact_sync_state ADD COLUMN reason_codes TEXT;
        ALTER TABLE contact_sync_state ADD COLUMN networks TEXT;
        -- A damaged last_written fills nothing (the row keeps the defaults) rather than failing the upgrade.
        CREATE OR REPLACE FUNCTION contact_list_doc(written TEXT) RETURNS JSON LANGUAGE plpgsql IMMUTABLE AS $$
        BEGIN
          IF written IS NULL OR LEFT(LTRIM(written), 1) <> '{' THEN RETURN NULL; END IF;
          RETURN CAST(written AS JSON);
        EXCEPTION WHEN others THEN
          RETURN NULL;
        END $$;
        UPDATE contact_sync_state AS s SET
          list_score = (CASE WHEN json_typeof(d.doc->'score') = 'number' THEN CAST(ROUND(CAST(d.doc->>'score' AS NUMERIC)) AS INTEGER) ELSE -1 END),
          tier = d.doc->>'tier',
          confidence = d.doc->>'confidence',
          trend = d.doc->>'trend',
          scored_at = COALESCE(d.doc->>'scoredAt', ''),
          tier_since = COALESCE(s.written_at, ''),
          reason_codes = (CASE WHEN json_typeof(d.doc->'reasonCodes') = 'array' THEN (SELECT ';' || string_agg(code, ';') || ';' FROM json_array_elements_text(d.doc->'reasonCodes') AS code) END),
          networks = (CASE WHEN json_typeof(d.doc->'topFactors') = 'string' THEN ',' || (CASE WHEN strpos((d.doc->>'topFactors'), ' X:') > 0 OR strpos((d.doc->>'topFactors'), 'X, scored separately') > 0 THEN 'x,' ELSE '' END) || (CASE WHEN strpos((d.doc->>'topFactors'), ' GitHub:') > 0 OR strpos((d.doc->>'topFactors'), 'GitHub, scored separately') > 0 THEN 'github,' ELSE '' END) || (CASE WHEN strpos((d.doc->>'topFactors'), ' Mastodon:') > 0 OR strpos((d.doc->>'topFactors'), 'Mastodon, scored separately') > 0 THEN 'mastodon,' ELSE '' END) || (CASE WHEN strpos((d.doc->>'topFactors'), ' Bluesky:') > 0 OR strpos((d.doc->>'topFactors'), 'Bluesky, scored separately') > 0 THEN 'bluesky,' ELSE '' END) || (CASE WHEN strpos((d.doc->>'topFactors'), ' YouTube:') > 0 OR strpos((d.doc->>'topFactors'), 'YouTube, scored separately') > 0 THEN 'youtube,' ELSE '' END) || (CASE WHEN strpos((d.doc->>'topFactors'), ' LinkedIn:') > 0 OR strpos((d.doc->>'topFactors'), 'LinkedIn, scored separately') > 0 THEN 'linkedin,' ELSE '' END) END)
          FROM (SELECT connection_id, record_id, contact_list_doc(last_written) AS doc FROM contact_sync_state) AS d
          WHERE d.connection_id = s.connection_id AND d.record_id = s.record_id AND d.doc IS NOT NULL;
        DROP FUNCTION contact_list_doc(TEXT);
        CREATE INDEX contact_list_score ON contact_sync_state (connection_id, list_score, record_id);
        CREATE INDEX contact_list_scored_at ON contact_sync_state (connection_id, scored_at, record_id);
        CREATE INDEX contact_list_tier_score ON contact_sync_state (connection_id, tier, list_score, record_id);
        CREATE INDEX contact_list_tier_since ON contact_sync_state (connection_id, tier, tier_since, record_id);
      `,
    },
  },
  {
    version: 11,
    name: 'jobs: the process (worker) that ran each run, for the runs page',
    sql: `ALTER TABLE runs ADD COLUMN worker TEXT;`,
  },
  {
    version: 12,
    name: "sync: the CRM's modification stamp of each record right after our write, so our own writes read back are skipped",
    sql: `ALTER TABLE contact_sync_state ADD COLUMN crm_modified_at TEXT;`,
  },
  {
    version: 13,
    name: 'the handles each written score was computed from, so X compliance can re-score the contacts that used a forgotten account',
    // A JSON array of `network:handle`; NULL for states written before (they are covered from their next scoring).
    sql: 'ALTER TABLE contact_sync_state ADD COLUMN scored_with TEXT;',
  },
  {
    version: 14,
    name: "sync: each run's estimated spend per paid network in its own column, for the monthly totals and cap",
    sql: {
      sqlite: `
        ALTER TABLE runs ADD COLUMN spend TEXT;
        UPDATE runs SET spend = json_extract(report, '$.apiCalls.estimatedSpendUsd')
          WHERE json_valid(report) AND json_type(report, '$.apiCalls.estimatedSpendUsd') = 'object';
      `,
      postgres: `
        ALTER TABLE runs ADD COLUMN spend TEXT;
        UPDATE runs SET spend = CAST(report AS JSON)->'apiCalls'->>'estimatedSpendUsd'
          WHERE report LIKE '%"estimatedSpendUsd":{%';
      `,
    },
  },
];

export function migrationSql(migration: Migration, dialect: Dialect): string {
  return typeof migration.sql === 'string' ? migration.sql : migration.sql[dialect];
}

/** Throws when the list is not strictly increasing from 1 (a mistake made while adding one). */
export function checkMigrationOrder(migrations: readonly Migration[] = MIGRATIONS): void {
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new Error(
        `migration '${migration.name}' has version ${migration.version}; expected ${index + 1} (versions run 1, 2, 3… in order)`,
      );
    }
  });
}
