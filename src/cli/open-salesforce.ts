// Opens the Salesforce connection for the CLI: the org's credentials from the environment (SALESFORCE_*: a token,
// a refresh token, or the JWT bearer flow's key and username), or an org connected through the admin UI (OAuth
// tokens in the store). Rotated refresh tokens are written back to the store, so the next run uses the live one
// even though the environment still holds the first.
import { createHash } from 'node:crypto';

import { z } from 'zod';

import type { SalesforceOptionsInput, SalesforceTokens } from '../../connectors/salesforce/index.ts';
import { SalesforceConnector, SalesforceOptionsSchema } from '../../connectors/salesforce/index.ts';
import type { AppConfig } from '../config.ts';
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
  const envConnectionId =
    instanceUrl !== undefined && salesforceInEnvironment(config) ? `salesforce-${digest(instanceUrl)}` : undefined;
  if (wanted !== undefined && wanted.id !== envConnectionId) return openInstalled(ctx, wanted);
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

  // One connection per org: the id comes from the org URL, never from a secret.
  const connectionId = `salesforce-${digest(instanceUrl)}`;
  const source = digest(envRefresh ?? envAccess ?? `jwt:${jwt?.username ?? ''}`);
  let connection = await store.getConnection(connectionId);
  if (connection === null) {
    await store.saveConnection({
      id: connectionId,
      crm: 'salesforce',
      name: `Salesforce (${new URL(instanceUrl).host})`,
      status: 'ok',
      statusMessage: null,
      credentials: { source },
      settings: {},
    });
    connection = await store.getConnection(connectionId);
  }
  const stored = StoredCredentialsSchema.safeParse(connection?.credentials ?? {}).data ?? {};
  const sameSource = stored.source === source;
  if (connection?.status === 'needs_reauth') {
    if (sameSource) {
      throw new CliError(
        `Salesforce connection "${connectionId}" needs to be reconnected: ${connection.statusMessage ?? 'its refresh token was refused'}; put a new SALESFORCE_REFRESH_TOKEN in the environment (or reconnect in the admin UI)`,
      );
    }
    // New credentials in the environment: try them.
    await store.setConnectionStatus(connectionId, 'ok', null);
  }
  const refreshToken = sameSource && stored.refreshToken ? stored.refreshToken : envRefresh;
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
      ...settingsOf(connection),
    },
    { onTokens: persistTokens(store, connectionId, source) },
  );
  return { connectionId, connector };
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
