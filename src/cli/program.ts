// The commander program: every command of DESIGN §5, one file each under commands/.
import { Command } from 'commander';
import { register as registerDemo } from './commands/demo.ts';
import { register as registerDoctor } from './commands/doctor.ts';
import { register as registerFields } from './commands/fields.ts';
import { register as registerRuns } from './commands/runs.ts';
import { register as registerSandbox } from './commands/sandbox.ts';
import { register as registerScore } from './commands/score.ts';
import { register as registerServe } from './commands/serve.ts';
import { register as registerSync } from './commands/sync.ts';

export const COMMANDS = ['demo', 'sync', 'serve', 'score', 'doctor', 'fields', 'runs', 'sandbox'] as const;

export function buildProgram(): Command {
  const program = new Command('crm-influence')
    .description('An honest, explainable social influence score on every Salesforce and HubSpot contact.')
    .showHelpAfterError('(add --help for usage)')
    .addHelpText('after', '\nConfiguration comes from environment variables (see README.md); `crm-influence doctor` checks it.');
  for (const register of [registerDemo, registerSync, registerServe, registerScore, registerDoctor, registerFields, registerRuns, registerSandbox]) {
    register(program);
  }
  for (const command of program.commands) command.showHelpAfterError('(add --help for usage)');
  return program;
}
