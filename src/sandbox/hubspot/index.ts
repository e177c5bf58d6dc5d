// startHubSpotSandbox: one emulated HubSpot portal on 127.0.0.1 whose contacts come from the population.
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';

import type { DealWorldOptions, SandboxDeal } from '../deals.ts';
import type { FaultSchedule } from '../faults.ts';
import { FaultInjector } from '../faults.ts';
import type { HubSpotPopulation } from './contacts.ts';
import { ContactStore } from './contacts.ts';
import { DealStore } from './deals.ts';
import { RateLimits } from './limits.ts';
import { ALL_SCOPES, TokenRegistry } from './oauth.ts';
import { PropertyRegistry } from './properties.ts';
import { ContactSearch } from './search.ts';
import type { HubSpotCounters, SentResponse, TokenEndpointFault } from './server.ts';
import { createHubSpotServer, emptyCounters } from './server.ts';
import { TaskStore } from './tasks.ts';
import type { ContactEvent, DeliveryReport, WebhookDelivery, WebhookEvent, WebhookEventInput } from './webhooks.ts';
import { WebhookSender } from './webhooks.ts';

export type { HubSpotPopulation } from './contacts.ts';
export { SEARCH_MAX_LIMIT, SEARCH_RESULT_CAP } from './search.ts';
export type { HubSpotCounters, SentResponse, TokenEndpointFault } from './server.ts';
export { BATCH_LIMIT, LIST_LIMIT } from './server.ts';
export type { DeliveryReport, WebhookDelivery, WebhookEvent, WebhookEventInput } from './webhooks.ts';
export { signatureV3, WEBHOOK_BATCH_SIZE, WEBHOOK_MAX_ATTEMPTS } from './webhooks.ts';

export interface HubSpotSandboxOptions {
  population: HubSpotPopulation;
  port?: number;
  faults?: FaultSchedule;
  /** Requests per rolling 10 s (HubSpot: 100 Free/Starter, 190 Professional/Enterprise). */
  tenSecondLimit?: number;
  /** Requests per day for the private-app token (OAuth apps have no daily cap). */
  dailyLimit?: number;
  /** Search requests per second. */
  searchPerSecond?: number;
  accessTokenTtlSeconds?: number;
  /** Where the portal's webhook deliveries are POSTed (none when unset). */
  webhookTargetUrl?: string;
  /** `object` (default): `object.*` events as a developer-project app gets them; `legacy`: `contact.*`. */
  webhookStyle?: 'object' | 'legacy';
  /** Every Nth webhook batch is delivered twice (HubSpot delivers at least once). */
  webhookDuplicateEvery?: number;
  /** Wait before webhook attempt n + 1 (default: tens of milliseconds; HubSpot spreads 10 attempts over 24 h). */
  webhookRetryDelayMs?: (attempt: number) => number;
  clientId?: string;
  clientSecret?: string;
  rotateRefreshTokens?: boolean;
  /** Scopes of the private-app token (default: everything the plugin needs). */
  privateAppScopes?: readonly string[];
  /** lastmodifieddate of every untouched contact (default: one hour before start). */
  importedAt?: Date;
  /**
   * How long a write takes to show in search (HubSpot's index trails writes by seconds; the search docs and
   * developers.hubspot.com/docs/api/crm/search). Default 0, so the demo's reads see its writes at once.
   */
  searchIndexLagMs?: number;
  /** 429 bodies without `policyName` (older bodies and proxies): the message is all that says which limit. */
  bareRateLimitBodies?: boolean;
  /**
   * The portal's data centre, as the account-info API names it (`dataHostingLocation`; default `na1`): an EU portal
   * (`eu1`) is used at app-eu1.hubspot.com (its `uiDomain`).
   */
  dataHostingLocation?: 'na1' | 'eu1';
  /** Sees every answer the portal sends (the contract test). */
  onResponse?: (response: SentResponse) => void;
  /**
   * Deals associated with contacts, and how a contact's latent influence sways winning (`effect`, log-odds per
   * standard deviation; 0 = no relationship). Default: effect 0.8.
   */
  deals?: DealWorldOptions;
}

export interface HubSpotSandbox {
  url: string;
  env: {
    HUBSPOT_BASE_URL: string;
    HUBSPOT_ACCESS_TOKEN: string;
    HUBSPOT_CLIENT_ID: string;
    HUBSPOT_CLIENT_SECRET: string;
  };
  counters: HubSpotCounters;
  control: HubSpotSandboxControl;
  close(): Promise<void>;
}

export interface HubSpotSandboxControl {
  /** A person edits a contact in the HubSpot UI: values validated, lastmodifieddate bumped, webhook sent. */
  editContact(id: string, properties: Record<string, string | null>): Promise<void>;
  createContact(properties: Record<string, string | null>): Promise<string>;
  /** Without a webhook (as an import or another app might); `deleteContact` is the UI's delete. */
  archiveContact(id: string): void;
  /** A person deletes the contact: into the recycle bin, `object.deletion` sent. */
  deleteContact(id: string): Promise<DeliveryReport>;
  /** Back from the recycle bin: `object.restore` sent. */
  restoreContact(id: string): Promise<DeliveryReport>;
  /** `absorbedId` is merged into `survivorId`: `object.merge` sent. */
  mergeContacts(survivorId: string, absorbedId: string): Promise<DeliveryReport>;
  /** A GDPR delete: the contact is gone for good; `contact.privacyDeletion` and `object.deletion` sent. */
  gdprDeleteContact(id: string): Promise<DeliveryReport>;
  /** Delivers events as HubSpot does (batches of 100, retries, duplicates) and says how it went. */
  deliverWebhooks(events: readonly ContactEvent[]): Promise<DeliveryReport>;
  setAllModifiedAt(at: Date): void;
  deleteProperty(name: string): void;
  expireTokens(): void;
  /** A refresh token as if the install flow had run (for OAuth tests). */
  seedRefreshToken(scopes?: readonly string[]): string;
  revokeRefreshToken(refreshToken: string): void;
  /** The next token requests fail like this, in order (a 429 without policyName, an edge 502, a 503). */
  failTokenEndpoint(...faults: TokenEndpointFault[]): void;
  refreshCount(): number;
  setDailyRemaining(remaining: number): void;
  emitWebhook(
    events: readonly WebhookEventInput[],
    options?: { targetUrl?: string; timestampOverride?: number },
  ): Promise<WebhookDelivery>;
  /** Events with the ids and fields HubSpot fills in (for tests that sign and send a body themselves). */
  completeWebhook(events: readonly WebhookEventInput[]): WebhookEvent[];
  faults: FaultInjector;
  resetCounters(): void;
  /** Current stored value as the API would return it (tests). */
  value(id: string, property: string): string | null | undefined;
  /** Tasks associated with a contact, oldest first (tests). */
  tasksOf(contactId: string): { id: string; properties: Record<string, string> }[];
  /** The generated deals, with the win probability each was drawn with. */
  deals(): SandboxDeal[];
  /** A person moves a deal: properties set, hs_lastmodifieddate bumped. */
  editDeal(id: string, properties: Record<string, string | null>): void;
}

export async function startHubSpotSandbox(options: HubSpotSandboxOptions): Promise<HubSpotSandbox> {
  const clientId = options.clientId ?? `sandbox-${randomBytes(8).toString('hex')}`;
  const clientSecret = options.clientSecret ?? randomBytes(18).toString('hex');
  const registry = new PropertyRegistry();
  const contacts = new ContactStore(
    options.population,
    registry,
    options.importedAt ?? new Date(Date.now() - 3_600_000),
    options.searchIndexLagMs ?? 0,
  );
  const search = new ContactSearch(contacts, registry);
  const tokens = new TokenRegistry({
    clientId,
    clientSecret,
    accessTokenTtlSeconds: options.accessTokenTtlSeconds ?? 1800,
    rotateRefreshTokens: options.rotateRefreshTokens ?? false,
    privateAppScopes: options.privateAppScopes ?? ALL_SCOPES,
  });
  const limits = new RateLimits({
    tenSecondLimit: options.tenSecondLimit ?? 190,
    dailyLimit: options.dailyLimit ?? 1_000_000,
    searchPerSecond: options.searchPerSecond ?? 4,
  });
  const faults = new FaultInjector(options.faults ?? {});
  const counters = emptyCounters();
  const webhooks = new WebhookSender({
    targetUrl: options.webhookTargetUrl,
    clientSecret,
    portalId: 1234567,
    appId: 424242,
    ...(options.webhookStyle === undefined ? {} : { style: options.webhookStyle }),
    ...(options.webhookDuplicateEvery === undefined ? {} : { duplicateEvery: options.webhookDuplicateEvery }),
    ...(options.webhookRetryDelayMs === undefined ? {} : { retryDelayMs: options.webhookRetryDelayMs }),
  });
  const pending = new Set<Promise<unknown>>();
  const notify = (events: readonly ContactEvent[]): Promise<DeliveryReport> => {
    if (webhooks.targetUrl === undefined || events.length === 0)
      return Promise.resolve({ batches: 0, attempts: 0, dropped: 0 });
    const p = webhooks.deliver(webhooks.dress(events)).finally(() => pending.delete(p));
    pending.add(p);
    return p;
  };

  let url = '';
  const tokenEndpointFaults: TokenEndpointFault[] = [];
  const tasks = new TaskStore(contacts);
  const deals = new DealStore(
    { size: options.population.size, latentInfluence: (i) => options.population.latentInfluence?.(i) ?? 0 },
    options.deals ?? { effect: 0.8 },
    Date.now(),
  );
  const server = createHubSpotServer({
    tasks,
    deals,
    tokenEndpointFaults,
    bareRateLimitBodies: options.bareRateLimitBodies ?? false,
    dataHostingLocation: options.dataHostingLocation ?? 'na1',
    ...(options.onResponse === undefined ? {} : { onResponse: options.onResponse }),
    contacts,
    registry,
    search,
    tokens,
    limits,
    faults,
    counters,
    baseUrl: () => url,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const indexOrThrow = (id: string): number => {
    const index = contacts.indexOf(id);
    if (index === undefined) throw new Error(`sandbox: no contact with id ${id}`);
    return index;
  };
  const validated = (properties: Record<string, string | null>): Map<string, string | null> => {
    const values = new Map<string, string | null>();
    for (const [name, value] of Object.entries(properties)) {
      const check = registry.validateValue(name, value);
      if (!check.ok) throw new Error(`sandbox: ${name}: ${check.message}`);
      values.set(name, check.stored);
    }
    return values;
  };

  const control: HubSpotSandboxControl = {
    async editContact(id, properties) {
      const index = indexOrThrow(id);
      const values = validated(properties);
      contacts.write(index, values);
      await notify(
        [...values].map(([propertyName, v]) => ({
          kind: 'propertyChange' as const,
          objectId: index + 1,
          propertyName,
          propertyValue: v ?? '',
        })),
      );
    },
    async createContact(properties) {
      const index = contacts.create(validated(properties));
      await notify([{ kind: 'creation', objectId: index + 1 }]);
      return String(index + 1);
    },
    archiveContact: (id) => contacts.archive(indexOrThrow(id)),
    deleteContact(id) {
      contacts.archive(indexOrThrow(id));
      return notify([{ kind: 'deletion', objectId: Number(id) }]);
    },
    restoreContact(id) {
      contacts.restore(Number(id) - 1);
      return notify([{ kind: 'restore', objectId: Number(id) }]);
    },
    mergeContacts(survivorId, absorbedId) {
      const survivor = indexOrThrow(survivorId);
      contacts.merge(survivor, indexOrThrow(absorbedId));
      return notify([
        {
          kind: 'merge',
          objectId: survivor + 1,
          primaryObjectId: survivor + 1,
          mergedObjectIds: [Number(absorbedId)],
          newObjectId: survivor + 1,
        },
      ]);
    },
    gdprDeleteContact(id) {
      contacts.erase(indexOrThrow(id));
      return notify([
        { kind: 'privacyDeletion', objectId: Number(id) },
        { kind: 'deletion', objectId: Number(id) },
      ]);
    },
    deliverWebhooks: (events) => notify(events),
    setAllModifiedAt: (at) => contacts.setAllModifiedAt(at),
    deleteProperty: (name) => registry.archive(name),
    expireTokens: () => tokens.expireAll(),
    seedRefreshToken: (scopes) => tokens.seedRefreshToken(scopes),
    revokeRefreshToken: (refreshToken) => tokens.revokeRefreshToken(refreshToken),
    failTokenEndpoint: (...faults) => void tokenEndpointFaults.push(...faults),
    refreshCount: () => tokens.refreshCount,
    setDailyRemaining: (remaining) => limits.setDailyRemaining(remaining),
    emitWebhook: (events, opts) => webhooks.send(events, opts),
    completeWebhook: (events) => webhooks.complete(events),
    faults,
    resetCounters() {
      Object.assign(counters, emptyCounters());
    },
    value(id, property) {
      const index = contacts.indexOf(id);
      if (index === undefined) return undefined;
      return registry.present(property, contacts.stored(index, property));
    },
    tasksOf: (contactId) => tasks.ofContact(contactId).map(({ id, properties }) => ({ id, properties })),
    deals: () => deals.all(),
    editDeal: (id, properties) => deals.edit(id, properties, Date.now()),
  };

  return {
    url,
    env: {
      HUBSPOT_BASE_URL: url,
      HUBSPOT_ACCESS_TOKEN: tokens.privateAppToken,
      HUBSPOT_CLIENT_ID: clientId,
      HUBSPOT_CLIENT_SECRET: clientSecret,
    },
    counters,
    control,
    async close() {
      await Promise.allSettled([...pending]);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
