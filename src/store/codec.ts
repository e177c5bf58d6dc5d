// Rows ↔ contract objects, shared by both stores: every value read back is validated, and a bad one raises a
// CorruptRowError naming the table, the row and the column.
import { z } from 'zod';

import type { InfluenceFields } from '../crm/contract.ts';
import { CrmNameSchema, InfluenceFieldsSchema } from '../crm/contract.ts';
import type { Outcome } from '../crm/outcomes.ts';
import { OutcomeSchema } from '../crm/outcomes.ts';
import type { ProviderResult } from '../providers/contract.ts';
import { NETWORK_NAMES } from '../scoring/explain.ts';
import type { ScoreHistoryPoint } from '../scoring/types.ts';
import { NetworkMetricsSchema, NETWORKS, TierSchema } from '../scoring/types.ts';
import { describeIssues } from '../zod-issues.ts';
import type {
  CachedProviderResult,
  Connection,
  ContactScoredOn,
  ContactSyncState,
  MonthlySpend,
  PendingRetry,
  TierRise,
  WrittenTier,
} from './contract.ts';
import type { CredentialsCipher } from './crypto.ts';
import { CorruptRowError } from './errors.ts';
import type { RunReport } from './run-report.ts';
import { RecordErrorSchema, RunReportSchema } from './run-report.ts';

/** A record that failed in this many runs is no longer retried (no retry storms); its error stays until cleared. */
export const MAX_RECORD_ATTEMPTS = 5;

const ProviderResultSchema = z.discriminatedUnion('status', [
  z.object({ status: z.literal('ok'), metrics: NetworkMetricsSchema }),
  z.object({ status: z.literal('not_found') }),
  z.object({ status: z.literal('suspended') }),
  z.object({ status: z.literal('protected') }),
  z.object({
    status: z.literal('unavailable'),
    retryAfterSeconds: z.number().optional(),
    reason: z.string().optional(),
  }),
]) satisfies z.ZodType<ProviderResult>;

const ConnectionStatusSchema = z.enum(['ok', 'needs_reauth', 'disabled']);
const JsonObjectSchema = z.record(z.string(), z.unknown());

let lastIsoInput = '';
let lastIsoOutput = '';

/** Timestamps are stored as UTC ISO strings so they compare correctly as text in both databases. */
export function isoUtc(value: string | Date): string {
  // A batch stamps its rows with one timestamp: remember the last string converted.
  if (typeof value === 'string' && value === lastIsoInput) return lastIsoOutput;
  const date = typeof value === 'string' ? new Date(value) : value;
  if (Number.isNaN(date.getTime())) throw new Error(`invalid timestamp '${String(value)}'`);
  const iso = date.toISOString();
  if (typeof value === 'string') {
    lastIsoInput = value;
    lastIsoOutput = iso;
  }
  return iso;
}

function decode<T>(
  table: string,
  rowId: string,
  column: string,
  value: unknown,
  schema: z.ZodType<T>,
  json: boolean,
): T {
  let parsed: unknown = value;
  if (json) {
    if (typeof value !== 'string')
      throw new CorruptRowError(
        table,
        rowId,
        column,
        `expected JSON text, found ${value === null ? 'NULL' : typeof value}`,
      );
    try {
      parsed = JSON.parse(value);
    } catch (error) {
      throw new CorruptRowError(table, rowId, column, `invalid JSON (${(error as Error).message})`);
    }
  }
  const result = schema.safeParse(parsed);
  if (!result.success) {
    const issues = describeIssues(result.error, { root: 'the top level' });
    throw new CorruptRowError(table, rowId, column, `unexpected value at ${issues}`);
  }
  return result.data;
}

const text = z.string();
const nullableText = z.string().nullable();

export interface ConnectionRow {
  id: string;
  crm: string;
  name: string;
  status: string;
  status_message: string | null;
  credentials: string | null;
  settings: string;
  created_at: string;
  updated_at: string;
}

export function decodeConnection(row: ConnectionRow, cipher: CredentialsCipher): Connection {
  const t = 'connections';
  let credentials: Record<string, unknown> = {};
  if (row.credentials !== null) {
    credentials = decode(t, row.id, 'credentials', cipher.decrypt(row.id, row.credentials), JsonObjectSchema, false);
  }
  return {
    id: row.id,
    crm: decode(t, row.id, 'crm', row.crm, CrmNameSchema, false),
    name: row.name,
    status: decode(t, row.id, 'status', row.status, ConnectionStatusSchema, false),
    statusMessage: row.status_message,
    credentials,
    settings: decode(t, row.id, 'settings', row.settings, JsonObjectSchema, true),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** Empty credentials are stored as NULL, so a store without a secret key still works for sandbox connections. */
export function encodeCredentials(
  connectionId: string,
  credentials: Record<string, unknown>,
  cipher: CredentialsCipher,
): string | null {
  return Object.keys(credentials).length === 0 ? null : cipher.encrypt(connectionId, credentials);
}

export interface SyncStateRow {
  record_id: string;
  object_type: string;
  last_written: string | null;
  written_at: string | null;
  fingerprint: string | null;
  email: string | null;
  name: string | null;
  crm_modified_at: string | null;
  scored_with: string | null;
}

const ScoredWithSchema = z.array(z.string());

/** `scored_with` as stored: a JSON array of identity keys; undefined → NULL, which the upsert reads as "keep". */
export function encodeScoredWith(state: ContactSyncState): string | null {
  return state.scoredWith === undefined ? null : JSON.stringify(state.scoredWith);
}

export function decodeSyncState(connectionId: string, row: SyncStateRow): ContactSyncState {
  const id = `${connectionId}/${row.record_id}`;
  return {
    recordId: row.record_id,
    objectType: row.object_type,
    lastWritten:
      row.last_written === null
        ? null
        : decode('contact_sync_state', id, 'last_written', row.last_written, InfluenceFieldsSchema, true),
    writtenAt: row.written_at,
    fingerprint: row.fingerprint,
    ...(row.email === null ? {} : { email: row.email }),
    ...(row.name === null ? {} : { name: row.name }),
    ...(row.crm_modified_at === null ? {} : { crmModifiedAt: row.crm_modified_at }),
    ...(row.scored_with === null
      ? {}
      : { scoredWith: decode('contact_sync_state', id, 'scored_with', row.scored_with, ScoredWithSchema, true) }),
  };
}

/** The CRM's stamp after our last write, as stored (UTC ISO), or null. */
export function crmModifiedAtOf(state: ContactSyncState): string | null {
  return state.crmModifiedAt == null ? null : isoUtc(state.crmModifiedAt);
}

export interface ScoredOnRow {
  connection_id: string;
  record_id: string;
  object_type: string;
  scored_with: string;
}

/** Rows of `contactsScoredOn`: each contact with its handles of `network` (the LIKE only narrowed the rows). */
export function decodeScoredOn(network: string, rows: readonly ScoredOnRow[]): ContactScoredOn[] {
  const prefix = `${network}:`;
  const contacts: ContactScoredOn[] = [];
  for (const row of rows) {
    const id = `${row.connection_id}/${row.record_id}`;
    const keys = decode('contact_sync_state', id, 'scored_with', row.scored_with, ScoredWithSchema, true);
    const handles = keys.filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length));
    if (handles.length > 0)
      contacts.push({ connectionId: row.connection_id, recordId: row.record_id, objectType: row.object_type, handles });
  }
  return contacts;
}

/** The networks a contact's factor lines name (`+12 GitHub: …`, `YouTube, scored separately …`), as `,x,github,`. */
export function networksOfFactors(topFactors: string | null | undefined): string | null {
  if (topFactors === null || topFactors === undefined || topFactors === '') return null;
  const named = NETWORKS.filter(
    (n) =>
      topFactors.includes(` ${NETWORK_NAMES[n]}:`) || topFactors.includes(`${NETWORK_NAMES[n]}, scored separately`),
  );
  return `,${named.map((n) => `${n},`).join('')}`;
}

/**
 * The contacts list's columns of one state (migration 10): never NULL where the list sorts (-1 = no score, '' = no
 * date). `tier_since` is the write time here; the upsert keeps the earlier one while the tier stays the same.
 */
export function listColumns(state: ContactSyncState): {
  name: string | null;
  listScore: number;
  tier: string | null;
  confidence: string | null;
  trend: string | null;
  scoredAt: string;
  tierSince: string;
  reasonCodes: string | null;
  networks: string | null;
} {
  const written = state.lastWritten;
  const name = state.name?.trim() ?? '';
  return {
    name: name === '' ? null : name,
    listScore: written?.score === null || written?.score === undefined ? -1 : Math.round(written.score),
    tier: written?.tier ?? null,
    confidence: written?.confidence ?? null,
    trend: written?.trend ?? null,
    scoredAt: written?.scoredAt ? isoUtc(written.scoredAt) : '',
    tierSince: state.writtenAt ? isoUtc(state.writtenAt) : '',
    reasonCodes: written && written.reasonCodes.length > 0 ? `;${written.reasonCodes.join(';')};` : null,
    networks: networksOfFactors(written?.topFactors),
  };
}

/** E-mails are stored and looked up trimmed and lower-cased (addresses compare case-insensitively in practice). */
export function normalizeEmail(email: string | null | undefined): string | null {
  const trimmed = email?.trim().toLowerCase() ?? '';
  return trimmed === '' ? null : trimmed;
}

/** Buckets of `Store.getScoreHistogram`: one per whole score 0–100. */
export const SCORE_BUCKETS = 101;

/**
 * The rounded score a written state counts with in the org's score distribution, or null when it does not count
 * (no score, or Low/no confidence: too little evidence to rank anyone against).
 */
export function percentileBucket(lastWritten: InfluenceFields | null): number | null {
  if (lastWritten === null || lastWritten.score === null) return null;
  if (lastWritten.confidence !== 'medium' && lastWritten.confidence !== 'high') return null;
  return Math.min(SCORE_BUCKETS - 1, Math.max(0, Math.round(lastWritten.score)));
}

/** Rows of (bucket, count) into a dense 101-entry histogram. */
export function toHistogram(rows: readonly { bucket: number | string; n: number | string }[]): number[] {
  const histogram = new Array<number>(SCORE_BUCKETS).fill(0);
  for (const row of rows) {
    const bucket = Number(row.bucket);
    if (Number.isInteger(bucket) && bucket >= 0 && bucket < SCORE_BUCKETS) histogram[bucket] = Number(row.n);
  }
  return histogram;
}

export interface HistoryRow {
  record_id: string;
  at: string;
  score: number | null;
  tier: string;
}

const nullableScore = z.number().nullable();

export function decodeHistory(connectionId: string, row: HistoryRow): ScoreHistoryPoint {
  const id = `${connectionId}/${row.record_id}/${row.at}`;
  return {
    at: row.at,
    score: decode('score_history', id, 'score', row.score === null ? null : Number(row.score), nullableScore, false),
    tier: decode('score_history', id, 'tier', row.tier, TierSchema, false),
  };
}

export interface CacheRow {
  handle: string;
  result: string;
  fetched_at: string;
  expires_at: string;
  last_good: string | null;
  last_good_fetched_at: string | null;
  last_good_expires_at: string | null;
}

export function decodeCached(network: string, row: CacheRow): CachedProviderResult {
  return {
    result: decode('provider_cache', `${network}/${row.handle}`, 'result', row.result, ProviderResultSchema, true),
    fetchedAt: row.fetched_at,
    expiresAt: row.expires_at,
  };
}

export function decodeLastGood(network: string, row: CacheRow): CachedProviderResult | null {
  if (row.last_good === null) return null;
  const id = `${network}/${row.handle}`;
  return {
    result: decode('provider_cache', id, 'last_good', row.last_good, ProviderResultSchema, true),
    fetchedAt: decode('provider_cache', id, 'last_good_fetched_at', row.last_good_fetched_at, text, false),
    expiresAt: decode('provider_cache', id, 'last_good_expires_at', row.last_good_expires_at, text, false),
  };
}

export interface RunRow {
  run_id: string;
  connection_id: string;
  report: string;
  worker: string | null;
}

/** The connection is the column's: a renamed connection (renameConnection) keeps its runs' reports as written. */
export function decodeRun(row: RunRow): RunReport {
  const report = decode('runs', row.run_id, 'report', row.report, RunReportSchema, true);
  return { ...report, connection: row.connection_id, ...(row.worker === null ? {} : { worker: row.worker }) };
}

/** What a run's `spend` column holds: its report's `apiCalls.estimatedSpendUsd`. */
export function encodeRunSpend(report: RunReport): string | null {
  const spend = report.apiCalls.estimatedSpendUsd;
  return spend === undefined || Object.keys(spend).length === 0 ? null : JSON.stringify(spend);
}

const SpendColumnSchema = z.record(z.string(), z.number().nonnegative());

/** Sums the runs' spend per month and network, most recent month first (a damaged row counts nothing). */
export function sumMonthlySpend(rows: readonly { month: string; spend: string }[]): MonthlySpend[] {
  const totals = new Map<string, number>();
  for (const row of rows) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(row.spend);
    } catch {
      continue;
    }
    const spend = SpendColumnSchema.safeParse(parsed);
    if (!spend.success) continue;
    for (const [network, usd] of Object.entries(spend.data)) {
      const key = `${row.month}\u0000${network}`;
      totals.set(key, (totals.get(key) ?? 0) + usd);
    }
  }
  return [...totals]
    .map(([key, usd]) => {
      const [month = '', network = ''] = key.split('\u0000');
      return { month, network, usd: Math.round(usd * 1000) / 1000 };
    })
    .sort((a, b) => b.month.localeCompare(a.month) || a.network.localeCompare(b.network));
}

export interface ErrorRow {
  record_id: string;
  object_type: string | null;
  stage: string;
  code: string;
  message: string;
  retryable: number | boolean;
  attempts: number;
}

export function decodePendingRetry(connectionId: string, row: ErrorRow): PendingRetry {
  const id = `${connectionId}/${row.record_id}`;
  return {
    recordId: row.record_id,
    objectType: decode('record_errors', id, 'object_type', row.object_type, nullableText, false),
    attempts: Number(row.attempts),
    lastError: decode(
      'record_errors',
      id,
      'stage',
      {
        recordId: row.record_id,
        stage: row.stage,
        code: row.code,
        message: row.message,
        retryable: Boolean(Number(row.retryable)),
      },
      RecordErrorSchema,
      false,
    ),
  };
}

/** One cache entry as written (the last good result follows from its status: see SQL.putCached). */
export function encodeCacheEntry(result: ProviderResult, ttlSeconds: number, now: Date) {
  const fetchedAt = isoUtc(now);
  const expiresAt = isoUtc(new Date(now.getTime() + ttlSeconds * 1000));
  return { status: result.status, result: JSON.stringify(result), fetchedAt, expiresAt };
}

export interface TierRiseRow {
  record_id: string;
  object_type: string;
  rose_at: string;
  subject: string;
  body: string;
}

export function decodeTierRise(row: TierRiseRow): TierRise {
  return {
    recordId: row.record_id,
    objectType: row.object_type,
    roseAt: row.rose_at,
    subject: row.subject,
    body: row.body,
  };
}

/** The account id in a cached row's answers (fresh or last good), when it has one. */
export function accountIdOf(network: string, row: CacheRow): string | undefined {
  for (const json of [row.result, row.last_good]) {
    if (json === null) continue;
    const cached = decode('provider_cache', `${network}/${row.handle}`, 'result', json, ProviderResultSchema, true);
    if (cached.status === 'ok' && cached.metrics.accountId !== undefined) return cached.metrics.accountId;
  }
  return undefined;
}

/** Handles by account id, from cached rows. */
export function handlesByAccountId(network: string, rows: readonly CacheRow[]): Map<string, string[]> {
  const byId = new Map<string, string[]>();
  for (const row of rows) {
    const id = accountIdOf(network, row);
    if (id !== undefined) byId.set(id, [...(byId.get(id) ?? []), row.handle]);
  }
  return byId;
}

export interface OutcomeRow {
  deal_id: string;
  outcome: string;
}

export function decodeOutcome(connectionId: string, row: OutcomeRow): Outcome {
  return decode('deal_outcomes', `${connectionId}/${row.deal_id}`, 'outcome', row.outcome, OutcomeSchema, true);
}

export interface WrittenTierRow {
  record_id: string;
  tier: string | null;
  score: number | string | null;
  /** 1 when we wrote the record at all (PostgreSQL: an integer; SQLite: 0/1). */
  written: number | string | boolean;
}

export function decodeWrittenTier(row: WrittenTierRow): WrittenTier {
  const tier = TierSchema.safeParse(row.tier);
  const score = row.score === null ? null : Number(row.score);
  // What we wrote has no tier at all only when we cleared it: the contact opted out.
  const optedOut = Number(row.written) === 1 && row.tier === null;
  return {
    recordId: row.record_id,
    tier: tier.success ? tier.data : null,
    score: score !== null && Number.isFinite(score) ? score : null,
    ...(optedOut ? { optedOut: true as const } : {}),
  };
}
