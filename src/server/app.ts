// The admin server: an express 5 app over the product's store. Order matters: security headers → health and signed
// webhooks → the Host check (DNS rebinding) → metrics, static → body limits → no-store → session + passport → CSRF →
// sign-in → everything else behind requireAdmin, as pages and as JSON (`/api/...` or `Accept: application/json`).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';

import type { NextFunction, Request, Response } from 'express';
import express from 'express';
import session from 'express-session';
import { z } from 'zod';

import type { JobQueue } from '../jobs/queue.ts';
import type { Logger } from '../log.ts';
import type { Store } from '../store/contract.ts';
import { describeIssues } from '../zod-issues.ts';
import { authRoutes, createPassport } from './auth.ts';
import type { Runs } from './coordinator.ts';
import { RunCoordinator } from './coordinator.ts';
import { html, layout } from './html.ts';
import type { AccountThrottleOptions } from './login-throttle.ts';
import { AccountThrottle, DeviceCookies } from './login-throttle.ts';
import { metricsHandler } from './metrics.ts';
import type { OAuthSettings } from './oauth.ts';
import { oauthOrigins, oauthRoutes } from './oauth.ts';
import { QueuedRuns } from './queued-runs.ts';
import { ROUTES } from './routes/index.ts';
import type { ServerDeps } from './routes/route.ts';
import { mountRoutes } from './routes/route.ts';
import type { SyncRuntime } from './runtime.ts';
import {
  csrfProtection,
  csrfToken,
  hostCheck,
  HttpError,
  requireAdmin,
  securityHeaders,
  wantsJson,
} from './security.ts';
import { ServerStore, sqlOf } from './server-store.ts';
import { ProductSessionStore } from './session-store.ts';
import { DashboardSummaries } from './summary.ts';
import { fileUpload } from './upload.ts';

export const BODY_LIMIT = '32kb';
export const SESSION_COOKIE = 'crm_influence_sid';
const SESSION_TTL_MS = 8 * 3600_000;
const SESSION_PRUNE_EVERY_MS = 3600_000;

export type WebhookHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;
/** What one portal's webhook events ask for: contacts to (re)score and contacts that are gone. */
export interface PortalWebhookActions {
  portalId: number;
  rescore: string[];
  forget: { id: string }[];
}

export interface AdminServerOptions {
  store: Store;
  runtime: SyncRuntime;
  logger: Logger;
  /** CRM_INFLUENCE_SCHEDULE, CRM_INFLUENCE_REFRESH_DAYS, CRM_INFLUENCE_BUDGET_FLOOR */
  defaultSchedule: string;
  refreshDays: number;
  budgetFloor: number;
  /** CRM_INFLUENCE_X_MONTHLY_CAP_USD per network (the runs page shows each month's spend against it). */
  spendCaps?: Readonly<Record<string, number>> | undefined;
  oauth: OAuthSettings;
  /** The HubSpot webhook handler (signature checked inside), given "act on what this portal's events ask". */
  hubspotWebhook?: ((deliver: (actions: PortalWebhookActions) => Promise<void>) => WebhookHandler) | undefined;
  /** The handle mapping each CRM's connector reads when the admin has set none (the settings page shows it). */
  defaultHandleMapping?: ServerDeps['defaultHandleMapping'] | undefined;
  /** Reason codes in words, as the CRM picklists label them (contact pages). */
  reasonLabels?: ServerDeps['reasonLabels'] | undefined;
  /** Bearer token /metrics demands; without one, /metrics answers loopback only… */
  metricsToken?: string | undefined;
  /** …or everyone, when this is true (CRM_INFLUENCE_METRICS_PUBLIC). */
  metricsPublic?: boolean | undefined;
  /**
   * Host names the server answers to besides IP literals and localhost: the bound host, CRM_INFLUENCE_PUBLIC_URL's
   * (added here from `oauth.publicUrl`).
   */
  hostNames?: readonly string[];
  /** Cookie `Secure` flag: 'auto' = when the request came over https (behind a trusted proxy: X-Forwarded-Proto). */
  secureCookies?: boolean | 'auto';
  /** express "trust proxy" (e.g. 1 behind one reverse proxy). */
  trustProxy?: boolean | number | string;
  loginLimit?: number;
  loginWindowMs?: number;
  accountThrottle?: AccountThrottleOptions;
  /** How often expired sessions are deleted (default hourly). */
  sessionPruneMs?: number;
  webhookDebounceMs?: number;
  /** The PostgreSQL run queue: runs are queued for workers instead of run in this process. */
  jobs?: JobQueue | undefined;
  /** Appended to /metrics (the run queue and the shared network budgets, from the composition root). */
  moreMetrics?: (() => Promise<string>) | undefined;
  now?: () => Date;
}

export interface AdminServer {
  app: express.Express;
  coordinator: Runs;
  serverStore: ServerStore;
  summaries: DashboardSummaries;
  close(): Promise<void>;
}

const PUBLIC_DIR = fileURLToPath(new URL('./public', import.meta.url));

function bodyError(error: unknown): { status: number; message: string } | null {
  if (typeof error !== 'object' || error === null) return null;
  const e = error as { status?: unknown; type?: unknown };
  if (typeof e.status !== 'number' || e.status < 400 || e.status >= 500) return null;
  switch (e.type) {
    case 'entity.too.large':
      return { status: 413, message: `The request body is too large (limit ${BODY_LIMIT}).` };
    case 'entity.parse.failed':
      return { status: 400, message: 'The request body is not valid JSON.' };
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return { status: 415, message: 'The request body encoding is not supported (use UTF-8).' };
    case 'parameters.too.many':
      return { status: 413, message: 'The form has too many fields.' };
    default:
      return { status: e.status, message: 'The request could not be read.' };
  }
}

export async function createAdminServer(options: AdminServerOptions): Promise<AdminServer> {
  const { store, logger } = options;
  const now = options.now ?? (() => new Date());
  const db = sqlOf(store);
  const serverStore = new ServerStore(db, now);
  const summaries = new DashboardSummaries(db, now);
  const debounce = options.webhookDebounceMs !== undefined ? { webhookDebounceMs: options.webhookDebounceMs } : {};
  const coordinator: Runs =
    options.jobs === undefined
      ? new RunCoordinator({
          store,
          serverStore,
          runtime: options.runtime,
          defaultSchedule: options.defaultSchedule,
          logger,
          ...debounce,
        })
      : new QueuedRuns({
          store,
          serverStore,
          jobs: options.jobs,
          runtime: options.runtime,
          defaultSchedule: options.defaultSchedule,
          now,
          ...debounce,
        });
  const passport = createPassport(serverStore);
  const sessionSecret = await serverStore.secret('session-cookie');
  const csrfSecret = await serverStore.secret('csrf-cookie');
  const deviceSecret = await serverStore.secret('device-cookie');
  const secureCookies = options.secureCookies ?? 'auto';
  await serverStore.pruneSessions();
  const pruneTimer = setInterval(() => {
    serverStore.pruneSessions().catch((error: unknown) => logger.warn({ err: error }, 'pruning sessions failed'));
  }, options.sessionPruneMs ?? SESSION_PRUNE_EVERY_MS);
  pruneTimer.unref();

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', options.trustProxy ?? false);
  app.set('query parser', 'simple');
  app.use(securityHeaders(oauthOrigins(options.oauth)));
  app.use((req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      // The path only: query strings may carry OAuth codes.
      logger.debug(
        {
          method: req.method,
          path: req.path,
          status: res.statusCode,
          ms: Number(process.hrtime.bigint() - started) / 1e6,
        },
        'request',
      );
    });
    next();
  });

  app.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });
  if (options.hubspotWebhook !== undefined) {
    const handler = options.hubspotWebhook(async ({ portalId, rescore, forget }) => {
      // The portal's own connection only: events of a portal no connection belongs to are dropped, never spread.
      const connection = (await store.listConnections()).find(
        (c) => c.crm === 'hubspot' && c.status !== 'disabled' && c.id === `hubspot-${portalId}`,
      );
      if (connection === undefined) {
        logger.warn({ portalId }, 'HubSpot webhook for a portal no connection belongs to: dropped');
        return;
      }
      // Deleted, merged away or erased for privacy: forgotten now, not at the next run.
      if (forget.length > 0)
        await store.forgetContacts(
          connection.id,
          forget.map((g) => g.id),
        );
      if (rescore.length > 0) await coordinator.queue(connection.id, rescore);
    });
    // Before the Host check: webhooks carry no cookie and prove themselves by signature (over the public URL).
    // Raw bytes: the signature covers the body exactly as sent.
    app.post('/webhooks/hubspot', express.raw({ type: () => true, limit: '1mb' }), async (req, res) => {
      await handler(req, res);
    });
  }

  const publicHost = options.oauth.publicUrl === undefined ? [] : [new URL(options.oauth.publicUrl).hostname];
  app.use(hostCheck([...publicHost, ...(options.hostNames ?? [])]));
  app.get(
    '/metrics',
    metricsHandler(
      store,
      serverStore,
      { token: options.metricsToken, public: options.metricsPublic },
      options.moreMetrics,
    ),
  );
  app.use('/static', express.static(PUBLIC_DIR, { index: false, maxAge: '1h', fallthrough: false }));
  // Browsers and bookmarks still ask for /favicon.ico; pages name the SVG.
  app.get('/favicon.ico', (_req, res) => {
    res.redirect(301, '/static/favicon.svg');
  });

  app.use(express.json({ limit: BODY_LIMIT }));
  app.use(express.urlencoded({ extended: false, limit: BODY_LIMIT, parameterLimit: 200 }));
  // Everything from here may show the admin's data or carry a CSRF token: never kept by a browser or proxy cache.
  app.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });
  app.use(
    session({
      name: SESSION_COOKIE,
      secret: sessionSecret,
      store: new ProductSessionStore(db, now),
      resave: false,
      saveUninitialized: false,
      rolling: false,
      cookie: {
        httpOnly: true,
        sameSite: 'lax',
        secure: secureCookies,
        maxAge: SESSION_TTL_MS,
        path: '/',
      },
    }),
  );
  app.use(passport.initialize());
  app.use(passport.session());
  // The import form sends a file: its fields (and `_csrf`) are read here, for a signed-in admin only.
  app.post(['/settings/import', '/api/settings/import'], (req, res, next) => {
    if (req.user === undefined) next();
    else fileUpload()(req, res, next);
  });
  app.use(csrfProtection({ secret: csrfSecret, secureCookies }));

  const deps: ServerDeps = {
    store,
    serverStore,
    summaries,
    coordinator,
    budgetFloor: options.budgetFloor,
    spendCaps: options.spendCaps ?? {},
    oauth: {
      salesforce: options.oauth.salesforce !== undefined,
      hubspot: options.oauth.hubspot !== undefined,
      salesforceLoginUrl: options.oauth.salesforce?.defaultLoginUrl ?? 'https://login.salesforce.com',
    },
    settingsDefaults: { schedule: options.defaultSchedule, refreshDays: options.refreshDays },
    defaultHandleMapping: options.defaultHandleMapping ?? (() => []),
    reasonLabels: options.reasonLabels ?? {},
    now,
  };
  mountRoutes(
    app,
    ROUTES.filter((r) => r.access === 'anyone'),
    deps,
  );
  app.use(
    authRoutes({
      passport,
      serverStore,
      accountThrottle: new AccountThrottle(options.accountThrottle, now),
      deviceCookies: new DeviceCookies(deviceSecret, now),
      secureCookies,
      ...(options.loginLimit !== undefined ? { loginLimit: options.loginLimit } : {}),
      ...(options.loginWindowMs !== undefined ? { loginWindowMs: options.loginWindowMs } : {}),
    }),
  );

  app.use(requireAdmin);
  app.use(oauthRoutes({ store, passport, settings: options.oauth, onConnected: () => coordinator.refresh() }));
  mountRoutes(
    app,
    ROUTES.filter((r) => r.access !== 'anyone'),
    deps,
  );

  app.use((req, _res, next) => {
    next(new HttpError(404, 'No such page.'));
  });
  app.use((error: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    let status = 500;
    let message = 'Something went wrong on our side; the error was logged.';
    const fromBody = bodyError(error);
    if (error instanceof HttpError) {
      status = error.status;
      if (error.expose) message = error.message;
    } else if (error instanceof z.ZodError) {
      status = 400;
      message = `The request is not valid: ${describeIssues(error)}`;
    } else if (fromBody !== null) {
      ({ status, message } = fromBody);
    }
    if (status >= 500 && !(error instanceof HttpError))
      logger.error({ err: error, method: req.method, path: req.path }, 'request failed');
    else if (status >= 500)
      logger.warn({ method: req.method, path: req.path, status, reason: message }, 'request refused');
    res.status(status);
    if (wantsJson(req)) {
      res.json({ error: message });
      return;
    }
    const signedIn = req.user !== undefined;
    res.type('html').send(
      layout(
        {
          title: status === 404 ? 'Not found' : 'Error',
          admin: req.user?.username,
          csrfToken: signedIn ? csrfToken(req) : undefined,
        },
        html`<p class="flash flash-error" role="alert">${message}</p><p><a href="/">Back to the dashboard</a></p>`,
      ),
    );
  });

  await coordinator.refresh();
  return {
    app,
    coordinator,
    serverStore,
    summaries,
    close: () => {
      clearInterval(pruneTimer);
      return coordinator.stop();
    },
  };
}
