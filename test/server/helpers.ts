// A real admin server on 127.0.0.1 (random port) over a real SQLite store, and a small cookie-keeping client.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';

import { listen } from '../../src/cli/commands/serve.ts';
import { createLogger } from '../../src/log.ts';
import type { AdminServer, AdminServerOptions } from '../../src/server/app.ts';
import { createAdminServer } from '../../src/server/app.ts';
import { setAdminPassword } from '../../src/server/auth.ts';
import type { RunOutcome, RunRequest, SyncRuntime } from '../../src/server/runtime.ts';
import type { Connection } from '../../src/store/contract.ts';
import type { RunReport } from '../../src/store/run-report.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';

export const ADMIN = { username: 'admin', password: 'correct horse battery staple' };

export interface TestServer {
  url: string;
  store: SqliteStore;
  admin: AdminServer;
  logs: string[];
  runs: { connection: string; request: RunRequest }[];
  close(): Promise<void>;
}

/** Records the runs asked for and answers with a finished report (the server's routes are under test, not sync). */
export function recordingRuntime(runs: TestServer['runs'], store: SqliteStore): SyncRuntime {
  return {
    async run(connection: Connection, request: RunRequest): Promise<RunOutcome> {
      runs.push({ connection: connection.id, request });
      const now = new Date().toISOString();
      const report: RunReport = {
        runId: `run-${randomBytes(6).toString('hex')}`,
        connection: connection.id,
        crm: connection.crm,
        dryRun: request.dryRun,
        startedAt: now,
        finishedAt: now,
        status: 'ok',
        counts: { read: 0, scored: 0, unscored: 0, written: 0, unchanged: 0, optedOut: 0, failed: 0 },
        apiCalls: { crm: { read: 1, write: 0, other: 0 }, providers: {} },
        errors: [],
      };
      await store.saveRun(report);
      return { report };
    },
  };
}

export async function startTestServer(
  options: Partial<AdminServerOptions> & { runtime?: SyncRuntime } = {},
): Promise<TestServer> {
  const dir = mkdtempSync(path.join(tmpdir(), 'crm-influence-server-'));
  const store = await SqliteStore.open(path.join(dir, 'store.db'), { secretKey: randomBytes(32) });
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logs.push(chunk.toString('utf8'));
      callback();
    },
  });
  const logger = createLogger({ level: 'debug', destination, pretty: false });
  const runs: TestServer['runs'] = [];
  const admin = await createAdminServer({
    store,
    logger,
    runtime: options.runtime ?? recordingRuntime(runs, store),
    defaultSchedule: '0 3 * * *',
    refreshDays: 7,
    budgetFloor: 0.2,
    oauth: {},
    secureCookies: false,
    ...options,
  });
  await setAdminPassword(admin.serverStore, ADMIN.username, ADMIN.password);
  const http: Server = await listen(admin.app, 0, '127.0.0.1');
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    store,
    admin,
    logs,
    runs,
    async close() {
      await new Promise<void>((resolve) => http.close(() => resolve()));
      http.closeAllConnections();
      await admin.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A stored connection for page tests (no credentials: the recording runtime never opens its CRM). */
type NewConnection = Parameters<SqliteStore['saveConnection']>[0];

export function testConnection(
  id: string,
  crm: Connection['crm'],
  overrides: Partial<NewConnection> = {},
): NewConnection {
  return {
    id,
    crm,
    name: crm === 'salesforce' ? 'Acme' : 'Portal',
    status: 'ok',
    statusMessage: null,
    credentials: {},
    settings: {},
    ...overrides,
  };
}

/** fetch with a cookie jar, no redirect following. */
export class Client {
  cookies = new Map<string, string>();
  readonly base: string;

  constructor(base: string) {
    this.base = base;
  }

  async request(
    pathname: string,
    init: RequestInit & { form?: Record<string, string>; json?: unknown } = {},
  ): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size > 0) headers.set('cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    let body = init.body;
    if (init.form !== undefined) {
      headers.set('content-type', 'application/x-www-form-urlencoded');
      body = new URLSearchParams(init.form).toString();
    } else if (init.json !== undefined) {
      headers.set('content-type', 'application/json');
      body = JSON.stringify(init.json);
    }
    const response = await fetch(`${this.base}${pathname}`, {
      ...init,
      headers,
      body: body ?? null,
      redirect: 'manual',
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      this.cookies.set(pair!.slice(0, eq), pair!.slice(eq + 1));
    }
    return response;
  }

  /** The CSRF token of the current session (creating the session if needed). */
  async csrf(): Promise<string> {
    const response = await this.request('/api/session');
    return ((await response.json()) as { csrfToken: string }).csrfToken;
  }

  async login(username = ADMIN.username, password = ADMIN.password, next?: string): Promise<Response> {
    const token = await this.csrf();
    return this.request('/login', {
      method: 'POST',
      form: { username, password, _csrf: token, ...(next !== undefined ? { next } : {}) },
    });
  }
}
