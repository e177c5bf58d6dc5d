// Opens the provider adapters and the identity resolver for the CLI. Placeholder until they land: the providers'
// engineer replaces this file (same export).
import { NotAvailableError } from './errors.ts';
import type { OpenContext, OpenedProviders } from './crms.ts';

export function open(_ctx: OpenContext): Promise<OpenedProviders> {
  return Promise.reject(new NotAvailableError('the provider adapters (src/providers)'));
}
