// HubSpot webhook deliveries: verify X-HubSpot-Signature-v3 (HMAC-SHA256 of method + uri + body + timestamp with
// the app's client secret, base64; 5-minute window; constant-time compare; each signature accepted once), then
// return the contact ids worth (re)scoring. Mount as a plain (req, res) handler, before any JSON body parser.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

import { z } from 'zod';

import { DEFAULT_HANDLE_PROPERTIES } from './mapping.ts';

export const MAX_WEBHOOK_AGE_MS = 5 * 60_000;

export const WebhookEventSchema = z.looseObject({
  eventId: z.number().int(),
  subscriptionId: z.number().int().optional(),
  portalId: z.number().int(),
  appId: z.number().int().optional(),
  occurredAt: z.number().int(),
  subscriptionType: z.string().min(1),
  attemptNumber: z.number().int().optional(),
  objectId: z.number().int().positive(),
  propertyName: z.string().optional(),
  propertyValue: z.string().optional(),
  changeSource: z.string().optional(),
});
export const WebhookBodySchema = z.array(WebhookEventSchema).min(1).max(1000);
export type WebhookEvent = z.infer<typeof WebhookEventSchema>;

export type VerifyResult = { ok: true } | { ok: false; reason: string };

export function signV3(clientSecret: string, method: string, uri: string, body: string, timestamp: string): string {
  return createHmac('sha256', clientSecret).update(`${method}${uri}${body}${timestamp}`).digest('base64');
}

/** HubSpot signs the URI with these characters decoded (request-validation docs). */
function decodeUri(uri: string): string {
  return uri.replace(/%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)/gi, (m) => decodeURIComponent(m));
}

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
  const expected = Buffer.from(
    signV3(input.clientSecret, input.method.toUpperCase(), decodeUri(input.uri), input.body, input.timestamp),
    'base64',
  );
  const given = Buffer.from(input.signature, 'base64');
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return { ok: false, reason: 'signature does not match' };
  return { ok: true };
}

/** Contact ids to queue: new contacts and changes to the handle or opt-out properties (never our own fields). */
export function contactIdsToQueue(events: readonly WebhookEvent[], watchedProperties: ReadonlySet<string>): string[] {
  const ids = new Set<string>();
  for (const e of events) {
    if (e.subscriptionType === 'contact.creation') ids.add(String(e.objectId));
    else if (
      e.subscriptionType === 'contact.propertyChange' &&
      e.propertyName !== undefined &&
      watchedProperties.has(e.propertyName)
    )
      ids.add(String(e.objectId));
  }
  return [...ids];
}

export interface WebhookHandlerOptions {
  clientSecret: string;
  /** The public https origin HubSpot calls (e.g. https://influence.example.com), as configured in the app. */
  publicBaseUrl?: string;
  watchedProperties?: readonly string[];
  onContacts: (contactIds: string[], events: WebhookEvent[]) => Promise<void> | void;
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

function reply(res: ServerResponse, status: number, body?: Record<string, unknown>): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(body === undefined ? '' : JSON.stringify(body));
}

/** `(req, res)` for express or node:http. 204 on a verified delivery; 401 forged/stale/replayed; 400 bad body. */
export function createHubSpotWebhookHandler(
  options: WebhookHandlerOptions,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const now = options.now ?? Date.now;
  const watched = new Set(
    options.watchedProperties ?? [...Object.keys(DEFAULT_HANDLE_PROPERTIES), 'influence_do_not_profile', 'email'],
  );
  const seen = new Map<string, number>();

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
    const signature = req.headers['x-hubspot-signature-v3'];
    const timestamp = req.headers['x-hubspot-request-timestamp'];
    const at = now();
    const verdict = verifySignatureV3({
      clientSecret: options.clientSecret,
      method: req.method ?? 'POST',
      uri: `${origin}${path}`,
      body,
      timestamp: Array.isArray(timestamp) ? timestamp[0] : timestamp,
      signature: Array.isArray(signature) ? signature[0] : signature,
      now: at,
    });
    if (!verdict.ok) {
      reply(res, 401, { error: `webhook rejected: ${verdict.reason}` });
      return;
    }
    for (const [sig, expires] of seen) if (expires <= at) seen.delete(sig);
    const key = String(signature);
    if (seen.has(key)) {
      reply(res, 401, { error: 'webhook rejected: replayed delivery (signature already used)' });
      return;
    }
    seen.set(key, at + 2 * MAX_WEBHOOK_AGE_MS);
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
        error: `webhook body is not a HubSpot event array: ${parsed.error.issues
          .slice(0, 3)
          .map((i) => `${i.path.join('.')}: ${i.message}`)
          .join('; ')}`,
      });
      return;
    }
    const ids = contactIdsToQueue(parsed.data, watched);
    if (ids.length > 0) await options.onContacts(ids, parsed.data);
    reply(res, 204);
  };
}
