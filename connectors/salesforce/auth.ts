// A jsforce Connection with our own session refresh: refresh-token or JWT bearer grant, rotated refresh tokens
// handed to `onTokens` from jsforce's `refresh` event, and a guard that turns rejected grants and refresh loops
// into "needs re-authorisation" instead of a storm of token requests (jsforce has no cap: its `src/connection.ts`).
import { createSign } from 'node:crypto';

import { Connection } from 'jsforce';
import type { TokenResponse } from 'jsforce/lib/oauth2.js';

import type { SalesforceHooks, SalesforceOptions } from './options.ts';

const JWT_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const REJECTED_GRANTS = new Set([
  'invalid_grant',
  'invalid_client',
  'invalid_client_id',
  'unauthorized_client',
  'inactive_user',
  'inactive_org',
]);

/** Decides when refreshing is pointless; once it says so, no request leaves the connector. */
export class SessionGuard {
  private reason: string | undefined;
  private refreshesSinceSuccess = 0;
  private failedRefreshes = 0;

  private readonly maxAttempts: number;

  constructor(maxAttempts: number) {
    this.maxAttempts = maxAttempts;
  }

  get needsReauth(): string | undefined {
    return this.reason;
  }

  markNeedsReauth(reason: string): void {
    this.reason ??= reason;
  }

  /** A call succeeded: the session works. */
  noteSuccess(): void {
    this.refreshesSinceSuccess = 0;
    this.failedRefreshes = 0;
  }

  /** Throws (and marks) when another refresh would only repeat a loop. */
  beforeRefresh(): void {
    if (this.reason) throw new Error(this.reason);
    this.refreshesSinceSuccess += 1;
    if (this.refreshesSinceSuccess > this.maxAttempts) {
      this.markNeedsReauth(
        `Salesforce keeps rejecting fresh access tokens (${this.maxAttempts} refreshes in a row without a successful call); reconnect the org`,
      );
      throw new Error(this.reason);
    }
  }

  refreshFailed(error: Error): void {
    if (REJECTED_GRANTS.has(error.name)) {
      this.markNeedsReauth(
        `Salesforce rejected the stored credentials (${error.name}: ${error.message}); reconnect the org`,
      );
      return;
    }
    this.failedRefreshes += 1;
    if (this.failedRefreshes >= this.maxAttempts) {
      this.markNeedsReauth(
        `refreshing the Salesforce session failed ${this.failedRefreshes} times (last: ${error.message}); reconnect the org`,
      );
    }
  }
}

const LOGIN = 'https://login.salesforce.com';
const TEST = 'https://test.salesforce.com';

/**
 * The JWT bearer flow's `aud`: "https://login.salesforce.com, https://test.salesforce.com, or
 * https://site.force.com/customers if implementing for an Experience Cloud site" (Salesforce Help,
 * remoteaccess_oauth_jwt_flow). Never a My Domain (the org answers `invalid_grant: audience is invalid`), although
 * the token request itself may go to the My Domain. Sandboxes (test.salesforce.com, `*.sandbox.my.salesforce.com`)
 * take test.salesforce.com; an Experience Cloud site (`*.force.com/…`, `*.my.site.com/…`) takes its own URL;
 * everything else, the My Domain of a production org included, takes login.salesforce.com.
 */
export function jwtAudience(loginUrl: string): string {
  const url = new URL(loginUrl);
  const host = url.hostname.toLowerCase();
  if (host === 'test.salesforce.com' || host.endsWith('.sandbox.my.salesforce.com')) return TEST;
  const site = /(^|\.)(force\.com|my\.site\.com)$/.test(host) && !host.endsWith('.lightning.force.com');
  if (site && url.pathname.replace(/\/$/, '') !== '') return `${url.origin}${url.pathname.replace(/\/$/, '')}`;
  return LOGIN;
}

/** A signed JWT bearer assertion (RS256) for the External Client App. */
export function jwtAssertion(
  clientId: string,
  username: string,
  audience: string,
  privateKey: string,
  now = Date.now(),
): string {
  const encode = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  const body = `${encode({ alg: 'RS256' })}.${encode({ iss: clientId, sub: username, aud: audience, exp: Math.floor(now / 1000) + 180 })}`;
  const signature = createSign('RSA-SHA256').update(body).sign(privateKey, 'base64url');
  return `${body}.${signature}`;
}

export interface SessionHandle {
  conn: Connection;
  guard: SessionGuard;
  /** Resolves when the latest token persistence finished (awaited after each call). */
  persisted(): Promise<void>;
}

export function openSession(options: SalesforceOptions, hooks: SalesforceHooks): SessionHandle {
  const guard = new SessionGuard(options.maxRefreshAttempts);
  let refreshToken = options.refreshToken;
  let persisting: Promise<void> = Promise.resolve();
  const canRefresh = Boolean(options.clientId) && (Boolean(refreshToken) || Boolean(options.jwt));

  const conn = new Connection({
    version: options.apiVersion,
    loginUrl: options.loginUrl,
    instanceUrl: options.instanceUrl,
    ...(options.accessToken ? { accessToken: options.accessToken } : {}),
    ...(options.clientId
      ? {
          oauth2: {
            clientId: options.clientId,
            ...(options.clientSecret ? { clientSecret: options.clientSecret } : {}),
            loginUrl: options.loginUrl,
            redirectUri: `${options.loginUrl}/services/oauth2/success`,
          },
        }
      : {}),
    ...(canRefresh
      ? {
          refreshFn: (
            c: Connection,
            callback: (err: Error | null | undefined, accessToken?: string, res?: TokenResponse) => void,
          ): void => {
            void (async () => {
              try {
                guard.beforeRefresh();
                const res = options.jwt
                  ? await c.oauth2.requestToken({
                      grant_type: JWT_GRANT,
                      assertion: jwtAssertion(
                        options.clientId!,
                        options.jwt.username,
                        options.jwt.audience ?? jwtAudience(options.loginUrl),
                        options.jwt.privateKey,
                      ),
                    })
                  : await c.oauth2.refreshToken(refreshToken!);
                // Keep the configured instance URL: following a changed one is jsforce#196's infinite refresh loop.
                callback(null, res.access_token, res);
              } catch (error) {
                const err = error instanceof Error ? error : new Error(String(error));
                guard.refreshFailed(err);
                callback(err);
              }
            })();
          },
        }
      : {}),
  });

  // jsforce's own refresh keeps the old refresh token; rotation hands us a new one here (README.md here, "Authentication").
  conn.on('refresh', (accessToken: string, res?: { refresh_token?: string }) => {
    if (res?.refresh_token) refreshToken = res.refresh_token;
    const tokens = { accessToken, instanceUrl: conn.instanceUrl, ...(refreshToken ? { refreshToken } : {}) };
    if (hooks.onTokens) persisting = persisting.then(() => hooks.onTokens?.(tokens));
  });

  return { conn, guard, persisted: () => persisting };
}
