// `crm-influence sandbox [--contacts N] [--seed S]`: start every emulator on 127.0.0.1 over one seeded population,
// print `export VAR=value` lines that point the other commands at them, and stay up until Ctrl-C.
// The printed tokens are the sandbox's own throwaway credentials (random per start), never real ones.
import type { Command } from 'commander';
import { z } from 'zod';

import type { Sandbox } from '../../sandbox/index.ts';
import { startSandbox } from '../../sandbox/index.ts';
import { parseFlags } from '../flags.ts';

const SandboxFlagsSchema = z.strictObject({
  contacts: z.coerce
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(10_000_000, 'must be at most 10,000,000')
    .default(1000),
  seed: z.string().min(1, 'must not be empty').default('demo'),
  limits: z.enum(['real', 'relaxed'], { error: "must be 'real' or 'relaxed'" }).default('real'),
});

/** POSIX single-quoting, so any value survives `eval`/copy-paste. */
export function shellQuote(value: string): string {
  return /^[A-Za-z0-9_./:@%+=-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

export function exportLines(env: Record<string, string>): string {
  return Object.keys(env)
    .sort()
    .map((name) => `export ${name}=${shellQuote(env[name] ?? '')}\n`)
    .join('');
}

function describe(sandbox: Sandbox, contacts: number, seed: string): string {
  const lines = [`# crm-influence sandbox: ${contacts.toLocaleString('en-US')} contacts, seed ${JSON.stringify(seed)}`];
  for (const [server, url] of Object.entries(sandbox.urls)) lines.push(`#   ${server.padEnd(10)} ${url}`);
  for (const { server, reason } of sandbox.skipped) lines.push(`#   ${server.padEnd(10)} not started: ${reason}`);
  lines.push(
    '# Paste the export lines into another shell, then try `crm-influence doctor` or `crm-influence sync --crm salesforce --once`.',
  );
  lines.push('# Ctrl-C stops the sandbox.');
  return `${lines.join('\n')}\n`;
}

async function action(rawFlags: unknown): Promise<void> {
  const flags = parseFlags('sandbox', SandboxFlagsSchema, rawFlags);
  const sandbox = await startSandbox({ contacts: flags.contacts, seed: flags.seed, networkLimits: flags.limits });
  process.stdout.write(exportLines(sandbox.env));
  process.stderr.write(describe(sandbox, flags.contacts, flags.seed));
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      process.stderr.write('# stopping the sandbox…\n');
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await sandbox.close();
}

export function register(program: Command): void {
  program
    .command('sandbox')
    .description(
      'start the Salesforce, HubSpot and network emulators and print the environment that points every command at them',
    )
    .option('--contacts <n>', 'contacts in the generated population (1–10,000,000)', '1000')
    .option('--seed <s>', 'random seed of the population', 'demo')
    .option('--limits <mode>', "network rate limits: 'real' (published limits) or 'relaxed' (100×)", 'real')
    .action(action);
}
