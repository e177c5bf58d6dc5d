// Opens the salesforce connection for the CLI. Placeholder until the connector lands: the connector's engineer
// replaces this file (same export), so `sync --crm salesforce` fails honestly instead of pretending.
import { NotAvailableError } from './errors.ts';
import type { OpenContext, OpenedCrm } from './crms.ts';

export function open(_ctx: OpenContext): Promise<OpenedCrm> {
  return Promise.reject(new NotAvailableError('the Salesforce connector (connectors/salesforce)'));
}
