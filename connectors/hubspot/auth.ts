// Access tokens for one portal: a private-app token as given, or public-app OAuth tokens refreshed ahead of
// `expires_in` through the v3 token endpoint, one refresh at a time per portal, keeping a rotated refresh token
// and handing every new pair to the caller to persist (README.md here, "Authentication"). Only a dead grant (BAD_REFRESH_TOKEN,
// invalid_grant) disconnects the portal; a 429 or an outage at the token endpoint fails this run and no more.
import { z } from 'zod';

import { NeedsReauthError, SetupError } from '../../src/crm/errors.ts';
import { describeIssues } from '../../src/zod-issues.ts';

export const OAuthTokensSchema = z.object({
  accessToken: z.string().min(1).optional(),
  refreshToken: z.string().min(1),
  /** ms epoch when `accessToken` expires. */
  expiresAt: z.number().int().optional(),
});
export type OAuthTokens = z.infer<typeof OAuthTokensSchema>;

export const AuthSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('private'), accessToken: z.string().min(1) }),
  z.object({
    kind: z.literal('oauth'),
    clientId: z.string().min(1),
    clientSecret: z.string().min(1),
    refreshToken: z.string().min(1),
    accessToken: z.string().min(1).optional(),
    expiresAt: z.number().int().optional(),
  }),
]);
export type AuthConfig = z.infer<typeof AuthSchema>;

const TokenResponseSchema = z.object({
  access_token: z.string().min(1),
  refresh_token: z.string().min(1).optional(),
  expires_in: z.number().int().positive(),
});

export interface TokenSource {
  readonly kind: 'private' | 'oauth';
  /** A token valid for the next call (refreshing first when it is close to expiry). */
  current(): Promise<string>;
  /** The portal said the token expired (401): refresh now unless someone already did since `rejected`. */
  refreshAfterRejection(rejected: string): Promise<string>;
}

export class PrivateAppToken implements TokenSource {
  readonly kind = 'private';
  private readonly token: string;

  constructor(token: string) {
    this.token = token;
  }
  current(): Promise<string> {
    return Promise.resolve(this.token);
  }
  refreshAfterRejection(): Promise<string> {
    throw new NeedsReauthError(
      'HubSpot rejected the private app access token (expired or revoked); create a new token in the private app settings and set HUBSPOT_ACCESS_TOKEN',
    );
  }
}

/** One portal's OAuth token state, shared by its connectors in this process (see HubSpotPortals). */
export interface PortalTokens {
  accessToken?: string;
  refreshToken: string;
  expiresAt?: number;
  /** Lifetime of the last token, to refresh a fraction of it early. */
  ttlMs: number;
  refreshing?: Promise<string>;
  /** Refresh tokens this process rotated away from (a stale copy from storage must not replace the newest). */
  retired: Set<string>;
}

/**
 * The token endpoint's error body, in any of the shapes HubSpot uses: v1 `{status: "BAD_REFRESH_TOKEN", message}`,
 * v3 `{category, correlationId, message, subCategory?}` (the published OAuth v3 spec's `Error`), OAuth's own
 * `{error: "invalid_grant"}`, and rate-limit bodies without a `policyName`. Everything optional: any part may be
 * missing, and a proxy's 502 is not JSON at all.
 */
const TokenErrorSchema = z.looseObject({
  status: z.string().optional(),
  category: z.string().optional(),
  subCategory: z.string().optional(),
  error: z.string().optional(),
  message: z.string().optional(),
});

/** The grant itself is dead (uninstalled, revoked, expired): only a new install helps. */
const DEAD_GRANT = /^(BAD_REFRESH_TOKEN|INVALID_GRANT|INVALID_REFRESH_TOKEN)$/i;
/** The app's own credentials are wrong: fixing the configuration helps, reconnecting the portal does not. */
const BAD_CLIENT = /^(BAD_CLIENT_ID|BAD_CLIENT_SECRET|INVALID_CLIENT)$/i;

type TokenFailure = { kind: 'dead_grant' | 'bad_client' | 'transient' | 'other'; code: string };

export function classifyTokenError(httpStatus: number, text: string): TokenFailure {
  let parsed: z.infer<typeof TokenErrorSchema> = {};
  try {
    const result = TokenErrorSchema.safeParse(JSON.parse(text));
    if (result.success) parsed = result.data;
  } catch {
    // Not JSON (a load balancer's error page): only the HTTP status speaks.
  }
  const codes = [parsed.category, parsed.subCategory, parsed.error, parsed.status].filter(
    (c): c is string => c !== undefined && c !== '' && c.toLowerCase() !== 'error',
  );
  const code = codes[0] ?? `HTTP ${httpStatus}`;
  // A rate limit or an outage says nothing about the grant: never a reason to disconnect the portal.
  if (httpStatus === 429 || httpStatus >= 500) return { kind: 'transient', code };
  if (codes.some((c) => DEAD_GRANT.test(c)))
    return { kind: 'dead_grant', code: codes.find((c) => DEAD_GRANT.test(c)) ?? code };
  if (codes.some((c) => BAD_CLIENT.test(c)))
    return { kind: 'bad_client', code: codes.find((c) => BAD_CLIENT.test(c)) ?? code };
  return { kind: 'other', code };
}

const TOKEN_ATTEMPTS = 4;
/** Longest Retry-After honoured at the token endpoint before giving up for this run. */
const MAX_TOKEN_RETRY_AFTER_MS = 30_000;

export class OAuthTokenSource implements TokenSource {
  readonly kind = 'oauth';
  private readonly state: PortalTokens;

  private readonly config: Extract<AuthConfig, { kind: 'oauth' }>;
  private readonly baseUrl: string;
  private readonly onTokens: ((tokens: OAuthTokens) => Promise<void> | void) | undefined;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    state: PortalTokens,
    config: Extract<AuthConfig, { kind: 'oauth' }>,
    baseUrl: string,
    onTokens: ((tokens: OAuthTokens) => Promise<void> | void) | undefined,
    now: () => number = Date.now,
    sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {
    this.config = config;
    this.baseUrl = baseUrl;
    this.onTokens = onTokens;
    this.now = now;
    this.sleep = sleep;
    if (config.refreshToken !== state.refreshToken && !state.retired.has(config.refreshToken)) {
      // Neither ours nor one we rotated away from: the portal was reconnected, so its new grant wins.
      Object.assign(state, {
        accessToken: config.accessToken,
        refreshToken: config.refreshToken,
        expiresAt: config.expiresAt,
      });
    }
    this.state = state;
  }

  /** A portal's first token state, from its stored credentials. */
  static initialState(config: Extract<AuthConfig, { kind: 'oauth' }>): PortalTokens {
    return {
      accessToken: config.accessToken,
      refreshToken: config.refreshToken,
      expiresAt: config.expiresAt,
      ttlMs: 1_800_000,
      retired: new Set(),
    };
  }

  async current(): Promise<string> {
    const s = this.state;
    // Refresh ahead of expiry (a fifth of the lifetime, at most 5 minutes): HubSpot says a 401 is not a reliable cue.
    const early = Math.min(300_000, s.ttlMs / 5);
    if (s.accessToken !== undefined && s.expiresAt !== undefined && s.expiresAt - early > this.now())
      return s.accessToken;
    return this.refresh();
  }

  async refreshAfterRejection(rejected: string): Promise<string> {
    if (
      this.state.accessToken !== undefined &&
      this.state.accessToken !== rejected &&
      (this.state.expiresAt ?? 0) > this.now()
    ) {
      return this.state.accessToken;
    }
    return this.refresh();
  }

  /** One refresh at a time per portal; everyone waiting gets its result. */
  private refresh(): Promise<string> {
    const s = this.state;
    s.refreshing ??= this.exchange().finally(() => {
      s.refreshing = undefined;
    });
    return s.refreshing;
  }

  /** POST /oauth/v3/token until it answers something other than a rate limit or an outage. */
  private async post(body: URLSearchParams): Promise<{ status: number; text: string }> {
    for (let attempt = 1; ; attempt++) {
      let answer: { status: number; text: string; retryAfterMs: number } | undefined;
      try {
        const response = await fetch(`${this.baseUrl}/oauth/v3/token`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
          body,
          signal: AbortSignal.timeout(30_000),
        });
        const retryAfter = Number(response.headers.get('retry-after'));
        answer = {
          status: response.status,
          text: await response.text(),
          retryAfterMs: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : 0,
        };
      } catch (error) {
        if (attempt >= TOKEN_ATTEMPTS)
          throw new Error(
            `HubSpot's token endpoint could not be reached (${(error as Error).message}); the portal stays connected and the next run tries again`,
            { cause: error },
          );
      }
      if (answer !== undefined) {
        const transient = answer.status === 429 || answer.status >= 500;
        if (!transient || attempt >= TOKEN_ATTEMPTS || answer.retryAfterMs > MAX_TOKEN_RETRY_AFTER_MS) return answer;
      }
      const backoff = 250 * 2 ** attempt * (1 + Math.random());
      await this.sleep(Math.max(answer?.retryAfterMs ?? 0, backoff));
    }
  }

  private async exchange(): Promise<string> {
    const s = this.state;
    const { status, text } = await this.post(
      new URLSearchParams({
        grant_type: 'refresh_token',
        client_id: this.config.clientId,
        client_secret: this.config.clientSecret,
        refresh_token: s.refreshToken,
      }),
    );
    if (status >= 400) {
      const failure = classifyTokenError(status, text);
      switch (failure.kind) {
        case 'dead_grant':
          throw new NeedsReauthError(
            `HubSpot refused the refresh token (${failure.code}); reconnect the HubSpot portal (the app was uninstalled or the token revoked)`,
          );
        case 'bad_client':
          throw new SetupError(
            `HubSpot refused the app's client credentials (${failure.code}) while refreshing the portal's token.`,
            "set HUBSPOT_CLIENT_ID and HUBSPOT_CLIENT_SECRET to the app's values (the app's Auth tab); the portal stays connected",
          );
        case 'transient':
          throw new Error(
            `HubSpot's token endpoint is busy or failing (${failure.code}, HTTP ${status}); the portal stays connected and the next run tries again`,
          );
        case 'other':
          throw new Error(`HubSpot's token endpoint refused the refresh (${failure.code}, HTTP ${status})`);
      }
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new Error(`HubSpot's token endpoint answered HTTP ${status} with a body that is not JSON`);
    }
    const parsed = TokenResponseSchema.safeParse(json);
    if (!parsed.success)
      throw new Error(`HubSpot token endpoint returned an unexpected body: ${describeIssues(parsed.error)}`);
    const ttlMs = parsed.data.expires_in * 1000;
    const next: OAuthTokens = {
      accessToken: parsed.data.access_token,
      // Rotation-safe: a new refresh token replaces the old one; when none is sent the old one stays valid.
      refreshToken: parsed.data.refresh_token ?? s.refreshToken,
      expiresAt: this.now() + ttlMs,
    };
    // Persist before use, so a crash right after a rotation cannot lose the only valid refresh token.
    await this.onTokens?.(next);
    if (next.refreshToken !== s.refreshToken) s.retired.add(s.refreshToken);
    s.accessToken = next.accessToken;
    s.refreshToken = next.refreshToken;
    s.expiresAt = next.expiresAt;
    s.ttlMs = ttlMs;
    return parsed.data.access_token;
  }
}
