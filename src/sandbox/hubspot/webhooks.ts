// Webhook deliveries as HubSpot sends them (https://developers.hubspot.com/docs/api/webhooks, "Webhook payloads",
// "Retries"; signatures: developers.hubspot.com/docs/apps/developer-platform/build-apps/authentication/request-validation):
// - a JSON array of events, at most 100 per request, signed with X-HubSpot-Signature-v3 (base64 HMAC-SHA256 over
//   method + uri + body + timestamp, keyed with the app's client secret), re-signed with a new timestamp each attempt;
// - a developer-project app gets `object.*` types with `objectTypeId` "0-1" for contacts (legacy apps: `contact.*`);
//   privacy deletions arrive as `contact.privacyDeletion` next to a normal deletion;
// - a delivery not answered in 5 s, or answered with a status other than 2xx/400/401/403/404/405, is sent again
//   with the same event ids and the next `attemptNumber`, up to 10 attempts (spread over 24 hours by HubSpot;
//   compressed here), and delivery is at least once: some batches arrive twice.
import { createHmac, randomInt } from 'node:crypto';

export type ContactEventKind = 'creation' | 'propertyChange' | 'deletion' | 'restore' | 'merge' | 'privacyDeletion';

export interface WebhookEvent {
  eventId: number;
  subscriptionId: number;
  portalId: number;
  appId: number;
  occurredAt: number;
  subscriptionType: string;
  attemptNumber: number;
  objectId: number;
  changeSource: string;
  objectTypeId?: string;
  propertyName?: string;
  propertyValue?: string;
  primaryObjectId?: number;
  mergedObjectIds?: number[];
  newObjectId?: number;
  numberOfPropertiesMoved?: number;
}

/** A raw event for `emitWebhook` (tests choose the subscription type themselves). */
export type WebhookEventInput = Pick<WebhookEvent, 'subscriptionType' | 'objectId'> & Partial<WebhookEvent>;

/** What happened to a contact, before it is dressed as one subscription style or the other. */
export type ContactEvent = { kind: ContactEventKind; objectId: number } & Partial<
  Pick<WebhookEvent, 'propertyName' | 'propertyValue' | 'primaryObjectId' | 'mergedObjectIds' | 'newObjectId'>
>;

export function signatureV3(
  clientSecret: string,
  method: string,
  uri: string,
  body: string,
  timestamp: string,
): string {
  return createHmac('sha256', clientSecret).update(`${method}${uri}${body}${timestamp}`).digest('base64');
}

export interface WebhookDelivery {
  status: number;
  body: string;
}

/** HubSpot does not retry these answers. */
const FINAL_STATUSES = new Set([400, 401, 403, 404, 405]);
export const WEBHOOK_BATCH_SIZE = 100;
export const WEBHOOK_TIMEOUT_MS = 5_000;
export const WEBHOOK_MAX_ATTEMPTS = 10;

export interface WebhookSenderOptions {
  targetUrl: string | undefined;
  clientSecret: string;
  portalId: number;
  appId: number;
  /** `object`: a developer-project app (the default, as ours); `legacy`: `contact.*` subscription types. */
  style?: 'object' | 'legacy';
  /** Every Nth batch is delivered a second time (HubSpot delivers at least once). */
  duplicateEvery?: number;
  /** Wait before attempt n + 1 (HubSpot spreads 10 attempts over 24 hours; tests want milliseconds). */
  retryDelayMs?: (attempt: number) => number;
  timeoutMs?: number;
}

export interface DeliveryReport {
  batches: number;
  attempts: number;
  /** Batches still failing after the last attempt (HubSpot drops them). */
  dropped: number;
}

export class WebhookSender {
  delivered = 0;
  attempts = 0;
  private batchesSent = 0;

  private readonly options: WebhookSenderOptions;

  constructor(options: WebhookSenderOptions) {
    this.options = options;
  }

  get targetUrl(): string | undefined {
    return this.options.targetUrl;
  }

  /** The events HubSpot would send for what happened, in this app's subscription style. */
  dress(events: readonly ContactEvent[], now = Date.now()): WebhookEvent[] {
    const style = this.options.style ?? 'object';
    return events.map(({ kind, ...rest }) => {
      // Privacy deletions are a contact subscription in either style.
      const legacy = style === 'legacy' || kind === 'privacyDeletion';
      return this.complete(
        [
          {
            subscriptionType: `${legacy ? 'contact' : 'object'}.${kind}`,
            ...(legacy ? {} : { objectTypeId: '0-1' }),
            ...rest,
          },
        ],
        now,
      )[0] as WebhookEvent;
    });
  }

  complete(events: readonly WebhookEventInput[], now = Date.now()): WebhookEvent[] {
    return events.map((e) => ({
      eventId: randomInt(1, 2 ** 31),
      subscriptionId: 1001,
      portalId: this.options.portalId,
      appId: this.options.appId,
      occurredAt: now,
      attemptNumber: 0,
      changeSource: 'CRM_UI',
      ...e,
    }));
  }

  /** POSTs one signed batch once; `timestampOverride` lets tests send stale deliveries. */
  async send(
    events: readonly WebhookEventInput[],
    options: { targetUrl?: string; timestampOverride?: number } = {},
  ): Promise<WebhookDelivery> {
    return this.post(JSON.stringify(this.complete(events)), options);
  }

  private async post(
    body: string,
    options: { targetUrl?: string; timestampOverride?: number } = {},
  ): Promise<WebhookDelivery> {
    const url = options.targetUrl ?? this.options.targetUrl;
    if (url === undefined)
      throw new Error('no webhook target URL configured: pass webhookTargetUrl to startHubSpotSandbox');
    const timestamp = String(options.timestampOverride ?? Date.now());
    this.attempts += 1;
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'X-HubSpot-Signature-v3': signatureV3(this.options.clientSecret, 'POST', url, body, timestamp),
        'X-HubSpot-Signature-Version': 'v3',
        'X-HubSpot-Request-Timestamp': timestamp,
      },
      body,
      signal: AbortSignal.timeout(this.options.timeoutMs ?? WEBHOOK_TIMEOUT_MS),
    });
    this.delivered += 1;
    return { status: response.status, body: await response.text() };
  }

  /** Delivers events the way HubSpot does: batches of ≤ 100, retried until answered, some sent twice. */
  async deliver(events: readonly WebhookEvent[]): Promise<DeliveryReport> {
    const report: DeliveryReport = { batches: 0, attempts: 0, dropped: 0 };
    for (let i = 0; i < events.length; i += WEBHOOK_BATCH_SIZE) {
      const batch = events.slice(i, i + WEBHOOK_BATCH_SIZE);
      report.batches += 1;
      this.batchesSent += 1;
      const copies = this.options.duplicateEvery !== undefined && this.batchesSent % this.options.duplicateEvery === 0;
      for (let copy = 0; copy < (copies ? 2 : 1); copy++) {
        if (!(await this.deliverBatch(batch, report))) report.dropped += 1;
      }
    }
    return report;
  }

  private async deliverBatch(batch: readonly WebhookEvent[], report: DeliveryReport): Promise<boolean> {
    const delay = this.options.retryDelayMs ?? ((attempt: number) => 20 * 2 ** Math.min(attempt, 6));
    for (let attempt = 0; attempt < WEBHOOK_MAX_ATTEMPTS; attempt++) {
      report.attempts += 1;
      try {
        const { status } = await this.post(JSON.stringify(batch.map((e) => ({ ...e, attemptNumber: attempt }))));
        if ((status >= 200 && status < 300) || FINAL_STATUSES.has(status)) return status < 300;
      } catch {
        // Connection refused, reset or no answer within the timeout: HubSpot tries again.
      }
      await new Promise((resolve) => setTimeout(resolve, delay(attempt)));
    }
    return false;
  }
}
