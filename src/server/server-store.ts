// The admin server's own tables (migration 2 in src/store/migrations.ts), reached through Store.sql(): admins,
// server secrets, the webhook queue and the dashboard summary. Sessions live in session-store.ts.
import { randomBytes } from 'node:crypto';

import type { SqlAccess, Store } from '../store/contract.ts';

export interface AdminRow {
  username: string;
  password_hash: string;
  created_at: string;
  last_login_at: string | null;
}

export function sqlOf(store: Store): SqlAccess {
  if (store.sql === undefined)
    throw new Error('this store offers no SQL access; the admin server needs the SQLite or PostgreSQL store');
  return store.sql();
}

export class ServerStore {
  readonly db: SqlAccess;
  private readonly now: () => Date;

  constructor(db: SqlAccess, now: () => Date = () => new Date()) {
    this.db = db;
    this.now = now;
  }

  async adminCount(): Promise<number> {
    const rows = await this.db.query<{ n: number | string }>('SELECT COUNT(*) AS n FROM server_admins');
    return Number(rows[0]?.n ?? 0);
  }

  async getAdmin(username: string): Promise<AdminRow | null> {
    const rows = await this.db.query<AdminRow>(
      'SELECT username, password_hash, created_at, last_login_at FROM server_admins WHERE username = ?1',
      [username],
    );
    return rows[0] ?? null;
  }

  /** Creates or replaces an admin's password hash. */
  async putAdmin(username: string, passwordHash: string): Promise<void> {
    await this.db.execute(
      `INSERT INTO server_admins (username, password_hash, created_at) VALUES (?1, ?2, ?3)
       ON CONFLICT (username) DO UPDATE SET password_hash = excluded.password_hash`,
      [username, passwordHash, this.now().toISOString()],
    );
  }

  async recordLogin(username: string): Promise<void> {
    await this.db.execute('UPDATE server_admins SET last_login_at = ?1 WHERE username = ?2', [
      this.now().toISOString(),
      username,
    ]);
  }

  /** A named random secret, created once and shared by every process on this store. */
  async secret(name: string): Promise<string> {
    const fresh = randomBytes(32).toString('base64url');
    await this.db.execute(
      'INSERT INTO server_secrets (name, value, created_at) VALUES (?1, ?2, ?3) ON CONFLICT (name) DO NOTHING',
      [name, fresh, this.now().toISOString()],
    );
    const rows = await this.db.query<{ value: string }>('SELECT value FROM server_secrets WHERE name = ?1', [name]);
    const value = rows[0]?.value;
    if (value === undefined) throw new Error(`server secret '${name}' could not be stored`);
    return value;
  }

  async queueContacts(connectionId: string, recordIds: readonly string[]): Promise<void> {
    const at = this.now().toISOString();
    for (const id of recordIds) {
      await this.db.execute(
        'INSERT INTO server_webhook_queue (connection_id, record_id, queued_at) VALUES (?1, ?2, ?3) ON CONFLICT (connection_id, record_id) DO UPDATE SET queued_at = excluded.queued_at',
        [connectionId, id, at],
      );
    }
  }

  async queuedContacts(connectionId: string): Promise<string[]> {
    const rows = await this.db.query<{ record_id: string }>(
      'SELECT record_id FROM server_webhook_queue WHERE connection_id = ?1 ORDER BY queued_at',
      [connectionId],
    );
    return rows.map((r) => r.record_id);
  }

  /** Drops the queued ids a run started at `before` has covered. */
  async clearQueued(connectionId: string, before: Date): Promise<void> {
    await this.db.execute('DELETE FROM server_webhook_queue WHERE connection_id = ?1 AND queued_at <= ?2', [
      connectionId,
      before.toISOString(),
    ]);
  }

  async errorsByCode(): Promise<{ code: string; crm: string; n: number }[]> {
    const rows = await this.db.query<{ code: string; connection_id: string; n: number | string }>(
      'SELECT code, connection_id, COUNT(*) AS n FROM record_errors GROUP BY code, connection_id',
    );
    const crmOf = new Map(
      (await this.db.query<{ id: string; crm: string }>('SELECT id, crm FROM connections')).map((r) => [r.id, r.crm]),
    );
    return rows.map((r) => ({ code: r.code, crm: crmOf.get(r.connection_id) ?? 'unknown', n: Number(r.n) }));
  }

  /** Per-record errors of one run (filter by stage/code/text), newest failures first. */
  async runErrors(
    connectionId: string,
    runId: string,
    filter: { code?: string | undefined; text?: string | undefined },
    limit: number,
  ): Promise<
    {
      recordId: string;
      stage: string;
      code: string;
      message: string;
      retryable: boolean;
      attempts: number;
    }[]
  > {
    const params: (string | number)[] = [connectionId, runId];
    let where = 'connection_id = ?1 AND run_id = ?2';
    if (filter.code !== undefined && filter.code !== '') {
      params.push(filter.code);
      where += ` AND code = ?${params.length}`;
    }
    if (filter.text !== undefined && filter.text !== '') {
      params.push(`%${filter.text.replace(/[%_\\]/g, (c) => `\\${c}`)}%`);
      where += ` AND (record_id LIKE ?${params.length} ESCAPE '\\' OR message LIKE ?${params.length} ESCAPE '\\')`;
    }
    params.push(limit);
    const rows = await this.db.query<{
      record_id: string;
      stage: string;
      code: string;
      message: string;
      retryable: number | string;
      attempts: number | string;
    }>(
      `SELECT record_id, stage, code, message, retryable, attempts FROM record_errors WHERE ${where} ORDER BY last_failed_at DESC, record_id LIMIT ?${params.length}`,
      params,
    );
    return rows.map((r) => ({
      recordId: r.record_id,
      stage: r.stage,
      code: r.code,
      message: r.message,
      retryable: Number(r.retryable) === 1,
      attempts: Number(r.attempts),
    }));
  }

  /** Makes the failed records of a connection due for retry on the next run (attempt counters reset). */
  async resetAttempts(connectionId: string, recordIds: readonly string[]): Promise<number> {
    let changed = 0;
    for (const id of recordIds) {
      changed += await this.db.execute(
        'UPDATE record_errors SET attempts = 1, retryable = 1 WHERE connection_id = ?1 AND record_id = ?2',
        [connectionId, id],
      );
    }
    return changed;
  }

  async pruneSessions(): Promise<number> {
    return this.db.execute('DELETE FROM server_sessions WHERE expires_at < ?1', [this.now().toISOString()]);
  }
}
