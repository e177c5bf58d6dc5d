// Access tokens for one portal: a private-app token as given, or public-app OAuth tokens refreshed ahead of
// `expires_in` through the v3 token endpoint, one refresh at a time per portal, keeping a rotated refresh token
// and handing every new pair to the caller to persist (crm-apis.md §2.5).
import { z } from 'zod';

import { NeedsReauthError } from '../../src/crm/errors.ts';

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
  constructor(private readonly token: string) {}
  current(): Promise<string> {
    return Promise.resolve(this.token);
  }
  refreshAfterRejection(): Promise<string> {
    throw new NeedsReauthError(
      'HubSpot rejected the private app access token (expired or revoked); create a new token in the private app settings and set HUBSPOT_ACCESS_TOKEN',
    );
  }
}

interface PortalTokens {
  accessToken?: string;
  refreshToken: string;
  expiresAt?: number;
  /** Lifetime of the last token, to refresh a fraction of it early. */
  ttlMs: number;
  refreshing?: Promise<string>;
  /** Refresh tokens this process rotated away from (a stale copy from storage must not replace the newest). */
  retired: Set<string>;
}

/** Token state per portal in this process: concurrent runs share one refresh and the newest refresh token. */
const portals = new Map<string, PortalTokens>();

export class OAuthTokenSource implements TokenSource {
  readonly kind = 'oauth';
  private readonly state: PortalTokens;

  constructor(
    private readonly portalKey: string,
    private readonly config: Extract<AuthConfig, { kind: 'oauth' }>,
    private readonly baseUrl: string,
    private readonly onTokens: ((tokens: OAuthTokens) => Promise<void> | void) | undefined,
    private readonly now: () => number = Date.now,
  ) {
    let state = portals.get(portalKey);
    if (state === undefined) {
      state = {
        accessToken: config.accessToken,
        refreshToken: config.refreshToken,
        expiresAt: config.expiresAt,
        ttlMs: 1_800_000,
        retired: new Set(),
      };
      portals.set(portalKey, state);
    } else if (config.refreshToken !== state.refreshToken && !state.retired.has(config.refreshToken)) {
      // Neither ours nor one we rotated away from: the portal was reconnected, so its new grant wins.
      Object.assign(state, {
        accessToken: config.accessToken,
        refreshToken: config.refreshToken,
        expiresAt: config.expiresAt,
      });
    }
    this.state = state;
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

  private async exchange(): Promise<string> {
    const s = this.state;
    const body = new URLSearchParams({
      grant_type: 'refresh_token',
      client_id: this.config.clientId,
      client_secret: this.config.clientSecret,
      refresh_token: s.refreshToken,
    });
    let response: Response | undefined;
    for (let attempt = 1; attempt <= 3; attempt++) {
      try {
        response = await fetch(`${this.baseUrl}/oauth/v3/token`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
          body,
          signal: AbortSignal.timeout(30_000),
        });
        if (response.status < 500) break;
      } catch (error) {
        if (attempt === 3)
          throw new Error(`HubSpot token endpoint unreachable: ${(error as Error).message}`, { cause: error });
      }
      await new Promise((r) => setTimeout(r, 250 * attempt * (1 + Math.random())));
    }
    if (response === undefined) throw new Error('HubSpot token endpoint unreachable');
    const text = await response.text();
    if (response.status >= 400) {
      // HubSpot's BAD_REFRESH_TOKEN / invalid_grant: the install is gone; retrying cannot help.
      const status = /"status"\s*:\s*"([A-Z_]+)"/.exec(text)?.[1] ?? `HTTP ${response.status}`;
      if (response.status < 500) {
        throw new NeedsReauthError(
          `HubSpot refused the refresh token (${status}); reconnect the HubSpot portal (the app was uninstalled or the token revoked)`,
        );
      }
      throw new Error(`HubSpot token endpoint failed (${status})`);
    }
    const parsed = TokenResponseSchema.safeParse(JSON.parse(text));
    if (!parsed.success)
      throw new Error(
        `HubSpot token endpoint returned an unexpected body: ${parsed.error.issues.map((i) => i.path.join('.')).join(', ')}`,
      );
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

/** Tests: forget the process-wide token state of every portal. */
export function resetTokenStateForTests(): void {
  portals.clear();
}
