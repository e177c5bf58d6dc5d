// The admin server as its own process for test/bench/server.bench.ts, so the load client does not share its event
// loop and its RSS is the server's alone. argv: <sqlite file>. Prints {"port":N}; answers "rss" messages over IPC.
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';

import { listen } from '../../src/cli/commands/serve.ts';
import { createLogger } from '../../src/log.ts';
import { createAdminServer } from '../../src/server/app.ts';
import { setAdminPassword } from '../../src/server/auth.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';

const file = process.argv[2];
if (file === undefined) throw new Error('usage: server-process.ts <sqlite file>');
const store = await SqliteStore.open(file, { secretKey: randomBytes(32) });
const admin = await createAdminServer({
  store,
  logger: createLogger({ level: 'warn', pretty: false, destination: new Writable({ write: (_c, _e, cb) => cb() }) }),
  runtime: { run: () => Promise.reject(new Error('no runs in the bench')) },
  defaultSchedule: '0 3 * * *',
  refreshDays: 7,
  budgetFloor: 0.2,
  oauth: {},
  secureCookies: false,
});
await setAdminPassword(admin.serverStore, 'admin', 'bench password 123');
const http = await listen(admin.app, 0, '127.0.0.1');
process.on('message', (message) => {
  if (message === 'rss') process.send?.({ rss: process.memoryUsage().rss });
  if (message === 'stop') {
    http.closeAllConnections();
    http.close(() => {
      void admin
        .close()
        .then(() => store.close())
        .then(() => process.exit(0));
    });
  }
});
process.send?.({ port: (http.address() as AddressInfo).port });
