// `crm-influence runs [--last N] [--connection ID] [--json]`: the stored run reports, most recent first.
import type { Command } from 'commander';
import { z } from 'zod';

import { writesOf } from '../../store/run-report.ts';
import { withStore } from '../context.ts';
import { CliError } from '../errors.ts';
import { parseFlags } from '../flags.ts';
import { printJson, table } from '../output.ts';

const RunsFlagsSchema = z.strictObject({
  last: z.coerce
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(1000, 'must be at most 1000')
    .default(10),
  connection: z.string().min(1).optional(),
  json: z.boolean().default(false),
});

async function action(rawFlags: unknown): Promise<void> {
  const flags = parseFlags('runs', RunsFlagsSchema, rawFlags);
  await withStore(async (store) => {
    const runs = await store.listRuns({
      limit: flags.last,
      ...(flags.connection !== undefined ? { connectionId: flags.connection } : {}),
    });
    // No runs of a connection the store does not know: a typo, not an idle connection.
    if (runs.length === 0 && flags.connection !== undefined && (await store.getConnection(flags.connection)) === null) {
      const known = (await store.listConnections()).map((c) => c.id);
      throw new CliError(
        `runs: there is no connection "${flags.connection}" (${known.length === 0 ? 'none yet: the first sync of a CRM creates its connection' : `the connections are ${known.join(', ')}`})`,
      );
    }
    if (flags.json) {
      printJson(runs);
      return;
    }
    if (runs.length === 0) {
      process.stdout.write('no runs yet (start one with `crm-influence sync --crm salesforce|hubspot --once`)\n');
      return;
    }
    const rows = runs.map((r) => [
      r.startedAt.replace('T', ' ').slice(0, 19),
      r.connection,
      r.crm,
      r.dryRun ? `${r.status} (dry run)` : r.status,
      String(r.counts.read),
      r.dryRun ? `would write ${writesOf(r).count}` : String(r.counts.written),
      String(r.counts.unchanged),
      String(r.counts.failed),
      r.message ?? '',
    ]);
    process.stdout.write(
      `${table([['started (UTC)', 'connection', 'crm', 'status', 'read', 'written', 'unchanged', 'failed', 'message'], ...rows])}\n`,
    );
  });
}

export function register(program: Command): void {
  program
    .command('runs')
    .description('list recent sync runs with their counts and status')
    .option('--last <n>', 'how many runs to show (1–1000)', '10')
    .option('--connection <id>', 'only runs of this connection')
    .option('--json', 'print the run reports as JSON')
    .action(action);
}
