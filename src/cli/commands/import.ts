// `crm-influence import --file counts.csv [--json]`: store follower counts for networks without an open API
// (LinkedIn), read from CSV. The next sync of every connection reads its contacts again and scores them with these.
import { readFileSync } from 'node:fs';

import type { Command } from 'commander';
import { z } from 'zod';

import { createProviders } from '../../providers/index.ts';
import { describeCsvProblem, importCountsCsv, ImportedCountsStore } from '../../sync/imported-counts.ts';
import { withContext } from '../context.ts';
import { CliError } from '../errors.ts';
import { parseFlags } from '../flags.ts';
import { printJson } from '../output.ts';

const ImportFlagsSchema = z.strictObject({
  file: z.string({ error: 'is required: the CSV file to import' }).min(1, 'is required: the CSV file to import'),
  json: z.boolean().default(false),
});

export const IMPORT_COLUMNS_HELP = `
Columns (header row first, any order, names case-insensitive):
  handle     required  profile URL or handle (https://www.linkedin.com/in/ada-lovelace)
  followers  required  whole number
  as_of      required  when the numbers were read: 2026-06-01 or 2026-06-01T09:00:00Z (fetched_at also accepted)
  network    optional  linkedin (default), x, github, mastodon, bluesky, youtube
  following  optional  whole number (LinkedIn: connections; "connections" also accepted)
  posts      optional  whole number
  source     optional  self_reported, export or manual (default)
  email      optional  for your own bookkeeping; not used
Bad rows are listed by line and column and not stored; the rest are. Counts older than 14 days score as stale.
A network whose API is on (e.g. GitHub) is read from its API; its imported rows are kept but not used.`;

async function action(rawFlags: unknown): Promise<void> {
  const flags = parseFlags('import', ImportFlagsSchema, rawFlags);
  let text: string;
  try {
    text = readFileSync(flags.file, 'utf8');
  } catch (error) {
    throw new CliError(`import: cannot read ${flags.file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  await withContext(async ({ store, config }) => {
    const counts = ImportedCountsStore.of(store);
    const outcome = await importCountsCsv(counts, text);
    const summary = await counts.summary();
    const live = new Set(createProviders(config).map((adapter) => adapter.network));
    if (flags.json) printJson({ ...outcome, stored: summary });
    else {
      for (const problem of outcome.problems) process.stderr.write(`${flags.file}: ${describeCsvProblem(problem)}\n`);
      process.stdout.write(
        `imported ${outcome.accounts} account${outcome.accounts === 1 ? '' : 's'} from ${flags.file}` +
          (outcome.problems.length > 0
            ? ` (${outcome.problems.length} bad row${outcome.problems.length === 1 ? '' : 's'} skipped, listed above)`
            : '') +
          '\n',
      );
      for (const s of summary) {
        const used = live.has(s.network) ? `not used: ${s.network}'s API is on` : 'scored by the next sync';
        process.stdout.write(
          `  ${s.network}: ${s.accounts} account${s.accounts === 1 ? '' : 's'} stored, as of ${s.oldestAsOf.slice(0, 10)}…${s.newestAsOf.slice(0, 10)} (${used})\n`,
        );
      }
    }
    if (outcome.problems.length > 0) process.exitCode = 1;
  });
}

export function register(program: Command): void {
  program
    .command('import')
    .description(
      'import follower counts from CSV for networks without an open API (LinkedIn); the next sync scores them',
    )
    .option('--file <path>', 'the CSV file')
    .option('--json', 'print the outcome as JSON')
    .addHelpText('after', `${IMPORT_COLUMNS_HELP}\n\nExit status: 0 when every row was stored, 1 when some were not.`)
    .action(action);
}
