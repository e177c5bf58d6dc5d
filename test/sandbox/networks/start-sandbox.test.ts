import { spawn } from 'node:child_process';

import { expect } from 'chai';

import { exportLines, shellQuote } from '../../../src/cli/commands/sandbox.ts';
import type { Sandbox } from '../../../src/sandbox/index.ts';
import { startSandbox } from '../../../src/sandbox/index.ts';

describe('startSandbox', () => {
  let sandbox: Sandbox;
  before(async () => {
    sandbox = await startSandbox({ contacts: 500, seed: 'start-test', faults: { bluesky: { status429: 2 } } });
  });
  after(() => sandbox.close());

  it('starts every network (and the CRM emulators that exist) and returns the env that points at them', () => {
    const env = sandbox.env;
    for (const name of [
      'X_API_BASE_URL',
      'X_BEARER_TOKEN',
      'GITHUB_API_BASE_URL',
      'GITHUB_TOKEN',
      'MASTODON_API_BASE_URL',
      'BLUESKY_API_BASE_URL',
      'YOUTUBE_API_BASE_URL',
      'YOUTUBE_API_KEY',
      'GRAVATAR_API_BASE_URL',
    ]) {
      expect(env[name], name).to.be.a('string').and.not.empty;
    }
    expect(env.X_ENABLED).to.equal('true');
    for (const url of Object.values(sandbox.urls)) expect(url).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
    const crm = ['salesforce', 'hubspot'] as const;
    for (const name of crm) {
      const running = sandbox.urls[name] !== undefined;
      const skipped = sandbox.skipped.some((s) => s.server === name);
      expect(running !== skipped, name).to.be.true;
    }
    if (sandbox.urls.salesforce) expect(env.SALESFORCE_INSTANCE_URL).to.equal(sandbox.urls.salesforce);
    if (sandbox.urls.hubspot) expect(env.HUBSPOT_BASE_URL).to.equal(sandbox.urls.hubspot);
    expect(sandbox.population.size).to.equal(500);
  });

  it('serves the same population on every network, counts calls and applies per-server faults', async () => {
    const person = Array.from({ length: 500 }, (_, i) => sandbox.population.truth(i))
      .flat()
      .find((t) => t.network === 'x' && t.state === 'active');
    if (!person) throw new Error('no X account');
    const r = await fetch(`${sandbox.env.X_API_BASE_URL}/2/users/by?usernames=${person.handle}`, {
      headers: { authorization: `Bearer ${sandbox.env.X_BEARER_TOKEN}` },
    });
    expect(r.status).to.equal(200);
    expect(sandbox.counters.x?.snapshot().calls['GET /2/users/by']).to.equal(1);
    const statuses = [];
    for (let i = 0; i < 2; i++)
      statuses.push(
        (await fetch(`${sandbox.env.BLUESKY_API_BASE_URL}/xrpc/app.bsky.actor.getProfiles?actors=a.bsky.social`))
          .status,
      );
    expect(statuses).to.deep.equal([200, 429]);
    expect(sandbox.counters.bluesky?.snapshot().served429).to.equal(1);
  });

  it('refuses bad options with the field named', async () => {
    let message = '';
    try {
      await startSandbox({ contacts: 0, seed: 's' });
    } catch (error) {
      message = String(error);
    }
    expect(message).to.match(/contacts: must be at least 1/);
  });

  it('quotes values for the shell', () => {
    expect(shellQuote('http://127.0.0.1:1234')).to.equal('http://127.0.0.1:1234');
    expect(shellQuote("it's")).to.equal(`'it'\\''s'`);
    expect(exportLines({ B: '2', A: 'x y' })).to.equal("export A='x y'\nexport B=2\n");
  });
});

describe('crm-influence sandbox (CLI)', () => {
  it('prints export lines, serves until SIGINT, then exits 0', async function () {
    this.timeout(30_000);
    const child = spawn(process.execPath, ['src/cli/main.ts', 'sandbox', '--contacts', '200', '--seed', 'cli'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no output; stderr: ${stderr}`)), 25_000);
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        if (/export X_BEARER_TOKEN=/.test(stdout) && /export YOUTUBE_API_KEY=/.test(stdout)) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    await new Promise((r) => setTimeout(r, 100));
    const env: Record<string, string> = Object.fromEntries(
      [...stdout.matchAll(/^export ([A-Z_]+)=(.*)$/gm)].map((m) => [m[1] ?? '', (m[2] ?? '').replace(/^'|'$/g, '')]),
    );
    const r = await fetch(`${env.GITHUB_API_BASE_URL ?? ''}/users/nobody1`, {
      headers: { authorization: `Bearer ${env.GITHUB_TOKEN ?? ''}` },
    });
    expect(r.status).to.equal(404);
    child.kill('SIGINT');
    expect(await exited).to.equal(0);
    expect(stderr).to.include('Ctrl-C');
  });

  it('rejects a bad --contacts with a usage error naming the flag', async () => {
    const child = spawn(process.execPath, ['src/cli/main.ts', 'sandbox', '--contacts', 'lots'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).to.equal(2);
    expect(stderr).to.include('--contacts');
  });
});
