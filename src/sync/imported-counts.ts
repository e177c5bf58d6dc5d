// Counts imported from CSV (`crm-influence import`, the Settings page's upload), kept in the store's
// `imported_counts` table (migration 9) and read back by the ImportedCountsAdapter during runs.
import { resolveRawHandles } from '../identity/index.ts';
import type { ProviderAdapter } from '../providers/contract.ts';
import type { CsvProblem, ImportedCounts } from '../providers/csv-import.ts';
import { ImportedCountsAdapter, ImportedCountsSchema, loadCsvImport } from '../providers/csv-import.ts';
import type { Network } from '../scoring/types.ts';
import type { SqlAccess, SqlValue, Store } from '../store/contract.ts';

export interface ImportSummary {
  network: Network;
  accounts: number;
  /** The oldest and newest `as_of` among the network's rows. */
  oldestAsOf: string;
  newestAsOf: string;
}

interface CountsRow {
  network: string;
  handle: string;
  followers: number | string;
  following: number | string;
  posts: number | string;
  as_of: string;
  source: string;
}

const ROWS_PER_STATEMENT = 100;

export class ImportedCountsStore {
  readonly #db: SqlAccess;
  readonly #now: () => Date;

  constructor(db: SqlAccess, now: () => Date = () => new Date()) {
    this.#db = db;
    this.#now = now;
  }

  static of(store: Store): ImportedCountsStore {
    if (store.sql === undefined) throw new Error('this store cannot keep imported counts (no SQL access)');
    return new ImportedCountsStore(store.sql());
  }

  /** Stores the rows; an account's counts are replaced by newer ones (`as_of`), or corrected ones of the same date. */
  async save(rows: readonly ImportedCounts[]): Promise<void> {
    const importedAt = this.#now().toISOString();
    for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
      const some = rows.slice(i, i + ROWS_PER_STATEMENT);
      const params: SqlValue[] = [];
      const values = some.map((r) => {
        const at = params.length;
        params.push(r.network, r.handle, r.followers, r.following, r.posts, r.asOf, r.source, importedAt);
        return `(${Array.from({ length: 8 }, (_, k) => `?${at + k + 1}`).join(', ')})`;
      });
      await this.#db.execute(
        `INSERT INTO imported_counts (network, handle, followers, following, posts, as_of, source, imported_at)
         VALUES ${values.join(', ')}
         ON CONFLICT (network, handle) DO UPDATE SET followers = excluded.followers, following = excluded.following,
           posts = excluded.posts, as_of = excluded.as_of, source = excluded.source, imported_at = excluded.imported_at
         WHERE excluded.as_of > imported_counts.as_of OR (excluded.as_of = imported_counts.as_of AND (
           excluded.followers <> imported_counts.followers OR excluded.following <> imported_counts.following
           OR excluded.posts <> imported_counts.posts OR excluded.source <> imported_counts.source))`,
        params,
      );
    }
  }

  async lookUp(network: Network, handles: readonly string[]): Promise<Map<string, ImportedCounts>> {
    const found = new Map<string, ImportedCounts>();
    if (handles.length === 0) return found;
    const inList =
      this.#db.dialect === 'sqlite'
        ? 'handle IN (SELECT value FROM json_each(?2))'
        : 'handle IN (SELECT json_array_elements_text(CAST(?2 AS json)))';
    const rows = await this.#db.query<CountsRow>(
      `SELECT network, handle, followers, following, posts, as_of, source FROM imported_counts WHERE network = ?1 AND ${inList}`,
      [network, JSON.stringify(handles)],
    );
    for (const row of rows) {
      const parsed = ImportedCountsSchema.safeParse({
        network: row.network,
        handle: row.handle,
        followers: Number(row.followers),
        following: Number(row.following),
        posts: Number(row.posts),
        asOf: row.as_of,
        source: row.source,
      });
      if (!parsed.success)
        throw new Error(
          `imported_counts row ${row.network}/${row.handle}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
        );
      found.set(row.handle, parsed.data);
    }
    return found;
  }

  /** Accounts per network, with the range of their dates. */
  async summary(): Promise<ImportSummary[]> {
    const rows = await this.#db.query<{ network: Network; n: number | string; oldest: string; newest: string }>(
      'SELECT network, COUNT(*) AS n, MIN(as_of) AS oldest, MAX(as_of) AS newest FROM imported_counts GROUP BY network ORDER BY network',
    );
    return rows.map((r) => ({ network: r.network, accounts: Number(r.n), oldestAsOf: r.oldest, newestAsOf: r.newest }));
  }

  /**
   * Changes whenever an import changed something: part of the scoring key, so the next run of every connection
   * reads its contacts again and scores them with the new counts.
   */
  async stamp(): Promise<string | null> {
    const rows = await this.#db.query<{ n: number | string; latest: string | null }>(
      'SELECT COUNT(*) AS n, MAX(imported_at) AS latest FROM imported_counts',
    );
    const row = rows[0];
    return row === undefined || Number(row.n) === 0 ? null : `${Number(row.n)}@${row.latest ?? ''}`;
  }
}

/** The `handle` cell as identity resolution would read it from a CRM field mapped to the network. */
export function normaliseImportedHandle(network: Network, value: string): string | null {
  const { identities } = resolveRawHandles([{ field: 'import', network, value }], 'crm-field');
  return identities.find((identity) => identity.network === network)?.handle ?? null;
}

export interface ImportOutcome {
  /** Accounts stored (several rows for one account count once). */
  accounts: number;
  problems: CsvProblem[];
}

/** Reads an import file and stores its valid rows; bad rows are returned by line and column, not stored. */
export async function importCountsCsv(
  counts: ImportedCountsStore,
  text: string,
  now: () => Date = () => new Date(),
): Promise<ImportOutcome> {
  const { rows, problems } = loadCsvImport(text, normaliseImportedHandle, now);
  await counts.save(rows);
  return { accounts: rows.length, problems };
}

/** "line 4, followers: followers must be a whole number" */
export function describeCsvProblem(problem: CsvProblem): string {
  return `line ${problem.line}, ${problem.field || 'row'}: ${problem.message}`;
}

/**
 * Adapters for imported counts, one per network that has some and whose API is not on (a live API wins), and the
 * stamp of the imports (see ImportedCountsStore.stamp).
 */
export async function importedAdapters(
  counts: ImportedCountsStore,
  live: readonly ProviderAdapter[],
): Promise<{ adapters: ProviderAdapter[]; stamp: string | null }> {
  const on = new Set(live.map((adapter) => adapter.network));
  const adapters = (await counts.summary())
    .filter((s) => !on.has(s.network))
    .map((s) => new ImportedCountsAdapter(s.network, (handles) => counts.lookUp(s.network, handles)));
  return { adapters, stamp: await counts.stamp() };
}
