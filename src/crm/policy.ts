// Which influence fields to write onto one CRM record, and why (ARCHITECTURE.md "One contact through a run", step 5, and
// "Overwrite policy per field"). Pure functions: no I/O, no clock.
import { z } from 'zod';

import type { InfluenceFieldName, InfluenceFields } from './contract.ts';
import { CLEARED_FIELDS, INFLUENCE_FIELD_NAMES } from './contract.ts';

/**
 * `always`: our value wins, a person's edit is overwritten. `if-empty`: write only into an empty field (fill once).
 * `tracked` (default): overwrite only what we wrote ourselves; a value a person edited after our last write is kept.
 */
export const OverwriteModeSchema = z.enum(['always', 'if-empty', 'tracked']);
export type OverwriteMode = z.infer<typeof OverwriteModeSchema>;

export const OverwritePolicySchema = z.partialRecord(
  z.enum(INFLUENCE_FIELD_NAMES as [InfluenceFieldName, ...InfluenceFieldName[]]),
  OverwriteModeSchema,
);
export type OverwritePolicy = z.infer<typeof OverwritePolicySchema>;

export const DEFAULT_OVERWRITE_MODE: OverwriteMode = 'tracked';
/** Each mode in an admin's words (settings page). */
export const OVERWRITE_MODE_WORDS: Record<OverwriteMode, string> = {
  tracked: "keep a person's edits",
  'if-empty': 'fill only when empty',
  always: 'always overwrite',
};
export const DEFAULT_SCORE_DELTA_THRESHOLD = 2;

export type WritePlan =
  | {
      action: 'write';
      /** What to send: our values for fields we may write, the record's own value for fields we keep. */
      fields: InfluenceFields;
      /** What to remember as "last written" once the write succeeds (kept fields keep their old memory). */
      lastWritten: InfluenceFields;
      /** Fields whose value on the record changes. */
      changed: InfluenceFieldName[];
      /** Fields where a person's value was kept although ours differs. */
      kept: InfluenceFieldName[];
    }
  | { action: 'unchanged'; reason: 'no_significant_change' | 'already_cleared' }
  | { action: 'skipped'; reason: 'kept_person_edits'; kept: InfluenceFieldName[] };

export interface PlanInput {
  /** What the model says now. */
  desired: InfluenceFields;
  /** The record's fields as read from the CRM now; `undefined` = the connector did not read that field. */
  current: Partial<InfluenceFields>;
  /** What we last wrote to this record (null: never). */
  lastWritten: InfluenceFields | null;
  policy: OverwritePolicy;
  scoreDeltaThreshold: number;
  /**
   * Refresh interval: when the record's influence date is older than this, a new date alone is worth a write
   * (otherwise the contact would be read as stale on every run).
   */
  refreshBefore?: Date | null;
}

type FieldValue = InfluenceFields[InfluenceFieldName];

export function isEmptyValue(value: FieldValue | undefined): boolean {
  if (value === undefined || value === null) return true;
  if (typeof value === 'string') return value.trim() === '';
  if (Array.isArray(value)) return value.length === 0;
  return false;
}

function normaliseText(value: string): string {
  return value.replace(/\r\n?/g, '\n').trim();
}

/** Equality as a CRM round-trip sees it: dates by instant (or by day when one side is date-only), text trimmed. */
export function sameFieldValue(
  field: InfluenceFieldName,
  a: FieldValue | undefined,
  b: FieldValue | undefined,
): boolean {
  if (a === b) return true;
  if (isEmptyValue(a) || isEmptyValue(b)) return isEmptyValue(a) && isEmptyValue(b);
  if (field === 'reasonCodes') {
    const left = a as string[];
    const right = b as string[];
    return left.length === right.length && left.every((code, i) => code === right[i]);
  }
  if (field === 'scoredAt') {
    const left = a as string;
    const right = b as string;
    if (left.length === 10 || right.length === 10) return left.slice(0, 10) === right.slice(0, 10);
    return Date.parse(left) === Date.parse(right);
  }
  if (typeof a === 'string' && typeof b === 'string') return normaliseText(a) === normaliseText(b);
  return a === b;
}

/**
 * Did the model's view change enough to be worth a write? Score moves by ≥ threshold (or appears/disappears),
 * or tier, confidence, factors, reason codes or trend change. `scoredAt` alone never counts.
 */
export function isSignificantChange(
  desired: InfluenceFields,
  lastWritten: InfluenceFields | null,
  threshold: number,
): boolean {
  if (lastWritten === null) return true;
  if ((desired.score === null) !== (lastWritten.score === null)) return true;
  if (
    desired.score !== null &&
    lastWritten.score !== null &&
    Math.abs(desired.score - lastWritten.score) >= threshold
  ) {
    return true;
  }
  const compared: InfluenceFieldName[] = ['tier', 'confidence', 'reasonCodes', 'trend'];
  if (compared.some((field) => !sameFieldValue(field, desired[field], lastWritten[field]))) return true;
  return factorShape(desired.topFactors) !== factorShape(lastWritten.topFactors);
}

/**
 * Factors "change" when different factors lead, not when a number inside one moves a little (that would cost a
 * write per follower gained); a big move shows in the score itself.
 */
export function factorShape(topFactors: string | null): string {
  return normaliseText(topFactors ?? '').replace(/[+-]?\d[\d.,]*\s*[kKmM%]?/g, '#');
}

/** May we write this field, given its mode, what is on the record and what we last wrote? */
export function mayWriteField(
  mode: OverwriteMode,
  field: InfluenceFieldName,
  current: FieldValue | undefined,
  lastWritten: InfluenceFields | null,
  target: FieldValue,
): boolean {
  const onRecord = current !== undefined ? current : (lastWritten?.[field] ?? CLEARED_FIELDS[field]);
  switch (mode) {
    case 'always':
      return true;
    case 'if-empty':
      return isEmptyValue(onRecord);
    case 'tracked':
      // Not read: nothing says a person touched it. Never written by us: only an empty field (or one already
      // holding our value) is ours. Written before: ours only while it still holds what we wrote.
      if (current === undefined) return true;
      if (lastWritten === null) return isEmptyValue(current) || sameFieldValue(field, current, target);
      return sameFieldValue(field, current, lastWritten[field]);
  }
}

function isRefreshDue(scoredAt: string | null, refreshBefore: Date | null | undefined): boolean {
  if (refreshBefore === undefined || refreshBefore === null) return false;
  if (scoredAt === null || scoredAt.trim() === '') return true;
  const at = Date.parse(scoredAt);
  return Number.isNaN(at) || at < refreshBefore.getTime();
}

/**
 * The write decision for one scored record. When the model's view did not change significantly the target stays
 * what we last wrote, so only drift we are allowed to repair (mode `always` / `if-empty`) causes a write.
 */
export function planWrite(input: PlanInput): WritePlan {
  const { desired, current, lastWritten, policy, scoreDeltaThreshold } = input;
  const refreshDue = isRefreshDue(
    current.scoredAt !== undefined ? current.scoredAt : (lastWritten?.scoredAt ?? null),
    input.refreshBefore,
  );
  const target =
    lastWritten === null || refreshDue || isSignificantChange(desired, lastWritten, scoreDeltaThreshold)
      ? desired
      : lastWritten;
  const fields = { ...CLEARED_FIELDS } as Record<InfluenceFieldName, FieldValue>;
  const remembered = { ...CLEARED_FIELDS } as Record<InfluenceFieldName, FieldValue>;
  const changed: InfluenceFieldName[] = [];
  const kept: InfluenceFieldName[] = [];
  for (const field of INFLUENCE_FIELD_NAMES) {
    const mode = policy[field] ?? DEFAULT_OVERWRITE_MODE;
    const onRecord = current[field] !== undefined ? current[field] : (lastWritten?.[field] ?? CLEARED_FIELDS[field]);
    const differs = !sameFieldValue(field, target[field], onRecord);
    if (mayWriteField(mode, field, current[field], lastWritten, target[field])) {
      fields[field] = target[field];
      remembered[field] = target[field];
      if (differs) changed.push(field);
    } else {
      fields[field] = onRecord;
      remembered[field] = lastWritten?.[field] ?? CLEARED_FIELDS[field];
      if (differs) kept.push(field);
    }
  }
  // A new date on its own is not worth an API call, unless the old one is past the refresh interval.
  if (!changed.some((field) => field !== 'scoredAt' || refreshDue)) {
    return kept.length > 0
      ? { action: 'skipped', reason: 'kept_person_edits', kept }
      : { action: 'unchanged', reason: 'no_significant_change' };
  }
  return {
    action: 'write',
    // Every value comes from validated input (the model's answer, the parsed CRM record, our own memory).
    fields: fields as InfluenceFields,
    lastWritten: remembered as InfluenceFields,
    changed,
    kept,
  };
}

/**
 * Opt-out: clear every influence field regardless of policy (privacy wins), but only when something is there,
 * so an opted-out contact costs one write, once.
 */
export function planClear(current: Partial<InfluenceFields>, lastWritten: InfluenceFields | null): WritePlan {
  const changed = INFLUENCE_FIELD_NAMES.filter((field) => {
    const onRecord = current[field] !== undefined ? current[field] : lastWritten?.[field];
    return !isEmptyValue(onRecord);
  });
  if (changed.length === 0) return { action: 'unchanged', reason: 'already_cleared' };
  return {
    action: 'write',
    fields: { ...CLEARED_FIELDS, reasonCodes: [] },
    lastWritten: { ...CLEARED_FIELDS, reasonCodes: [] },
    changed,
    kept: [],
  };
}
