// `crm-influence sandbox [--contacts N] [--seed S]`: start the local emulators. Placeholder: the sandbox engineer
// replaces this file (same `register` export).
import type { Command } from 'commander';
import { NotAvailableError } from '../errors.ts';

export function register(program: Command): void {
  program
    .command('sandbox')
    .description('start the Salesforce, HubSpot and network emulators and print the environment that points every command at them')
    .option('--contacts <n>', 'contacts in the generated population')
    .option('--seed <s>', 'random seed of the population')
    .action(() => {
      throw new NotAvailableError('the sandbox emulators (src/sandbox)');
    });
}
