// `crm-influence demo`: the sandbox CRM and networks, one full run, a summary, then the admin UI.
import type { Command } from 'commander';
import { NotAvailableError } from '../errors.ts';

export function register(program: Command): void {
  program
    .command('demo')
    .description('start the built-in sandbox (CRM + networks), run a full sync, print a summary, then open the admin UI')
    .option('--contacts <n>', 'contacts in the sandbox population')
    .action(() => {
      throw new NotAvailableError('the sandbox emulators (src/sandbox), the connectors and the admin server (src/server)');
    });
}
