// `crm-influence serve`: the admin UI, the schedules and the webhooks in one process.
import type { Command } from 'commander';
import { NotAvailableError } from '../errors.ts';

export function register(program: Command): void {
  program
    .command('serve')
    .description('run the admin UI, the sync schedules (CRM_INFLUENCE_SCHEDULE) and the CRM webhooks')
    .option('--port <port>', 'HTTP port (default PORT or 3000)')
    .action(() => {
      throw new NotAvailableError('the admin server (src/server)');
    });
}
