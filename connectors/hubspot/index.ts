// The HubSpot CrmConnector over @hubspot/api-client: auth, properties install/check, list/search reads, batch
// writes, all behind one limiter per portal.
import { createHash } from 'node:crypto';

import { z } from 'zod';

import type {
  ApiUsage,
  ContactPage,
  CrmConnector,
  OwnerTask,
  OwnerTaskResult,
  ReadOptions,
  ScoreUpdate,
  SetupReport,
  WriteResult,
} from '../../src/crm/contract.ts';
import type { OutcomePage } from '../../src/crm/outcomes.ts';
import type { Tier } from '../../src/scoring/types.ts';
import { describeIssues } from '../../src/zod-issues.ts';
import { HubSpotApi } from './api.ts';
import type { OAuthTokens, TokenSource } from './auth.ts';
import { AuthSchema, OAuthTokenSource, PrivateAppToken } from './auth.ts';
import type { PortalLimiter } from './limiter.ts';
import type { PropertyManifest } from './manifest.ts';
import { loadPropertyManifest } from './manifest.ts';
import { DEFAULT_HANDLE_PROPERTIES, HandlePropertiesSchema, INFLUENCE_PROPERTIES } from './mapping.ts';
import { readOutcomes } from './outcomes.ts';
import { HubSpotPortals } from './portals.ts';
import { readContacts } from './read.ts';
import { applyTierLabels, checkSetup, installFields } from './setup.ts';
import { createOwnerTasks } from './tasks.ts';
import { WRITE_BATCH_SIZE, writeScores } from './write.ts';

export { HubSpotApiError, rateLimitPolicy } from './api.ts';
export type { OAuthTokens } from './auth.ts';
export { portalUiDomain, privateAppPortalId } from './portal-id.ts';
export { HubSpotPortals } from './portals.ts';
export { createHubSpotWebhookHandler, verifySignatureV3, webhookActions } from './webhook.ts';

export const HubSpotConnectorOptionsSchema = z.object({
  baseUrl: z
    .url()
    .default('https://api.hubapi.com')
    .transform((u) => u.replace(/\/+$/, '')),
  auth: AuthSchema,
  /** Identifies the portal for the shared limiter and token state (default: derived from the credentials). */
  portalKey: z.string().min(1).optional(),
  handleProperties: HandlePropertiesSchema.default(DEFAULT_HANDLE_PROPERTIES),
  doNotProfileProperty: z.string().min(1).default('influence_do_not_profile'),
  /** HubSpot's search index trails writes; a search window ends this long ago. */
  searchIndexLagMs: z.number().int().nonnegative().default(60_000),
  /** Requests per 10 s until the portal's headers say (100 = the lowest tier). */
  tenSecondLimit: z.number().int().positive().optional(),
  searchPerSecond: z.number().int().positive().default(4),
  manifestPath: z.string().min(1).optional(),
});
export type HubSpotConnectorOptions = z.input<typeof HubSpotConnectorOptionsSchema>;

export interface HubSpotConnectorHooks {
  /** Persist a refreshed token pair (the refresh token may have rotated). Called before the new token is used. */
  onTokens?: (tokens: OAuthTokens) => Promise<void> | void;
  /** The process's shared limiter and token state per portal (from the composition root); default: this connector's own. */
  portals?: HubSpotPortals;
  now?: () => number;
}

export class HubSpotConnector implements CrmConnector {
  readonly crm = 'hubspot' as const;
  readonly writeBatchSize = WRITE_BATCH_SIZE;
  readonly api: HubSpotApi;
  readonly limiter: PortalLimiter;
  private readonly options: z.output<typeof HubSpotConnectorOptionsSchema>;
  private manifestCache: PropertyManifest | undefined;
  private readonly now: () => number;

  constructor(options: HubSpotConnectorOptions, hooks: HubSpotConnectorHooks = {}) {
    const parsed = HubSpotConnectorOptionsSchema.safeParse(options);
    if (!parsed.success) {
      throw new Error(`invalid HubSpot connector options: ${describeIssues(parsed.error)}`);
    }
    this.options = parsed.data;
    this.now = hooks.now ?? Date.now;
    const { auth, baseUrl } = this.options;
    const secret = auth.kind === 'private' ? auth.accessToken : `${auth.clientId}:${auth.refreshToken}`;
    const portalKey =
      this.options.portalKey ?? `${baseUrl}#${createHash('sha256').update(secret).digest('hex').slice(0, 16)}`;
    const portals = hooks.portals ?? new HubSpotPortals();
    this.limiter = portals.limiter(portalKey, {
      ...(this.options.tenSecondLimit === undefined ? {} : { max: this.options.tenSecondLimit }),
      searchPerSecond: this.options.searchPerSecond,
    });
    const tokens: TokenSource =
      auth.kind === 'private'
        ? new PrivateAppToken(auth.accessToken)
        : new OAuthTokenSource(
            portals.tokenState(portalKey, () => OAuthTokenSource.initialState(auth)),
            auth,
            baseUrl,
            hooks.onTokens,
            this.now,
          );
    this.api = new HubSpotApi({ baseUrl, tokens, limiter: this.limiter });
  }

  private manifest(): PropertyManifest {
    this.manifestCache ??= loadPropertyManifest(this.options.manifestPath);
    return this.manifestCache;
  }

  checkSetup(): Promise<SetupReport> {
    return checkSetup(this.api, this.manifest(), this.options.baseUrl, this.options.doNotProfileProperty);
  }

  installFields(): Promise<SetupReport> {
    return installFields(this.api, this.manifest(), this.options.baseUrl, this.options.doNotProfileProperty);
  }

  readContacts(cursor: string | null, options: ReadOptions): AsyncIterable<ContactPage> {
    return readContacts(
      this.api,
      {
        mapping: {
          handleProperties: this.options.handleProperties,
          doNotProfileProperty: this.options.doNotProfileProperty,
        },
        searchIndexLagMs: this.options.searchIndexLagMs,
        now: this.now,
      },
      cursor,
      options,
    );
  }

  writeScores(updates: readonly ScoreUpdate[]): Promise<WriteResult[]> {
    const reasonProperty = this.manifest().properties.find((p) => p.name === INFLUENCE_PROPERTIES.reasonCodes);
    const allowed =
      reasonProperty?.options === undefined ? undefined : new Set(reasonProperty.options.map((o) => o.value));
    return writeScores(this.api, updates, allowed);
  }

  applyTierLabels(labels: Readonly<Record<Tier, string>>): Promise<boolean> {
    return applyTierLabels(this.api, labels);
  }

  createOwnerTasks(tasks: readonly OwnerTask[]): Promise<OwnerTaskResult[]> {
    return createOwnerTasks(this.api, tasks, this.now);
  }

  readOutcomes(checkpoint: string | null): AsyncIterable<OutcomePage> {
    return readOutcomes(this.api, checkpoint === '' ? null : checkpoint, {
      searchIndexLagMs: this.options.searchIndexLagMs,
      now: this.now,
    });
  }

  apiUsage(): ApiUsage {
    return {
      calls: { ...this.api.usage },
      ...(this.api.budget === undefined ? {} : { budget: { ...this.api.budget } }),
    };
  }
}

export function createHubSpotConnector(
  options: HubSpotConnectorOptions,
  hooks?: HubSpotConnectorHooks,
): HubSpotConnector {
  return new HubSpotConnector(options, hooks);
}
