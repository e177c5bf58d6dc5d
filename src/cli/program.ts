// The commander program: every command of the README's "CLI" section, one file each under commands/.
import { Command, CommanderError } from 'commander';

import { redact } from '../log.ts';
import { describeIssues } from '../zod-issues.ts';
import { register as registerDemo } from './commands/demo.ts';
import { register as registerDoctor } from './commands/doctor.ts';
import { register as registerFields } from './commands/fields.ts';
import { register as registerImport } from './commands/import.ts';
import { register as registerMigrate } from './commands/migrate.ts';
import { register as registerReport } from './commands/report.ts';
import { register as registerRuns } from './commands/runs.ts';
import { register as registerSandbox } from './commands/sandbox.ts';
import { register as registerScore } from './commands/score.ts';
import { register as registerServe } from './commands/serve.ts';
import { register as registerSync } from './commands/sync.ts';
import { register as registerWorker } from './commands/worker.ts';
import { CliError, UsageError } from './errors.ts';
import { LogFormatSchema, stderrTerminal } from './terminal.ts';

export const COMMANDS = [
  'demo',
  'sync',
  'serve',
  'worker',
  'score',
  'import',
  'doctor',
  'fields',
  'runs',
  'migrate',
  'report',
  'sandbox',
] as const;

export function buildProgram(): Command {
  const program = new Command('crm-influence')
    .description('An honest, explainable social influence score on every Salesforce and HubSpot contact.')
    .showHelpAfterError('(add --help for usage)')
    // A program option, so it is accepted before or after the command (`crm-influence serve --log-format json`).
    .option(
      '--log-format <format>',
      'log lines on stderr: text (one plain line per event, the default) or json (JSON lines, for a log collector)',
    )
    .hook('preAction', (root) => {
      const format = LogFormatSchema.safeParse(root.opts<{ logFormat?: string }>().logFormat ?? 'text');
      if (!format.success) throw new UsageError(describeIssues(format.error, { root: '--log-format' }));
      stderrTerminal.logFormat = format.data;
    })
    .addHelpText(
      'after',
      '\nConfiguration comes from environment variables (see README.md); `crm-influence doctor` checks it.',
    );
  for (const register of [
    registerDemo,
    registerSync,
    registerServe,
    registerWorker,
    registerScore,
    registerImport,
    registerDoctor,
    registerFields,
    registerRuns,
    registerMigrate,
    registerReport,
    registerSandbox,
  ]) {
    register(program);
  }
  for (const command of program.commands) command.showHelpAfterError('(add --help for usage)');
  return program;
}

/** commander's codes for a command line it could not parse (its own exit code for them is 1). */
const USAGE_ERRORS = new Set([
  'commander.unknownCommand',
  'commander.unknownOption',
  'commander.missingArgument',
  'commander.optionMissingArgument',
  'commander.missingMandatoryOptionValue',
  'commander.invalidArgument',
  'commander.excessArguments',
  'commander.conflictingOption',
]);

/**
 * Runs the CLI and returns the exit status. Errors end with a one-line message on stderr (never a stack, secrets
 * masked): 1 failure, 2 bad flags, 3 "not available yet: needs <part>".
 */
export async function runCli(argv: readonly string[], program: Command = buildProgram()): Promise<number> {
  program.exitOverride();
  // Subcommands take the program's settings only when added after them: theirs are set here.
  for (const command of program.commands) command.exitOverride();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    // commander already printed its own usage error or help; a usage error exits 2 as the README says.
    if (error instanceof CommanderError) return USAGE_ERRORS.has(error.code) ? 2 : error.exitCode;
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`crm-influence: ${redact(message)}\n`);
    return error instanceof CliError ? error.exitCode : 1;
  }
}
