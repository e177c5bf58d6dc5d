// OAuth as a HubSpot portal plays it: a private-app token that never expires, and public-app access tokens that
// live 30 minutes and are renewed with a refresh token (developers.hubspot.com/docs/api-reference/auth-oauth-v3/guide).
import { randomBytes, randomUUID } from 'node:crypto';

import { hubspotError, HubSpotHttpError } from './errors.ts';

export const ALL_SCOPES = [
  'oauth',
  'crm.objects.contacts.read',
  'crm.objects.contacts.write',
  'crm.schemas.contacts.read',
  'crm.schemas.contacts.write',
] as const;

export interface TokenInfo {
  kind: 'private' | 'oauth';
  scopes: readonly string[];
  /** ms epoch; undefined = never expires (private apps). */
  expiresAt?: number;
}

interface RefreshGrant {
  scopes: readonly string[];
}

interface AuthCode {
  redirectUri: string;
  scopes: readonly string[];
  expiresAt: number;
}

export interface OAuthOptions {
  clientId: string;
  clientSecret: string;
  accessTokenTtlSeconds: number;
  /** Issue a new refresh token on every refresh and revoke the old one. */
  rotateRefreshTokens: boolean;
  privateAppScopes: readonly string[];
}

function token(prefix: string): string {
  return `${prefix}-na1-${randomBytes(24).toString('hex')}`;
}

export class TokenRegistry {
  readonly privateAppToken = token('pat');
  private readonly access = new Map<string, TokenInfo>();
  private readonly refresh = new Map<string, RefreshGrant>();
  private readonly codes = new Map<string, AuthCode>();
  refreshCount = 0;

  readonly options: OAuthOptions;

  constructor(options: OAuthOptions) {
    this.options = options;
    this.access.set(this.privateAppToken, { kind: 'private', scopes: options.privateAppScopes });
  }

  /** The token a request carries, or the 401 HubSpot answers with. */
  authenticate(authorization: string | undefined, now = Date.now()): TokenInfo {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
    const info = match?.[1] === undefined ? undefined : this.access.get(match[1]);
    if (info === undefined) {
      throw hubspotError(
        401,
        'INVALID_AUTHENTICATION',
        'Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview',
      );
    }
    if (info.expiresAt !== undefined && info.expiresAt <= now) {
      const ago = Math.floor((now - info.expiresAt) / 1000);
      throw hubspotError(
        401,
        'EXPIRED_AUTHENTICATION',
        `The OAuth token used to make this call expired ${ago} second(s) ago.`,
      );
    }
    return info;
  }

  /** The install flow: the admin approved, so hand out a one-time code for the redirect. */
  issueCode(clientId: string, redirectUri: string, scopes: readonly string[], now = Date.now()): string {
    if (clientId !== this.options.clientId)
      throw hubspotError(400, 'VALIDATION_ERROR', `Unknown client_id ${clientId}`);
    const code = randomUUID();
    this.codes.set(code, { redirectUri, scopes, expiresAt: now + 10 * 60_000 });
    return code;
  }

  /** `POST /oauth/v1/token` and `/oauth/v3/token` (form body). */
  grant(form: URLSearchParams, now = Date.now(), version: 'v1' | 'v3' = 'v3'): Record<string, unknown> {
    // v1 answers `{status: "BAD_REFRESH_TOKEN", message}` (the bodies quoted in connectors/hubspot/README.md "Authentication" and by Nango's
    // "HubSpot OAuth BAD_REFRESH_TOKEN"); v3 answers the published OAuth v3 spec's `Error`: `category`,
    // `correlationId` and `message`, with the v1 code as the category [verify against a real portal].
    const refuse = (code: string, message: string) =>
      new HubSpotHttpError(
        400,
        version === 'v1'
          ? { status: code, message, correlationId: randomUUID() }
          : { status: 'error', category: code, message, correlationId: randomUUID() },
      );
    if (form.get('client_id') !== this.options.clientId || form.get('client_secret') !== this.options.clientSecret) {
      throw refuse('BAD_CLIENT_ID', 'missing or invalid client_id / client_secret');
    }
    let scopes: readonly string[];
    let refreshToken: string;
    switch (form.get('grant_type')) {
      case 'authorization_code': {
        const code = this.codes.get(form.get('code') ?? '');
        if (code === undefined || code.expiresAt <= now || code.redirectUri !== form.get('redirect_uri')) {
          throw refuse('BAD_AUTH_CODE', 'missing or unknown auth code');
        }
        this.codes.delete(form.get('code') ?? '');
        scopes = code.scopes;
        refreshToken = randomUUID();
        this.refresh.set(refreshToken, { scopes });
        break;
      }
      case 'refresh_token': {
        const given = form.get('refresh_token') ?? '';
        const grant = this.refresh.get(given);
        if (grant === undefined) {
          throw refuse('BAD_REFRESH_TOKEN', 'missing or unknown refresh token');
        }
        scopes = grant.scopes;
        refreshToken = given;
        if (this.options.rotateRefreshTokens) {
          this.refresh.delete(given);
          refreshToken = randomUUID();
          this.refresh.set(refreshToken, grant);
        }
        this.refreshCount += 1;
        break;
      }
      default:
        throw refuse('BAD_GRANT_TYPE', 'grant_type must be authorization_code or refresh_token');
    }
    const accessToken = token('oat');
    this.access.set(accessToken, { kind: 'oauth', scopes, expiresAt: now + this.options.accessTokenTtlSeconds * 1000 });
    return {
      token_type: 'bearer',
      // Required by the published token response schema (AccessTokenResponse) of both versions.
      token_use: 'access_token',
      access_token: accessToken,
      refresh_token: refreshToken,
      expires_in: this.options.accessTokenTtlSeconds,
      hub_id: 1234567,
      scopes,
    };
  }

  /** Tests: a refresh token as if the install flow had already happened. */
  seedRefreshToken(scopes: readonly string[] = ALL_SCOPES): string {
    const refreshToken = randomUUID();
    this.refresh.set(refreshToken, { scopes });
    return refreshToken;
  }

  /** Every OAuth access token expires now (the private-app token is unaffected). */
  expireAll(now = Date.now()): void {
    for (const info of this.access.values()) if (info.kind === 'oauth') info.expiresAt = now - 1;
  }

  revokeRefreshToken(refreshToken: string): void {
    this.refresh.delete(refreshToken);
  }
}
