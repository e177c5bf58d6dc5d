// Opens the enabled provider adapters (from the configuration) and the identity resolver for the CLI.
import { resolveIdentities } from '../identity/index.ts';
import { createProviders } from '../providers/index.ts';
import type { OpenContext, OpenedProviders } from './crms.ts';

export function open(ctx: OpenContext): Promise<OpenedProviders> {
  return Promise.resolve({
    providers: createProviders(ctx.config, { logger: ctx.logger }),
    resolveIdentities: (contact) => resolveIdentities(contact),
  });
}
