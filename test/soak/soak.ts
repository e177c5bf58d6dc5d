// The soak (issue 18): the real CLI `sync --once --json` as child processes against the soak world (world.ts), for
// a Salesforce org and a HubSpot portal at once, on one store. At seeded points it SIGKILLs a sync (mostly inside a
// write: the CRM saved, the process never heard), sends SIGTERM (a clean interrupt), expires the Salesforce token and
// deletes an influence field as an admin would (then puts it back, as the error tells them to). After a killed run
// the lease is expired by hand (the 10 minutes a real operator waits). When every event has fired and a run has
// finished, one more run retries what failed; then the CRMs' write logs and the store are compared record by record.
import type { ChildProcess } from 'node:child_process';
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { fileURLToPath } from 'node:url';

import pg from 'pg';

import { unitHash } from '../../src/sandbox/faults.ts';
import type { FieldDef } from '../../src/sandbox/salesforce/schema.ts';
import type { Store } from '../../src/store/contract.ts';
import { PostgresStore } from '../../src/store/postgres.ts';
import type { RunReport } from '../../src/store/run-report.ts';
import { RunReportSchema } from '../../src/store/run-report.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';
import type { SoakCrm, SoakWorld } from './world.ts';
import { SOAK_CRMS, startSoakWorld } from './world.ts';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/crm-influence.js');
/** Prints the process's peak RSS on exit (a killed process prints nothing: /proc is sampled too). */
const PEAK_RSS_HOOK =
  'data:text/javascript,process.on("exit",()=>process.stderr.write("\\npeak-rss-kib "+process.resourceUsage().maxRSS+"\\n"))';
export const DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
/** The Salesforce field and HubSpot property an admin deletes mid-run. */
const DELETED_FIELD = { salesforce: 'Influence_Trend__c', hubspot: 'influence_trend' } as const;

export type SoakStoreKind = 'sqlite' | 'postgres';

export interface SoakOptions {
  contacts: number;
  /** SIGKILLs, over both CRMs. */
  kills: number;
  /** Clean interrupts (one SIGTERM each), over both CRMs. */
  sigterms: number;
  seed: string;
  /** A run that makes no CRM request for this long is hung: reported, then killed. */
  hangMs?: number;
  /** Runs per CRM before the soak gives up (a run loop that never settles is a finding too). */
  maxRuns?: number;
  /** Finished runs after the last event (default 2: the second retries what the first left failed). */
  settleRuns?: number;
  log?: (line: string) => void;
}

export interface SoakResult {
  store: SoakStoreKind;
  contacts: number;
  /** Records not opted out: each must end written, failed for a reason, or waiting for a retry. */
  expected: number;
  /** Written, and no write of theirs repeated values the record already held. */
  once: number;
  /** Neither on the record nor explained by an error in the store, or the store remembers a value the CRM lacks. */
  lost: number;
  /** Records with a write that carried nothing new (the same values again, only the date moved). */
  twice: number;
  /** Not written, with a retryable error the next run retries. */
  retryable: number;
  /** Not written, refused for good (a NUL byte, a validation rule) or out of retries. */
  failed: number;
  /** Opted out but holding a score. */
  optedOutScored: number;
  peakRssMiB: number;
  /** Requests the outbound guard refused, summed over every run's row in the store (killed runs as of their last page). */
  refused: number;
  /** Requests the trap behind the hostile redirect received. */
  inward: number;
  /** Redirects to the trap the hostile instance served (each should be refused; a killed run's refusals go unreported). */
  redirectsServed: number;
  kills: number;
  /** Clean: exit 143 with status `interrupted`, or (a signal during the run's last write) the run finished with exit 0. */
  sigterms: { sent: number; clean: number; finished: number };
  runs: number;
  hangs: number;
  wallSeconds: number;
  /** What went wrong on the way (a hang, an unclean interrupt, a run the lease refused…), for the report. */
  problems: string[];
  /** A few examples of lost / twice records, to start debugging from. */
  examples: string[];
}

/** mulberry32 over a seed string: the soak's only source of randomness. */
function random(seed: string): () => number {
  let state = Math.floor(unitHash(seed) * 2 ** 32);
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

type Trigger = { writes: number } | { afterMs: number };
interface SoakEvent {
  action: 'kill' | 'term' | 'expire-token' | 'delete-field';
  trigger: Trigger;
  fired: boolean;
}

/** One CRM's events in the order they fire: write counts ascending, a few kills by time between them. */
function planEvents(crm: SoakCrm, size: number, kills: number, terms: number, rng: () => number): SoakEvent[] {
  const byWrites: SoakEvent[] = [];
  const byTime: SoakEvent[] = [];
  const atWrites = (action: SoakEvent['action']) =>
    byWrites.push({ action, trigger: { writes: 1 + Math.floor((0.02 + 0.85 * rng()) * size) }, fired: false });
  for (let k = 0; k < kills; k++) {
    // One kill in five lands by time: at start-up, while reading or while waiting on the networks.
    if (rng() < 0.2)
      byTime.push({ action: 'kill', trigger: { afterMs: 300 + Math.floor(rng() * 8000) }, fired: false });
    else atWrites('kill');
  }
  // A clean interrupt lands in the first half of the pass, where there is work left to stop.
  for (let k = 0; k < terms; k++)
    byWrites.push({ action: 'term', trigger: { writes: 1 + Math.floor((0.05 + 0.45 * rng()) * size) }, fired: false });
  if (crm === 'salesforce') atWrites('expire-token');
  atWrites('delete-field');
  byWrites.sort((a, b) => (a.trigger as { writes: number }).writes - (b.trigger as { writes: number }).writes);
  for (const event of byTime) byWrites.splice(Math.floor(rng() * (byWrites.length + 1)), 0, event);
  return byWrites;
}

/** Peak RSS so far of a live process (VmHWM), in KiB; 0 when it is gone. */
function peakRssKib(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/** The last JSON object a `sync --json` printed (the run report), if any. */
function reportOf(stdout: string): RunReport | null {
  const start = stdout.indexOf('{');
  if (start < 0) return null;
  try {
    return RunReportSchema.parse(JSON.parse(stdout.slice(start)));
  } catch {
    return null;
  }
}

interface StoreHandle {
  env: Record<string, string>;
  /** Expires the leases of one CRM's connections (a killed run's lease, after the wait a real operator would have). */
  expireLeases(crm: SoakCrm): Promise<void>;
  open(): Promise<Store>;
  /** Every record error of a connection: id, retryable, attempts. */
  errors(store: Store, connectionId: string): Promise<Map<string, { retryable: boolean; attempts: number }>>;
  drop(): Promise<void>;
}

async function prepareStore(kind: SoakStoreKind, dir: string, secretKey: string): Promise<StoreHandle> {
  const expireSql =
    "UPDATE leases SET expires_at = '2000-01-01T00:00:00.000Z' WHERE connection_id IN (SELECT id FROM connections WHERE crm = ";
  const errorsOf = async (store: Store, connectionId: string, placeholder: string) => {
    const rows = await store.sql!().query<{
      record_id: string;
      retryable: number | boolean;
      attempts: number;
    }>(`SELECT record_id, retryable, attempts FROM record_errors WHERE connection_id = ${placeholder}`, [connectionId]);
    return new Map(
      rows.map((r) => [r.record_id, { retryable: r.retryable === true || r.retryable === 1, attempts: r.attempts }]),
    );
  };
  if (kind === 'sqlite') {
    const file = path.join(dir, 'soak.db');
    return {
      env: { CRM_INFLUENCE_DB: file },
      expireLeases(crm) {
        try {
          const db = new DatabaseSync(file);
          db.exec('PRAGMA busy_timeout = 10000');
          db.prepare(`${expireSql} ?)`).run(crm);
          db.close();
        } catch {
          // Killed before the store was made: there is no lease to expire.
        }
        return Promise.resolve();
      },
      open: () => SqliteStore.open(file, { secretKey: Buffer.from(secretKey, 'hex') }),
      errors: (store, id) => errorsOf(store, id, '?'),
      drop: () => Promise.resolve(),
    };
  }
  const schema = `soak_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  const withClient = async (body: (client: pg.Client) => Promise<unknown>) => {
    const client = new pg.Client({ connectionString: DATABASE_URL, options: `-c search_path=${schema}` });
    await client.connect();
    try {
      await body(client);
    } finally {
      await client.end();
    }
  };
  return {
    env: { DATABASE_URL: `${DATABASE_URL}?options=${encodeURIComponent(`-c search_path=${schema}`)}` },
    async expireLeases(crm) {
      await withClient((client) => client.query(`${expireSql} $1)`, [crm])).catch(() => undefined);
    },
    open: () =>
      PostgresStore.open({ connectionString: DATABASE_URL, schema, secretKey: Buffer.from(secretKey, 'hex') }),
    errors: (store, id) => errorsOf(store, id, '$1'),
    drop: () => withClient((client) => client.query(`DROP SCHEMA ${schema} CASCADE`)).then(() => undefined),
  };
}

interface RunOutcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  report: RunReport | null;
  fired: SoakEvent[];
  hung: boolean;
  rssKib: number;
}

/** The soak on one store: both CRMs' run loops at once, then the count. */
export async function soakOneStore(kind: SoakStoreKind, options: SoakOptions): Promise<SoakResult> {
  const started = Date.now();
  const log = options.log ?? (() => undefined);
  const hangMs = options.hangMs ?? 180_000;
  const maxRuns = options.maxRuns ?? 80;
  const world = await startSoakWorld({ contacts: options.contacts, seed: options.seed });
  const dir = mkdtempSync(path.join(tmpdir(), `soak-${kind}-`));
  const secretKey = randomBytes(32).toString('hex');
  const storeHandle = await prepareStore(kind, dir, secretKey);
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    ...world.env,
    ...storeHandle.env,
    CRM_INFLUENCE_SECRET_KEY: secretKey,
    CRM_INFLUENCE_LOG_LEVEL: 'silent',
  };
  const result: SoakResult = {
    store: kind,
    contacts: options.contacts,
    expected: 0,
    once: 0,
    lost: 0,
    twice: 0,
    retryable: 0,
    failed: 0,
    optedOutScored: 0,
    peakRssMiB: 0,
    refused: 0,
    inward: 0,
    redirectsServed: 0,
    kills: 0,
    sigterms: { sent: 0, clean: 0, finished: 0 },
    runs: 0,
    hangs: 0,
    wallSeconds: 0,
    problems: [],
    examples: [],
  };
  const connections = new Map<SoakCrm, string>();
  let peakKib = 0;
  const deletedSalesforceField: FieldDef[] = [];

  const fire = (crm: SoakCrm, event: SoakEvent, child: ChildProcess, fired: SoakEvent[], rss: { kib: number }) => {
    event.fired = true;
    fired.push(event);
    log(`${kind} ${crm}: ${event.action} at ${world.logs[crm].total} writes`);
    switch (event.action) {
      case 'kill':
        rss.kib = Math.max(rss.kib, peakRssKib(child.pid));
        child.kill('SIGKILL');
        break;
      case 'term':
        child.kill('SIGTERM');
        break;
      case 'expire-token':
        world.salesforce.control.expireTokens();
        break;
      case 'delete-field':
        if (crm === 'salesforce') {
          const def = world.salesforce.control.org.schemas.Contact.field(DELETED_FIELD.salesforce);
          if (def) deletedSalesforceField.push(def);
          world.salesforce.control.deleteField('Contact', DELETED_FIELD.salesforce);
        } else world.hubspot.control.deleteProperty(DELETED_FIELD.hubspot);
        break;
    }
  };

  const runOnce = (crm: SoakCrm, events: SoakEvent[]): Promise<RunOutcome> =>
    new Promise((resolve) => {
      const child = spawn(
        process.execPath,
        ['--import', PEAK_RSS_HOOK, BIN, 'sync', '--crm', crm, '--once', '--json'],
        {
          env,
        },
      );
      const out = { stdout: '', stderr: '' };
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out.stdout += chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (out.stderr += chunk));
      const fired: SoakEvent[] = [];
      const rss = { kib: 0 };
      let stopping = false;
      let hung = false;
      const next = () => events.find((e) => !e.fired);
      const fireNext = (event: SoakEvent) => {
        fire(crm, event, child, fired, rss);
        if (event.action === 'kill' || event.action === 'term') stopping = true;
      };
      world.onWrite[crm] = () => {
        if (stopping) return;
        // Several events may be due at once (a field deleted and a kill in one write call).
        for (let event = next(); event !== undefined && !stopping; event = next()) {
          if (!('writes' in event.trigger) || world.logs[crm].total < event.trigger.writes) break;
          fireNext(event);
        }
      };
      // A timed event counts from the run's first CRM request: the process is past start-up (its signal handlers
      // are in place) and has a run to lose.
      const first = next();
      const timed = first !== undefined && 'afterMs' in first.trigger ? first : undefined;
      let timer: NodeJS.Timeout | undefined;
      const startRequests = world.crmRequests(crm);
      let lastRequests = startRequests;
      let lastActive = Date.now();
      const watchdog = setInterval(() => {
        rss.kib = Math.max(rss.kib, peakRssKib(child.pid));
        const requests = world.crmRequests(crm);
        if (timed !== undefined && timer === undefined && requests !== startRequests)
          timer = setTimeout(
            () => {
              if (!stopping) fireNext(timed);
            },
            (timed.trigger as { afterMs: number }).afterMs,
          );
        if (requests !== lastRequests) {
          lastRequests = requests;
          lastActive = Date.now();
        } else if (Date.now() - lastActive > hangMs && !stopping) {
          hung = true;
          stopping = true;
          child.kill('SIGKILL');
        }
      }, 100);
      child.once('exit', (code, signal) => {
        clearInterval(watchdog);
        clearTimeout(timer);
        world.onWrite[crm] = null;
        child.stdout.once('end', () => undefined);
        // Let the pipes drain before reading them.
        setImmediate(() => {
          const hook = /peak-rss-kib (\d+)/.exec(out.stderr);
          resolve({
            code,
            signal,
            stdout: out.stdout,
            stderr: out.stderr,
            report: reportOf(out.stdout),
            fired,
            hung,
            rssKib: Math.max(rss.kib, hook ? Number(hook[1]) : 0),
          });
        });
      });
    });

  /** The admin reads the error and puts the deleted field back. */
  const restoreField = async (crm: SoakCrm): Promise<void> => {
    if (crm === 'salesforce') {
      for (const def of deletedSalesforceField.splice(0)) world.salesforce.control.org.schemas.Contact.add(def);
      return;
    }
    await installFields(crm);
  };

  /** `fields install`: what an admin runs once before the first sync (HubSpot properties; Salesforce has them). */
  const installFields = (crm: SoakCrm): Promise<void> =>
    new Promise<void>((resolve) =>
      execFile(process.execPath, [BIN, 'fields', 'install', '--crm', crm], { env }, (error, _o, stderr) => {
        if (error) result.problems.push(`${crm}: fields install failed: ${stderr.slice(-300)}`);
        resolve();
      }),
    );

  const crmLoop = async (crm: SoakCrm, events: SoakEvent[], rng: () => number): Promise<void> => {
    let finishedAfterEvents = 0;
    let afterTerm = false;
    if (crm === 'hubspot') await installFields(crm);
    for (let run = 0; run < maxRuns; run++) {
      const runStarted = Date.now();
      const outcome = await runOnce(crm, events);
      result.runs += 1;
      peakKib = Math.max(peakKib, outcome.rssKib);
      const report = outcome.report;
      if (report) connections.set(crm, report.connection);
      const killed = outcome.fired.some((e) => e.action === 'kill') || outcome.hung;
      const termed = outcome.fired.some((e) => e.action === 'term');
      const status = report?.status ?? `exit ${outcome.code ?? outcome.signal}`;
      log(
        `${kind} ${crm}: run ${run + 1}: ${killed ? 'killed' : status} after ${((Date.now() - runStarted) / 1000).toFixed(1)} s ` +
          `(${world.logs[crm].total} writes so far${report ? `; read ${report.counts.read}, written ${report.counts.written}, failed ${report.counts.failed}` : ''})`,
      );
      if (afterTerm && /already running/.test(outcome.stderr))
        result.problems.push(`${crm}: the run after a clean interrupt was refused: the lease was not released`);
      afterTerm = false;
      if (outcome.hung) {
        result.hangs += 1;
        result.problems.push(`${crm}: run ${run + 1} made no CRM request for ${hangMs / 1000} s (hung; killed)`);
      }
      if (killed) {
        if (outcome.signal === 'SIGKILL') result.kills += outcome.hung ? 0 : 1;
        else if (!outcome.hung)
          // The kill came as the process was exiting on its own (a loaded machine): it lands in a later run instead.
          for (const event of outcome.fired)
            if (event.action === 'kill')
              Object.assign(event, { fired: false, trigger: { afterMs: Math.floor(rng() * 1000) } });
        await storeHandle.expireLeases(crm);
        continue;
      }
      if (termed) {
        result.sigterms.sent += 1;
        if (outcome.code === 143 && report?.status === 'interrupted') result.sigterms.clean += 1;
        else if (
          // The run had ended and printed its report: the signal came as the process was exiting (its handlers gone).
          (outcome.code === 0 || outcome.signal === 'SIGTERM') &&
          (report?.status === 'ok' || report?.status === 'partial')
        ) {
          result.sigterms.clean += 1;
          result.sigterms.finished += 1;
        } else
          result.problems.push(
            `${crm}: SIGTERM gave exit ${outcome.code ?? outcome.signal} and status ${report?.status ?? 'no report'}`,
          );
        afterTerm = true;
        continue;
      }
      if (/already running/.test(outcome.stderr)) {
        result.problems.push(`${crm}: run ${run + 1} refused: another run holds the lease`);
        await storeHandle.expireLeases(crm);
        continue;
      }
      if (report?.status === 'failed' && /field|property/i.test(report.message ?? '')) {
        log(`${kind} ${crm}: admin restores the deleted field (${report.message?.slice(0, 120)})`);
        await restoreField(crm);
        continue;
      }
      if (report === null || !['ok', 'partial', 'budget_reached'].includes(report.status)) {
        result.problems.push(
          `${crm}: run ${run + 1} ended ${status}: ${(report?.message ?? outcome.stderr).slice(-400).trim()}`,
        );
        continue;
      }
      const pending = events.filter((e) => !e.fired);
      if (pending.length > 0) {
        // The pass is over before these write counts were reached: they land by time in the next runs instead, sooner
        // each time a run ends before its time comes.
        for (const event of pending)
          event.trigger =
            'writes' in event.trigger
              ? { afterMs: Math.floor(rng() * 1000) }
              : { afterMs: Math.floor(event.trigger.afterMs / 2) };
        continue;
      }
      // One finished run after the last event, then one more that retries what failed (tomorrow's run).
      finishedAfterEvents += 1;
      if (finishedAfterEvents >= (options.settleRuns ?? 2)) return;
    }
    result.problems.push(`${crm}: did not settle within ${maxRuns} runs`);
  };

  try {
    const kills = { salesforce: Math.ceil(options.kills / 2), hubspot: Math.floor(options.kills / 2) };
    const terms = { salesforce: Math.ceil(options.sigterms / 2), hubspot: Math.floor(options.sigterms / 2) };
    const sizes = { salesforce: world.split, hubspot: options.contacts - world.split };
    await Promise.all(
      SOAK_CRMS.map((crm) => {
        const rng = random(`${options.seed}|${crm}`);
        return crmLoop(crm, planEvents(crm, sizes[crm], kills[crm], terms[crm], rng), rng);
      }),
    );
    result.inward = world.inwardHits();
    result.redirectsServed = world.redirectsInward();
    result.peakRssMiB = Math.round(peakKib / 1024);
    await count(world, storeHandle, connections, result);
  } finally {
    await world.close();
    await storeHandle.drop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
  result.wallSeconds = Math.round((Date.now() - started) / 1000);
  return result;
}

/** Record by record: what the CRM holds, what its write log saw, what the store remembers. */
async function count(
  world: SoakWorld,
  handle: StoreHandle,
  connections: ReadonlyMap<SoakCrm, string>,
  result: SoakResult,
): Promise<void> {
  const store = await handle.open();
  try {
    for (const crm of SOAK_CRMS) {
      const connectionId = connections.get(crm);
      if (connectionId === undefined) {
        result.problems.push(`${crm}: no run ever printed a report`);
        continue;
      }
      const errors = await handle.errors(store, connectionId);
      // Every run's row, killed ones included (each page saves the calls so far).
      for (const run of await store.listRuns({ connectionId, limit: 10_000 }))
        result.refused += run.apiCalls.refused ?? 0;
      const records = [...world.records(crm)];
      for (let start = 0; start < records.length; start += 1000) {
        const chunk = records.slice(start, start + 1000);
        const states = await store.getSyncStates(
          connectionId,
          chunk.map((r) => r.id),
        );
        for (const { id, optedOut } of chunk) {
          const tier = world.tierOf(crm, id);
          if (optedOut) {
            if (tier !== null) result.optedOutScored += 1;
            continue;
          }
          result.expected += 1;
          const remembered = states.get(id)?.lastWritten?.tier ?? null;
          const example = (what: string) => {
            if (result.examples.length < 10)
              result.examples.push(
                `${crm} ${id}: ${what} (CRM tier ${tier}, store ${remembered}, writes ${world.logs[crm].writesOf(id)}, error ${JSON.stringify(errors.get(id) ?? null)})`,
              );
          };
          if (tier !== null) {
            if (remembered !== null && remembered !== tier) {
              result.lost += 1;
              example('the store remembers another value');
            } else if (world.logs[crm].repeatsOf(id) > 0) {
              result.twice += 1;
              example('written twice');
            } else result.once += 1;
            continue;
          }
          const error = errors.get(id);
          if (error === undefined) {
            result.lost += 1;
            example('never written, no error');
          } else if (error.retryable && error.attempts < 5) result.retryable += 1;
          else result.failed += 1;
        }
      }
    }
  } finally {
    await store.close();
  }
}

/** One line per store, as `npm run soak` prints it. */
export function describeSoak(r: SoakResult): string {
  const n = (v: number) => v.toLocaleString('en-US');
  return (
    `${r.store.padEnd(8)} ${n(r.contacts)} contacts: expected ${n(r.expected)} · once ${n(r.once)} · lost ${n(r.lost)} · ` +
    `twice ${n(r.twice)} · retryable ${n(r.retryable)} · failed ${n(r.failed)} · peak RSS ${r.peakRssMiB} MiB · ` +
    `refused ${n(r.refused)} · inward ${r.inward} of ${r.redirectsServed} redirects · kills ${r.kills} · SIGTERM ${r.sigterms.clean}/${r.sigterms.sent} clean` +
    `${r.sigterms.finished > 0 ? ` (${r.sigterms.finished} finished its last write)` : ''} · ` +
    `hangs ${r.hangs} · runs ${r.runs} · wall ${r.wallSeconds} s`
  );
}
