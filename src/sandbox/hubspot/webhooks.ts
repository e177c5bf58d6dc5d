// Webhook deliveries as HubSpot sends them: a JSON array of events, signed with X-HubSpot-Signature-v3
// (base64 HMAC-SHA256 over method + uri + body + timestamp, keyed with the app's client secret; crm-apis.md §2.6).
import { createHmac, randomInt } from 'node:crypto';

export interface WebhookEvent {
  eventId: number;
  subscriptionId: number;
  portalId: number;
  appId: number;
  occurredAt: number;
  subscriptionType: 'contact.creation' | 'contact.propertyChange' | 'contact.deletion';
  attemptNumber: number;
  objectId: number;
  changeSource: string;
  propertyName?: string;
  propertyValue?: string;
}

export type WebhookEventInput = Pick<WebhookEvent, 'subscriptionType' | 'objectId'> & Partial<WebhookEvent>;

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

export class WebhookSender {
  delivered = 0;

  constructor(
    private readonly options: { targetUrl: string | undefined; clientSecret: string; portalId: number; appId: number },
  ) {}

  get targetUrl(): string | undefined {
    return this.options.targetUrl;
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

  /** POSTs one signed batch; `timestampOverride` lets tests send stale deliveries. */
  async send(
    events: readonly WebhookEventInput[],
    options: { targetUrl?: string; timestampOverride?: number } = {},
  ): Promise<WebhookDelivery> {
    const url = options.targetUrl ?? this.options.targetUrl;
    if (url === undefined)
      throw new Error('no webhook target URL configured: pass webhookTargetUrl to startHubSpotSandbox');
    const body = JSON.stringify(this.complete(events));
    const timestamp = String(options.timestampOverride ?? Date.now());
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'X-HubSpot-Signature-v3': signatureV3(this.options.clientSecret, 'POST', url, body, timestamp),
        'X-HubSpot-Signature-Version': 'v3',
        'X-HubSpot-Request-Timestamp': timestamp,
      },
      body,
    });
    this.delivered += 1;
    return { status: response.status, body: await response.text() };
  }
}
