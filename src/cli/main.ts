// The `crm-influence` command. Errors end with a one-line message on stderr (no stack) and a non-zero exit.
import { CommanderError } from 'commander';
import { buildProgram } from './program.ts';
import { CliError } from './errors.ts';
import { redact } from '../log.ts';

async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram().exitOverride();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    // commander already printed its own usage error or help.
    if (error instanceof CommanderError) return error.exitCode;
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`crm-influence: ${redact(message)}\n`);
    return error instanceof CliError ? error.exitCode : 1;
  }
}

process.exitCode = await main(process.argv);
