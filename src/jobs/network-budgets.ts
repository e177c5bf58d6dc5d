// The networks' rate-limit budgets in PostgreSQL, shared by every worker on it: a request takes one unit of its
// window's `remaining` in a row lock before it is sent, so the sum of all workers' calls stays under the network's
// limit (GitHub's 5,000/hour per token is one budget however many workers use the token). The same rules as the
// in-process RateLimiter (src/http/rate-limit.ts): learnt from responses (a new window from one request while the
// others wait for its answer), never raised within a window,
// paused for a Retry-After.
import pg from 'pg';

import type { RateLimitState, SharedRateLimits } from '../http/rate-limit.ts';

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
/** How long the other workers wait for the answer that tells a new window's budget before one of them asks again. */
const PROBE_MS = 1_000;

interface BudgetRow {
  limit_count: number | null;
  remaining: number | null;
  reset_at: string;
  paused_until: string;
}

/** One window's budget as last seen (for /metrics). */
export interface NetworkBudget {
  window: string;
  limit: number | null;
  remaining: number | null;
  resetAt: number;
}

export class NetworkBudgets implements SharedRateLimits {
  readonly #pool: pg.Pool;
  readonly #table: string;
  readonly #now: () => number;

  private constructor(pool: pg.Pool, schema: string, now: () => number) {
    this.#pool = pool;
    this.#table = `${schema}.network_budgets`;
    this.#now = now;
  }

  /** Opens the budgets in `schema` (the run queue's: CRM_INFLUENCE_JOBS_SCHEMA), creating the table once. */
  static async open(options: {
    connectionString: string;
    schema: string;
    now?: () => number;
  }): Promise<NetworkBudgets> {
    if (!SCHEMA_NAME.test(options.schema))
      throw new Error(`CRM_INFLUENCE_JOBS_SCHEMA: '${options.schema}' is not a PostgreSQL schema name`);
    const pool = new pg.Pool({ connectionString: options.connectionString, max: 4 });
    const budgets = new NetworkBudgets(pool, options.schema, options.now ?? Date.now);
    const client = await pool.connect();
    try {
      // Serialised: concurrent CREATE … IF NOT EXISTS can still collide.
      await client.query('BEGIN');
      await client.query("SELECT pg_advisory_xact_lock(hashtext('crm_influence_network_budgets'))");
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${options.schema}`);
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${budgets.#table} (
           window_key text PRIMARY KEY,
           limit_count integer,
           remaining integer,
           reset_at bigint NOT NULL DEFAULT 0,
           paused_until bigint NOT NULL DEFAULT 0
         )`,
      );
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    } finally {
      client.release();
    }
    return budgets;
  }

  async take(window: string, reserve: number): Promise<number> {
    const client = await this.#pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(`INSERT INTO ${this.#table} (window_key) VALUES ($1) ON CONFLICT (window_key) DO NOTHING`, [
        window,
      ]);
      const { rows } = await client.query<BudgetRow>(
        `SELECT limit_count, remaining, reset_at, paused_until FROM ${this.#table} WHERE window_key = $1 FOR UPDATE`,
        [window],
      );
      const row = rows[0]!;
      const now = this.#now();
      let wait = 0;
      const pausedUntil = Number(row.paused_until);
      const resetAt = Number(row.reset_at);
      if (pausedUntil > now) wait = pausedUntil - now;
      else if (row.remaining === null || resetAt <= now) {
        // Window over (or never seen): this request goes to learn the new one, and every other waits for its answer
        // (at most PROBE_MS), so workers do not all spend the fresh window blind at once.
        await client.query(`UPDATE ${this.#table} SET remaining = 0, reset_at = $2 WHERE window_key = $1`, [
          window,
          now + PROBE_MS,
        ]);
      } else if (row.remaining <= reserve) wait = Math.max(1, resetAt - now);
      else await client.query(`UPDATE ${this.#table} SET remaining = remaining - 1 WHERE window_key = $1`, [window]);
      await client.query('COMMIT');
      return wait;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async update(window: string, state: RateLimitState): Promise<void> {
    // Within one window the freshest view never raises `remaining` (other workers' calls may not show in it yet).
    await this.#pool.query(
      `INSERT INTO ${this.#table} AS b (window_key, limit_count, remaining, reset_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (window_key) DO UPDATE SET
         limit_count = excluded.limit_count,
         remaining = CASE WHEN b.reset_at = excluded.reset_at AND b.remaining IS NOT NULL
                          THEN LEAST(b.remaining, excluded.remaining) ELSE excluded.remaining END,
         reset_at = excluded.reset_at`,
      [window, state.limit ?? null, state.remaining, Math.round(state.resetAt)],
    );
  }

  async pause(window: string, untilMs: number): Promise<void> {
    await this.#pool.query(
      `INSERT INTO ${this.#table} AS b (window_key, paused_until) VALUES ($1, $2)
       ON CONFLICT (window_key) DO UPDATE SET paused_until = GREATEST(b.paused_until, excluded.paused_until)`,
      [window, Math.round(untilMs)],
    );
  }

  /** Every window's budget as last seen. */
  async list(): Promise<NetworkBudget[]> {
    const { rows } = await this.#pool.query<BudgetRow & { window_key: string }>(
      `SELECT window_key, limit_count, remaining, reset_at, paused_until FROM ${this.#table} ORDER BY window_key`,
    );
    return rows.map((r) => ({
      window: r.window_key,
      limit: r.limit_count,
      remaining: r.remaining,
      resetAt: Number(r.reset_at),
    }));
  }

  close(): Promise<void> {
    return this.#pool.end();
  }
}
