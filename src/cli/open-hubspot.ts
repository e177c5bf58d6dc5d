// Opens the HubSpot connection for the CLI: a portal connected through the admin UI (public app, OAuth tokens in
// the store, refreshed tokens written back), else the private app token from HUBSPOT_ACCESS_TOKEN.
import { createHash } from 'node:crypto';

import { z } from 'zod';

import type { HubSpotConnectorOptions } from '../../connectors/hubspot/index.ts';
import { createHubSpotConnector, portalUiDomain, privateAppPortalId } from '../../connectors/hubspot/index.ts';
import { HandlePropertiesSchema } from '../../connectors/hubspot/mapping.ts';
import { NeedsReauthError } from '../crm/errors.ts';
import { HUBSPOT_UI_DOMAIN } from '../crm/record-url.ts';
import type { Connection } from '../store/contract.ts';
import { describeIssues } from '../zod-issues.ts';
import type { OpenContext, OpenedCrm } from './crms.ts';
import { CliError } from './errors.ts';

/** `settings.hubspot` of a connection (all optional). */
const HubSpotSettingsSchema = z
  .object({
    handleProperties: HandlePropertiesSchema.optional(),
    doNotProfileProperty: z.string().min(1).optional(),
    searchIndexLagMs: z.number().int().nonnegative().optional(),
    /** Where the portal's pages live (account-info's uiDomain: app-eu1.hubspot.com for an EU portal). */
    uiDomain: z.string().regex(HUBSPOT_UI_DOMAIN).optional(),
  })
  .default({});

const OAuthCredentialsSchema = z.object({
  refreshToken: z.string().min(1),
  accessToken: z.string().min(1).optional(),
  expiresAt: z.number().int().optional(),
  /** The portal's API host when not HUBSPOT_BASE_URL (set by whoever installs it; tests point it at a sandbox portal). */
  apiBaseUrl: z.url().optional(),
});

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

function settingsOf(connection: Connection | null, baseUrl: string) {
  const parsed = HubSpotSettingsSchema.safeParse((connection?.settings ?? {}).hubspot);
  if (!parsed.success) {
    throw new CliError(
      `connection "${connection?.id ?? 'hubspot'}": settings.hubspot is invalid: ${describeIssues(parsed.error)}`,
    );
  }
  const s = parsed.data;
  return {
    ...(s.handleProperties === undefined ? {} : { handleProperties: s.handleProperties }),
    ...(s.doNotProfileProperty === undefined ? {} : { doNotProfileProperty: s.doNotProfileProperty }),
    // The sandbox's search index has no lag; HubSpot's trails writes by seconds.
    searchIndexLagMs: s.searchIndexLagMs ?? (LOOPBACK.has(new URL(baseUrl).hostname) ? 0 : 60_000),
  };
}

export async function open(ctx: OpenContext, wanted?: Connection): Promise<OpenedCrm> {
  const { config, store } = ctx;
  const isInstalled = (c: Connection) =>
    c.crm === 'hubspot' && c.status !== 'disabled' && OAuthCredentialsSchema.safeParse(c.credentials).success;

  // The named connection when it was installed by OAuth; else a portal installed through the admin UI wins over the
  // environment.
  const installed =
    wanted !== undefined && isInstalled(wanted) ? wanted : (await store.listConnections()).find(isInstalled);
  const baseUrl =
    (installed === undefined ? undefined : OAuthCredentialsSchema.parse(installed.credentials).apiBaseUrl) ??
    config.HUBSPOT_BASE_URL;
  if (installed !== undefined) {
    if (installed.status === 'needs_reauth') {
      throw new CliError(
        `HubSpot connection "${installed.id}" needs to be reconnected: ${installed.statusMessage ?? 'its refresh token was refused'}; open the admin UI (crm-influence serve) and connect the portal again`,
      );
    }
    if (config.HUBSPOT_CLIENT_ID === undefined || config.HUBSPOT_CLIENT_SECRET === undefined) {
      throw new CliError(
        `HubSpot connection "${installed.id}" uses OAuth: set HUBSPOT_CLIENT_ID and HUBSPOT_CLIENT_SECRET (the public app's credentials)`,
      );
    }
    const { apiBaseUrl: _host, ...credentials } = OAuthCredentialsSchema.parse(installed.credentials);
    const options: HubSpotConnectorOptions = {
      baseUrl,
      portalKey: `${baseUrl}#${installed.id}`,
      auth: {
        kind: 'oauth',
        clientId: config.HUBSPOT_CLIENT_ID,
        clientSecret: config.HUBSPOT_CLIENT_SECRET,
        ...credentials,
      },
      ...settingsOf(installed, baseUrl),
    };
    const connector = createHubSpotConnector(options, {
      ...(ctx.hubspotPortals === undefined ? {} : { portals: ctx.hubspotPortals }),
      onTokens: async (tokens) => {
        const current = await store.getConnection(installed.id);
        if (current === null) return;
        await store.saveConnection({ ...current, credentials: { ...current.credentials, ...tokens } });
      },
    });
    return { connectionId: installed.id, connector };
  }

  if (config.HUBSPOT_ACCESS_TOKEN === undefined) {
    throw new CliError(
      'HubSpot is not configured: set HUBSPOT_ACCESS_TOKEN (a private app token with the crm.objects.contacts.read/write and crm.schemas.contacts.read/write scopes), or connect a portal in the admin UI (crm-influence serve)',
    );
  }
  const connectionId = await portalConnection(ctx, baseUrl, config.HUBSPOT_ACCESS_TOKEN);
  const existing = await store.getConnection(connectionId);
  const connector = createHubSpotConnector(
    {
      baseUrl,
      portalKey: `${baseUrl}#${connectionId}`,
      auth: { kind: 'private', accessToken: config.HUBSPOT_ACCESS_TOKEN },
      ...settingsOf(existing, baseUrl),
    },
    ctx.hubspotPortals === undefined ? {} : { portals: ctx.hubspotPortals },
  );
  return { connectionId, connector };
}

/** Before 0.2 a private-app connection was named by a hash of its base URL and token. */
const tokenHashId = (baseUrl: string, token: string): string =>
  `hubspot-${createHash('sha256').update(`${baseUrl}|${token}`).digest('hex').slice(0, 12)}`;

/**
 * The connection of the portal the token belongs to, `hubspot-<portal id>` (as a portal installed by OAuth is named),
 * saved on first use. A token HubSpot refuses saves nothing. A connection saved under the old token-hash name is
 * renamed, keeping its contacts and runs.
 */
async function portalConnection(ctx: OpenContext, baseUrl: string, token: string): Promise<string> {
  const { store } = ctx;
  let portalId: number;
  try {
    portalId = await privateAppPortalId(baseUrl, token);
  } catch (error) {
    if (error instanceof NeedsReauthError) {
      throw new CliError(
        `${error.message}: check the private app's access token (HubSpot › Settings › Integrations › Private apps); nothing was saved`,
      );
    }
    throw error;
  }
  const connectionId = `hubspot-${portalId}`;
  await store.renameConnection(tokenHashId(baseUrl, token), connectionId);
  if ((await store.getConnection(connectionId)) === null) {
    // The token stays in the environment; nothing secret is stored.
    await store.saveConnection({
      id: connectionId,
      crm: 'hubspot',
      name: `HubSpot portal ${portalId}`,
      status: 'ok',
      statusMessage: null,
      credentials: {},
      settings: {},
    });
  }
  await rememberUiDomain(store, connectionId, baseUrl, token);
  return connectionId;
}

/** Stores the portal's uiDomain with its connection once (the contacts list links records there). */
export async function rememberUiDomain(
  store: OpenContext['store'],
  connectionId: string,
  baseUrl: string,
  accessToken: string,
): Promise<void> {
  const connection = await store.getConnection(connectionId);
  if (connection === null) return;
  const section = connection.settings.hubspot;
  const hubspot = section !== null && typeof section === 'object' ? (section as Record<string, unknown>) : {};
  if (typeof hubspot.uiDomain === 'string') return;
  const uiDomain = await portalUiDomain(baseUrl, accessToken);
  if (uiDomain === null) return;
  await store.saveConnection({
    ...connection,
    settings: { ...connection.settings, hubspot: { ...hubspot, uiDomain } },
  });
}
