// Counts for networks with no open API (LinkedIn followers, or any network a team counts by hand), imported from CSV
// (`crm-influence import`, or the Settings page's upload), kept in the store and served through the same
// ProviderAdapter contract. No calls are made.
//
// Columns (header row required, any order, names case-insensitive):
//   network    optional  x | github | mastodon | bluesky | youtube | linkedin   (default: linkedin)
//   handle     required  profile URL or handle, e.g. https://www.linkedin.com/in/ada-lovelace
//   followers  required  whole number
//   following  optional  whole number (LinkedIn: connections)
//   posts      optional  whole number
//   as_of      required  when the numbers were read: 2026-06-01 or 2026-06-01T09:00:00Z (not in the future)
//   source     optional  self_reported | export | manual   (default: manual)
//   email      optional  the contact's e-mail, for your own bookkeeping
// `connections` is another name for `following`, and `fetched_at` (the `score` command's name) for `as_of`.
import { z } from 'zod';

import { type Network, NETWORKS } from '../scoring/types.ts';
import { okResult } from './common.ts';
import type { ProviderAdapter, ProviderResult } from './contract.ts';

/** More followers than any account has (the largest have a few hundred million): a typo or a unit mix-up. */
export const MAX_IMPORTED_COUNT = 2_000_000_000;

const whole = (name: string) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, { message: `${name} must be a whole number`, abort: true })
    .transform(Number)
    .refine((n) => n <= MAX_IMPORTED_COUNT, `${name} must be at most ${MAX_IMPORTED_COUNT.toLocaleString('en-US')}`);
const optionalWhole = (name: string) => z.union([z.literal('').transform(() => undefined), whole(name)]).optional();

/** A date (2026-06-01, read as midnight UTC) or a date-time with a zone; never later than `now`. */
export function asOfSchema(now: () => Date = () => new Date()) {
  return z
    .string()
    .trim()
    .regex(/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2}))?$/, {
      message: 'as_of must be a date like 2026-06-01 or 2026-06-01T09:00:00Z',
      abort: true,
    })
    .refine((v) => !Number.isNaN(Date.parse(v)), { message: 'as_of must be a real date', abort: true })
    .transform((v) => new Date(Date.parse(v)).toISOString())
    .refine((v) => Date.parse(v) <= now().getTime() + 60_000, 'as_of is in the future');
}

export function csvRowSchema(now: () => Date = () => new Date()) {
  return z.object({
    network: z.union([z.literal('').transform(() => 'linkedin' as const), z.enum(NETWORKS)]).default('linkedin'),
    handle: z.string().trim().min(1, 'handle is required (a profile URL or handle)'),
    followers: whole('followers'),
    following: optionalWhole('following'),
    posts: optionalWhole('posts'),
    as_of: asOfSchema(now),
    source: z
      .union([z.literal('').transform(() => 'manual' as const), z.enum(['self_reported', 'export', 'manual'])])
      .default('manual'),
    email: z.string().optional(),
  });
}
export type CsvRow = z.output<ReturnType<typeof csvRowSchema>>;

/** One imported account's counts, as the store keeps them (the handle normalised as identity resolution makes it). */
export const ImportedCountsSchema = z.object({
  network: z.enum(NETWORKS),
  handle: z.string().min(1),
  followers: z.number().int().nonnegative(),
  following: z.number().int().nonnegative(),
  posts: z.number().int().nonnegative(),
  asOf: z.iso.datetime(),
  source: z.enum(['self_reported', 'export', 'manual']),
});
export type ImportedCounts = z.infer<typeof ImportedCountsSchema>;

export interface CsvProblem {
  /** 1-based line number in the file (the header is line 1). */
  line: number;
  field: string;
  message: string;
}

/** RFC 4180: quoted fields may hold commas, quotes ("") and newlines. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  const input = text.replace(/^\uFEFF/, '');
  for (let i = 0; i < input.length; i++) {
    const c = input[i];
    if (quoted) {
      if (c === '"' && input[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && input[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((r) => r.some((f) => f.trim() !== ''));
}

export interface CsvImport {
  /** Valid rows, one per account (several rows for one account: the newest `as_of` wins). */
  rows: ImportedCounts[];
  problems: CsvProblem[];
}

/** Header names as written in the file → our column names. */
const COLUMN_ALIASES: Record<string, string> = { connections: 'following', fetched_at: 'as_of' };

/**
 * Parses an import file. `normalise` turns the `handle` cell into the canonical handle identity resolution
 * produces for that network (so CRM identities find their rows); null = not a valid handle for the network.
 */
export function loadCsvImport(
  text: string,
  normalise: (network: Network, value: string) => string | null,
  now: () => Date = () => new Date(),
): CsvImport {
  const table = parseCsv(text);
  const header = (table[0] ?? []).map((h) => {
    const name = h.trim().toLowerCase();
    return COLUMN_ALIASES[name] ?? name;
  });
  const problems: CsvProblem[] = [];
  for (const required of ['handle', 'followers', 'as_of']) {
    if (!header.includes(required))
      problems.push({ line: 1, field: required, message: `the header row has no "${required}" column` });
  }
  if (problems.length > 0) return { rows: [], problems };
  const schema = csvRowSchema(now);
  const byAccount = new Map<string, ImportedCounts>();
  table.slice(1).forEach((cells, k) => {
    const line = k + 2;
    const record = Object.fromEntries(header.map((name, i) => [name, cells[i] ?? '']));
    const parsed = schema.safeParse(record);
    if (!parsed.success) {
      for (const issue of parsed.error.issues)
        problems.push({ line, field: String(issue.path[0] ?? ''), message: issue.message });
      return;
    }
    const row = parsed.data;
    const handle = normalise(row.network, row.handle);
    if (handle === null) {
      problems.push({
        line,
        field: 'handle',
        message: `"${row.handle}" is not a ${row.network} profile URL or handle`,
      });
      return;
    }
    const key = `${row.network}:${handle}`;
    const previous = byAccount.get(key);
    if (previous === undefined || row.as_of >= previous.asOf) {
      byAccount.set(key, {
        network: row.network,
        handle,
        followers: row.followers,
        following: row.following ?? 0,
        posts: row.posts ?? 0,
        asOf: row.as_of,
        source: row.source,
      });
    }
  });
  return { rows: [...byAccount.values()], problems };
}

/**
 * Serves imported counts for one network. `lookUp` reads them (from the store); a handle without a row is
 * `not_found`. The metrics are as old as the import says (`fetchedAt` = `as_of`), so old counts score as stale.
 */
export class ImportedCountsAdapter implements ProviderAdapter {
  readonly maxBatch = 1000;
  /** Answers from this machine's own data: not cached again, and judged stale by their own date. */
  readonly local = true;

  readonly network: Network;
  readonly #lookUp: (handles: readonly string[]) => Promise<ReadonlyMap<string, ImportedCounts>>;

  constructor(network: Network, lookUp: (handles: readonly string[]) => Promise<ReadonlyMap<string, ImportedCounts>>) {
    this.network = network;
    this.#lookUp = lookUp;
  }

  usage() {
    return { calls: 0 };
  }

  async fetchProfiles(handles: readonly string[]): Promise<Map<string, ProviderResult>> {
    const rows = await this.#lookUp(handles);
    const results = new Map<string, ProviderResult>();
    for (const handle of handles) {
      const row = rows.get(handle);
      results.set(
        handle,
        row
          ? okResult({
              network: this.network,
              handle,
              followers: row.followers,
              following: row.following,
              posts: row.posts,
              recentPosts: [],
              fetchedAt: row.asOf,
            })
          : { status: 'not_found' },
      );
    }
    return results;
  }
}
