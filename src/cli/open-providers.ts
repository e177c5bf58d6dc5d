// Opens the enabled provider adapters (from the configuration) and the identity resolver for the CLI.
import { resolveIdentities } from '../identity/index.ts';
import { createProviders } from '../providers/index.ts';
import type { OpenContext, OpenedProviders, ProviderOpenOptions } from './crms.ts';

export function open(ctx: OpenContext, options: ProviderOpenOptions = {}): Promise<OpenedProviders> {
  const maxWaitSeconds = options.maxRateLimitWaitSeconds ?? ctx.config.CRM_INFLUENCE_RATE_LIMIT_WAIT;
  return Promise.resolve({
    providers: createProviders(ctx.config, {
      logger: ctx.logger,
      http: {
        maxWaitMs: maxWaitSeconds * 1000,
        ...(ctx.networkBudgets !== undefined ? { sharedRateLimits: ctx.networkBudgets } : {}),
      },
    }),
    resolveIdentities: (contact) => resolveIdentities(contact),
  });
}
