// `crm-influence score [--in file.jsonl|file.csv] [--out file]`: score NetworkMetrics offline, one JSON line out per
// contact. Bad records are reported on stderr (line number and field) and skipped; the rest are scored.
import { once } from 'node:events';
import { createReadStream, createWriteStream, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Writable } from 'node:stream';

import type { Command } from 'commander';
import { z } from 'zod';

import { createScorer, ScoringOptionsSchema } from '../../scoring/index.ts';
import {
  NetworkMetricsSchema,
  RecentPostSchema,
  type ScoreFunction,
  type ScoreInput,
  TierSchema,
} from '../../scoring/types.ts';
import { describeIssues } from '../../zod-issues.ts';
import { CliError } from '../errors.ts';
import { parseFlags } from '../flags.ts';

const isoDate = z.iso.datetime({ offset: true });

/**
 * Above this a count is a typo or a unit mix-up (more followers than there are people online): rejected with its
 * line, rather than scored as the biggest account on earth.
 */
export const MAX_PLAUSIBLE_COUNT = 10_000_000_000;
const plausibleCount = z
  .number()
  .int()
  .nonnegative()
  .max(MAX_PLAUSIBLE_COUNT, 'is not a plausible count (more than 10,000,000,000): check the value and its column');

const ScorePostSchema = RecentPostSchema.extend({
  reshares: plausibleCount,
  replies: plausibleCount,
  likes: plausibleCount,
  quotes: plausibleCount.optional(),
  views: plausibleCount.optional(),
});

/**
 * One network of one contact: NetworkMetrics with counts in plausible bounds, plus where the handle came from and
 * whether the data are stale. `recentPosts` may be left out (none read), in JSON lines as in CSV.
 */
const ScoreNetworkSchema = NetworkMetricsSchema.extend({
  followers: plausibleCount,
  following: plausibleCount,
  posts: plausibleCount,
  likesGiven: plausibleCount.optional(),
  recentPosts: z.array(ScorePostSchema).default([]),
  provenance: z.enum(['crm-field', 'discovered']).default('crm-field'),
  stale: z.boolean().default(false),
});

/** One JSONL line: `{ "id": …, "networks": [NetworkMetrics…], "history"?: [{ at, score, tier }…] }` (most recent first). */
export const ScoreLineSchema = z.object({
  id: z.union([z.string().min(1), z.number()]),
  networks: z.array(ScoreNetworkSchema),
  history: z
    .array(z.object({ at: isoDate, score: z.number().min(0).max(100).nullable(), tier: TierSchema }))
    .default([]),
});
type ScoreLine = z.output<typeof ScoreLineSchema>;

export const CSV_COLUMNS = [
  'id',
  'network',
  'handle',
  'followers',
  'following',
  'posts',
  'fetched_at',
  'created_at',
  'verified',
  'followers_hidden',
  'provenance',
  'stale',
  'extra',
  'recent_posts',
] as const;
const REQUIRED_CSV_COLUMNS = ['id', 'network', 'handle', 'followers', 'following', 'posts', 'fetched_at'] as const;

const HELP = `
Input, JSON lines (.jsonl, or stdin): one contact per line,
  {"id":"003A1","networks":[{"network":"bluesky","handle":"ada.bsky.social","followers":1200,"following":300,
    "posts":800,"createdAt":"2023-05-01T00:00:00Z","recentPosts":[{"at":"2026-05-30T10:00:00Z","reshares":4,
    "replies":2,"likes":31}],"fetchedAt":"2026-06-01T00:00:00Z"}]}
  "recentPosts" may be left out (no posts read). Each network may add "provenance": "crm-field" (default: a
  handle you supplied counts as verified) or
  "discovered", and "stale": true. A line may add "history": [{"at","score","tier"}…] (most recent first) for
  trend and tier hysteresis.

Input, CSV (.csv): one row per contact and network, with a header row. Columns:
  ${CSV_COLUMNS.join(', ')}
  Required: ${REQUIRED_CSV_COLUMNS.join(', ')}. Dates are ISO 8601 with a zone (2026-06-01T00:00:00Z).
  verified, followers_hidden, stale: true/false (blank = absent). provenance: crm-field (default) or discovered.
  extra: key=value pairs separated by ";" (GitHub: stars=1200;forks=80).
  recent_posts: the recent original posts summarised in one cell, separated by ";", each at|reshares|replies|likes
  (2026-05-30T10:00:00Z|4|2|31;2026-05-28T09:00:00Z|0|1|12). Rows of one id are one contact, in any order.

Output: one JSON object per contact and line, {"id":…, "score", "tier", "confidence", "factors", …}.
Bad lines or rows (a count above 10,000,000,000 included) are reported on stderr with their line number and
field, and skipped. Warnings, on stderr too, do not skip: an id seen before (JSON lines; CSV: the same id and
network twice), a post dated after the time scored at (--now; it is not counted). The exit code is non-zero only
when the input cannot be read or nothing could be scored.`;

const FlagsSchema = z.object({
  in: z.string().min(1).optional(),
  out: z.string().min(1).optional(),
  format: z.enum(['jsonl', 'csv']).optional(),
  options: z.string().min(1).optional(),
  now: isoDate.optional(),
});

interface Problem {
  line: number;
  message: string;
  /** A warning: the record is scored all the same. */
  warning?: boolean;
}

/** A JSONL record's field as written in it: `networks[0].followers`. */
function jsonField(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
}

/** Parses and validates one JSONL line; a problem names the field. */
export function parseJsonLine(text: string): { ok: true; record: ScoreLine } | { ok: false; message: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return { ok: false, message: `not valid JSON (${(error as Error).message})` };
  }
  const parsed = ScoreLineSchema.safeParse(raw);
  return parsed.success
    ? { ok: true, record: parsed.data }
    : { ok: false, message: describeIssues(parsed.error, { root: 'record', field: jsonField }) };
}

/** RFC 4180 CSV: quoted fields may hold commas, doubled quotes and line breaks. Returns rows with their first line. */
export function parseCsv(text: string): { line: number; cells: string[] }[] {
  const rows: { line: number; cells: string[] }[] = [];
  let cells: string[] = [];
  let cell = '';
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else {
        if (c === '\n') line++;
        cell += c;
      }
    } else if (c === '"' && cell === '') quoted = true;
    else if (c === ',') {
      cells.push(cell);
      cell = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      cells.push(cell);
      if (cells.length > 1 || cells[0] !== '') rows.push({ line: rowLine, cells });
      cells = [];
      cell = '';
      line++;
      rowLine = line;
    } else cell += c;
  }
  if (cell !== '' || cells.length > 0) {
    cells.push(cell);
    rows.push({ line: rowLine, cells });
  }
  return rows;
}

const csvNumber = (v: string): unknown =>
  v.trim() === '' ? undefined : /^-?\d+(\.\d+)?$/.test(v.trim()) ? Number(v) : v;
const csvBoolean = (v: string): unknown =>
  v.trim() === '' ? undefined : v.trim() === 'true' ? true : v.trim() === 'false' ? false : v;

/** One CSV row → one network entry (before validation); shapes problems as "<column>: <message>". */
function csvRowToNetwork(
  get: (column: string) => string,
): { ok: true; value: unknown } | { ok: false; message: string } {
  const extra: Record<string, unknown> = {};
  for (const pair of get('extra')
    .split(';')
    .filter((p) => p.trim() !== '')) {
    const [key, value] = pair.split('=');
    if (key === undefined || value === undefined) return { ok: false, message: `extra: "${pair}" is not key=value` };
    extra[key.trim()] = csvNumber(value);
  }
  const recentPosts: unknown[] = [];
  for (const entry of get('recent_posts')
    .split(';')
    .filter((p) => p.trim() !== '')) {
    const parts = entry.split('|');
    if (parts.length !== 4) return { ok: false, message: `recent_posts: "${entry}" is not at|reshares|replies|likes` };
    recentPosts.push({
      at: parts[0]!.trim(),
      reshares: csvNumber(parts[1]!),
      replies: csvNumber(parts[2]!),
      likes: csvNumber(parts[3]!),
    });
  }
  const optional = (key: string, value: unknown): Record<string, unknown> =>
    value === undefined || value === '' ? {} : { [key]: value };
  return {
    ok: true,
    value: {
      network: get('network').trim(),
      handle: get('handle').trim(),
      followers: csvNumber(get('followers')),
      following: csvNumber(get('following')),
      posts: csvNumber(get('posts')),
      fetchedAt: get('fetched_at').trim(),
      ...optional('createdAt', get('created_at').trim()),
      ...optional('verified', csvBoolean(get('verified'))),
      ...optional('followersHidden', csvBoolean(get('followers_hidden'))),
      ...optional('provenance', get('provenance').trim()),
      ...optional('stale', csvBoolean(get('stale'))),
      ...(Object.keys(extra).length > 0 ? { extra } : {}),
      recentPosts,
    },
  };
}

const CSV_FIELD_OF: Record<string, string> = {
  fetchedAt: 'fetched_at',
  createdAt: 'created_at',
  followersHidden: 'followers_hidden',
  recentPosts: 'recent_posts',
};

/** Groups CSV rows into contacts. A contact with any bad row is skipped whole (scoring it without a network would understate it). */
export function csvToRecords(text: string): { records: { line: number; record: ScoreLine }[]; problems: Problem[] } {
  const rows = parseCsv(text);
  const problems: Problem[] = [];
  const header = rows.shift();
  if (header === undefined)
    return { records: [], problems: [{ line: 1, message: 'the CSV file is empty (expected a header row)' }] };
  const columns = header.cells.map((c) => c.trim().toLowerCase());
  const missing = REQUIRED_CSV_COLUMNS.filter((c) => !columns.includes(c));
  if (missing.length > 0)
    return {
      records: [],
      problems: [{ line: header.line, message: `header: missing column(s) ${missing.join(', ')}` }],
    };

  type ContactRows = {
    line: number;
    networks: z.output<typeof ScoreNetworkSchema>[];
    networkLines: Map<string, number>;
    bad: boolean;
  };
  const contacts = new Map<string, ContactRows>();
  for (const row of rows) {
    const get = (column: string): string => row.cells[columns.indexOf(column)] ?? '';
    const id = get('id').trim();
    if (id === '') {
      problems.push({ line: row.line, message: 'id: required' });
      continue;
    }
    const contact: ContactRows = contacts.get(id) ?? {
      line: row.line,
      networks: [],
      networkLines: new Map(),
      bad: false,
    };
    contacts.set(id, contact);
    const shaped = csvRowToNetwork(get);
    const parsed = shaped.ok ? ScoreNetworkSchema.safeParse(shaped.value) : undefined;
    if (!shaped.ok || !parsed?.success) {
      const message = !shaped.ok
        ? shaped.message
        : describeIssues(parsed!.error!, {
            root: 'row',
            field: (path) => {
              const [first, ...rest] = path.map(String);
              const column = CSV_FIELD_OF[first ?? ''] ?? first ?? 'row';
              return `${column}${rest.length > 0 ? `[${rest.join('.')}]` : ''}`;
            },
          });
      problems.push({ line: row.line, message: `${message} (contact ${id} skipped)` });
      contact.bad = true;
      continue;
    }
    const earlier = contact.networkLines.get(parsed.data.network);
    if (earlier !== undefined) {
      problems.push({
        line: row.line,
        message: `id ${id}: ${parsed.data.network} already on line ${earlier}; this row is ignored`,
        warning: true,
      });
      continue;
    }
    contact.networkLines.set(parsed.data.network, row.line);
    contact.networks.push(parsed.data);
  }
  const records: { line: number; record: ScoreLine }[] = [];
  for (const [id, contact] of contacts) {
    if (!contact.bad)
      records.push({
        line: contact.line,
        record: { id, networks: contact.networks, history: [] },
      });
  }
  return { records, problems };
}

function toInput(record: ScoreLine, now: Date): ScoreInput {
  return {
    networks: record.networks.map(({ provenance, stale, ...metrics }) => ({ metrics, provenance, stale })),
    history: record.history,
    now,
  };
}

async function write(out: Writable, text: string): Promise<void> {
  if (!out.write(text)) await once(out, 'drain');
}

async function* jsonlRecords(
  path: string | undefined,
  problems: Problem[],
): AsyncGenerator<{ line: number; record: ScoreLine }> {
  const stream = path === undefined ? process.stdin : createReadStream(path, { encoding: 'utf8' });
  const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  let number = 0;
  for await (const text of lines) {
    number++;
    if (text.trim() === '') continue;
    const parsed = parseJsonLine(text);
    if (parsed.ok) yield { line: number, record: parsed.record };
    else problems.push({ line: number, message: parsed.message });
  }
}

export interface ScoreRunSummary {
  scored: number;
  skipped: number;
  warnings: number;
}

/** Posts dated after the time scored at are not counted by the model: said, once per contact, rather than dropped unseen. */
function futurePosts(record: ScoreLine, now: Date): string | null {
  const late = record.networks.flatMap((n) =>
    n.recentPosts.filter((p) => Date.parse(p.at) > now.getTime()).map((p) => `${n.network} ${p.at}`),
  );
  if (late.length === 0) return null;
  return `id ${String(record.id)}: ${late.length} post(s) dated after the time scored at (${now.toISOString()}), not counted: ${late.slice(0, 3).join(', ')}${late.length > 3 ? ', …' : ''} (a clock or time-zone error? --now sets the time)`;
}

/** The command's work, without commander: read, score, write; problems go to `report` as they are found. */
export async function runScore(
  flags: z.output<typeof FlagsSchema>,
  score: ScoreFunction,
  now: Date,
  out: Writable,
  report: (problem: Problem) => void,
): Promise<ScoreRunSummary> {
  const format = flags.format ?? (flags.in?.toLowerCase().endsWith('.csv') ? 'csv' : 'jsonl');
  const problems: Problem[] = [];
  let scored = 0;
  let reported = 0;
  const flush = (): void => {
    for (; reported < problems.length; reported++) report(problems[reported]!);
  };
  const emit = async (line: number, record: ScoreLine): Promise<void> => {
    const late = futurePosts(record, now);
    if (late !== null) problems.push({ line, message: late, warning: true });
    await write(out, `${JSON.stringify({ id: record.id, ...score(toInput(record, now)) })}\n`);
    scored++;
  };
  if (format === 'csv') {
    const text = flags.in === undefined ? readFileSync(0, 'utf8') : readFileSync(flags.in, 'utf8');
    const { records, problems: found } = csvToRecords(text);
    problems.push(...found);
    for (const { line, record } of records) await emit(line, record);
  } else {
    // Ids seen, with their line: a second record of one id is scored too, but said (a merge or an export twice).
    const seen = new Map<string, number>();
    for await (const { line, record } of jsonlRecords(flags.in, problems)) {
      const id = String(record.id);
      const first = seen.get(id);
      if (first !== undefined)
        problems.push({ line, message: `id ${id}: already on line ${first}; both are scored`, warning: true });
      else seen.set(id, line);
      flush();
      await emit(line, record);
    }
  }
  flush();
  const warnings = problems.filter((p) => p.warning === true).length;
  return { scored, skipped: problems.length - warnings, warnings };
}

function loadScoringOptions(path: string | undefined): unknown {
  if (path === undefined) return {};
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new CliError(`score: cannot read the scoring options in ${path}: ${(error as Error).message}`);
  }
  const parsed = ScoringOptionsSchema.safeParse(raw);
  if (!parsed.success)
    throw new CliError(
      `score: bad scoring options in ${path}: ${describeIssues(parsed.error, { root: 'record', field: jsonField })}`,
      2,
    );
  return parsed.data;
}

async function openOut(file: string): Promise<Writable> {
  const stream = createWriteStream(file);
  try {
    await once(stream, 'open');
  } catch (error) {
    throw new CliError(`score: cannot write ${file}: ${(error as Error).message}`);
  }
  return stream;
}

export function register(program: Command): void {
  program
    .command('score')
    .description('score NetworkMetrics records offline (JSON lines or CSV in, one JSON score per contact out)')
    .option('--in <file>', 'input file (.jsonl or .csv); default stdin (JSON lines)')
    .option('--out <file>', 'output file (JSON lines); default stdout')
    .option('--format <format>', 'jsonl or csv (default: from the --in file extension)')
    .option(
      '--options <file>',
      'scoring options as JSON: weights, tiers (thresholds, labels, hysteresisPoints), youtube …',
    )
    .option('--now <iso>', 'the time to score at (trend and 30-day delta); default now')
    .addHelpText('after', HELP)
    .action(async (raw: unknown) => {
      const flags = parseFlags('score', FlagsSchema, raw);
      const score = createScorer(loadScoringOptions(flags.options) as z.input<typeof ScoringOptionsSchema>);
      const now = flags.now === undefined ? new Date() : new Date(flags.now);
      const source = flags.in ?? 'stdin';
      const out = flags.out === undefined ? process.stdout : await openOut(flags.out);
      let summary: ScoreRunSummary;
      try {
        summary = await runScore(flags, score, now, out, (p) =>
          process.stderr.write(`${source}:${p.line}: ${p.warning === true ? 'warning: ' : ''}${p.message}\n`),
        );
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR') {
          throw new CliError(`score: cannot read ${source}: ${(error as Error).message}`);
        }
        throw error;
      } finally {
        if (out !== process.stdout) {
          out.end();
          await once(out, 'close').catch(() => undefined);
        }
      }
      process.stderr.write(
        `scored ${summary.scored} contact(s), skipped ${summary.skipped} bad line(s)${summary.warnings > 0 ? `, ${summary.warnings} warning(s)` : ''}\n`,
      );
      if (summary.scored === 0) throw new CliError(`score: nothing could be scored in ${source}`);
    });
}
