// HubSpot webhook deliveries: verify X-HubSpot-Signature-v3 (HMAC-SHA256 of method + uri + body + timestamp with
// the app's client secret, base64; 5-minute window; constant-time compare; each signature + timestamp accepted once),
// then turn the events into actions per portal: contacts to (re)score and contacts to forget. Mount as a plain
// (req, res) handler, before any JSON body parser.
//
// What HubSpot sends (https://developers.hubspot.com/docs/api/webhooks, "Webhook payloads" and "Retries"):
// - a JSON array of up to 100 events, possibly of several subscription types;
// - a developer-project app subscribes to `object.*` types and each event carries `objectTypeId` ("0-1" = contact;
//   https://developers.hubspot.com/changelog/public-beta-generic-webhook-subscriptions); legacy subscriptions send
//   `contact.*`; privacy deletions come as `contact.privacyDeletion` (and also fire a normal deletion,
//   https://developers.hubspot.com/changelog/now-live-webhooks-now-support-privacy-compliant-contact-deletions);
// - merges carry `primaryObjectId`, `mergedObjectIds` and `newObjectId`
//   (https://developers.hubspot.com/changelog/new-subscription-types-for-webhooks);
// - a delivery that is not answered within 5 s, or answered with a status other than 2xx/400/401/403/404/405, is
//   sent again, up to 10 times over 24 hours, each time re-signed and with the same `eventId`s.
// So: answer fast (persist, never call the CRM here), and deduplicate by `eventId`.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

import { z } from 'zod';

import type { GoneRecord } from '../../src/crm/contract.ts';
import { describeIssues } from '../../src/zod-issues.ts';
import { DEFAULT_HANDLE_PROPERTIES } from './mapping.ts';

export const MAX_WEBHOOK_AGE_MS = 5 * 60_000;
/** HubSpot's object type id of contacts in `object.*` events. */
export const CONTACT_OBJECT_TYPE_ID = '0-1';
/** HubSpot retries a delivery for up to 24 hours: an event id is remembered a little longer. */
export const EVENT_ID_MEMORY_MS = 25 * 3600_000;
/** HubSpot gives up on a delivery after 5 s; we answer 503 (retry later) before that if storing takes too long. */
export const DEFAULT_ANSWER_DEADLINE_MS = 4_000;

const objectIdSchema = z.number().int().positive();

export const WebhookEventSchema = z.looseObject({
  eventId: z.number().int(),
  subscriptionId: z.number().int().optional(),
  portalId: z.number().int().positive(),
  appId: z.number().int().optional(),
  occurredAt: z.number().int(),
  subscriptionType: z.string().min(1),
  attemptNumber: z.number().int().optional(),
  objectId: objectIdSchema.optional(),
  objectTypeId: z.string().optional(),
  propertyName: z.string().optional(),
  propertyValue: z.string().optional(),
  changeSource: z.string().optional(),
  primaryObjectId: objectIdSchema.optional(),
  mergedObjectIds: z.array(objectIdSchema).optional(),
  newObjectId: objectIdSchema.optional(),
});
export const WebhookBodySchema = z.array(WebhookEventSchema).min(1).max(1000);
export type WebhookEvent = z.infer<typeof WebhookEventSchema>;

/** What one portal's events ask of us. */
export interface PortalActions {
  portalId: number;
  /** Contacts to (re)read and score: created, restored, merged into, or one of their inputs changed. */
  rescore: string[];
  /** Contacts that are gone: everything we hold about them is deleted. */
  forget: GoneRecord[];
}

export type VerifyResult = { ok: true; signature: Buffer } | { ok: false; reason: string };

export function signV3(clientSecret: string, method: string, uri: string, body: string, timestamp: string): string {
  return createHmac('sha256', clientSecret).update(`${method}${uri}${body}${timestamp}`).digest('base64');
}

/** HubSpot signs the URI with these characters decoded (request-validation docs). */
function decodeUri(uri: string): string {
  return uri.replace(/%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)/gi, (m) => decodeURIComponent(m));
}

/** Strict base64 (padded, no stray characters): the only form HubSpot sends. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function verifySignatureV3(input: {
  clientSecret: string;
  method: string;
  uri: string;
  body: string;
  timestamp: string | undefined;
  signature: string | undefined;
  now: number;
}): VerifyResult {
  if (input.signature === undefined || input.signature === '')
    return { ok: false, reason: 'missing X-HubSpot-Signature-v3' };
  if (input.timestamp === undefined || !/^\d{10,16}$/.test(input.timestamp))
    return { ok: false, reason: 'missing or malformed X-HubSpot-Request-Timestamp' };
  const age = input.now - Number(input.timestamp);
  if (age > MAX_WEBHOOK_AGE_MS || age < -MAX_WEBHOOK_AGE_MS)
    return { ok: false, reason: 'timestamp outside the 5-minute window' };
  // Node's base64 decoder skips characters it does not know; a signature must be exactly one encoding of its bytes.
  if (!BASE64.test(input.signature)) return { ok: false, reason: 'signature is not base64' };
  const expected = Buffer.from(
    signV3(input.clientSecret, input.method.toUpperCase(), decodeUri(input.uri), input.body, input.timestamp),
    'base64',
  );
  const given = Buffer.from(input.signature, 'base64');
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return { ok: false, reason: 'signature does not match' };
  return { ok: true, signature: given };
}

type ContactEventKind = 'created' | 'changed' | 'restored' | 'merged' | 'deleted' | 'privacy_deletion';

/** The contact event an event is, in either subscription style; undefined for other objects and types. */
function contactEventKind(e: WebhookEvent): ContactEventKind | undefined {
  const [scope, action] = e.subscriptionType.split('.', 2);
  const isContact =
    scope === 'contact' ||
    (scope === 'object' && (e.objectTypeId === CONTACT_OBJECT_TYPE_ID || e.objectTypeId === 'CONTACT'));
  if (!isContact) return undefined;
  switch (action) {
    case 'creation':
      return 'created';
    case 'propertyChange':
      return 'changed';
    case 'restore':
      return 'restored';
    case 'merge':
      return 'merged';
    case 'deletion':
      return 'deleted';
    case 'privacyDeletion':
      return 'privacy_deletion';
    default:
      return undefined;
  }
}

/**
 * The actions a batch asks for, per portal. Events apply in the order they happened, so a deletion followed by a
 * restore leaves the contact to re-score; a privacy deletion is final. Changes to properties we do not read (our
 * own influence fields above all) are ignored, so our writes never come back as work.
 */
export function webhookActions(
  events: readonly WebhookEvent[],
  watchedProperties: ReadonlySet<string>,
): PortalActions[] {
  type Fate = { rescore: true } | { rescore: false; gone: GoneRecord };
  const portals = new Map<number, Map<string, Fate>>();
  const ordered = [...events].sort((a, b) => a.occurredAt - b.occurredAt || a.eventId - b.eventId);
  for (const e of ordered) {
    const kind = contactEventKind(e);
    if (kind === undefined) continue;
    let fates = portals.get(e.portalId);
    if (fates === undefined) portals.set(e.portalId, (fates = new Map<string, Fate>()));
    const settle = (id: number | undefined, fate: Fate) => {
      if (id === undefined) return;
      const key = String(id);
      const before = fates.get(key);
      // Nothing brings back a contact erased for privacy.
      if (before !== undefined && !before.rescore && before.gone.reason === 'privacy_deletion') return;
      fates.set(key, fate);
    };
    switch (kind) {
      case 'created':
      case 'restored':
        settle(e.objectId, { rescore: true });
        break;
      case 'changed':
        if (e.propertyName !== undefined && watchedProperties.has(e.propertyName))
          settle(e.objectId, { rescore: true });
        break;
      case 'merged': {
        const survivor = e.newObjectId ?? e.primaryObjectId ?? e.objectId;
        const absorbed = [
          ...(e.mergedObjectIds ?? []),
          ...(e.primaryObjectId === undefined ? [] : [e.primaryObjectId]),
        ];
        for (const id of absorbed) {
          if (id === survivor) continue;
          settle(id, {
            rescore: false,
            gone: {
              id: String(id),
              reason: 'merged',
              ...(survivor === undefined ? {} : { mergedInto: String(survivor) }),
            },
          });
        }
        settle(survivor, { rescore: true });
        break;
      }
      case 'deleted':
      case 'privacy_deletion':
        settle(e.objectId, { rescore: false, gone: { id: String(e.objectId), reason: kind } });
        break;
    }
  }
  return [...portals].map(([portalId, fates]) => ({
    portalId,
    rescore: [...fates].filter(([, f]) => f.rescore).map(([id]) => id),
    forget: [...fates.values()].flatMap((f) => (f.rescore ? [] : [f.gone])),
  }));
}

/** Keys remembered for a while, oldest dropped first when full (a bound on memory under a flood). */
class RecentKeys {
  private readonly expiry = new Map<string, number>();
  private readonly maxSize: number;

  constructor(maxSize: number) {
    this.maxSize = maxSize;
  }

  has(key: string, now: number): boolean {
    const until = this.expiry.get(key);
    return until !== undefined && until > now;
  }

  add(key: string, until: number, now: number): void {
    this.expiry.delete(key);
    this.expiry.set(key, until);
    // Insertion order is expiry order for one lifetime, so the oldest are first.
    for (const [k, t] of this.expiry) {
      if (t > now && this.expiry.size <= this.maxSize) break;
      this.expiry.delete(k);
    }
  }
}

export interface WebhookHandlerOptions {
  clientSecret: string;
  /** The public https origin HubSpot calls (e.g. https://influence.example.com), as configured in the app. */
  publicBaseUrl?: string;
  watchedProperties?: readonly string[];
  /**
   * Store what the events ask for (one call per portal in the delivery). Resolve only once it is stored: HubSpot is
   * answered after it, and a failure makes HubSpot send the delivery again.
   */
  onEvents: (actions: PortalActions, events: WebhookEvent[]) => Promise<void> | void;
  /** Longest wait for `onEvents` before answering 503 so HubSpot retries (its own timeout is 5 s). */
  answerDeadlineMs?: number;
  /** Most event ids and signatures remembered (default 200,000 each). */
  memoryLimit?: number;
  now?: () => number;
}

type WebhookRequest = IncomingMessage & { body?: unknown; originalUrl?: string };

async function rawBody(req: WebhookRequest): Promise<string | undefined> {
  if (Buffer.isBuffer(req.body)) return req.body.toString('utf8');
  if (typeof req.body === 'string') return req.body;
  // A JSON parser ran first: the exact bytes HubSpot signed are gone.
  if (req.body !== undefined && req.body !== null && typeof req.body === 'object') return undefined;
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function reply(res: ServerResponse, status: number, body?: Record<string, unknown>, headers = {}): void {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(body === undefined ? '' : JSON.stringify(body));
}

const header = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

/**
 * `(req, res)` for express or node:http. 204 once a verified delivery's actions are stored (or every event in it was
 * seen before); 401 forged, stale or replayed; 400 bad body; 503 when storing takes too long or fails (HubSpot
 * sends it again; the events already stored are then recognised by their ids).
 */
export function createHubSpotWebhookHandler(
  options: WebhookHandlerOptions,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const now = options.now ?? Date.now;
  const watched = new Set(
    options.watchedProperties ?? [...Object.keys(DEFAULT_HANDLE_PROPERTIES), 'influence_do_not_profile', 'email'],
  );
  const deadlineMs = options.answerDeadlineMs ?? DEFAULT_ANSWER_DEADLINE_MS;
  const usedSignatures = new RecentKeys(options.memoryLimit ?? 200_000);
  const storedEvents = new RecentKeys(options.memoryLimit ?? 200_000);

  return async (incoming, res) => {
    const req = incoming as WebhookRequest;
    const body = await rawBody(req);
    if (body === undefined) {
      reply(res, 500, {
        error:
          'the request body was parsed before the webhook handler; mount it before express.json() (or use express.raw())',
      });
      return;
    }
    const path = req.originalUrl ?? req.url ?? '/';
    const forwardedProto = String(req.headers['x-forwarded-proto'] ?? '')
      .split(',')[0]
      ?.trim();
    const origin =
      options.publicBaseUrl?.replace(/\/+$/, '') ??
      `${forwardedProto !== undefined && forwardedProto !== '' ? forwardedProto : 'http'}://${String(req.headers.host ?? 'localhost')}`;
    const timestamp = header(req.headers['x-hubspot-request-timestamp']);
    const at = now();
    const verdict = verifySignatureV3({
      clientSecret: options.clientSecret,
      method: req.method ?? 'POST',
      uri: `${origin}${path}`,
      body,
      timestamp,
      signature: header(req.headers['x-hubspot-signature-v3']),
      now: at,
    });
    if (!verdict.ok) {
      reply(res, 401, { error: `webhook rejected: ${verdict.reason}` });
      return;
    }
    // The signed bytes and the timestamp, not the header text: another spelling of the same bytes is the same request.
    const replayKey = `${verdict.signature.toString('hex')}:${timestamp ?? ''}`;
    if (usedSignatures.has(replayKey, at)) {
      reply(res, 401, { error: 'webhook rejected: replayed delivery (signature already used)' });
      return;
    }
    usedSignatures.add(replayKey, at + 2 * MAX_WEBHOOK_AGE_MS, at);
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      reply(res, 400, { error: 'webhook body is not JSON' });
      return;
    }
    const parsed = WebhookBodySchema.safeParse(json);
    if (!parsed.success) {
      reply(res, 400, {
        error: `webhook body is not a HubSpot event array: ${describeIssues(parsed.error, { limit: 3 })}`,
      });
      return;
    }
    // A retry repeats event ids we stored already; only new events are acted on.
    const fresh = parsed.data.filter((e) => !storedEvents.has(`${e.portalId}:${e.eventId}`, at));
    const work = webhookActions(fresh, watched).filter((a) => a.rescore.length > 0 || a.forget.length > 0);
    const stored = (async () => {
      for (const actions of work)
        await options.onEvents(
          actions,
          fresh.filter((e) => e.portalId === actions.portalId),
        );
      const done = now();
      for (const e of fresh) storedEvents.add(`${e.portalId}:${e.eventId}`, done + EVENT_ID_MEMORY_MS, done);
    })();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), deadlineMs);
    });
    try {
      if ((await Promise.race([stored, late])) === 'late') {
        // Still stored when it finishes; HubSpot's retry then finds the event ids known.
        stored.catch(() => undefined);
        reply(res, 503, { error: 'webhook events are still being stored; send again later' }, { 'Retry-After': '60' });
        return;
      }
    } catch {
      reply(res, 503, { error: 'webhook events could not be stored; send again later' }, { 'Retry-After': '60' });
      return;
    } finally {
      clearTimeout(timer);
    }
    reply(res, 204);
  };
}

/** The path the admin server takes HubSpot's deliveries on (the app manifest's `targetUrl` must end with it). */
export const WEBHOOK_PATH = '/webhooks/hubspot';

const NOT_PUBLIC_HOST =
  /^(localhost|.*\.localhost|.*\.local|.*\.internal|127\.\d+\.\d+\.\d+|10\.\d+\.\d+\.\d+|192\.168\.\d+\.\d+|172\.(1[6-9]|2\d|3[01])\.\d+\.\d+|\[::1\]|0\.0\.0\.0)$/i;

/**
 * What stands between HubSpot and this server's webhook route (doctor): HubSpot signs with the app's client secret
 * and only calls a public https URL (https://developers.hubspot.com/docs/api/webhooks: "a publicly available and
 * secure (HTTPS) endpoint"), and the app's manifest names the URL it calls.
 */
export function webhookSetupProblems(input: {
  publicUrl: string | undefined;
  manifestTargetUrl: string | undefined;
}): { code: string; message: string; fix: string }[] {
  const problems: { code: string; message: string; fix: string }[] = [];
  const tunnel =
    'run `crm-influence serve` behind a tunnel or a reverse proxy with https and set CRM_INFLUENCE_PUBLIC_URL to its address';
  let expected: string | undefined;
  if (input.publicUrl === undefined) {
    problems.push({
      code: 'WEBHOOK_NO_PUBLIC_URL',
      message:
        'CRM_INFLUENCE_PUBLIC_URL is not set: HubSpot needs a public https address, and signatures are checked against it.',
      fix: tunnel,
    });
  } else {
    const url = new URL(input.publicUrl);
    expected = `${input.publicUrl.replace(/\/+$/, '')}${WEBHOOK_PATH}`;
    if (url.protocol !== 'https:' || NOT_PUBLIC_HOST.test(url.hostname)) {
      problems.push({
        code: 'WEBHOOK_NOT_REACHABLE',
        message: `HubSpot delivers webhooks only to a public https URL; it cannot reach ${url.origin}.`,
        fix: tunnel,
      });
    }
  }
  if (input.manifestTargetUrl !== undefined && expected !== undefined && input.manifestTargetUrl !== expected) {
    problems.push({
      code: 'WEBHOOK_TARGET_MISMATCH',
      message: `the app sends its webhooks to ${input.manifestTargetUrl}, not to this server (${expected}).`,
      fix: 'set targetUrl in manifests/hubspot/src/app/webhooks/webhooks-hsmeta.json, then `hs project upload` from manifests/hubspot',
    });
  }
  return problems;
}
