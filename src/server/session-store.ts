// express-session's Store over the product's store (server_sessions): sessions survive restarts and are shared by
// every process on the same database. Rows are keyed by the SHA-256 of the session id.
import { createHash } from 'node:crypto';

import type { SessionData } from 'express-session';
import session from 'express-session';

import type { SqlAccess } from '../store/contract.ts';

const DEFAULT_TTL_MS = 8 * 3600_000;
/** A session's expiry is pushed forward at most this often (express-session touches on every request). */
const TOUCH_EVERY_MS = 5 * 60_000;

function key(sid: string): string {
  return createHash('sha256').update(sid).digest('base64url');
}

type Callback<T = void> = (error?: unknown, value?: T) => void;

export class ProductSessionStore extends session.Store {
  readonly #touched = new Map<string, number>();

  private readonly db: SqlAccess;
  private readonly now: () => Date;

  constructor(db: SqlAccess, now: () => Date = () => new Date()) {
    super();
    this.db = db;
    this.now = now;
  }

  #expiry(data: SessionData): string {
    const expires = data.cookie.expires;
    const at =
      expires instanceof Date
        ? expires.getTime()
        : typeof expires === 'string'
          ? Date.parse(expires)
          : this.now().getTime() + DEFAULT_TTL_MS;
    return new Date(Number.isFinite(at) ? at : this.now().getTime() + DEFAULT_TTL_MS).toISOString();
  }

  override get(sid: string, callback: (error: unknown, data?: SessionData | null) => void): void {
    this.db
      .query<{ data: string; expires_at: string }>('SELECT data, expires_at FROM server_sessions WHERE sid_hash = ?1', [
        key(sid),
      ])
      .then((rows) => {
        const row = rows[0];
        if (row === undefined || row.expires_at < this.now().toISOString()) {
          callback(null, null);
          return;
        }
        callback(null, JSON.parse(row.data) as SessionData);
      })
      .catch((error: unknown) => callback(error));
  }

  override set(sid: string, data: SessionData, callback?: Callback): void {
    this.db
      .execute(
        `INSERT INTO server_sessions (sid_hash, data, expires_at) VALUES (?1, ?2, ?3)
       ON CONFLICT (sid_hash) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at`,
        [key(sid), JSON.stringify(data), this.#expiry(data)],
      )
      .then(
        () => callback?.(),
        (error: unknown) => callback?.(error),
      );
  }

  override destroy(sid: string, callback?: Callback): void {
    this.db.execute('DELETE FROM server_sessions WHERE sid_hash = ?1', [key(sid)]).then(
      () => callback?.(),
      (error: unknown) => callback?.(error),
    );
  }

  override touch(sid: string, data: SessionData, callback?: Callback): void {
    const at = this.now().getTime();
    if (at - (this.#touched.get(sid) ?? 0) < TOUCH_EVERY_MS) {
      callback?.();
      return;
    }
    if (this.#touched.size > 10_000) this.#touched.clear();
    this.#touched.set(sid, at);
    this.db
      .execute('UPDATE server_sessions SET expires_at = ?1 WHERE sid_hash = ?2', [this.#expiry(data), key(sid)])
      .then(
        () => callback?.(),
        (error: unknown) => callback?.(error),
      );
  }
}
