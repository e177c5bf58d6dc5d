// The emulated HubSpot API over node:http: routing, auth, rate limits, faults and counters around the portal's
// contacts and properties. Every response carries `Content-Type` (the client cannot parse one without it).
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';

import { z } from 'zod';

import { describeIssues } from '../../zod-issues.ts';
import type { FaultInjector } from '../faults.ts';
import type { ContactStore } from './contacts.ts';
import { DEFAULT_PROPERTIES } from './contacts.ts';
import type { DealStore } from './deals.ts';
import { hubspotError, HubSpotHttpError, rateLimitError, validationError } from './errors.ts';
import type { RateLimits } from './limits.ts';
import type { TokenInfo, TokenRegistry } from './oauth.ts';
import type { PropertyRegistry } from './properties.ts';
import type { ContactSearch } from './search.ts';
import type { TaskStore } from './tasks.ts';

export const BATCH_LIMIT = 100;
export const LIST_LIMIT = 100;

export interface HubSpotCounters {
  /** Calls per endpoint, e.g. `POST /crm/v3/objects/contacts/batch/update`. */
  calls: Record<string, number>;
  totalCalls: number;
  recordsRead: number;
  recordsWritten: number;
  largestBatch: number;
  /** 429s served, by policy (`injected` = from the fault schedule). */
  served429: { TEN_SECONDLY_ROLLING: number; SECONDLY: number; DAILY: number; injected: number };
}

export function emptyCounters(): HubSpotCounters {
  return {
    calls: {},
    totalCalls: 0,
    recordsRead: 0,
    recordsWritten: 0,
    largestBatch: 0,
    served429: { TEN_SECONDLY_ROLLING: 0, SECONDLY: 0, DAILY: 0, injected: 0 },
  };
}

export interface ServerParts {
  contacts: ContactStore;
  registry: PropertyRegistry;
  search: ContactSearch;
  tasks: TaskStore;
  deals: DealStore;
  tokens: TokenRegistry;
  limits: RateLimits;
  faults: FaultInjector | undefined;
  counters: HubSpotCounters;
  /** 429 bodies without `policyName`/`groupName`, as older bodies and proxies send them (only the message is left). */
  bareRateLimitBodies?: boolean;
  /** The portal's data centre (account-info's `dataHostingLocation`). */
  dataHostingLocation?: 'na1' | 'eu1';
  /** Failures the next token requests answer with, first to last. */
  tokenEndpointFaults?: TokenEndpointFault[];
  /** Sees every answer sent (the contract test validates each against HubSpot's published schemas). */
  onResponse?: (response: SentResponse) => void;
  /** Called after each successful write so the sandbox can send webhooks. */
  onContactWritten?: (index: number, changed: ReadonlyMap<string, string | null>) => void;
  baseUrl: () => string;
}

const IdInputsSchema = z.object({
  inputs: z.array(z.object({ id: z.union([z.string(), z.number()]).transform(String) })),
  properties: z.array(z.string()).optional(),
  idProperty: z.string().optional(),
});

const UpdateInputsSchema = z.object({
  inputs: z.array(
    z.object({
      id: z.union([z.string(), z.number()]).transform(String),
      properties: z.record(z.string(), z.unknown()),
      idProperty: z.string().optional(),
    }),
  ),
});

type Json = Record<string, unknown> | unknown[];

interface Reply {
  status: number;
  body?: Json;
  /** A non-JSON answer (an edge proxy's error page). */
  html?: string;
  headers?: Record<string, string>;
}

/** One answer as sent: what was asked, the status and the body (parsed JSON, or the text when not JSON). */
export interface SentResponse {
  method: string;
  path: string;
  status: number;
  body: unknown;
}

/** How the next token request fails (see `tokenEndpointFault`). */
export type TokenEndpointFault = '429' | '502' | '503';

function parseJson(raw: string): unknown {
  if (raw.trim() === '') return undefined;
  try {
    return JSON.parse(raw);
  } catch (error) {
    throw validationError(`Invalid input JSON on line 1: ${(error as Error).message}`);
  }
}

function parseWith<T extends z.ZodType>(schema: T, body: unknown): z.output<T> {
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw validationError(`Invalid input JSON on line 1: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

/** Repeated keys (`properties=a&properties=b`, as the client sends them) and comma-separated lists both work. */
function listParam(url: URL, name: string): string[] | undefined {
  const values = url.searchParams
    .getAll(name)
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
  return values.length === 0 ? undefined : values;
}

function requireScope(token: TokenInfo, scope: string): void {
  if (token.scopes.includes(scope)) return;
  throw hubspotError(
    403,
    'MISSING_SCOPES',
    "This app hasn't been granted all required scopes to make this call. Read more about required scopes here: https://developers.hubspot.com/scopes.",
    {
      errors: [
        { message: 'One or more of the following scopes are required.', context: { requiredGranularScopes: [scope] } },
      ],
    },
  );
}

function batchLimit(count: number): void {
  if (count > BATCH_LIMIT) {
    throw validationError(`Batch input limit exceeded: got ${count} inputs; the limit is ${BATCH_LIMIT} per request.`, {
      context: { limit: [String(BATCH_LIMIT)] },
    });
  }
}

function endpointKey(method: string, path: string): string {
  return `${method} ${path.replace(/\/contacts\/(?!search$|batch\b|groups\b)[^/]+$/, '/contacts/{id}').replace(/\/groups\/[^/]+$/, '/groups/{name}')}`;
}

export function createHubSpotServer(parts: ServerParts): Server {
  const { contacts, registry, search, tokens, limits, faults, counters } = parts;
  /** Injected 429s are counted where they are made, not again as a policy's. */
  const injected = new WeakSet<HubSpotHttpError>();

  async function readBody(req: IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }

  /** What each response answers (for `onResponse`). */
  const asked = new WeakMap<ServerResponse, { method: string; path: string }>();

  function send(res: ServerResponse, reply: Reply): void {
    const request = asked.get(res);
    if (parts.onResponse !== undefined && request !== undefined)
      parts.onResponse({ ...request, status: reply.status, body: reply.html ?? reply.body });
    if (reply.html !== undefined) {
      res.writeHead(reply.status, { 'Content-Type': 'text/html', ...reply.headers });
      res.end(reply.html);
      return;
    }
    const payload = reply.body === undefined ? '' : JSON.stringify(reply.body);
    res.writeHead(reply.status, { 'Content-Type': 'application/json;charset=utf-8', ...reply.headers });
    res.end(payload);
  }

  function objectsRoute(method: string, path: string, url: URL, body: unknown, token: TokenInfo): Reply | undefined {
    if (method === 'GET' && path === '/crm/v3/objects/contacts') {
      requireScope(token, 'crm.objects.contacts.read');
      const limit = url.searchParams.has('limit') ? Number(url.searchParams.get('limit')) : 10;
      if (!Number.isInteger(limit) || limit < 1 || limit > LIST_LIMIT)
        throw validationError(`limit must be between 1 and ${LIST_LIMIT}, got ${url.searchParams.get('limit')}`);
      const after = url.searchParams.get('after');
      let index = after === null || after === '' ? 0 : Number(after) - 1;
      if (!Number.isInteger(index) || index < 0)
        throw validationError(`after must be a record id cursor, got ${after}`);
      const properties = listParam(url, 'properties') ?? DEFAULT_PROPERTIES;
      // `archived=true` lists only the recycle bin (connectors/hubspot/README.md "Contacts that are gone").
      if (url.searchParams.get('archived') === 'true') {
        const bin = contacts.archivedIndices().filter((i) => i >= index);
        const page = bin.slice(0, limit);
        const next = bin[limit];
        return {
          status: 200,
          body: {
            results: page.map((i) => contacts.view(i, properties)),
            ...(next === undefined
              ? {}
              : {
                  paging: {
                    next: {
                      after: String(next + 1),
                      link: `${parts.baseUrl()}/crm/v3/objects/contacts?archived=true&after=${next + 1}`,
                    },
                  },
                }),
          },
        };
      }
      const results = [];
      while (index < contacts.size && results.length < limit) {
        if (contacts.exists(index)) results.push(contacts.view(index, properties));
        index += 1;
      }
      while (index < contacts.size && !contacts.exists(index)) index += 1;
      counters.recordsRead += results.length;
      const out: Record<string, unknown> = { results };
      if (index < contacts.size) {
        out.paging = {
          next: { after: String(index + 1), link: `${parts.baseUrl()}/crm/v3/objects/contacts?after=${index + 1}` },
        };
      }
      return { status: 200, body: out };
    }
    const single = /^\/crm\/v3\/objects\/contacts\/([^/]+)$/.exec(path);
    if (method === 'GET' && single?.[1] !== undefined && single[1] !== 'search' && single[1] !== 'batch') {
      requireScope(token, 'crm.objects.contacts.read');
      const index = contacts.resolve(decodeURIComponent(single[1]));
      if (index === undefined)
        throw hubspotError(404, 'OBJECT_NOT_FOUND', 'Object not found.  objectId are usually numeric.');
      counters.recordsRead += 1;
      return { status: 200, body: { ...contacts.view(index, listParam(url, 'properties') ?? DEFAULT_PROPERTIES) } };
    }
    if (method === 'POST' && path === '/crm/v3/objects/contacts/search') {
      requireScope(token, 'crm.objects.contacts.read');
      const result = search.run(body, parts.baseUrl());
      counters.recordsRead += result.results.length;
      return { status: 200, body: { ...result } };
    }
    if (method === 'POST' && path === '/crm/v3/objects/contacts/batch/read') {
      requireScope(token, 'crm.objects.contacts.read');
      const input = parseWith(IdInputsSchema, body);
      counters.largestBatch = Math.max(counters.largestBatch, input.inputs.length);
      batchLimit(input.inputs.length);
      if (input.idProperty !== undefined && input.idProperty !== 'hs_object_id')
        throw validationError(`idProperty ${input.idProperty} is not supported by the sandbox; use record ids.`);
      const startedAt = new Date().toISOString();
      const properties = input.properties ?? DEFAULT_PROPERTIES;
      const results = [];
      const missing: string[] = [];
      for (const { id } of input.inputs) {
        // A merged-away id answers as the contact it was merged into, under that contact's id.
        const index = contacts.resolve(id);
        if (index === undefined) missing.push(id);
        else results.push(contacts.view(index, properties));
      }
      counters.recordsRead += results.length;
      return batchReply(results, missing.length === 0 ? [] : [notFoundError(missing)], startedAt);
    }
    if (method === 'POST' && path === '/crm/v3/objects/contacts/batch/update') {
      requireScope(token, 'crm.objects.contacts.write');
      const input = parseWith(UpdateInputsSchema, body);
      counters.largestBatch = Math.max(counters.largestBatch, input.inputs.length);
      batchLimit(input.inputs.length);
      return batchUpdate(input.inputs);
    }
    return undefined;
  }

  function tasksRoute(method: string, path: string, body: unknown, token: TokenInfo): Reply | undefined {
    if (method !== 'POST' || path !== '/crm/v3/objects/tasks/batch/create') return undefined;
    // The tasks guide: creating tasks takes the contacts write scope.
    requireScope(token, 'crm.objects.contacts.write');
    const count = Array.isArray((body as { inputs?: unknown } | undefined)?.inputs)
      ? (body as { inputs: unknown[] }).inputs.length
      : 0;
    counters.largestBatch = Math.max(counters.largestBatch, count);
    const reply = parts.tasks.batchCreate(body, BATCH_LIMIT);
    counters.recordsWritten += count;
    return reply;
  }

  function dealsRoute(method: string, path: string, body: unknown, token: TokenInfo): Reply | undefined {
    const read = () => requireScope(token, 'crm.objects.deals.read');
    if (method === 'POST' && path === '/crm/v3/objects/deals/search') {
      read();
      const result = parts.deals.search(body, parts.baseUrl());
      counters.recordsRead += result.results.length;
      return { status: 200, body: { ...result } };
    }
    if (method === 'POST' && path === '/crm/v4/associations/deals/contacts/batch/read') {
      read();
      const count = Array.isArray((body as { inputs?: unknown } | undefined)?.inputs)
        ? (body as { inputs: unknown[] }).inputs.length
        : 0;
      counters.largestBatch = Math.max(counters.largestBatch, count);
      return { status: 200, body: parts.deals.associations(body) };
    }
    if (method === 'GET' && path === '/crm/v3/pipelines/deals') {
      read();
      return { status: 200, body: parts.deals.pipelines() };
    }
    return undefined;
  }

  function notFoundError(ids: string[]) {
    return {
      status: 'error',
      category: 'OBJECT_NOT_FOUND',
      message: 'Could not get some CONTACT objects, they may be deleted or not exist. Check that ids are valid.',
      context: { ids },
      errors: [],
      // StandardError requires `links` (the published contacts spec and the SDK's model).
      links: {},
    };
  }

  function batchReply(results: unknown[], errors: unknown[], startedAt: string): Reply {
    const completedAt = new Date().toISOString();
    const body: Record<string, unknown> = { status: 'COMPLETE', results, startedAt, completedAt };
    if (errors.length === 0) return { status: 200, body };
    return { status: 207, body: { ...body, numErrors: errors.length, errors } };
  }

  function batchUpdate(inputs: z.output<typeof UpdateInputsSchema>['inputs']): Reply {
    const startedAt = new Date().toISOString();
    const seen = new Set<string>();
    const problems: Record<string, unknown>[] = [];
    const validated: { id: string; values: Map<string, string | null> }[] = [];
    for (const input of inputs) {
      if (seen.has(input.id))
        throw validationError(`Duplicate IDs found in batch input: [${input.id}]. IDs must be unique`);
      seen.add(input.id);
      const values = new Map<string, string | null>();
      for (const [name, value] of Object.entries(input.properties)) {
        const check = registry.validateValue(name, value);
        if (check.ok) values.set(name, check.stored);
        else
          problems.push({
            isValid: false,
            message: check.message,
            error: check.error,
            name,
            localizedErrorMessage: check.message,
          });
      }
      validated.push({ id: input.id, values });
    }
    // HubSpot rejects the whole batch when any value is invalid, naming the property, not the record.
    if (problems.length > 0)
      throw validationError(`Property values were not valid: ${JSON.stringify(problems)}`, { errors: problems });
    const results = [];
    const missing: string[] = [];
    const errors: unknown[] = [];
    const now = Date.now();
    for (const { id, values } of validated) {
      // A merged-away id updates the contact it was merged into; the result carries that contact's id.
      const index = contacts.resolve(id);
      if (index === undefined) {
        missing.push(id);
        continue;
      }
      const fault = faults?.recordError(id);
      if (fault !== undefined) {
        errors.push({
          status: 'error',
          category: fault.code,
          message: fault.message ?? `${fault.code} for contact ${id}`,
          context: { ids: [id] },
          errors: [],
          links: {},
        });
        continue;
      }
      contacts.write(index, values, now);
      counters.recordsWritten += 1;
      results.push(contacts.view(index, ['hs_object_id', 'createdate', 'lastmodifieddate', ...values.keys()]));
      parts.onContactWritten?.(index, values);
    }
    if (missing.length > 0) errors.unshift(notFoundError(missing));
    return batchReply(results, errors, startedAt);
  }

  function propertiesRoute(method: string, path: string, body: unknown, token: TokenInfo): Reply | undefined {
    const prefix = '/crm/v3/properties/contacts';
    if (path !== prefix && !path.startsWith(`${prefix}/`)) return undefined;
    const rest = path.slice(prefix.length);
    const read = () => {
      if (!token.scopes.includes('crm.schemas.contacts.read') && !token.scopes.includes('crm.objects.contacts.read'))
        requireScope(token, 'crm.schemas.contacts.read');
    };
    const write = () => requireScope(token, 'crm.schemas.contacts.write');
    if (rest === '/groups' || rest === '/groups/') {
      if (method === 'GET') {
        read();
        return { status: 200, body: { results: registry.groupList() } };
      }
      if (method === 'POST') {
        write();
        return { status: 201, body: { ...registry.createGroup(body) } };
      }
    }
    const group = /^\/groups\/([^/]+)$/.exec(rest);
    if (group?.[1] !== undefined && method === 'GET') {
      read();
      const g = registry.group(decodeURIComponent(group[1]));
      if (g === undefined)
        throw hubspotError(
          404,
          'OBJECT_NOT_FOUND',
          `Unable to find property group ${group[1]} for object type contacts`,
        );
      return { status: 200, body: { ...g } };
    }
    if (rest === '' || rest === '/') {
      if (method === 'GET') {
        read();
        return { status: 200, body: { results: registry.all().map((p) => registry.publicView(p)) } };
      }
      if (method === 'POST') {
        write();
        return { status: 201, body: registry.publicView(registry.create(body)) };
      }
    }
    const named = /^\/([^/]+)$/.exec(rest);
    if (named?.[1] !== undefined) {
      const name = decodeURIComponent(named[1]);
      if (method === 'GET') {
        read();
        const def = registry.get(name);
        if (def === undefined)
          throw hubspotError(404, 'OBJECT_NOT_FOUND', `Unable to find property ${name} for object type contacts`);
        return { status: 200, body: registry.publicView(def) };
      }
      if (method === 'PATCH') {
        write();
        return { status: 200, body: registry.publicView(registry.update(name, body)) };
      }
      if (method === 'DELETE') {
        write();
        registry.archive(name);
        return { status: 204 };
      }
    }
    return undefined;
  }

  /** The token endpoint failing the ways a busy HubSpot or its edge fails: none of them says the grant is bad. */
  function tokenEndpointFault(fault: TokenEndpointFault): Reply {
    switch (fault) {
      case '429':
        // A rate-limit body without `policyName` (and without `category`), as older bodies and proxies send it.
        return {
          status: 429,
          headers: { 'Retry-After': '1' },
          body: {
            status: 'error',
            message: 'You have reached your secondly limit.',
            errorType: 'RATE_LIMIT',
            correlationId: randomUUID(),
          },
        };
      case '502':
        return { status: 502, html: '<html><body><h1>502 Bad Gateway</h1></body></html>' };
      case '503':
        return {
          status: 503,
          body: {
            status: 'error',
            message: 'The service is temporarily unavailable; try again later.',
            correlationId: randomUUID(),
            category: 'SERVICE_UNAVAILABLE',
          },
        };
    }
  }

  function accountRoute(method: string, path: string, authorization: string | undefined): Reply | undefined {
    // Account details (developers.hubspot.com/docs/api-reference/latest/account/account-information/get-account-details):
    // `uiDomain` is where the portal's pages live (app.hubspot.com, app-eu1.hubspot.com for an EU portal).
    if (method === 'GET' && (path === '/account-info/v3/details' || path === '/account-info/2026-03/details')) {
      tokens.authenticate(authorization);
      const location = parts.dataHostingLocation ?? 'na1';
      return {
        status: 200,
        body: {
          portalId: 1234567,
          accountType: 'STANDARD',
          timeZone: 'US/Eastern',
          companyCurrency: 'USD',
          additionalCurrencies: [],
          utcOffset: '-05:00',
          utcOffsetMilliseconds: -18_000_000,
          uiDomain: location === 'na1' ? 'app.hubspot.com' : `app-${location}.hubspot.com`,
          dataHostingLocation: location,
        },
      };
    }
    return undefined;
  }

  function oauthRoute(method: string, path: string, url: URL, raw: string): Reply | undefined {
    if (method === 'GET' && path === '/oauth/authorize') {
      const redirectUri = url.searchParams.get('redirect_uri');
      if (redirectUri === null) throw validationError('redirect_uri is required');
      const scopes = (url.searchParams.get('scope') ?? '').split(/[ +]/).filter((s) => s !== '');
      const code = tokens.issueCode(url.searchParams.get('client_id') ?? '', redirectUri, scopes);
      const target = new URL(redirectUri);
      target.searchParams.set('code', code);
      const state = url.searchParams.get('state');
      if (state !== null) target.searchParams.set('state', state);
      return { status: 302, headers: { Location: target.toString() }, body: { redirect: target.toString() } };
    }
    if (method === 'POST' && (path === '/oauth/v1/token' || path === '/oauth/v3/token')) {
      const fault = parts.tokenEndpointFaults?.shift();
      if (fault !== undefined) return tokenEndpointFault(fault);
      return {
        status: 200,
        body: tokens.grant(new URLSearchParams(raw), Date.now(), path.includes('/v1/') ? 'v1' : 'v3'),
      };
    }
    const info = /^\/oauth\/v1\/access-tokens\/([^/]+)$/.exec(path);
    if (method === 'GET' && info?.[1] !== undefined) {
      const token = tokens.authenticate(`Bearer ${decodeURIComponent(info[1])}`);
      return {
        status: 200,
        body: {
          token: decodeURIComponent(info[1]),
          hub_id: 1234567,
          app_id: 424242,
          user_id: 1,
          scopes: token.scopes,
          token_type: 'access',
          expires_in: Math.max(0, Math.floor(((token.expiresAt ?? Date.now()) - Date.now()) / 1000)),
        },
      };
    }
    if (method === 'POST' && path === '/oauth/v2/private-apps/get/access-token-info') {
      const parsed = z.object({ tokenKey: z.string() }).safeParse(parseJson(raw));
      if (!parsed.success) throw validationError('tokenKey is required');
      const token = tokens.authenticate(`Bearer ${parsed.data.tokenKey}`);
      return { status: 200, body: { userId: 1, hubId: 1234567, appId: 424242, scopes: token.scopes } };
    }
    return undefined;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://sandbox');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const raw = await readBody(req);
    asked.set(res, { method, path });
    const key = endpointKey(method, path);
    counters.calls[key] = (counters.calls[key] ?? 0) + 1;
    counters.totalCalls += 1;
    let limitHeaders: Record<string, string> = {};
    try {
      const oauth = oauthRoute(method, path, url, raw);
      if (oauth !== undefined) return send(res, oauth);
      const account = accountRoute(method, path, req.headers.authorization);
      if (account !== undefined) return send(res, account);
      if (!path.startsWith('/crm/')) throw hubspotError(404, 'OBJECT_NOT_FOUND', `No route for ${method} ${path}`);

      const fault = faults?.nextCall(path) ?? 'none';
      if (faults !== undefined && faults.latencyMs > 0) await new Promise((r) => setTimeout(r, faults.latencyMs));
      if (fault === 'drop') {
        req.socket.destroy();
        return;
      }
      const token = tokens.authenticate(req.headers.authorization);
      const isSearch = method === 'POST' && path.endsWith('/search');
      limitHeaders = limits.headers(token.kind === 'private');
      if (fault === '429') {
        counters.served429.injected += 1;
        const error = rateLimitError('TEN_SECONDLY_ROLLING', limitHeaders);
        injected.add(error);
        throw error;
      }
      if (fault === '5xx')
        throw hubspotError(503, 'SERVICE_UNAVAILABLE', 'The service is temporarily unavailable; try again later.');
      limitHeaders = limits.admit({ search: isSearch, daily: token.kind === 'private' }).headers;
      const body = parseJson(raw);
      const reply =
        objectsRoute(method, path, url, body, token) ??
        propertiesRoute(method, path, body, token) ??
        tasksRoute(method, path, body, token) ??
        dealsRoute(method, path, body, token);
      if (reply === undefined) throw hubspotError(404, 'OBJECT_NOT_FOUND', `No route for ${method} ${path}`);
      send(res, { ...reply, headers: { ...limitHeaders, ...reply.headers } });
    } catch (error) {
      if (error instanceof HubSpotHttpError) {
        if (error.status === 429 && error.body.policyName !== undefined && !injected.has(error)) {
          const policy = error.body.policyName as keyof HubSpotCounters['served429'];
          counters.served429[policy] += 1;
        }
        const body: Record<string, unknown> = { ...error.body };
        if (error.status === 429 && parts.bareRateLimitBodies === true) {
          delete body.policyName;
          delete body.groupName;
        }
        send(res, { status: error.status, body, headers: { ...limitHeaders, ...error.headers } });
        return;
      }
      send(res, {
        status: 500,
        body: {
          status: 'error',
          message: `internal sandbox error: ${(error as Error).message}`,
          correlationId: 'sandbox',
          category: 'INTERNAL_ERROR',
        },
      });
    }
  }

  return createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent)
        send(res, {
          status: 500,
          body: { status: 'error', message: String(error), correlationId: 'sandbox', category: 'INTERNAL_ERROR' },
        });
    });
  });
}
