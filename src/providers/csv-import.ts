// Metrics for networks with no open API (LinkedIn followers, or any network a team counts by hand), imported from
// CSV and served through the same ProviderAdapter contract. No calls are made.
//
// Columns (header row required, any order, names case-insensitive):
//   network    optional  x | github | mastodon | bluesky | youtube | linkedin   (default: linkedin)
//   handle     required  profile URL or handle, e.g. https://www.linkedin.com/in/ada-lovelace
//   followers  required  whole number
//   following  optional  whole number (LinkedIn: connections)
//   posts      optional  whole number
//   as_of      required  date the numbers were read, ISO 8601 (2026-06-01 or 2026-06-01T09:00:00Z)
//   source     optional  self_reported | export | manual   (default: manual)
//   email      optional  the contact's e-mail, for your own bookkeeping
// `connections` is accepted as another name for `following`.
import { z } from 'zod';

import { type Network, NETWORKS } from '../scoring/types.ts';
import { okResult } from './common.ts';
import type { ProviderAdapter, ProviderResult } from './contract.ts';

const whole = (name: string) => z.string().trim().regex(/^\d+$/, `${name} must be a whole number`).transform(Number);
const optionalWhole = (name: string) => z.union([z.literal('').transform(() => undefined), whole(name)]).optional();

export const CsvRowSchema = z.object({
  network: z.union([z.literal('').transform(() => 'linkedin' as const), z.enum(NETWORKS)]).default('linkedin'),
  handle: z.string().trim().min(1, 'handle is required (a profile URL or handle)'),
  followers: whole('followers'),
  following: optionalWhole('following'),
  posts: optionalWhole('posts'),
  as_of: z
    .string()
    .trim()
    .refine((v) => !Number.isNaN(Date.parse(v)), 'as_of must be an ISO date like 2026-06-01'),
  source: z
    .union([z.literal('').transform(() => 'manual' as const), z.enum(['self_reported', 'export', 'manual'])])
    .default('manual'),
  email: z.string().optional(),
});
export type CsvRow = z.infer<typeof CsvRowSchema>;

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
  /** One adapter per network that has rows. */
  adapters: ProviderAdapter[];
  rows: number;
  problems: CsvProblem[];
}

/**
 * Parses an import file. `normalise` turns the `handle` cell into the canonical handle identity resolution
 * produces for that network (so CRM identities find their rows); null = not a valid handle for the network.
 */
export function loadCsvImport(text: string, normalise: (network: Network, value: string) => string | null): CsvImport {
  const table = parseCsv(text);
  const header = (table[0] ?? []).map((h) =>
    h
      .trim()
      .toLowerCase()
      .replace(/^connections$/, 'following'),
  );
  const problems: CsvProblem[] = [];
  for (const required of ['handle', 'followers', 'as_of']) {
    if (!header.includes(required))
      problems.push({ line: 1, field: required, message: `the header row has no "${required}" column` });
  }
  if (problems.length > 0) return { adapters: [], rows: 0, problems };
  const byNetwork = new Map<Network, Map<string, CsvRow>>();
  let rows = 0;
  table.slice(1).forEach((cells, k) => {
    const line = k + 2;
    const record = Object.fromEntries(header.map((name, i) => [name, cells[i] ?? '']));
    const parsed = CsvRowSchema.safeParse(record);
    if (!parsed.success) {
      for (const issue of parsed.error.issues)
        problems.push({ line, field: String(issue.path[0] ?? ''), message: issue.message });
      return;
    }
    const handle = normalise(parsed.data.network, parsed.data.handle);
    if (handle === null) {
      problems.push({
        line,
        field: 'handle',
        message: `"${parsed.data.handle}" is not a ${parsed.data.network} profile URL or handle`,
      });
      return;
    }
    let map = byNetwork.get(parsed.data.network);
    if (!map) byNetwork.set(parsed.data.network, (map = new Map<string, CsvRow>()));
    const previous = map.get(handle);
    // Several rows for one account: the newest count wins.
    if (!previous || Date.parse(parsed.data.as_of) >= Date.parse(previous.as_of)) map.set(handle, parsed.data);
    rows += 1;
  });
  return { adapters: [...byNetwork].map(([network, map]) => new CsvImportAdapter(network, map)), rows, problems };
}

export class CsvImportAdapter implements ProviderAdapter {
  readonly maxBatch = 1000;

  readonly network: Network;
  private readonly rows: ReadonlyMap<string, CsvRow>;

  constructor(network: Network, rows: ReadonlyMap<string, CsvRow>) {
    this.network = network;
    this.rows = rows;
  }

  usage() {
    return { calls: 0 };
  }

  fetchProfiles(handles: readonly string[]): Promise<Map<string, ProviderResult>> {
    const results = new Map<string, ProviderResult>();
    for (const handle of handles) {
      const row = this.rows.get(handle);
      results.set(
        handle,
        row
          ? okResult({
              network: this.network,
              handle,
              followers: row.followers,
              following: row.following ?? 0,
              posts: row.posts ?? 0,
              recentPosts: [],
              // The numbers are as old as the import says, not as old as this call.
              fetchedAt: new Date(Date.parse(row.as_of)).toISOString(),
            })
          : { status: 'not_found' },
      );
    }
    return Promise.resolve(results);
  }
}
