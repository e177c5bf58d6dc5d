// The package as a user gets it: `npm pack`, installed from the tarball with production dependencies only (no tsx,
// no esbuild, no TypeScript), then the installed bin runs `--help` and the demo's sync on plain Node.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { expect } from 'chai';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function run(command: string, args: string[], cwd: string, timeout: number): SpawnSyncReturns<string> {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', timeout });
  if (result.error) throw result.error;
  return result;
}

describe('the packed package (npm pack, npm install --omit=dev)', function () {
  this.timeout(300_000);
  let dir: string;
  let bin: string;

  before(function () {
    dir = mkdtempSync(path.join(tmpdir(), 'crm-influence-pack-'));
    const packed = run('npm', ['pack', '--json', '--pack-destination', dir], ROOT, 120_000);
    expect(packed.status, packed.stderr).to.equal(0);
    const [{ filename }] = JSON.parse(packed.stdout) as [{ filename: string }];
    const app = path.join(dir, 'app');
    mkdirSync(app);
    writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', private: true }));
    // From npm's local cache when it holds every dependency (it does after `npm ci`), else from the registry.
    const installed = run(
      'npm',
      ['install', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund', path.join(dir, filename)],
      app,
      240_000,
    );
    expect(installed.status, installed.stderr).to.equal(0);
    bin = path.join(app, 'node_modules/crm-influence/bin/crm-influence.js');
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it('installs no TypeScript runner or compiler', () => {
    const modules = path.join(path.dirname(bin), '../..');
    for (const name of ['tsx', 'esbuild', 'typescript'])
      expect(existsSync(path.join(modules, name)), name).to.equal(false);
  });

  it('prints --help from inside node_modules (where Node itself refuses to strip types)', () => {
    const help = run(process.execPath, [bin, '--help'], path.dirname(bin), 30_000);
    expect(help.status, help.stderr).to.equal(0);
    expect(help.stdout).to.match(/^Usage: crm-influence /);
    expect(help.stderr).to.equal('');
  });

  it("runs the demo's sync against the built-in sandbox: every contact read and written or unchanged, none failed", () => {
    const demo = run(
      process.execPath,
      [bin, 'demo', '--no-ui', '--contacts', '30', '--seed', 'pack'],
      tmpdir(),
      60_000,
    );
    expect(demo.status, demo.stderr).to.equal(0);
    expect(demo.stdout).to.match(/\(salesforce, connection [^)]+\): ok/);
    const count = (label: string): number => Number(new RegExp(`${label} (\\d+)`).exec(demo.stdout)?.[1]);
    expect(count('read')).to.equal(30);
    expect(count('written')).to.be.greaterThan(0);
    expect(count('written') + count('unchanged')).to.equal(30);
    expect(count('failed')).to.equal(0);
    expect(demo.stderr).not.to.include('Warning');
  });
});
