// startHubSpotSandbox: one emulated HubSpot portal on 127.0.0.1 whose contacts come from the population.
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';

import type { FaultSchedule } from '../faults.ts';
import { FaultInjector } from '../faults.ts';
import type { HubSpotPopulation } from './contacts.ts';
import { ContactStore } from './contacts.ts';
import { RateLimits } from './limits.ts';
import { ALL_SCOPES, TokenRegistry } from './oauth.ts';
import { PropertyRegistry } from './properties.ts';
import { ContactSearch } from './search.ts';
import type { HubSpotCounters } from './server.ts';
import { createHubSpotServer, emptyCounters } from './server.ts';
import type { WebhookDelivery, WebhookEventInput } from './webhooks.ts';
import { WebhookSender } from './webhooks.ts';

export type { HubSpotPopulation } from './contacts.ts';
export { SEARCH_MAX_LIMIT, SEARCH_RESULT_CAP } from './search.ts';
export type { HubSpotCounters } from './server.ts';
export { BATCH_LIMIT, LIST_LIMIT } from './server.ts';
export type { WebhookDelivery, WebhookEvent, WebhookEventInput } from './webhooks.ts';
export { signatureV3 } from './webhooks.ts';

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
  /** Where contact.creation / contact.propertyChange webhooks are POSTed (none when unset). */
  webhookTargetUrl?: string;
  clientId?: string;
  clientSecret?: string;
  rotateRefreshTokens?: boolean;
  /** Scopes of the private-app token (default: everything the plugin needs). */
  privateAppScopes?: readonly string[];
  /** lastmodifieddate of every untouched contact (default: one hour before start). */
  importedAt?: Date;
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
  archiveContact(id: string): void;
  setAllModifiedAt(at: Date): void;
  deleteProperty(name: string): void;
  expireTokens(): void;
  /** A refresh token as if the install flow had run (for OAuth tests). */
  seedRefreshToken(scopes?: readonly string[]): string;
  revokeRefreshToken(refreshToken: string): void;
  refreshCount(): number;
  setDailyRemaining(remaining: number): void;
  emitWebhook(
    events: readonly WebhookEventInput[],
    options?: { targetUrl?: string; timestampOverride?: number },
  ): Promise<WebhookDelivery>;
  faults: FaultInjector;
  resetCounters(): void;
  /** Current stored value as the API would return it (tests). */
  value(id: string, property: string): string | null | undefined;
}

export async function startHubSpotSandbox(options: HubSpotSandboxOptions): Promise<HubSpotSandbox> {
  const clientId = options.clientId ?? `sandbox-${randomBytes(8).toString('hex')}`;
  const clientSecret = options.clientSecret ?? randomBytes(18).toString('hex');
  const registry = new PropertyRegistry();
  const contacts = new ContactStore(
    options.population,
    registry,
    options.importedAt ?? new Date(Date.now() - 3_600_000),
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
  });
  const pending = new Set<Promise<unknown>>();
  const notify = (events: WebhookEventInput[]) => {
    if (webhooks.targetUrl === undefined || events.length === 0) return Promise.resolve();
    const p = webhooks
      .send(events)
      .catch(() => undefined)
      .finally(() => pending.delete(p));
    pending.add(p);
    return p;
  };

  let url = '';
  const server = createHubSpotServer({
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
          subscriptionType: 'contact.propertyChange' as const,
          objectId: index + 1,
          propertyName,
          propertyValue: v ?? '',
        })),
      );
    },
    async createContact(properties) {
      const index = contacts.create(validated(properties));
      await notify([{ subscriptionType: 'contact.creation', objectId: index + 1 }]);
      return String(index + 1);
    },
    archiveContact: (id) => contacts.archive(indexOrThrow(id)),
    setAllModifiedAt: (at) => contacts.setAllModifiedAt(at),
    deleteProperty: (name) => registry.archive(name),
    expireTokens: () => tokens.expireAll(),
    seedRefreshToken: (scopes) => tokens.seedRefreshToken(scopes),
    revokeRefreshToken: (refreshToken) => tokens.revokeRefreshToken(refreshToken),
    refreshCount: () => tokens.refreshCount,
    setDailyRemaining: (remaining) => limits.setDailyRemaining(remaining),
    emitWebhook: (events, opts) => webhooks.send(events, opts),
    faults,
    resetCounters() {
      Object.assign(counters, emptyCounters());
    },
    value(id, property) {
      const index = contacts.indexOf(id);
      if (index === undefined) return undefined;
      return registry.present(property, contacts.stored(index, property));
    },
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
