// The admin server's contacts list over the store's contact_sync_state columns (migration 10): filters, one of three
// sorts, keyset pages (the index on (connection_id, sort column, record_id) serves each sort; a page costs the same
// at 1M contacts as at 1k). Both dialects accept the same statement.
import { z } from 'zod';

import { ConfidenceSchema, NetworkSchema, TierSchema, TrendSchema } from '../scoring/types.ts';
import type { SqlAccess, SqlValue } from './contract.ts';

/** What the list sorts by (`order`: highest/newest first, or the reverse). `tier_since`: when the contact reached its tier. */
export const CONTACT_SORTS = { score: 'list_score', scored_at: 'scored_at', tier_since: 'tier_since' } as const;
export type ContactSort = keyof typeof CONTACT_SORTS;

const wholeScore = z.coerce
  .number({ error: 'must be a score 0–100' })
  .int('must be a whole score 0–100')
  .min(0, 'must be 0–100')
  .max(100, 'must be 0–100');
/** A query-string value: an empty one (an untouched form field) means "no filter". */
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (v === '' || v === undefined ? undefined : v), schema.optional());

export const ContactListFilterSchema = z.object({
  tier: optional(TierSchema),
  confidence: optional(ConfidenceSchema),
  trend: optional(TrendSchema),
  network: optional(NetworkSchema),
  reason: optional(z.string().regex(/^[A-Z][A-Z0-9_]{1,60}$/, 'must be a reason code like STALE_DATA')),
  minScore: optional(wholeScore),
  maxScore: optional(wholeScore),
  /** Only contacts that reached tier A at most this many days ago. */
  risenDays: optional(
    z.coerce.number({ error: 'must be a number of days' }).int('must be whole days').min(1).max(3650),
  ),
  sort: optional(z.enum(Object.keys(CONTACT_SORTS) as [ContactSort, ...ContactSort[]])).transform((v) => v ?? 'score'),
  /** `desc`: highest or newest first (the default); `asc`: lowest or oldest first. */
  order: optional(z.enum(['desc', 'asc'])).transform((v) => v ?? 'desc'),
});
export type ContactListFilter = z.output<typeof ContactListFilterSchema>;

/** Where a page starts: after this sort value and record id (opaque to users: base64url JSON). */
const CursorSchema = z.tuple([z.union([z.string(), z.number()]), z.string().min(1)]);
export type ContactCursor = z.infer<typeof CursorSchema>;

export function encodeCursor(cursor: ContactCursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

export function decodeCursor(text: string): ContactCursor | null {
  try {
    const parsed = CursorSchema.safeParse(JSON.parse(Buffer.from(text, 'base64url').toString('utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export interface ContactListRow {
  recordId: string;
  objectType: string;
  name: string | null;
  email: string | null;
  score: number | null;
  tier: string | null;
  confidence: string | null;
  trend: string | null;
  scoredAt: string | null;
  tierSince: string | null;
  reasonCodes: string[];
  networks: string[];
  /** False for a contact that opted out (its fields were cleared). */
  profiled: boolean;
}

interface Row {
  record_id: string;
  object_type: string;
  name: string | null;
  email: string | null;
  list_score: number | string;
  tier: string | null;
  confidence: string | null;
  trend: string | null;
  scored_at: string;
  tier_since: string;
  reason_codes: string | null;
  networks: string | null;
}

const DAY_MS = 86_400_000;

/**
 * One page of the filtered, sorted list: the page after `after` (or the first), or the page before `before`; with
 * the cursors of the next page and of the previous one (null where there is none). Both directions are one index
 * range: a page before is read in the reverse order and turned round.
 */
export async function listContacts(
  db: SqlAccess,
  connectionId: string,
  filter: ContactListFilter,
  options: { after?: ContactCursor | null; before?: ContactCursor | null; limit: number; now?: Date },
): Promise<{ rows: ContactListRow[]; next: ContactCursor | null; previous: ContactCursor | null }> {
  const column = CONTACT_SORTS[filter.sort];
  const backwards = options.before != null;
  // The order rows are read in: the list's order, or its reverse for a page before.
  const descending = (filter.order === 'desc') !== backwards;
  const params: SqlValue[] = [connectionId];
  const bind = (value: SqlValue): string => {
    params.push(value);
    return `?${params.length}`;
  };
  const where = ['connection_id = ?1', 'last_written IS NOT NULL'];
  if (filter.risenDays !== undefined) {
    const since = new Date((options.now ?? new Date()).getTime() - filter.risenDays * DAY_MS).toISOString();
    where.push(`tier = 'A'`, `tier_since >= ${bind(since)}`);
  } else if (filter.tier !== undefined) where.push(`tier = ${bind(filter.tier)}`);
  if (filter.confidence !== undefined) where.push(`confidence = ${bind(filter.confidence)}`);
  if (filter.trend !== undefined) where.push(`trend = ${bind(filter.trend)}`);
  if (filter.network !== undefined) where.push(`networks LIKE ${bind(`%,${filter.network},%`)}`);
  if (filter.reason !== undefined) where.push(`reason_codes LIKE ${bind(`%;${filter.reason};%`)}`);
  if (filter.minScore !== undefined) where.push(`list_score >= ${bind(filter.minScore)}`);
  if (filter.maxScore !== undefined) where.push(`list_score BETWEEN 0 AND ${bind(filter.maxScore)}`);
  const from = backwards ? options.before : options.after;
  if (from) {
    const [value, recordId] = from;
    // Row-value comparison: one index range, whatever the page number.
    where.push(
      `(${column}, record_id) ${descending ? '<' : '>'} (${bind(column === 'list_score' ? Number(value) : String(value))}, ${bind(recordId)})`,
    );
  }
  const direction = descending ? 'DESC' : 'ASC';
  const rows = await db.query<Row>(
    `SELECT record_id, object_type, name, email, list_score, tier, confidence, trend, scored_at, tier_since, reason_codes,
       networks
     FROM contact_sync_state WHERE ${where.join(' AND ')}
     ORDER BY ${column} ${direction}, record_id ${direction} LIMIT ${bind(options.limit + 1)}`,
    params,
  );
  const more = rows.length > options.limit;
  const shown = rows.slice(0, options.limit);
  if (backwards) shown.reverse();
  const page = shown.map((r): ContactListRow => ({
    recordId: r.record_id,
    objectType: r.object_type,
    name: r.name,
    email: r.email,
    score: Number(r.list_score) < 0 ? null : Number(r.list_score),
    tier: r.tier,
    confidence: r.confidence,
    trend: r.trend,
    scoredAt: r.scored_at === '' ? null : r.scored_at,
    tierSince: r.tier_since === '' ? null : r.tier_since,
    reasonCodes: (r.reason_codes ?? '').split(';').filter((c) => c !== ''),
    networks: (r.networks ?? '').split(',').filter((n) => n !== ''),
    profiled: r.tier !== null,
  }));
  const sortValue = (r: Row): string | number =>
    column === 'list_score' ? Number(r.list_score) : column === 'scored_at' ? r.scored_at : r.tier_since;
  const cursorOf = (r: Row | undefined): ContactCursor | null => (r === undefined ? null : [sortValue(r), r.record_id]);
  // Read forwards: a next page when a row was left over, a previous one when this page did not start at the top.
  // Read backwards: the other way round (the page we came from is after this one).
  const hasNext = backwards ? true : more;
  const hasPrevious = backwards ? more : from != null;
  return {
    rows: page,
    next: hasNext ? cursorOf(shown.at(-1)) : null,
    previous: hasPrevious ? cursorOf(shown[0]) : null,
  };
}
