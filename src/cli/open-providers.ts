// Opens the enabled provider adapters (from the configuration), the adapters of imported counts (from the store) and
// the identity resolver for the CLI.
import { resolveIdentities } from '../identity/index.ts';
import { createProviders } from '../providers/index.ts';
import { importedAdapters, ImportedCountsStore } from '../sync/imported-counts.ts';
import type { OpenContext, OpenedProviders, ProviderOpenOptions } from './crms.ts';

export async function open(ctx: OpenContext, options: ProviderOpenOptions = {}): Promise<OpenedProviders> {
  const maxWaitSeconds = options.maxRateLimitWaitSeconds ?? ctx.config.CRM_INFLUENCE_RATE_LIMIT_WAIT;
  const live = createProviders(ctx.config, {
    logger: ctx.logger,
    http: {
      maxWaitMs: maxWaitSeconds * 1000,
      ...(ctx.networkBudgets !== undefined ? { sharedRateLimits: ctx.networkBudgets } : {}),
    },
  });
  const imported =
    ctx.store.sql === undefined
      ? { adapters: [], stamp: null }
      : await importedAdapters(ImportedCountsStore.of(ctx.store), live);
  return {
    providers: [...live, ...imported.adapters],
    importStamp: imported.stamp,
    resolveIdentities: (contact) => resolveIdentities(contact),
  };
}
