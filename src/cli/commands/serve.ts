// `crm-influence serve`: the admin UI, the sync schedules and the CRM webhooks in one process, on the same store as
// the CLI. The first admin comes from `--init-admin` (prompt, or CRM_INFLUENCE_ADMIN_PASSWORD) or from
// CRM_INFLUENCE_ADMIN_PASSWORD on first start; there is never a default password. This file is the server's
// composition root: the server asks "run this connection once" (SyncRuntime) and this file opens the parts for it.
import type { Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { createInterface } from 'node:readline';

import type { Command } from 'commander';
import { z } from 'zod';

import { loadPropertyManifest } from '../../../connectors/hubspot/manifest.ts';
import { DEFAULT_HANDLE_PROPERTIES, INFLUENCE_PROPERTIES } from '../../../connectors/hubspot/mapping.ts';
import { createHubSpotWebhookHandler } from '../../../connectors/hubspot/webhook.ts';
import { DEFAULT_HANDLE_MAPPING } from '../../../connectors/salesforce/field-map.ts';
import type { AppConfig } from '../../config.ts';
import { monthlySpendCaps } from '../../config.ts';
import type { CrmName } from '../../crm/contract.ts';
import { OverwritePolicySchema } from '../../crm/policy.ts';
import type { NetworkBudgets } from '../../jobs/network-budgets.ts';
import type { JobQueue } from '../../jobs/queue.ts';
import { NEGATIVE_TTL_SECONDS, PROVIDER_TTL_SECONDS, STALE_MAX_AGE_SECONDS } from '../../providers/ttl.ts';
import type { AdminServer } from '../../server/app.ts';
import { createAdminServer } from '../../server/app.ts';
import { setAdminPassword } from '../../server/auth.ts';
import type { RunOutcome, RunRequest, SyncRuntime } from '../../server/runtime.ts';
import { ServerStore, sqlOf } from '../../server/server-store.ts';
import type { Connection } from '../../store/contract.ts';
import { runSync } from '../../sync/engine.ts';
import { markAbandonedRunsOfIdleConnections } from '../../sync/lease.ts';
import { liftAfterRun } from '../../sync/lift.ts';
import { TierTasksSchema } from '../../sync/options.ts';
import { describeIssues } from '../../zod-issues.ts';
import type { CliContext } from '../context.ts';
import { withContext } from '../context.ts';
import type { OpenedProviders } from '../crms.ts';
import { openCrm, openModel, openProviders } from '../crms.ts';
import { CliError } from '../errors.ts';
import { parseFlags } from '../flags.ts';
import type { RunWorkerHandle } from '../run-jobs.ts';
import { openNetworkBudgets, openRunQueue, queueMetrics, startRunWorker } from '../run-jobs.ts';
import { listenForStop } from '../signals.ts';
import { scheduleXCompliance } from '../x-compliance.ts';

const ServeFlagsSchema = z.strictObject({
  port: z.coerce
    .number({ error: 'must be a port number' })
    .int('must be a port number')
    .min(0, 'must be 0–65535')
    .max(65535, 'must be 0–65535')
    .optional(),
  host: z.string().min(1, 'must not be empty').default('127.0.0.1'),
  initAdmin: z.boolean().default(false),
  adminUser: z
    .string()
    .regex(/^[A-Za-z0-9._@-]{1,64}$/, 'letters, digits and . _ @ - only')
    .default('admin'),
  trustProxy: z.coerce.number().int().min(0).max(10).optional(),
  withWorker: z.boolean().default(false),
  concurrency: z.coerce
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(1, 'must be 1–64')
    .max(64, 'must be 1–64')
    .default(2),
});

const RunSettingsSchema = z.looseObject({
  overwritePolicy: OverwritePolicySchema.optional(),
  tierTasks: TierTasksSchema.optional(),
  refreshDays: z.number().int().min(1).max(365).optional(),
});

export interface RuntimeParts {
  /** Providers and identity resolution (default: the composition root's open-providers). */
  openProviders?: (ctx: CliContext) => Promise<OpenedProviders>;
  /** Aborted when the process is asked to stop: runs in flight end `interrupted` (see SyncDeps.signal). */
  stopSignal?: AbortSignal;
  /** The run's lease lifetime (a worker's: its timeout, so a killed worker's connection is free when its job is). */
  leaseTtlSeconds?: number;
}

/** This process as the runs page names it: host and pid. */
export const processName = (): string => `${hostname()}:${process.pid}`;

/** "Run this connection once", composed from the CLI's composition root. */
export function createRuntime(ctx: CliContext, parts: RuntimeParts = {}): SyncRuntime {
  return {
    async run(connection: Connection, request: RunRequest): Promise<RunOutcome> {
      const { connectionId, connector } = await openCrm(connection.crm, ctx, connection);
      if (connectionId !== connection.id && (await ctx.store.getConnection(connection.id)) === null) {
        throw new CliError(
          `connection "${connection.id}" is now "${connectionId}" (named by the CRM's own org or portal id, with its contacts and runs); it runs under that name from its next schedule`,
        );
      }
      if (connectionId !== connection.id) {
        throw new CliError(
          `connection "${connection.id}" cannot be opened: the ${connection.crm} credentials in use belong to "${connectionId}"`,
        );
      }
      const { providers, resolveIdentities, importStamp } = await (parts.openProviders ?? openProviders)(ctx);
      const settings = request.settings ?? connection.settings;
      const parsed = RunSettingsSchema.safeParse(settings);
      if (!parsed.success)
        throw new CliError(`connection "${connection.id}": settings are invalid: ${describeIssues(parsed.error)}`);
      const { score, scoringKey, tierLabels } = await openModel(settings, importStamp);
      const { config, store, logger } = ctx;
      const signals = [parts.stopSignal, request.signal].filter((s) => s !== undefined);
      const signal = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
      const report = await runSync(
        {
          store,
          connector,
          providers,
          resolveIdentities,
          score,
          scoringKey,
          tierLabels,
          logger,
          ...(signal !== undefined ? { signal } : {}),
        },
        {
          connectionId,
          dryRun: request.dryRun,
          full: request.full ?? false,
          ...(request.ids !== undefined ? { ids: [...request.ids] } : {}),
          ...(parts.leaseTtlSeconds !== undefined ? { leaseTtlSeconds: parts.leaseTtlSeconds } : {}),
          worker: processName(),
          ...(request.jobId !== undefined ? { jobId: request.jobId } : {}),
          refreshDays: parsed.data.refreshDays ?? config.CRM_INFLUENCE_REFRESH_DAYS,
          budgetFloor: config.CRM_INFLUENCE_BUDGET_FLOOR,
          monthlySpendCapUsd: monthlySpendCaps(config),
          historyMonths: config.CRM_INFLUENCE_HISTORY_MONTHS,
          // The networks' own cache lifetimes (X: 30 days, paid per read), as `sync` runs them.
          providerTtlSeconds: PROVIDER_TTL_SECONDS,
          negativeTtlSeconds: NEGATIVE_TTL_SECONDS,
          lastGoodMaxAgeDays: STALE_MAX_AGE_SECONDS / 86_400,
          ...(parsed.data.overwritePolicy !== undefined ? { overwritePolicy: parsed.data.overwritePolicy } : {}),
          ...(parsed.data.tierTasks !== undefined ? { tierTasks: parsed.data.tierTasks } : {}),
        },
      );
      await liftAfterRun(connector, store, report, logger, config.CRM_INFLUENCE_BUDGET_FLOOR);
      return { report };
    },
  };
}

export interface ServeOptions {
  config: AppConfig;
  runtimeParts?: RuntimeParts;
  trustProxy?: number;
  /** The interface it listens on: a host name there is one the server answers to (see hostCheck). */
  host?: string;
  /** Tests: a lower login throttle, a quick webhook debounce. */
  loginLimit?: number;
  webhookDebounceMs?: number;
  /** The PostgreSQL run queue: runs are queued for workers. */
  jobs?: JobQueue | undefined;
  /** Appended to /metrics (the run queue's families). */
  moreMetrics?: (() => Promise<string>) | undefined;
}

/** The handle mapping each connector reads when a connection has none of its own. */
function defaultHandleMapping(crm: CrmName): readonly { field: string; network: string }[] {
  return crm === 'salesforce'
    ? DEFAULT_HANDLE_MAPPING
    : Object.entries(DEFAULT_HANDLE_PROPERTIES).map(([field, network]) => ({ field, network }));
}

/**
 * Reason codes in words, as the CRM picklists show them: the labels manifests/hubspot declares (the Salesforce
 * package deploys the same labels).
 */
export function reasonLabels(): Record<string, string> {
  const property = loadPropertyManifest().properties.find((p) => p.name === INFLUENCE_PROPERTIES.reasonCodes);
  return Object.fromEntries((property?.options ?? []).map((o) => [o.value, o.label]));
}

/** Builds the admin server for a context (the command, `demo`, tests and benchmarks). */
export async function buildAdminServer(ctx: CliContext, options: ServeOptions): Promise<AdminServer> {
  const { config } = options;
  const hubspotSecret = config.HUBSPOT_CLIENT_SECRET;
  return createAdminServer({
    store: ctx.store,
    runtime: createRuntime(ctx, options.runtimeParts),
    logger: ctx.logger,
    defaultSchedule: config.CRM_INFLUENCE_SCHEDULE,
    refreshDays: config.CRM_INFLUENCE_REFRESH_DAYS,
    budgetFloor: config.CRM_INFLUENCE_BUDGET_FLOOR,
    spendCaps: monthlySpendCaps(config),
    oauth: {
      salesforce:
        config.SALESFORCE_CLIENT_ID === undefined
          ? undefined
          : {
              clientId: config.SALESFORCE_CLIENT_ID,
              clientSecret: config.SALESFORCE_CLIENT_SECRET,
              defaultLoginUrl: config.SALESFORCE_LOGIN_URL,
            },
      hubspot:
        config.HUBSPOT_CLIENT_ID === undefined || hubspotSecret === undefined
          ? undefined
          : { clientId: config.HUBSPOT_CLIENT_ID, clientSecret: hubspotSecret, baseUrl: config.HUBSPOT_BASE_URL },
      publicUrl: config.CRM_INFLUENCE_PUBLIC_URL,
    },
    hubspotWebhook:
      hubspotSecret === undefined
        ? undefined
        : (deliver) =>
            createHubSpotWebhookHandler({
              clientSecret: hubspotSecret,
              ...(config.CRM_INFLUENCE_PUBLIC_URL !== undefined
                ? { publicBaseUrl: config.CRM_INFLUENCE_PUBLIC_URL }
                : {}),
              onEvents: deliver,
            }),
    defaultHandleMapping,
    reasonLabels: reasonLabels(),
    metricsToken: config.CRM_INFLUENCE_METRICS_TOKEN,
    metricsPublic: config.CRM_INFLUENCE_METRICS_PUBLIC,
    ...(options.host !== undefined ? { hostNames: [options.host] } : {}),
    secureCookies: 'auto',
    ...(options.trustProxy !== undefined ? { trustProxy: options.trustProxy } : {}),
    ...(options.loginLimit !== undefined ? { loginLimit: options.loginLimit } : {}),
    ...(options.webhookDebounceMs !== undefined ? { webhookDebounceMs: options.webhookDebounceMs } : {}),
    jobs: options.jobs,
    moreMetrics: options.moreMetrics,
  });
}

function promptHidden(question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    if (process.stdin.isTTY !== true) {
      reject(
        new CliError(
          '--init-admin needs a terminal to ask for the password, or CRM_INFLUENCE_ADMIN_PASSWORD in the environment',
        ),
      );
      return;
    }
    const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    process.stderr.write(question);
    // No echo of the typed password.
    (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = () => undefined;
    rl.question('', (answer) => {
      rl.close();
      process.stderr.write('\n');
      resolve(answer);
    });
  });
}

/**
 * Makes sure an admin exists before anything starts (the server, its schedules, the run queue); returns the admin
 * created or changed.
 */
export async function ensureAdmin(
  serverStore: ServerStore,
  config: AppConfig,
  flags: { initAdmin: boolean; adminUser: string },
  ask = promptHidden,
): Promise<string | null> {
  if (flags.initAdmin) {
    let password = config.CRM_INFLUENCE_ADMIN_PASSWORD;
    if (password === undefined) {
      password = await ask(`Password for admin "${flags.adminUser}" (at least 12 characters): `);
      if (password !== (await ask('Again: '))) throw new CliError('the two passwords differ; nothing was changed');
    }
    await setAdminPassword(serverStore, flags.adminUser, password);
    return flags.adminUser;
  }
  if ((await serverStore.adminCount()) > 0) return null;
  if (config.CRM_INFLUENCE_ADMIN_PASSWORD === undefined) {
    throw new CliError(
      'no admin user yet: run `crm-influence serve --init-admin` (asks for a password) or set CRM_INFLUENCE_ADMIN_PASSWORD for the first start',
    );
  }
  await setAdminPassword(serverStore, flags.adminUser, config.CRM_INFLUENCE_ADMIN_PASSWORD);
  return flags.adminUser;
}

/** ensureAdmin over the context's store, logging the admin it set. */
export async function ensureAdminOf(ctx: CliContext, flags: { initAdmin: boolean; adminUser: string }): Promise<void> {
  const admin = await ensureAdmin(new ServerStore(sqlOf(ctx.store)), ctx.config, flags);
  if (admin !== null) ctx.logger.info({ username: admin }, 'admin password set');
}

export function listen(app: AdminServer['app'], port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer(app);
    server.headersTimeout = 20_000;
    server.requestTimeout = 60_000;
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}

export interface RunningAdminUi {
  url: string;
  /** Queues a run of exactly these records (as a webhook does). */
  queue(connectionId: string, recordIds: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

/** Builds and starts the admin server over `ctx` (used by `serve` and `demo`), once an admin exists (ensureAdminOf). */
export async function startAdminUi(
  ctx: CliContext,
  at: { port: number; host: string },
  flags: { trustProxy?: number | undefined },
  stopSignal?: AbortSignal,
  queued?: { jobs: JobQueue; metrics: () => Promise<string> },
): Promise<RunningAdminUi> {
  const server = await buildAdminServer(ctx, {
    config: ctx.config,
    host: at.host,
    jobs: queued?.jobs,
    moreMetrics: queued?.metrics,
    ...(flags.trustProxy !== undefined ? { trustProxy: flags.trustProxy } : {}),
    ...(stopSignal !== undefined ? { runtimeParts: { stopSignal } } : {}),
  });
  try {
    const http = await listen(server.app, at.port, at.host);
    const { port } = http.address() as AddressInfo;
    return {
      url: `http://${at.host}:${port}/`,
      queue: (connectionId, recordIds) => server.coordinator.queue(connectionId, recordIds),
      close: async () => {
        await server.close();
        http.closeAllConnections();
        await new Promise<void>((resolve) => http.close(() => resolve()));
      },
    };
  } catch (error) {
    await server.close();
    throw error;
  }
}

/** Resolves on Ctrl-C or SIGTERM. */
export function untilStopped(): Promise<void> {
  return new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
}

async function action(rawFlags: unknown): Promise<void> {
  const flags = parseFlags('serve', ServeFlagsSchema, rawFlags);
  const stop = listenForStop();
  try {
    await withContext(async (ctx) => {
      // No admin, no server: fail before any schedule, queue or worker starts.
      await ensureAdminOf(ctx, flags);
      await markAbandonedRunsOfIdleConnections(ctx.store, ctx.logger);
      const at = { port: flags.port ?? ctx.config.PORT, host: flags.host };
      const jobs = (await openRunQueue(ctx, { schedule: true })) ?? undefined;
      let worker: RunWorkerHandle | undefined;
      let budgets: NetworkBudgets | undefined;
      try {
        if (jobs !== undefined && flags.withWorker)
          worker = await startRunWorker(ctx, jobs, { concurrency: flags.concurrency, stopSignal: stop.signal });
        else if (jobs !== undefined) budgets = await openNetworkBudgets(ctx);
        const inHand = worker;
        const metrics = async (): Promise<string> =>
          inHand !== undefined ? inHand.metrics() : budgets && jobs ? queueMetrics(jobs, budgets) : '';
        const ui = await startAdminUi(ctx, at, flags, stop.signal, jobs === undefined ? undefined : { jobs, metrics });
        scheduleXCompliance(ctx, stop.signal, (connectionId, ids) => ui.queue(connectionId, ids));
        const runs =
          jobs === undefined
            ? `schedule "${ctx.config.CRM_INFLUENCE_SCHEDULE}"`
            : flags.withWorker
              ? `runs queued in PostgreSQL, ${flags.concurrency} at a time here`
              : 'runs queued in PostgreSQL for `crm-influence worker`';
        process.stdout.write(`admin UI on ${ui.url} (${runs}; Ctrl-C stops)\n`);
        await stop.received;
        // Runs in flight end interrupted (checkpoint kept, lease released) before the store closes.
        await ui.close();
      } finally {
        await jobs?.stop();
        await worker?.close();
        await budgets?.close();
      }
    });
  } finally {
    stop.dispose();
  }
}

export function register(program: Command): void {
  program
    .command('serve')
    .description('run the admin UI, the sync schedules (CRM_INFLUENCE_SCHEDULE) and the CRM webhooks')
    .option('--port <port>', 'HTTP port (default: PORT, 3000)')
    .option('--host <host>', 'interface to listen on (default 127.0.0.1; 0.0.0.0 behind a reverse proxy)')
    .option(
      '--init-admin',
      'create the admin user or set its password (asks, or reads CRM_INFLUENCE_ADMIN_PASSWORD), then serve',
    )
    .option('--admin-user <name>', 'admin user name for --init-admin (default admin)')
    .option('--trust-proxy <hops>', 'reverse proxies in front (their X-Forwarded-Proto makes session cookies Secure)')
    .option('--with-worker', 'with DATABASE_URL: also run queued syncs in this process (SQLite always does)')
    .option('--concurrency <n>', 'with --with-worker: runs at once in this process (default 2)')
    .addHelpText(
      'after',
      '\nEnvironment: CRM_INFLUENCE_PUBLIC_URL (the https origin CRMs redirect back to; the only host name answered besides --host, localhost and IP addresses), CRM_INFLUENCE_METRICS_TOKEN (bearer token /metrics demands; unset, /metrics answers this machine only).',
    )
    .action(action);
}
