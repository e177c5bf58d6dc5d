// Opens the Salesforce connection for the CLI: the org's credentials from the environment (SALESFORCE_*: a token,
// a refresh token, or the JWT bearer flow's key and username), or an org connected through the admin UI (OAuth
// tokens in the store). Rotated refresh tokens are written back to the store, so the next run uses the live one
// even though the environment still holds the first.
import { createHash } from 'node:crypto';

import { z } from 'zod';

import type { SalesforceOptionsInput, SalesforceTokens } from '../../connectors/salesforce/index.ts';
import { SalesforceConnector, SalesforceOptionsSchema } from '../../connectors/salesforce/index.ts';
import type { AppConfig } from '../config.ts';
import { NeedsReauthError } from '../crm/errors.ts';
import type { Connection, Store } from '../store/contract.ts';
import { describeIssues } from '../zod-issues.ts';
import type { OpenContext, OpenedCrm } from './crms.ts';
import { CliError } from './errors.ts';

/** `settings.salesforce` of a connection: the connector's tunables (all optional). */
const SalesforceSettingsSchema = z
  .object({
    handleFields: SalesforceOptionsSchema.shape.handleFields.optional(),
    optOut: z.object({ individual: z.boolean().optional(), field: z.string().nullable().optional() }).optional(),
    objects: SalesforceOptionsSchema.shape.objects.optional(),
    queryBatchSize: SalesforceOptionsSchema.shape.queryBatchSize.optional(),
    bulkWriteThreshold: SalesforceOptionsSchema.shape.bulkWriteThreshold.optional(),
    budgetFloor: SalesforceOptionsSchema.shape.budgetFloor.optional(),
  })
  .default({});

/** What the store keeps for an org: tokens refreshed (and rotated) since, tied to the credentials they came from. */
const StoredCredentialsSchema = z.object({
  instanceUrl: z.string().optional(),
  /** Where its tokens are refreshed when not SALESFORCE_LOGIN_URL (a sandbox org's test.salesforce.com, a My Domain). */
  loginUrl: z.url().optional(),
  refreshToken: z.string().min(1).optional(),
  accessToken: z.string().min(1).optional(),
  /** Hash of the environment's refresh token these tokens descend from; a new one in the environment wins. */
  source: z.string().optional(),
});

const digest = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 16);

function settingsOf(connection: Connection | null): Partial<SalesforceOptionsInput> {
  const parsed = SalesforceSettingsSchema.safeParse((connection?.settings ?? {}).salesforce);
  if (!parsed.success) {
    throw new CliError(
      `connection "${connection?.id ?? 'salesforce'}": settings.salesforce is invalid: ${describeIssues(parsed.error)}`,
    );
  }
  const { optOut, ...rest } = parsed.data;
  const clean = Object.fromEntries(
    Object.entries(rest).filter(([, v]) => v !== undefined),
  ) as Partial<SalesforceOptionsInput>;
  if (optOut) {
    clean.optOut = {
      ...(optOut.individual === undefined ? {} : { individual: optOut.individual }),
      ...(optOut.field === undefined ? {} : { field: optOut.field }),
    };
  }
  return clean;
}

function persistTokens(store: Store, connectionId: string, source: string) {
  return async (tokens: SalesforceTokens): Promise<void> => {
    const current = await store.getConnection(connectionId);
    if (current === null) return;
    await store.saveConnection({ ...current, credentials: { ...current.credentials, ...tokens, source } });
  };
}

/** Whether the environment names an org and a way in (a token, a refresh token or the JWT bearer flow). */
export function salesforceInEnvironment(config: AppConfig): boolean {
  return (
    config.SALESFORCE_INSTANCE_URL !== undefined &&
    (config.SALESFORCE_ACCESS_TOKEN !== undefined ||
      config.SALESFORCE_REFRESH_TOKEN !== undefined ||
      config.SALESFORCE_JWT_KEY !== undefined)
  );
}

export async function open(ctx: OpenContext, wanted?: Connection): Promise<OpenedCrm> {
  const { config, store } = ctx;
  const envRefresh = config.SALESFORCE_REFRESH_TOKEN;
  const envAccess = config.SALESFORCE_ACCESS_TOKEN;
  const instanceUrl = config.SALESFORCE_INSTANCE_URL;
  // A named connection that is not the environment's org runs on the credentials the store holds for it.
  const isEnvironmentOrg = (c: Connection) =>
    instanceUrl !== undefined &&
    salesforceInEnvironment(config) &&
    (c.id === `salesforce-${digest(instanceUrl)}` ||
      (ORG_CONNECTION.test(c.id) && c.credentials.instanceUrl === instanceUrl));
  if (wanted !== undefined && !isEnvironmentOrg(wanted)) return openInstalled(ctx, wanted);
  // The JWT bearer flow: the integration user signs in with the app's key, no stored token needed.
  const jwt =
    config.SALESFORCE_JWT_KEY !== undefined && config.SALESFORCE_USERNAME !== undefined
      ? { username: config.SALESFORCE_USERNAME, privateKey: config.SALESFORCE_JWT_KEY }
      : undefined;
  if (instanceUrl === undefined || !salesforceInEnvironment(config)) {
    // An org connected in the admin UI keeps everything in the store.
    const installed = (await store.listConnections()).find(
      (c) =>
        c.crm === 'salesforce' &&
        c.status !== 'disabled' &&
        StoredCredentialsSchema.safeParse(c.credentials).data?.refreshToken !== undefined,
    );
    if (installed === undefined) {
      throw new CliError(
        'Salesforce is not configured: set SALESFORCE_INSTANCE_URL with SALESFORCE_CLIENT_ID and SALESFORCE_REFRESH_TOKEN (or SALESFORCE_ACCESS_TOKEN for a quick try), or connect the org in the admin UI (crm-influence serve)',
      );
    }
    return openInstalled(ctx, installed);
  }

  const source = digest(envRefresh ?? envAccess ?? `jwt:${jwt?.username ?? ''}`);
  // The org's connection, once named: by its org id (saved with the instance URL), or under the name before 0.2.
  const connections = (await store.listConnections()).filter((c) => c.crm === 'salesforce');
  const legacyId = `salesforce-${digest(instanceUrl)}`;
  const known =
    connections.find((c) => ORG_CONNECTION.test(c.id) && c.credentials.instanceUrl === instanceUrl) ??
    connections.find((c) => c.id === legacyId) ??
    null;
  const stored = StoredCredentialsSchema.safeParse(known?.credentials ?? {}).data ?? {};
  const sameSource = stored.source === source;
  if (known?.status === 'needs_reauth') {
    if (sameSource) {
      throw new CliError(
        `Salesforce connection "${known.id}" needs to be reconnected: ${known.statusMessage ?? 'its refresh token was refused'}; put a new SALESFORCE_REFRESH_TOKEN in the environment (or reconnect in the admin UI)`,
      );
    }
    // New credentials in the environment: try them.
    await store.setConnectionStatus(known.id, 'ok', null);
  }
  const refreshToken = sameSource && stored.refreshToken ? stored.refreshToken : envRefresh;
  // Tokens refreshed before the connection is saved wait for it (a rotated refresh token must not be lost).
  const saved: { id: string | null; pending: SalesforceTokens | null } = {
    id: known !== null && ORG_CONNECTION.test(known.id) ? known.id : null,
    pending: null,
  };
  const connector = new SalesforceConnector(
    {
      instanceUrl,
      loginUrl: config.SALESFORCE_LOGIN_URL,
      apiVersion: config.SALESFORCE_API_VERSION,
      ...(config.SALESFORCE_CLIENT_ID ? { clientId: config.SALESFORCE_CLIENT_ID } : {}),
      ...(config.SALESFORCE_CLIENT_SECRET ? { clientSecret: config.SALESFORCE_CLIENT_SECRET } : {}),
      ...(envAccess ? { accessToken: envAccess } : {}),
      ...(refreshToken ? { refreshToken } : {}),
      ...(jwt ? { jwt } : {}),
      ...settingsOf(known),
    },
    {
      onTokens: async (tokens) => {
        if (saved.id === null) saved.pending = { ...saved.pending, ...tokens };
        else await persistTokens(store, saved.id, source)(tokens);
      },
    },
  );
  if (saved.id !== null) return { connectionId: saved.id, connector };
  saved.id = await orgConnection(store, connector, { instanceUrl, source, legacy: known });
  if (saved.pending !== null) await persistTokens(store, saved.id, source)(saved.pending);
  return { connectionId: saved.id, connector };
}

/** `salesforce-<org id>`: how a connection is named since 0.2 (the org's id, never a secret or a URL). */
const ORG_CONNECTION = /^salesforce-00D[A-Za-z0-9]{12}([A-Za-z0-9]{3})?$/;

/**
 * The connection of the org the credentials reach, `salesforce-<org id>` (from the identity URL), saved on first use;
 * credentials Salesforce refuses save nothing. A connection saved under the name before 0.2 (a hash of the instance
 * URL) is renamed, keeping its contacts and runs.
 */
async function orgConnection(
  store: Store,
  connector: SalesforceConnector,
  org: { instanceUrl: string; source: string; legacy: Connection | null },
): Promise<string> {
  let organizationId: string;
  try {
    ({ organizationId } = await connector.identity());
  } catch (error) {
    if (error instanceof NeedsReauthError) {
      throw new CliError(
        `${error.message}: check SALESFORCE_ACCESS_TOKEN / SALESFORCE_REFRESH_TOKEN (or the JWT key and username) for ${new URL(org.instanceUrl).host}; nothing was saved`,
      );
    }
    throw error;
  }
  const connectionId = `salesforce-${organizationId}`;
  if (org.legacy !== null && org.legacy.id !== connectionId) await store.renameConnection(org.legacy.id, connectionId);
  const existing = await store.getConnection(connectionId);
  await store.saveConnection({
    id: connectionId,
    crm: 'salesforce',
    name: existing?.name ?? `Salesforce (${new URL(org.instanceUrl).host})`,
    status: existing?.status ?? 'ok',
    statusMessage: existing?.statusMessage ?? null,
    credentials: { ...existing?.credentials, source: org.source, instanceUrl: org.instanceUrl },
    settings: existing?.settings ?? {},
  });
  return connectionId;
}

function openInstalled(ctx: OpenContext, installed: Connection): OpenedCrm {
  const { config, store } = ctx;
  if (installed.status === 'needs_reauth') {
    throw new CliError(
      `Salesforce connection "${installed.id}" needs to be reconnected: ${installed.statusMessage ?? 'its refresh token was refused'}; open the admin UI (crm-influence serve) and connect the org again`,
    );
  }
  if (config.SALESFORCE_CLIENT_ID === undefined) {
    throw new CliError(
      `Salesforce connection "${installed.id}" uses OAuth: set SALESFORCE_CLIENT_ID (and SALESFORCE_CLIENT_SECRET) of the External Client App`,
    );
  }
  const stored = StoredCredentialsSchema.parse(installed.credentials);
  const loginUrl = stored.loginUrl ?? config.SALESFORCE_LOGIN_URL;
  const instanceUrl = stored.instanceUrl ?? loginUrl;
  const connector = new SalesforceConnector(
    {
      instanceUrl,
      loginUrl,
      apiVersion: config.SALESFORCE_API_VERSION,
      clientId: config.SALESFORCE_CLIENT_ID,
      ...(config.SALESFORCE_CLIENT_SECRET ? { clientSecret: config.SALESFORCE_CLIENT_SECRET } : {}),
      ...(stored.accessToken ? { accessToken: stored.accessToken } : {}),
      ...(stored.refreshToken ? { refreshToken: stored.refreshToken } : {}),
      ...settingsOf(installed),
    },
    { onTokens: persistTokens(store, installed.id, stored.source ?? 'oauth') },
  );
  return { connectionId: installed.id, connector };
}
