// What the connectors of one portal share inside one process: the portal's rate limiter (every call counts against
// the same 10-second window) and its OAuth token state (one refresh at a time, the newest refresh token). The
// composition root (src/cli) makes one `HubSpotPortals` and hands it to every connector it opens; a connector
// opened without one gets its own, so tests and one-off tools never share state by accident.
import type { PortalTokens } from './auth.ts';
import type { LimiterSettings } from './limiter.ts';
import { PortalLimiter } from './limiter.ts';

export class HubSpotPortals {
  private readonly limiters = new Map<string, PortalLimiter>();
  private readonly tokens = new Map<string, PortalTokens>();

  /** The portal's limiter; the first connector of a portal decides its starting settings. */
  limiter(portalKey: string, settings: Partial<LimiterSettings> = {}): PortalLimiter {
    let limiter = this.limiters.get(portalKey);
    if (limiter === undefined) {
      limiter = new PortalLimiter(settings);
      this.limiters.set(portalKey, limiter);
    }
    return limiter;
  }

  /** The portal's token state, made by `create` the first time. */
  tokenState(portalKey: string, create: () => PortalTokens): PortalTokens {
    let state = this.tokens.get(portalKey);
    if (state === undefined) {
      state = create();
      this.tokens.set(portalKey, state);
    }
    return state;
  }
}
