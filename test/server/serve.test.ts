// `crm-influence serve` as a process: the first admin from CRM_INFLUENCE_ADMIN_PASSWORD, never a default; the URL
// printed; sign-in works with that password; SIGTERM stops it cleanly.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { expect } from 'chai';

import { Client } from './helpers.ts';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/crm-influence.js');

describe('crm-influence serve (process)', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'crm-influence-serve-'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates the first admin from CRM_INFLUENCE_ADMIN_PASSWORD, serves, and stops on SIGTERM', async () => {
    const password = 'first admin password 9';
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--init-admin'], {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        CRM_INFLUENCE_DB: path.join(dir, 's.db'),
        CRM_INFLUENCE_ADMIN_PASSWORD: password,
        CRM_INFLUENCE_LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const match = /admin UI on (http:\/\/127\.0\.0\.1:\d+)\//.exec(out);
          if (match) resolve(match[1]!);
        });
        void exited.then((code) => reject(new Error(`serve exited (${code}): ${stderr}`)));
      });
      expect((await fetch(`${url}/healthz`)).status).to.equal(200);
      const client = new Client(url);
      expect((await client.login('admin', 'wrong password here')).status).to.equal(401);
      expect((await client.login('admin', password)).status).to.equal(303);
      expect((await client.request('/connections')).status).to.equal(200);
      expect(stderr).to.not.include(password);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).to.equal(0);
  });
});
