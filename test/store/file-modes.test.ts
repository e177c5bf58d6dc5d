// Issue 18 item 5: the SQLite folder and files hold contact data and encrypted CRM tokens, so they are created
// readable by their owner only (0700 / 0600), the WAL beside the database included.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { expect } from 'chai';

import { SqliteStore } from '../../src/store/sqlite.ts';

describe('SQLite files are private to their owner', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'crm-influence-modes-'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates the data folder 0700 and the database and its WAL 0600, whatever the umask', async () => {
    const previous = process.umask(0o022);
    try {
      const file = path.join(dir, 'data', 'nested', 'store.db');
      const store = await SqliteStore.open(file, { secretKey: randomBytes(32) });
      try {
        await store.saveConnection({
          id: 'c1',
          crm: 'hubspot',
          name: 'Portal',
          status: 'ok',
          statusMessage: null,
          credentials: { refreshToken: 'refresh-token-value' },
          settings: {},
        });
        const mode = (p: string) => statSync(p).mode & 0o777;
        expect(mode(path.join(dir, 'data')).toString(8)).to.equal('700');
        expect(mode(path.dirname(file)).toString(8)).to.equal('700');
        expect(mode(file).toString(8)).to.equal('600');
        expect(mode(`${file}-wal`).toString(8)).to.equal('600');
      } finally {
        await store.close();
      }
    } finally {
      process.umask(previous);
    }
  });
});
