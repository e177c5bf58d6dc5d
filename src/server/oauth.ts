// Connecting a CRM through OAuth with passport-oauth2: the Salesforce web-server flow (PKCE + state, the login
// host chosen per org) and the HubSpot app install (scopes from manifests/hubspot). Tokens go to the store,
// encrypted by saveConnection; nothing secret is logged, put in a URL of ours, or shown.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { Router } from 'express';
import type { PassportStatic } from 'passport';
import type { VerifyCallback } from 'passport-oauth2';
import OAuth2Strategy from 'passport-oauth2';
import { z } from 'zod';

import { HUBSPOT_UI_DOMAIN } from '../crm/record-url.ts';
import type { Store } from '../store/contract.ts';
import { flash, HttpError } from './security.ts';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
const SALESFORCE_HOST = /(^|\.)(salesforce\.com|force\.com|salesforce-setup\.com|cloudforce\.com)$/i;

export interface OAuthSettings {
  salesforce?: { clientId: string; clientSecret?: string | undefined; defaultLoginUrl: string } | undefined;
  hubspot?: { clientId: string; clientSecret: string; baseUrl: string } | undefined;
  /** The public origin the CRMs redirect back to (https in production); default: the request's own origin. */
  publicUrl?: string | undefined;
}

const HubSpotAppSchema = z.object({
  config: z.object({ auth: z.object({ requiredScopes: z.array(z.string().min(1)).min(1) }) }),
});

/** The scopes the HubSpot app asks for, read from the app's manifest (single source of truth). */
export function hubspotScopes(
  manifest: URL = new URL('../../manifests/hubspot/src/app/app-hsmeta.json', import.meta.url),
): string[] {
  return HubSpotAppSchema.parse(JSON.parse(readFileSync(manifest, 'utf8'))).config.auth.requiredScopes;
}

/** HubSpot's consent page lives on app.hubspot.com; a stand-in (the sandbox) serves it beside its API. */
export function hubspotAuthorizeUrl(baseUrl: string): string {
  const host = new URL(baseUrl).hostname;
  return host === 'api.hubapi.com' ? 'https://app.hubspot.com/oauth/authorize' : `${baseUrl}/oauth/authorize`;
}

/** A Salesforce login host an admin may pick: a Salesforce domain over https, the configured one, or loopback. */
export function allowedSalesforceLoginUrl(value: unknown, configured: string): string | null {
  if (typeof value !== 'string' || value.trim() === '') return configured;
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    return null;
  }
  if (
    url.username !== '' ||
    url.password !== '' ||
    (url.pathname !== '/' && url.pathname !== '') ||
    url.search !== '' ||
    url.hash !== ''
  )
    return null;
  const origin = url.origin;
  if (origin === new URL(configured).origin) return origin;
  if (url.protocol === 'https:' && SALESFORCE_HOST.test(url.hostname)) return origin;
  if (url.protocol === 'http:' && LOOPBACK.has(url.hostname)) return origin;
  return null;
}

/** Origins OAuth consent pages may be reached at (the CSP's form-action). */
export function oauthOrigins(settings: OAuthSettings): string[] {
  const origins = ['https://*.salesforce.com', 'https://*.force.com', 'https://app.hubspot.com'];
  if (settings.salesforce !== undefined) origins.push(new URL(settings.salesforce.defaultLoginUrl).origin);
  if (settings.hubspot !== undefined) origins.push(new URL(hubspotAuthorizeUrl(settings.hubspot.baseUrl)).origin);
  return [...new Set(origins)];
}

const digest = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 16);

type Tokens = { accessToken: string; refreshToken: string | undefined; params: Record<string, unknown> };

function tokenStrategy(options: {
  authorizationURL: string;
  tokenURL: string;
  clientID: string;
  clientSecret: string;
  pkce: boolean;
}): OAuth2Strategy {
  return new OAuth2Strategy(
    { ...options, state: true, pkce: options.pkce, skipUserProfile: true },
    (
      accessToken: string,
      refreshToken: string,
      params: Record<string, unknown>,
      _profile: unknown,
      done: VerifyCallback,
    ) => {
      const tokens: Tokens = { accessToken, refreshToken: refreshToken === '' ? undefined : refreshToken, params };
      // Not a user: the result goes to our authenticate callback, never into the session.
      done(null, tokens as unknown as Express.User);
    },
  );
}

export interface OAuthRoutesOptions {
  store: Store;
  passport: PassportStatic;
  settings: OAuthSettings;
  /** Called after a connection is saved (schedules are refreshed). */
  onConnected: (connectionId: string) => Promise<void>;
  fetch?: typeof fetch;
}

export function oauthRoutes(options: OAuthRoutesOptions): Router {
  const router = Router();
  const { settings } = options;
  const doFetch = options.fetch ?? fetch;
  const callbackUrl = (req: Request, crm: string): string =>
    `${settings.publicUrl ?? `${req.protocol}://${req.get('host') ?? 'localhost'}`}/oauth/${crm}/callback`;
  const salesforceStrategies = new Map<string, OAuth2Strategy>();
  const salesforceStrategy = (loginUrl: string): OAuth2Strategy => {
    const sf = settings.salesforce;
    if (sf === undefined)
      throw new HttpError(
        503,
        'Salesforce OAuth is not configured: set SALESFORCE_CLIENT_ID (and SALESFORCE_CLIENT_SECRET) of the External Client App',
      );
    let strategy = salesforceStrategies.get(loginUrl);
    if (strategy === undefined) {
      strategy = tokenStrategy({
        authorizationURL: `${loginUrl}/services/oauth2/authorize`,
        tokenURL: `${loginUrl}/services/oauth2/token`,
        clientID: sf.clientId,
        clientSecret: sf.clientSecret ?? '',
        pkce: true,
      });
      salesforceStrategies.set(loginUrl, strategy);
    }
    return strategy;
  };
  const hs = settings.hubspot;
  const hubspotStrategy =
    hs === undefined
      ? undefined
      : tokenStrategy({
          authorizationURL: hubspotAuthorizeUrl(hs.baseUrl),
          tokenURL: `${hs.baseUrl}/oauth/v1/token`,
          clientID: hs.clientId,
          clientSecret: hs.clientSecret,
          pkce: false,
        });

  /** Runs the strategy with a callback, so the OAuth result never replaces the signed-in admin. */
  const authenticate = (
    strategy: OAuth2Strategy,
    req: Request,
    res: Response,
    next: NextFunction,
    extra: Record<string, unknown>,
    onTokens: (tokens: Tokens) => Promise<string>,
  ): void => {
    const middleware = options.passport.authenticate(
      strategy,
      { session: false, ...extra },
      (error: unknown, tokens: Tokens | false, info: unknown) => {
        if (error || tokens === false) {
          const reason =
            typeof req.query.error_description === 'string'
              ? req.query.error_description.slice(0, 200)
              : error instanceof Error
                ? 'the CRM refused the authorization code'
                : typeof info === 'object' && info !== null && 'message' in info
                  ? String(info.message).slice(0, 200)
                  : 'authorization was not completed';
          flash(req, 'error', `Connecting failed: ${reason}.`);
          res.redirect(303, '/connections');
          return;
        }
        onTokens(tokens).then(async (connectionId) => {
          await options.onConnected(connectionId);
          flash(req, 'ok', `Connected ${connectionId}.`);
          res.redirect(303, '/connections');
        }, next);
      },
    ) as RequestHandler;
    void middleware(req, res, next);
  };

  router.get('/connect/salesforce', (req, res, next) => {
    const sf = settings.salesforce;
    if (sf === undefined) {
      next(
        new HttpError(
          503,
          'Salesforce OAuth is not configured: set SALESFORCE_CLIENT_ID (and SALESFORCE_CLIENT_SECRET) of the External Client App',
        ),
      );
      return;
    }
    const loginUrl = allowedSalesforceLoginUrl(req.query.loginUrl, sf.defaultLoginUrl);
    if (loginUrl === null) {
      next(
        new HttpError(
          400,
          'The login URL must be https://login.salesforce.com, https://test.salesforce.com or your My Domain (https://….my.salesforce.com).',
        ),
      );
      return;
    }
    req.session.salesforceLoginUrl = loginUrl;
    authenticate(
      salesforceStrategy(loginUrl),
      req,
      res,
      next,
      { scope: ['api', 'refresh_token'], callbackURL: callbackUrl(req, 'salesforce') },
      () => Promise.reject(new Error('unreachable')),
    );
  });

  router.get('/oauth/salesforce/callback', (req, res, next) => {
    const loginUrl = req.session.salesforceLoginUrl;
    if (loginUrl === undefined) {
      next(
        new HttpError(400, 'No Salesforce connection was being set up in this session; start again from Connections.'),
      );
      return;
    }
    authenticate(
      salesforceStrategy(loginUrl),
      req,
      res,
      next,
      { callbackURL: callbackUrl(req, 'salesforce') },
      async (tokens) => {
        delete req.session.salesforceLoginUrl;
        const instance = z.string().url().safeParse(tokens.params.instance_url);
        if (!instance.success || tokens.refreshToken === undefined)
          throw new HttpError(
            502,
            'Salesforce answered without an instance URL or refresh token; check that the app has the refresh_token scope.',
          );
        const instanceUrl = instance.data.replace(/\/+$/, '');
        const id = `salesforce-${digest(instanceUrl)}`;
        const existing = await options.store.getConnection(id);
        await options.store.saveConnection({
          id,
          crm: 'salesforce',
          name: existing?.name ?? `Salesforce (${new URL(instanceUrl).host})`,
          status: 'ok',
          statusMessage: null,
          credentials: {
            instanceUrl,
            refreshToken: tokens.refreshToken,
            accessToken: tokens.accessToken,
            source: 'oauth',
          },
          settings: existing?.settings ?? {},
        });
        return id;
      },
    );
  });

  router.get('/connect/hubspot', (req, res, next) => {
    if (hubspotStrategy === undefined) {
      next(
        new HttpError(
          503,
          'HubSpot OAuth is not configured: set HUBSPOT_CLIENT_ID and HUBSPOT_CLIENT_SECRET of the app',
        ),
      );
      return;
    }
    authenticate(
      hubspotStrategy,
      req,
      res,
      next,
      { scope: hubspotScopes(), callbackURL: callbackUrl(req, 'hubspot') },
      () => Promise.reject(new Error('unreachable')),
    );
  });

  router.get('/oauth/hubspot/callback', (req, res, next) => {
    if (hubspotStrategy === undefined || hs === undefined) {
      next(new HttpError(503, 'HubSpot OAuth is not configured'));
      return;
    }
    authenticate(hubspotStrategy, req, res, next, { callbackURL: callbackUrl(req, 'hubspot') }, async (tokens) => {
      if (tokens.refreshToken === undefined) throw new HttpError(502, 'HubSpot answered without a refresh token.');
      // Which portal: HubSpot's token-info endpoint names it (hub_id).
      const info = await doFetch(`${hs.baseUrl}/oauth/v1/access-tokens/${encodeURIComponent(tokens.accessToken)}`, {
        signal: AbortSignal.timeout(10_000),
      });
      const hub = z.object({ hub_id: z.number().int() }).safeParse(info.ok ? await info.json() : {});
      const id = hub.success ? `hubspot-${hub.data.hub_id}` : `hubspot-${digest(tokens.refreshToken)}`;
      const existing = await options.store.getConnection(id);
      const expiresIn = Number(tokens.params.expires_in);
      // Where the portal's pages live (its data centre's uiDomain): the contacts list links records there.
      const account = await doFetch(`${hs.baseUrl}/account-info/v3/details`, {
        headers: { Authorization: `Bearer ${tokens.accessToken}` },
        signal: AbortSignal.timeout(10_000),
      }).catch(() => null);
      const details = z
        .object({ uiDomain: z.string().regex(HUBSPOT_UI_DOMAIN) })
        .safeParse(account?.ok === true ? await account.json().catch(() => ({})) : {});
      const settings = existing?.settings ?? {};
      const section =
        settings.hubspot !== null && typeof settings.hubspot === 'object'
          ? (settings.hubspot as Record<string, unknown>)
          : {};
      await options.store.saveConnection({
        id,
        crm: 'hubspot',
        name: existing?.name ?? (hub.success ? `HubSpot portal ${hub.data.hub_id}` : 'HubSpot portal'),
        status: 'ok',
        statusMessage: null,
        credentials: {
          refreshToken: tokens.refreshToken,
          accessToken: tokens.accessToken,
          ...(Number.isFinite(expiresIn) ? { expiresAt: Date.now() + Math.floor(expiresIn) * 1000 } : {}),
        },
        settings: details.success
          ? { ...settings, hubspot: { ...section, uiDomain: details.data.uiDomain } }
          : settings,
      });
      return id;
    });
  });

  return router;
}
