// The sandbox org's OAuth 2.0 server: refresh-token grant (optionally rotating), web-server flow with PKCE behind
// an "Allow" page, JWT bearer flow, and the access tokens the REST endpoints check (expirable on demand).
import { createHash, createVerify, randomBytes } from 'node:crypto';

import { INTEGRATION_USER_ID, ORG_ID } from './org.ts';

export interface AuthOptions {
  clientId: string;
  clientSecret: string;
  rotateRefreshTokens: boolean;
  accessTokenTtlSeconds: number;
  /** PEM public key (or certificate) of the External Client App, enabling the JWT bearer flow. */
  jwtPublicKey?: string;
  /** Usernames an admin pre-authorised for the JWT bearer flow; undefined = any. */
  jwtUsers?: readonly string[];
}

/**
 * The JWT bearer flow's `aud`: "https://login.salesforce.com, https://test.salesforce.com, or
 * https://site.force.com/customers if implementing for an Experience Cloud site" (Salesforce Help,
 * remoteaccess_oauth_jwt_flow), never the org's My Domain. This org is a production org.
 */
export const JWT_AUDIENCE = 'https://login.salesforce.com';

export interface TokenAnswer {
  status: number;
  body: Record<string, unknown>;
}

interface PendingCode {
  clientId: string;
  redirectUri: string;
  challenge?: string;
  method?: string;
  expiresAt: number;
}

const random = (bytes: number): string => randomBytes(bytes).toString('base64url');

export class SandboxAuth {
  private readonly accessTokens = new Map<string, number>();
  private readonly refreshTokens = new Set<string>();
  private readonly codes = new Map<string, PendingCode>();
  refreshGrants = 0;
  failedGrants = 0;

  private readonly options: AuthOptions;

  constructor(options: AuthOptions) {
    this.options = options;
  }

  /** The first token pair, handed to the product through the environment. */
  issueInitial(): { accessToken: string; refreshToken: string } {
    const refreshToken = this.newRefreshToken();
    return { accessToken: this.newAccessToken(), refreshToken };
  }

  isValidBearer(authorization: string | undefined): boolean {
    const match = /^(?:Bearer|OAuth)\s+(.+)$/i.exec(authorization ?? '');
    if (!match) return false;
    const expiresAt = this.accessTokens.get(match[1]!);
    return expiresAt !== undefined && expiresAt > Date.now();
  }

  /** Every access token stops working now (the next REST call gets 401 INVALID_SESSION_ID). */
  expireAccessTokens(): void {
    this.accessTokens.clear();
  }

  /** Every refresh token is revoked (the next refresh gets `invalid_grant`). */
  revokeRefreshTokens(): void {
    this.refreshTokens.clear();
  }

  get currentRefreshTokens(): string[] {
    return [...this.refreshTokens];
  }

  /** `POST /services/oauth2/token` with a form body. */
  token(form: URLSearchParams, baseUrl: string): TokenAnswer {
    const grant = form.get('grant_type');
    if (grant === 'urn:ietf:params:oauth:grant-type:jwt-bearer')
      return this.jwtGrant(form.get('assertion') ?? '', baseUrl);
    if (form.get('client_id') !== this.options.clientId) {
      return { status: 400, body: { error: 'invalid_client_id', error_description: 'client identifier invalid' } };
    }
    const secret = form.get('client_secret');
    if (grant === 'refresh_token') {
      if (secret !== null && secret !== this.options.clientSecret) return this.invalidClient();
      const refreshToken = form.get('refresh_token') ?? '';
      if (!this.refreshTokens.has(refreshToken)) return this.invalidGrant('expired access/refresh token');
      this.refreshGrants += 1;
      const body = this.tokenBody(baseUrl);
      if (this.options.rotateRefreshTokens) {
        this.refreshTokens.delete(refreshToken);
        body.refresh_token = this.newRefreshToken();
      }
      return { status: 200, body };
    }
    if (grant === 'authorization_code') {
      const pending = this.codes.get(form.get('code') ?? '');
      this.codes.delete(form.get('code') ?? '');
      if (!pending || pending.expiresAt < Date.now() || pending.redirectUri !== form.get('redirect_uri')) {
        return this.invalidGrant('invalid authorization code');
      }
      if (pending.challenge) {
        const verifier = form.get('code_verifier') ?? '';
        const computed =
          pending.method === 'plain' ? verifier : createHash('sha256').update(verifier).digest('base64url');
        if (computed !== pending.challenge) return this.invalidGrant('invalid code verifier');
      } else if (secret !== this.options.clientSecret) {
        return this.invalidClient();
      }
      return { status: 200, body: { ...this.tokenBody(baseUrl), refresh_token: this.newRefreshToken() } };
    }
    return { status: 400, body: { error: 'unsupported_grant_type', error_description: 'grant type not supported' } };
  }

  /** `GET /services/oauth2/authorize`: the consent page; answers an error page for a wrong client or redirect. */
  authorizePage(query: URLSearchParams): { status: number; html: string } {
    if (
      query.get('response_type') !== 'code' ||
      query.get('client_id') !== this.options.clientId ||
      !query.get('redirect_uri')
    ) {
      return {
        status: 400,
        html: page('<p>error=invalid_client_id: client identifier invalid or response_type is not code</p>'),
      };
    }
    const hidden = ['client_id', 'redirect_uri', 'state', 'code_challenge', 'code_challenge_method', 'scope']
      .map((name) => `<input type="hidden" name="${name}" value="${escapeHtml(query.get(name) ?? '')}">`)
      .join('');
    return {
      status: 200,
      html: page(
        `<h1>Allow Access?</h1><p>crm-influence (sandbox) is asking to access your Salesforce data: ${escapeHtml(query.get('scope') ?? 'api refresh_token')}.</p>` +
          `<form method="post" action="/services/oauth2/authorize">${hidden}<button type="submit" name="decision" value="allow">Allow</button>` +
          '<button type="submit" name="decision" value="deny">Deny</button></form>',
      ),
    };
  }

  /** `POST /services/oauth2/authorize`: the user's decision; returns the redirect location. */
  decide(form: URLSearchParams): string | undefined {
    const redirectUri = form.get('redirect_uri');
    if (form.get('client_id') !== this.options.clientId || !redirectUri) return undefined;
    const target = new URL(redirectUri);
    const state = form.get('state');
    if (state) target.searchParams.set('state', state);
    if (form.get('decision') !== 'allow') {
      target.searchParams.set('error', 'access_denied');
      target.searchParams.set('error_description', 'end-user denied authorization');
      return target.toString();
    }
    const code = random(24);
    const challenge = form.get('code_challenge') || undefined;
    const method = form.get('code_challenge_method') || undefined;
    this.codes.set(code, {
      clientId: this.options.clientId,
      redirectUri,
      expiresAt: Date.now() + 15 * 60_000,
      ...(challenge ? { challenge } : {}),
      ...(method ? { method } : {}),
    });
    target.searchParams.set('code', code);
    return target.toString();
  }

  private jwtGrant(assertion: string, baseUrl: string): TokenAnswer {
    const key = this.options.jwtPublicKey;
    if (!key)
      return {
        status: 400,
        body: { error: 'invalid_grant', error_description: 'JWT bearer flow is not enabled for this client' },
      };
    const [header, payload, signature] = assertion.split('.');
    if (!header || !payload || !signature) return this.invalidGrant('invalid assertion');
    const verified = createVerify('RSA-SHA256')
      .update(`${header}.${payload}`)
      .verify(key, Buffer.from(signature, 'base64url'));
    if (!verified) return this.invalidGrant('invalid assertion');
    let claims: { iss?: string; aud?: string; sub?: string; exp?: number };
    try {
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as typeof claims;
    } catch {
      return this.invalidGrant('invalid assertion');
    }
    if (claims.iss !== this.options.clientId)
      return { status: 400, body: { error: 'invalid_client_id', error_description: 'client identifier invalid' } };
    if (claims.aud?.replace(/\/$/, '') !== JWT_AUDIENCE) return this.invalidGrant('audience is invalid');
    if (!claims.sub || (this.options.jwtUsers !== undefined && !this.options.jwtUsers.includes(claims.sub)))
      return this.invalidGrant("user hasn't approved this consumer");
    if (typeof claims.exp !== 'number' || claims.exp * 1000 < Date.now())
      return this.invalidGrant('expired authorization code');
    return { status: 200, body: this.tokenBody(baseUrl) };
  }

  private tokenBody(baseUrl: string): Record<string, unknown> {
    const accessToken = this.newAccessToken();
    const issuedAt = String(Date.now());
    return {
      access_token: accessToken,
      signature: createHash('sha256').update(`${accessToken}${issuedAt}`).digest('base64'),
      scope: 'api refresh_token',
      instance_url: baseUrl,
      id: `${baseUrl}/id/${ORG_ID}/${INTEGRATION_USER_ID}`,
      token_type: 'Bearer',
      issued_at: issuedAt,
    };
  }

  private newAccessToken(): string {
    const token = `${ORG_ID}!${random(48)}`;
    this.accessTokens.set(token, Date.now() + this.options.accessTokenTtlSeconds * 1000);
    return token;
  }

  private newRefreshToken(): string {
    const token = `5Aep${random(40)}`;
    this.refreshTokens.add(token);
    return token;
  }

  private invalidGrant(description: string): TokenAnswer {
    this.failedGrants += 1;
    return { status: 400, body: { error: 'invalid_grant', error_description: description } };
  }

  private invalidClient(): TokenAnswer {
    this.failedGrants += 1;
    return { status: 400, body: { error: 'invalid_client', error_description: 'invalid client credentials' } };
  }
}

function page(body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Salesforce sandbox</title></head><body>${body}</body></html>`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
