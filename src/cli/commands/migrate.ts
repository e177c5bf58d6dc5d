// `crm-influence migrate --from sqlite --to postgres://…`: moves an install from the embedded SQLite store
// (CRM_INFLUENCE_DB) to PostgreSQL without losing history: connections (credentials still encrypted under
// CRM_INFLUENCE_SECRET_KEY), checkpoints, sync state, score history, runs, errors, the provider cache, admins.
import { existsSync } from 'node:fs';

import type { Command } from 'commander';
import { z } from 'zod';

import { copySqliteToPostgres } from '../../store/copy.ts';
import { PostgresStore } from '../../store/postgres.ts';
import { SqliteStore } from '../../store/sqlite.ts';
import { loadStoreConfig } from '../context.ts';
import { CliError } from '../errors.ts';
import { parseFlags } from '../flags.ts';

const MigrateFlagsSchema = z.strictObject({
  from: z.literal('sqlite', { error: "must be 'sqlite' (the CRM_INFLUENCE_DB file)" }),
  to: z
    .string({ error: 'must be a PostgreSQL URL' })
    .regex(/^postgres(ql)?:\/\//, 'must be a PostgreSQL URL (postgres://…)'),
});

async function action(rawFlags: unknown): Promise<void> {
  const flags = parseFlags('migrate', MigrateFlagsSchema, rawFlags);
  const config = loadStoreConfig();
  const file = config.CRM_INFLUENCE_DB;
  if (!existsSync(file)) throw new CliError(`no SQLite store at ${file} (CRM_INFLUENCE_DB)`);
  const keys = config.CRM_INFLUENCE_SECRET_KEY === undefined ? {} : { secretKey: config.CRM_INFLUENCE_SECRET_KEY };
  const source = await SqliteStore.open(file, keys);
  try {
    const target = await PostgresStore.open({ connectionString: flags.to, ...keys });
    try {
      const { tables } = await copySqliteToPostgres(source.sql(), target.sql(), (table, rows) =>
        process.stdout.write(`${table}: ${rows} rows\n`),
      );
      const total = tables.reduce((sum, t) => sum + t.rows, 0);
      process.stdout.write(
        `copied ${total} rows from ${file}; set DATABASE_URL to the PostgreSQL URL and start serve and workers\n`,
      );
    } catch (error) {
      throw new CliError(error instanceof Error ? error.message : String(error));
    } finally {
      await target.close();
    }
  } finally {
    await source.close();
  }
}

export function register(program: Command): void {
  program
    .command('migrate')
    .description('move this install from SQLite (CRM_INFLUENCE_DB) to PostgreSQL, history included')
    .requiredOption('--from <store>', "where from: 'sqlite'")
    .requiredOption('--to <url>', 'the PostgreSQL URL (an empty database or schema)')
    .action(action);
}
