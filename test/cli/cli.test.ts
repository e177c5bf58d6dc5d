import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { expect } from 'chai';
import pg from 'pg';

import { NotAvailableError } from '../../src/cli/errors.ts';
import { buildProgram, COMMANDS, runCli } from '../../src/cli/program.ts';
import { describeDatabasePathError } from '../../src/store/open.ts';
import type { RunReport } from '../../src/store/run-report.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/crm-influence.js');

function cli(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    timeout: 30_000,
    // Only what the CLI needs: no credentials from the developer's shell leak into the test.
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', CRM_INFLUENCE_LOG_LEVEL: 'silent', ...env },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Runs the CLI in this process (fast), capturing what it writes. */
async function inProcess(args: string[], program = buildProgram()): Promise<{ code: number; stderr: string }> {
  const written: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = (chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  };
  try {
    const code = await runCli(['node', 'crm-influence', ...args], program);
    return { code, stderr: written.join('') };
  } finally {
    process.stderr.write = write;
  }
}

function report(overrides: Partial<RunReport>): RunReport {
  return {
    runId: 'run-1',
    connection: 'sf-org',
    crm: 'salesforce',
    dryRun: false,
    startedAt: '2026-03-01T10:00:00.000Z',
    finishedAt: '2026-03-01T10:05:00.000Z',
    status: 'ok',
    counts: { read: 10, scored: 8, unscored: 2, written: 7, unchanged: 3, optedOut: 0, failed: 0 },
    apiCalls: { crm: { read: 1, write: 1, other: 0 }, providers: { bluesky: 1 } },
    errors: [],
    ...overrides,
  };
}

describe('crm-influence CLI', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'crm-influence-cli-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('--help lists every command of the README CLI section', () => {
    const { code, stdout } = cli(['--help']);
    expect(code).to.equal(0);
    for (const command of COMMANDS) expect(stdout).to.match(new RegExp(`^  ${command}\\b`, 'm'));
  });

  it('every command has its own --help naming its flags', () => {
    const program = buildProgram();
    const help = new Map(program.commands.map((c) => [c.name(), c.helpInformation()]));
    expect([...help.keys()]).to.include.members([...COMMANDS]);
    expect(help.get('sync'))
      .to.include('--crm <crm>')
      .and.include('--once')
      .and.include('--dry-run')
      .and.include('--full')
      .and.include('--json');
    expect(help.get('runs')).to.include('--last <n>');
    expect(help.get('sandbox')).to.include('--contacts').and.include('--seed');
    expect(help.get('score')).to.include('--in').and.include('--out');
  });

  it('serve without an admin user exits non-zero and says how to create one (never a default password)', () => {
    const { code, stdout, stderr } = cli(['serve', '--port', '0'], { CRM_INFLUENCE_DB: path.join(dir, 'serve.db') });
    expect(code).to.not.equal(0);
    expect(stderr).to.match(/no admin user yet: run `crm-influence serve --init-admin`/);
    expect(stdout).to.equal('');
  });

  it('serve without an admin user fails before it schedules anything (no run queue created on PostgreSQL)', async () => {
    const url = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
    const suffix = randomBytes(6).toString('hex');
    const [storeSchema, jobsSchema] = [`test_${suffix}`, `test_jobs_${suffix}`];
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(`CREATE SCHEMA ${storeSchema}`);
      const { code, stdout, stderr } = cli(['serve', '--port', '0'], {
        DATABASE_URL: `${url}?options=${encodeURIComponent(`-c search_path=${storeSchema}`)}`,
        CRM_INFLUENCE_JOBS_SCHEMA: jobsSchema,
      });
      expect(code).to.equal(1);
      expect(stderr).to.match(/no admin user yet: run `crm-influence serve --init-admin`/);
      expect(stdout).to.equal('');
      const queue = await client.query('SELECT 1 FROM information_schema.schemata WHERE schema_name = $1', [
        jobsSchema,
      ]);
      expect(queue.rowCount, 'pg-boss (schedules, the run queue) was never started').to.equal(0);
    } finally {
      await client.query(`DROP SCHEMA IF EXISTS ${storeSchema} CASCADE`);
      await client.query(`DROP SCHEMA IF EXISTS ${jobsSchema} CASCADE`);
      await client.end();
    }
  });

  it('bad flags give a clear error naming the flag', async () => {
    const crm = await inProcess(['sync', '--crm', 'pipedrive', '--once']);
    expect(crm.code).to.equal(2);
    expect(crm.stderr).to.include('--crm: must be salesforce or hubspot (got "pipedrive")');

    const missing = await inProcess(['sync', '--once']);
    expect(missing.code).to.equal(2);
    expect(missing.stderr).to.include('--crm: is required: salesforce or hubspot');

    const last = await inProcess(['runs', '--last', 'zero']);
    expect(last.code).to.equal(2);
    expect(last.stderr).to.include('--last: must be a whole number');

    const unknown = cli(['sync', '--bogus']);
    expect(unknown.code, 'an unknown flag is a usage error: exit 2 as the README says').to.equal(2);
    const command = cli(['synk']);
    expect(command.code, 'an unknown command too').to.equal(2);
    expect(command.stderr).to.include("unknown command 'synk'");
    expect(unknown.stderr).to.include("unknown option '--bogus'");
  });

  it('a command whose parts are missing exits 3 with "not available yet: needs …" and no stack', async () => {
    const program = buildProgram();
    program.command('needs-part').action(() => {
      throw new NotAvailableError('the flux capacitor (src/flux)');
    });
    const { code, stderr } = await inProcess(['needs-part'], program);
    expect(code).to.equal(3);
    expect(stderr).to.equal('crm-influence: not available yet: needs the flux capacitor (src/flux)\n');
  });

  it('an error message never shows a secret', async () => {
    const program = buildProgram();
    program.command('leaky').action(() => {
      throw new Error('HTTP 401 for Bearer 00D5g000001abcd!AQ8AQH.secretsessiontoken');
    });
    const { code, stderr } = await inProcess(['leaky'], program);
    expect(code).to.equal(1);
    expect(stderr).to.include('Bearer [REDACTED]').and.not.include('secretsessiontoken');
  });

  it('bad configuration names the variable', () => {
    const { code, stderr } = cli(['sync', '--crm', 'salesforce'], { CRM_INFLUENCE_SCHEDULE: 'every day' });
    expect(code).to.equal(1);
    expect(stderr).to.include('CRM_INFLUENCE_SCHEDULE');
  });

  it('runs lists the stored runs, most recent first, as a table or JSON', async () => {
    const db = path.join(dir, 'runs-list.db');
    const store = await SqliteStore.open(db);
    await store.saveRun(report({ runId: 'run-old', startedAt: '2026-03-01T10:00:00.000Z' }));
    await store.saveRun(
      report({
        runId: 'run-new',
        startedAt: '2026-03-02T10:00:00.000Z',
        status: 'budget_reached',
        message: 'budget floor',
      }),
    );
    await store.close();

    const text = cli(['runs', '--last', '5'], { CRM_INFLUENCE_DB: db });
    expect(text.code).to.equal(0);
    const lines = text.stdout.trim().split('\n');
    expect(lines[0]).to.match(/^started \(UTC\)\s+connection\s+crm\s+status/);
    expect(lines[1]).to.include('2026-03-02 10:00:00').and.include('budget_reached').and.include('budget floor');
    expect(lines[2]).to.include('2026-03-01 10:00:00');

    const json = cli(['runs', '--last', '1', '--json'], { CRM_INFLUENCE_DB: db });
    const parsed = JSON.parse(json.stdout) as RunReport[];
    expect(parsed.map((r) => r.runId)).to.deep.equal(['run-new']);

    const ofOne = cli(['runs', '--connection', 'sf-org'], { CRM_INFLUENCE_DB: db });
    expect(ofOne.stdout.trim().split('\n'), 'the runs of a connection').to.have.length(3);
    const typo = cli(['runs', '--connection', 'nope'], { CRM_INFLUENCE_DB: db });
    expect(typo.code, 'a connection that does not exist is an error').to.equal(1);
    expect(typo.stderr).to.include('there is no connection "nope"');
    expect(typo.stdout).to.equal('');

    const badSchedule = cli(['runs'], { CRM_INFLUENCE_DB: db, CRM_INFLUENCE_SCHEDULE: 'every day' });
    expect(badSchedule.code, `runs needs only the store: ${badSchedule.stderr}`).to.equal(0);
    expect(badSchedule.stdout).to.include('budget_reached');
  });

  it('a database path that cannot work names CRM_INFLUENCE_DB, the path and what to do', () => {
    const blocker = path.join(dir, 'a-file');
    writeFileSync(blocker, 'not a folder, not a database');
    const cases = [
      { db: path.join(blocker, 'store.db'), says: `${blocker} is a file, not a folder. Move that file` },
      { db: dir, says: `is a folder, not a database file: set CRM_INFLUENCE_DB to a file in it, e.g. ${dir}/` },
      { db: blocker, says: 'is not a SQLite database (another file is in the way). Move it' },
    ];
    for (const { db, says } of cases) {
      const { code, stderr } = cli(['runs'], { CRM_INFLUENCE_DB: db });
      expect(code, db).to.equal(1);
      expect(stderr).to.include(`CRM_INFLUENCE_DB=${db}`).and.include(says);
      expect(stderr.trim().split('\n'), 'one line, no stack').to.have.length(1);
    }
    // A read-only folder (not reproducible as root, which may write anywhere): the error as node:fs raises it.
    const readOnly = Object.assign(new Error("EACCES: permission denied, mkdir '/srv/ro'"), { code: 'EACCES' });
    expect(describeDatabasePathError(readOnly, '/srv/ro/crm.db')).to.equal(
      'CRM_INFLUENCE_DB=/srv/ro/crm.db: cannot write /srv/ro/crm.db (EACCES: a read-only folder, file or disk). Give this user write access to /srv/ro, or set CRM_INFLUENCE_DB to another file path; SQLite also writes crm.db-wal and -shm beside it.',
    );
  });

  it('doctor reports each check and exits non-zero while something is missing', () => {
    const { code, stdout } = cli(['doctor'], { CRM_INFLUENCE_DB: path.join(dir, 'doctor.db') });
    expect(code).to.equal(1);
    expect(stdout).to.match(/✓ configuration/);
    expect(stdout).to.match(/✓ store: SQLite at/);
    expect(stdout).to.match(/✗ crm: no CRM configured/);
    expect(stdout).to.match(/✓ model: scoring model \d/);
  });
});
