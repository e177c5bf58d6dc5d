// `npm run bench scale`: scale-out on the real PostgreSQL (127.0.0.1) against the sandbox, printed as ratios measured
// in one run.
//
// 1. Throughput with 1, 2 and 4 `crm-influence worker` processes (2 runs at a time each) on 40 connections (20
//    Salesforce orgs, 20 HubSpot portals, SCALE_CONTACTS contacts each, default 300; every CRM its own emulator, all
//    holding the same people, so the shared profile cache serves them after the first org): every connection's run
//    queued at once, contacts read per second until the queue is empty, against the sum of the CRMs' own ceilings as
//    the emulators enforce them — HubSpot: 190 requests per rolling 10 s and 4 searches per second per portal
//    (Professional/Enterprise; connectors/hubspot/README.md, /work/shared/reference/crm-apis.md §2.4); Salesforce: only
//    the org's daily API requests (100,000), so its sustained ceiling is 100,000 ÷ 86,400 s — each ceiling turned
//    into contacts per second with the calls per contact measured in the same round. Also the CPU the workers and the
//    emulators (this process) used per second of wall time: at 2.0 the machine's 2 cores are the limit.
// 2. One Salesforce connection of SCALE_BIG contacts (default 40,000; SCALE_BIG=1000000 is the issue's, about an hour
//    per store on this machine) against 10,000: the sync process's peak RSS (the same run a worker makes) and its CPU
//    per contact (engine, store, scoring, HTTP clients), on PostgreSQL and on SQLite side by side.
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { createHubSpotConnector } from '../../connectors/hubspot/index.ts';
import { JobQueue } from '../../src/jobs/queue.ts';
import type { HubSpotSandbox } from '../../src/sandbox/hubspot/index.ts';
import { startHubSpotSandbox } from '../../src/sandbox/hubspot/index.ts';
import { startSandbox } from '../../src/sandbox/index.ts';
import { startBlueskySandbox } from '../../src/sandbox/networks/bluesky.ts';
import { startGitHubSandbox } from '../../src/sandbox/networks/github.ts';
import { startMastodonSandbox } from '../../src/sandbox/networks/mastodon.ts';
import type { NetworkServer } from '../../src/sandbox/networks/server.ts';
import type { Population } from '../../src/sandbox/population.ts';
import { createPopulation } from '../../src/sandbox/population.ts';
import type { SalesforceSandbox } from '../../src/sandbox/salesforce/index.ts';
import { startSalesforceSandbox } from '../../src/sandbox/salesforce/index.ts';
import { PostgresStore } from '../../src/store/postgres.ts';
import { RunReportSchema } from '../../src/store/run-report.ts';
import { DATABASE_URL, sql } from '../pg.ts';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/crm-influence.js');
const CONTACTS = Number(process.env.SCALE_CONTACTS ?? 300);
const BIG = Number(process.env.SCALE_BIG ?? 40_000);
const ORGS = 20;
const PORTALS = 20;
const CONCURRENCY = 2;
const HUBSPOT = { tenSecond: 190, searchPerSecond: 4 };
const SALESFORCE_DAILY = 100_000;
const CLIENT = { clientId: 'bench-scale-app', clientSecret: randomBytes(18).toString('hex') };
/** Prints the process's peak RSS and CPU on exit (stderr is a pipe: written at once). */
const USAGE_HOOK =
  'data:text/javascript,process.on("exit",()=>{const u=process.resourceUsage();process.stderr.write("\\nusage "+u.maxRSS+" "+(u.userCPUTime+u.systemCPUTime)+"\\n")})';

function usageOf(stderr: string): { rssMiB: number; cpuSeconds: number } {
  const m = /usage (\d+) (\d+)/.exec(stderr);
  return m ? { rssMiB: Number(m[1]) / 1024, cpuSeconds: Number(m[2]) / 1e6 } : { rssMiB: NaN, cpuSeconds: NaN };
}

interface Round {
  workers: number;
  contacts: number;
  seconds: number;
  contactsPerSecond: number;
  ceiling: number;
  hubspotCeiling: number;
  salesforceCeiling: number;
  cores: number;
  /** The machine's 1-minute load average at the end (other processes share the 2 cores). */
  load: number;
}

async function round(workers: number, population: Population, networks: NetworkServer[]): Promise<Round> {
  const suffix = randomBytes(5).toString('hex');
  const storeSchema = `bench_scale_${suffix}`;
  const jobsSchema = `bench_scale_jobs_${suffix}`;
  const secretKey = randomBytes(32);
  const [orgs, portals] = await Promise.all([
    Promise.all(Array.from({ length: ORGS }, () => startSalesforceSandbox({ population, ...CLIENT }))),
    Promise.all(
      Array.from({ length: PORTALS }, () =>
        startHubSpotSandbox({
          population,
          ...CLIENT,
          tenSecondLimit: HUBSPOT.tenSecond,
          searchPerSecond: HUBSPOT.searchPerSecond,
        }),
      ),
    ),
  ]);
  const children: { child: ChildProcessWithoutNullStreams; stderr: string; stdout: string }[] = [];
  try {
    await Promise.all(
      portals.map((p: HubSpotSandbox) =>
        createHubSpotConnector({
          baseUrl: p.env.HUBSPOT_BASE_URL,
          portalKey: p.env.HUBSPOT_BASE_URL,
          auth: { kind: 'private', accessToken: p.env.HUBSPOT_ACCESS_TOKEN },
        }).installFields(),
      ),
    );
    await sql(`CREATE SCHEMA ${storeSchema}`);
    const store = await PostgresStore.open({ connectionString: DATABASE_URL, schema: storeSchema, secretKey });
    const ids: string[] = [];
    try {
      for (const [i, org] of orgs.entries()) {
        ids.push(`salesforce-${i}`);
        await store.saveConnection({
          id: `salesforce-${i}`,
          crm: 'salesforce',
          name: `Org ${i}`,
          status: 'ok',
          statusMessage: null,
          credentials: {
            instanceUrl: org.env.SALESFORCE_INSTANCE_URL!,
            loginUrl: org.env.SALESFORCE_LOGIN_URL!,
            accessToken: org.env.SALESFORCE_ACCESS_TOKEN!,
            refreshToken: org.env.SALESFORCE_REFRESH_TOKEN!,
          },
          settings: {},
        });
      }
      for (const [i, portal] of portals.entries()) {
        ids.push(`hubspot-${i}`);
        await store.saveConnection({
          id: `hubspot-${i}`,
          crm: 'hubspot',
          name: `Portal ${i}`,
          status: 'ok',
          statusMessage: null,
          credentials: { refreshToken: portal.control.seedRefreshToken(), apiBaseUrl: portal.env.HUBSPOT_BASE_URL },
          settings: {},
        });
      }
    } finally {
      await store.close();
    }
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      ...(Object.assign(
        {},
        ...networks.map((n) => (n as NetworkServer & { env: Record<string, string> }).env),
      ) as Record<string, string>),
      SALESFORCE_CLIENT_ID: CLIENT.clientId,
      SALESFORCE_CLIENT_SECRET: CLIENT.clientSecret,
      HUBSPOT_CLIENT_ID: CLIENT.clientId,
      HUBSPOT_CLIENT_SECRET: CLIENT.clientSecret,
      DATABASE_URL: `${DATABASE_URL}?options=${encodeURIComponent(`-c search_path=${storeSchema}`)}`,
      CRM_INFLUENCE_JOBS_SCHEMA: jobsSchema,
      CRM_INFLUENCE_SECRET_KEY: secretKey.toString('hex'),
      CRM_INFLUENCE_LOG_LEVEL: 'warn',
    };
    for (let w = 0; w < workers; w++) {
      const child = spawn(
        process.execPath,
        ['--import', USAGE_HOOK, BIN, 'worker', '--concurrency', String(CONCURRENCY)],
        { env },
      );
      const entry = { child, stderr: '', stdout: '' };
      child.stdout.setEncoding('utf8').on('data', (c: string) => (entry.stdout += c));
      child.stderr.setEncoding('utf8').on('data', (c: string) => (entry.stderr += c));
      children.push(entry);
    }
    while (!children.every((c) => c.stdout.includes('worker taking queued runs')))
      await new Promise((resolve) => setTimeout(resolve, 50));
    const queue = await JobQueue.open({
      connectionString: DATABASE_URL,
      schema: jobsSchema,
      schedule: false,
      workerTimeoutSeconds: 60,
    });
    const cpuBefore = process.cpuUsage();
    const started = Date.now();
    try {
      for (const connectionId of ids) await queue.enqueue({ connectionId, trigger: 'schedule' });
      while ((await queue.counts()).some((c) => c.active + c.queued + c.retrying > 0))
        await new Promise((resolve) => setTimeout(resolve, 100));
    } finally {
      await queue.stop(1_000);
    }
    const seconds = (Date.now() - started) / 1000;
    const ownCpu = process.cpuUsage(cpuBefore);
    await Promise.all(
      children.map(
        (c) =>
          new Promise<void>((resolve) => {
            c.child.once('exit', () => resolve());
            c.child.kill('SIGTERM');
          }),
      ),
    );
    // Workers' CPU includes their start-up (about a second each), so the cores figure is an upper bound.
    const workerCpu = children.reduce((n, c) => n + usageOf(c.stderr).cpuSeconds, 0);
    const check = await PostgresStore.open({ connectionString: DATABASE_URL, schema: storeSchema, secretKey });
    const runs = await check.listRuns({ limit: 1_000 }).finally(() => check.close());
    const failed = runs.filter((r) => r.status !== 'ok' && r.status !== 'partial');
    if (failed.length > 0 || runs.length !== ids.length)
      throw new Error(
        `${runs.length} runs for ${ids.length} connections; not ok: ${failed.map((r) => `${r.connection} ${r.status} ${r.message ?? ''}`).join('; ')}`,
      );
    const contacts = runs.reduce((n, r) => n + r.counts.read, 0);
    const hubspotContacts = runs.filter((r) => r.crm === 'hubspot').reduce((n, r) => n + r.counts.read, 0);
    const salesforceContacts = contacts - hubspotContacts;
    const hubspotCalls = portals.reduce((n, p) => n + p.counters.totalCalls, 0);
    const hubspotSearches = portals.reduce(
      (n, p) => n + (p.counters.calls['POST /crm/v3/objects/contacts/search'] ?? 0),
      0,
    );
    const salesforceCalls = orgs.reduce((n, o: SalesforceSandbox) => n + o.counters.apiCalls, 0);
    // Per portal: contacts/s the 10-second window allows and the search lane allows; the lower binds.
    const perPortal = Math.min(
      HUBSPOT.tenSecond / 10 / (hubspotCalls / hubspotContacts),
      hubspotSearches === 0 ? Infinity : HUBSPOT.searchPerSecond / (hubspotSearches / hubspotContacts),
    );
    const perOrg = SALESFORCE_DAILY / 86_400 / (salesforceCalls / salesforceContacts);
    return {
      workers,
      contacts,
      seconds,
      contactsPerSecond: contacts / seconds,
      hubspotCeiling: perPortal * PORTALS,
      salesforceCeiling: perOrg * ORGS,
      ceiling: perPortal * PORTALS + perOrg * ORGS,
      cores: (workerCpu + (ownCpu.user + ownCpu.system) / 1e6) / seconds,
      load: loadavg()[0]!,
    };
  } finally {
    for (const c of children) if (c.child.exitCode === null) c.child.kill('SIGKILL');
    await Promise.all([...orgs, ...portals].map((s) => s.close()));
    await sql(`DROP SCHEMA IF EXISTS ${storeSchema} CASCADE; DROP SCHEMA IF EXISTS ${jobsSchema} CASCADE`);
  }
}

interface Single {
  store: 'PostgreSQL' | 'SQLite';
  contacts: number;
  read: number;
  seconds: number;
  rssMiB: number;
  cpuMsPerContact: number;
}

async function single(contacts: number, storeKind: Single['store']): Promise<Single> {
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-scale-'));
  const schema = `bench_scale_one_${randomBytes(5).toString('hex')}`;
  const sandbox = await startSandbox({
    contacts,
    seed: 'bench-scale',
    networkLimits: 'relaxed',
    only: ['salesforce', 'github', 'mastodon', 'bluesky'],
  });
  try {
    if (storeKind === 'PostgreSQL') await sql(`CREATE SCHEMA ${schema}`);
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      ...sandbox.env,
      ...(storeKind === 'PostgreSQL'
        ? { DATABASE_URL: `${DATABASE_URL}?options=${encodeURIComponent(`-c search_path=${schema}`)}` }
        : { CRM_INFLUENCE_DB: path.join(dir, 'scale.db') }),
      CRM_INFLUENCE_SECRET_KEY: randomBytes(32).toString('hex'),
      CRM_INFLUENCE_LOG_LEVEL: 'silent',
      CRM_INFLUENCE_RATE_LIMIT_WAIT: '60',
    };
    const started = Date.now();
    const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) =>
      execFile(
        process.execPath,
        ['--import', USAGE_HOOK, BIN, 'sync', '--crm', 'salesforce', '--once', '--json'],
        { env, encoding: 'utf8', maxBuffer: 256 * 2 ** 20 },
        (error, out, err) =>
          error && out === '' ? reject(new Error(err.slice(-2000))) : resolve({ stdout: out, stderr: err }),
      ),
    );
    const report = RunReportSchema.parse(JSON.parse(stdout));
    const usage = usageOf(stderr);
    return {
      store: storeKind,
      contacts,
      read: report.counts.read,
      seconds: (Date.now() - started) / 1000,
      rssMiB: usage.rssMiB,
      cpuMsPerContact: (usage.cpuSeconds * 1000) / Math.max(1, report.counts.read),
    };
  } finally {
    await sandbox.close();
    rmSync(dir, { recursive: true, force: true });
    if (storeKind === 'PostgreSQL') await sql(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  }
}

export async function run(): Promise<void> {
  const population = createPopulation({ seed: 'bench-scale', size: CONTACTS });
  const networks: NetworkServer[] = await Promise.all([
    startGitHubSandbox({ population }),
    startBlueskySandbox({ population }),
    startMastodonSandbox({ population, limits: { requests: { limit: 1_000_000, windowSeconds: 300 } } }),
  ]);
  const rounds: Round[] = [];
  try {
    for (const workers of [1, 2, 4]) rounds.push(await round(workers, population, networks));
  } finally {
    await Promise.all(networks.map((n) => n.close()));
  }
  console.log(
    `40 connections (${ORGS} Salesforce, ${PORTALS} HubSpot) × ${CONTACTS} contacts, first runs, queued at once; workers run ${CONCURRENCY} at a time`,
  );
  console.log(
    'workers  contacts  wall s  contacts/s  vs 1 worker  CRM ceiling/s (HubSpot + Salesforce)  of ceiling  cores used by workers+emulators  load avg',
  );
  const one = rounds[0]!;
  for (const r of rounds)
    console.log(
      [
        String(r.workers).padStart(7),
        String(r.contacts).padStart(9),
        r.seconds.toFixed(1).padStart(7),
        r.contactsPerSecond.toFixed(0).padStart(11),
        `${(r.contactsPerSecond / one.contactsPerSecond).toFixed(2)}×`.padStart(12),
        `${r.ceiling.toFixed(0)} (${r.hubspotCeiling.toFixed(0)} + ${r.salesforceCeiling.toFixed(0)})`.padStart(38),
        `${(r.contactsPerSecond / r.ceiling).toFixed(3)}×`.padStart(11),
        `${r.cores.toFixed(2)} of 2`.padStart(32),
        r.load.toFixed(1).padStart(9),
      ].join(' '),
    );

  const singles: Single[] = [];
  for (const size of [10_000, BIG])
    for (const kind of ['PostgreSQL', 'SQLite'] as const) singles.push(await single(size, kind));
  console.log(
    `\none Salesforce connection, first run (sync process: the run a worker makes); 10,000 vs ${BIG.toLocaleString('en-US')}`,
  );
  console.log('store        contacts   read     wall s  peak RSS MiB (vs 10,000)  CPU ms/contact');
  for (const s of singles) {
    const base = singles.find((b) => b.store === s.store && b.contacts === 10_000)!;
    console.log(
      [
        s.store.padEnd(11),
        String(s.contacts).padStart(9),
        String(s.read).padStart(7),
        s.seconds.toFixed(0).padStart(9),
        `${s.rssMiB.toFixed(0)} (${(s.rssMiB / base.rssMiB).toFixed(2)}×)`.padStart(25),
        s.cpuMsPerContact.toFixed(2).padStart(15),
      ].join(' '),
    );
  }
}
