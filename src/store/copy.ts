// Moves an install from SQLite to PostgreSQL (`crm-influence migrate`): every table the shared migrations made,
// row for row, in batches (the two schemas are the same, see migrations.ts). Credentials stay encrypted as they are,
// so the target is opened with the same CRM_INFLUENCE_SECRET_KEY. Leases are not copied (they belong to processes
// of the old install). The target must hold no connection yet: two installs are never merged.
import type { SqlAccess, SqlValue } from './contract.ts';

/** Rows per INSERT: far below PostgreSQL's 65,535 parameters for the widest table. */
const BATCH = 500;
const SKIPPED = new Set(['schema_migrations', 'leases']);

export interface CopyResult {
  /** Rows copied per table, in copy order. */
  tables: { table: string; rows: number }[];
}

export async function copySqliteToPostgres(
  source: SqlAccess,
  target: SqlAccess,
  onTable?: (table: string, rows: number) => void,
): Promise<CopyResult> {
  if (source.dialect !== 'sqlite' || target.dialect !== 'postgres')
    throw new Error('migrate copies a SQLite store into a PostgreSQL one');
  const existing = await target.query<{ n: number | string }>('SELECT COUNT(*) AS n FROM connections');
  if (Number(existing[0]?.n ?? 0) > 0)
    throw new Error('the PostgreSQL database already holds connections: migrate into an empty one');
  const tables = (
    await source.query<{ name: string }>(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
  )
    .map((t) => t.name)
    .filter((name) => !SKIPPED.has(name));
  const result: CopyResult = { tables: [] };
  for (const table of tables) {
    const columns = (await source.query<{ name: string }>(`SELECT name FROM pragma_table_info('${table}')`)).map(
      (c) => c.name,
    );
    let copied = 0;
    let lastRowId = -1;
    for (;;) {
      const rows = await source.query<Record<string, SqlValue> & { _rowid: number }>(
        `SELECT rowid AS _rowid, ${columns.map((c) => `"${c}"`).join(', ')} FROM "${table}" WHERE rowid > ?1 ORDER BY rowid LIMIT ${BATCH}`,
        [lastRowId],
      );
      if (rows.length === 0) break;
      const values = rows.map((_, r) => `(${columns.map((_c, c) => `?${r * columns.length + c + 1}`).join(', ')})`);
      await target.execute(
        `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${values.join(', ')} ON CONFLICT DO NOTHING`,
        rows.flatMap((row) => columns.map((c) => row[c] ?? null)),
      );
      copied += rows.length;
      lastRowId = rows.at(-1)!._rowid;
    }
    result.tables.push({ table, rows: copied });
    onTable?.(table, copied);
  }
  return result;
}
