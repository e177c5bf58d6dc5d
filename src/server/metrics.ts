// /metrics in the Prometheus text format: runs by CRM and status, records by outcome, API calls by CRM and by
// network, open per-record errors by code, last successful run per connection. Read from the store, so every
// process (CLI runs too) is counted. Guarded: the bearer token (CRM_INFLUENCE_METRICS_TOKEN) when one is set, else
// answered on loopback only, unless CRM_INFLUENCE_METRICS_PUBLIC opens it on purpose.
import { timingSafeEqual } from 'node:crypto';

import type { RequestHandler } from 'express';

import type { Store } from '../store/contract.ts';
import { fromLoopback } from './security.ts';
import type { ServerStore } from './server-store.ts';

const RUNS_SCANNED = 10_000;

function label(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

class Exposition {
  readonly #lines: string[] = [];
  family(
    name: string,
    type: 'counter' | 'gauge',
    help: string,
    samples: Iterable<[Record<string, string>, number]>,
  ): void {
    this.#lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) {
      const ls = Object.entries(labels)
        .map(([k, v]) => `${k}="${label(v)}"`)
        .join(',');
      this.#lines.push(`${name}${ls === '' ? '' : `{${ls}}`} ${Number.isFinite(value) ? value : 0}`);
    }
  }
  text(): string {
    return `${this.#lines.join('\n')}\n`;
  }
}

function add(map: Map<string, [Record<string, string>, number]>, labels: Record<string, string>, value: number): void {
  const key = JSON.stringify(labels);
  const entry = map.get(key);
  if (entry === undefined) map.set(key, [labels, value]);
  else entry[1] += value;
}

export async function renderMetrics(store: Store, serverStore: ServerStore): Promise<string> {
  const runs = await store.listRuns({ limit: RUNS_SCANNED });
  const runCounts = new Map<string, [Record<string, string>, number]>();
  const records = new Map<string, [Record<string, string>, number]>();
  const crmCalls = new Map<string, [Record<string, string>, number]>();
  const providerCalls = new Map<string, [Record<string, string>, number]>();
  const refused = new Map<string, [Record<string, string>, number]>();
  const lastSuccess = new Map<string, [Record<string, string>, number]>();
  for (const r of runs) {
    add(runCounts, { crm: r.crm, status: r.status, dry_run: String(r.dryRun) }, 1);
    if (r.dryRun) continue;
    for (const [outcome, n] of Object.entries(r.counts)) add(records, { crm: r.crm, outcome }, n);
    for (const [kind, n] of Object.entries(r.apiCalls.crm)) add(crmCalls, { crm: r.crm, kind }, n);
    for (const [network, n] of Object.entries(r.apiCalls.providers)) add(providerCalls, { crm: r.crm, network }, n);
    add(refused, { crm: r.crm }, r.apiCalls.refused ?? 0);
    if ((r.status === 'ok' || r.status === 'partial') && r.finishedAt !== null) {
      const at = Date.parse(r.finishedAt) / 1000;
      const key = JSON.stringify({ connection: r.connection, crm: r.crm });
      const seen = lastSuccess.get(key);
      if (seen === undefined || seen[1] < at) lastSuccess.set(key, [{ connection: r.connection, crm: r.crm }, at]);
    }
  }
  const errors = new Map<string, [Record<string, string>, number]>();
  for (const e of await serverStore.errorsByCode()) add(errors, { crm: e.crm, code: e.code }, e.n);
  const connections = await store.listConnections();
  const out = new Exposition();
  out.family(
    'crm_influence_runs_total',
    'counter',
    `Sync runs in the store (last ${RUNS_SCANNED}).`,
    runCounts.values(),
  );
  out.family(
    'crm_influence_records_total',
    'counter',
    'Records per outcome over those runs (dry runs excluded).',
    records.values(),
  );
  out.family(
    'crm_influence_crm_api_calls_total',
    'counter',
    'CRM API calls by kind (dry runs excluded).',
    crmCalls.values(),
  );
  out.family(
    'crm_influence_provider_api_calls_total',
    'counter',
    'Social network API calls by network (dry runs excluded).',
    providerCalls.values(),
  );
  out.family(
    'crm_influence_outbound_refused_total',
    'counter',
    'Requests to hosts from CRM data that the outbound guard refused to send (dry runs excluded).',
    refused.values(),
  );
  out.family(
    'crm_influence_record_errors',
    'gauge',
    'Per-record errors waiting (retry or review), by code.',
    errors.values(),
  );
  out.family(
    'crm_influence_last_success_timestamp_seconds',
    'gauge',
    'When the last ok/partial run of a connection finished.',
    lastSuccess.values(),
  );
  out.family(
    'crm_influence_connections',
    'gauge',
    'Connections by status.',
    (() => {
      const m = new Map<string, [Record<string, string>, number]>();
      for (const c of connections) add(m, { crm: c.crm, status: c.status }, 1);
      return m.values();
    })(),
  );
  return out.text();
}

export interface MetricsAccess {
  /** Bearer token /metrics demands of every caller. */
  token?: string | undefined;
  /** Without a token: answer every caller (true) or loopback only (false, the default). */
  public?: boolean | undefined;
}

export function metricsHandler(
  store: Store,
  serverStore: ServerStore,
  access: MetricsAccess,
  /** More families (the PostgreSQL run queue's and the shared network budgets'), appended. */
  more?: () => Promise<string>,
): RequestHandler {
  return async (req, res) => {
    if (access.token !== undefined) {
      const given = Buffer.from(/^Bearer\s+(.+)$/i.exec(req.get('authorization') ?? '')?.[1] ?? '');
      const expected = Buffer.from(access.token);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        res
          .status(401)
          .set('WWW-Authenticate', 'Bearer')
          .type('text/plain')
          .send('metrics need the bearer token (CRM_INFLUENCE_METRICS_TOKEN)\n');
        return;
      }
    } else if (access.public !== true && !fromLoopback(req)) {
      res
        .status(401)
        .set('WWW-Authenticate', 'Bearer')
        .type('text/plain')
        .send(
          'metrics answer on loopback only: set CRM_INFLUENCE_METRICS_TOKEN (then scrape with that bearer token) or CRM_INFLUENCE_METRICS_PUBLIC=true\n',
        );
      return;
    }
    const text = await renderMetrics(store, serverStore);
    res.type('text/plain; version=0.0.4').send(more === undefined ? text : `${text}${await more()}`);
  };
}
