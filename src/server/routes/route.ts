// One route per file: `{ method, path, validate, handler }`. The handler gets what `validate`'s zod schemas parsed
// out of the request (a failure answers 400 before it runs) and the server's parts. A page answers as HTML at its path
// and as JSON at `/api` + path (or with `Accept: application/json`): one definition, see render.ts.
import type { Request, Response, Router } from 'express';
import { z } from 'zod';

import type { CrmName } from '../../crm/contract.ts';
import type { Connection, Store } from '../../store/contract.ts';
import type { Runs } from '../coordinator.ts';
import { HttpError } from '../security.ts';
import type { ServerStore } from '../server-store.ts';
import type { DashboardSummaries } from '../summary.ts';

/** What routes work with, built once by createAdminServer. */
export interface ServerDeps {
  store: Store;
  serverStore: ServerStore;
  summaries: DashboardSummaries;
  coordinator: Runs;
  /** CRM_INFLUENCE_BUDGET_FLOOR, shown on the dashboard's budget gauge. */
  budgetFloor: number;
  /** Paid networks' monthly spend caps in US dollars (CRM_INFLUENCE_X_MONTHLY_CAP_USD), shown beside each month's spend. */
  spendCaps: Readonly<Record<string, number>>;
  /** Which OAuth flows are configured (the Connections page offers those). */
  oauth: { salesforce: boolean; hubspot: boolean; salesforceLoginUrl: string };
  /** CRM_INFLUENCE_SCHEDULE and CRM_INFLUENCE_REFRESH_DAYS: a connection's settings until it has its own. */
  settingsDefaults: { schedule: string; refreshDays: number };
  /** The handle mapping each CRM's connector reads when the admin has set none (shown greyed in the form). */
  defaultHandleMapping: (crm: CrmName) => readonly { field: string; network: string }[];
  /** Reason code → the words the CRM's picklist shows for it (from the manifests); a code without words shows as is. */
  reasonLabels: Readonly<Record<string, string>>;
  now: () => Date;
}

export interface RouteContext {
  req: Request;
  res: Response;
  deps: ServerDeps;
}

export interface Route<
  P extends z.ZodType = z.ZodType,
  Q extends z.ZodType = z.ZodType,
  B extends z.ZodType = z.ZodType,
> {
  method: 'get' | 'post';
  /** The page's path (or paths); each also answers as JSON at `/api` + path. */
  path: string | readonly string[];
  /** `anyone`: answered before the sign-in wall. Default: signed-in admins only. */
  access?: 'admin' | 'anyone';
  /** Only at `/api` + path: no page. */
  jsonOnly?: boolean;
  /** What the handler reads. On failure: 400 worded by `invalid` for that part when given, else the zod issues. */
  validate: { params?: P; query?: Q; body?: B; invalid?: Partial<Record<RequestPart, (error: z.ZodError) => string>> };
  handler(
    input: { params: z.output<P>; query: z.output<Q>; body: z.output<B> },
    ctx: RouteContext,
  ): Promise<void> | void;
}

/** Identity, for type inference: `export const route = defineRoute({ ... })`. */
export function defineRoute<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType>(
  route: Route<P, Q, B>,
): Route<P, Q, B> {
  return route;
}

function apiPath(path: string): string {
  return path === '/' ? '/api' : `/api${path}`;
}

type RequestPart = 'params' | 'query' | 'body';

function parsePart(route: Route, part: RequestPart, value: unknown): unknown {
  const schema = route.validate[part];
  if (schema === undefined) return undefined;
  const invalid = route.validate.invalid?.[part];
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  // Without a wording of its own, the error handler words the zod issues.
  if (invalid === undefined) throw parsed.error;
  throw new HttpError(400, invalid(parsed.error));
}

/** Registers the routes of one access level on a router, in list order. */
export function mountRoutes(router: Router, routes: readonly Route[], deps: ServerDeps): void {
  for (const route of routes) {
    const paths = typeof route.path === 'string' ? [route.path] : [...route.path];
    const at = route.jsonOnly === true ? paths.map(apiPath) : [...paths, ...paths.map(apiPath)];
    router[route.method](at, async (req, res) => {
      const input = {
        params: parsePart(route, 'params', req.params),
        query: parsePart(route, 'query', req.query),
        body: parsePart(route, 'body', req.body ?? {}),
      };
      await route.handler(input, { req, res, deps });
    });
  }
}

/** A record id in a path: what the store keys on. */
export const ID = z.string().min(1).max(200);

/** The connection a page shows: the one asked for (`?connection=`), else the first. */
export async function pickConnection(
  store: Store,
  requested: string | undefined,
): Promise<{ connections: Connection[]; chosen: Connection | undefined }> {
  const connections = await store.listConnections();
  return { connections, chosen: connections.find((c) => c.id === requested) ?? connections[0] };
}

/** `?connection=`: a string, else none (a repeated parameter is ignored, as before). */
export const ConnectionQuerySchema = z.object({ connection: z.string().optional().catch(undefined) });
