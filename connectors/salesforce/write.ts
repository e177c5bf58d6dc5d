// Write-back at the platform's limit: sObject Collections of ≤ 200 records, five to a Composite call (1,000
// records per API call, `allOrNone: false`, results matched by index), Bulk API 2.0 ingest above a threshold.
// A trigger or flow that throws fails its whole chunk: the chunk is split until the one record it belongs to is
// alone and the others are saved. Row locks are retried with backoff in smaller batches; duplicate-rule alerts are
// acknowledged (`Sforce-Duplicate-Rule-Header: allowSave=true`), blocks and validation errors are reported once,
// not retried; converted leads are skipped with a reason; a deleted or read-only field stops the run with the fix.
import type { ScoreUpdate, WriteResult } from '../../src/crm/contract.ts';
import { SetupError } from '../../src/crm/errors.ts';
import type { SalesforceApi } from './api.ts';
import { compositeError, DEPLOY_FIX, setupErrorFor } from './api.ts';
import type { ApiBudget } from './budget.ts';
import { toSalesforceValues } from './field-map.ts';
import type { SalesforceOptions } from './options.ts';

export const COLLECTION_SIZE = 200;
export const COLLECTIONS_PER_COMPOSITE = 5;

interface SaveError {
  statusCode: string;
  message: string;
  fields?: string[];
}
interface SaveResult {
  id?: string;
  success: boolean;
  errors?: SaveError[];
}

const NOT_RETRYABLE = new Set([
  'FIELD_CUSTOM_VALIDATION_EXCEPTION',
  'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST',
  'STRING_TOO_LONG',
  'NUMBER_OUTSIDE_VALID_RANGE',
  'INVALID_TYPE_ON_FIELD_IN_RECORD',
  'ENTITY_IS_DELETED',
  'INVALID_CROSS_REFERENCE_KEY',
  'MALFORMED_ID',
  'INVALID_ID_FIELD',
  'FIELD_INTEGRITY_EXCEPTION',
  'REQUIRED_FIELD_MISSING',
  'DUPLICATE_VALUE',
  'INSUFFICIENT_ACCESS_OR_READONLY',
  'INSUFFICIENT_ACCESS_ON_CROSS_REFERENCE_ENTITY',
  'DUPLICATES_DETECTED',
  'CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY',
  'CANNOT_EXECUTE_FLOW_TRIGGER',
]);
/**
 * An Apex trigger's unhandled exception or a failing record-triggered flow rolls back the whole DML chunk: every
 * record of the collection carries the one record's error (apex_dml_bulk_exceptions.htm).
 */
const CHUNK_FAILURES = new Set(['CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY', 'CANNOT_EXECUTE_FLOW_TRIGGER']);
/** The Duplicate Rule header exists from API 52.0 (headers_duplicaterules.htm). */
const DUPLICATE_HEADER_VERSION = 52;
/** What the admin can do about a per-record refusal that is not ours to fix. */
const ADVICE: Record<string, string> = {
  DUPLICATES_DETECTED:
    ' (a duplicate rule blocks saving this record: merge the duplicates, or set the rule to Allow for the integration user)',
  INSUFFICIENT_ACCESS_OR_READONLY:
    ' (the integration user cannot edit this record: share Contacts/Leads Read/Write with it through a sharing rule, or grant Modify All)',
  CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY: " (an Apex trigger in the org failed on this record: its owner's fix)",
  CANNOT_EXECUTE_FLOW_TRIGGER: " (a record-triggered flow in the org failed on this record: its owner's fix)",
};
const SCHEMA_DRIFT = new Set(['INVALID_FIELD', 'INVALID_FIELD_FOR_INSERT_UPDATE']);

function resultFor(id: string, error: SaveError): WriteResult {
  // Deleted (or merged away) since it was read: nothing to retry, nothing to keep (the engine forgets it).
  if (error.statusCode === 'ENTITY_IS_DELETED') {
    return {
      id,
      ok: false,
      code: 'ENTITY_IS_DELETED',
      message: 'the record was deleted in Salesforce after it was read',
      retryable: false,
      gone: { id, reason: 'deleted' },
    };
  }
  if (error.statusCode === 'CANNOT_UPDATE_CONVERTED_LEAD') {
    return {
      id,
      ok: false,
      code: 'CONVERTED_LEAD_SKIPPED',
      message:
        'skipped: the lead was converted, so Salesforce no longer lets it be updated (its contact is scored instead)',
      retryable: false,
      // It lives on as its contact (read and scored as one): nothing of the lead is kept.
      gone: { id, reason: 'merged' },
    };
  }
  const fields = error.fields && error.fields.length > 0 ? ` (${error.fields.join(', ')})` : '';
  return {
    id,
    ok: false,
    code: error.statusCode,
    message: `${error.message}${fields}${ADVICE[error.statusCode] ?? ''}`,
    retryable: !NOT_RETRYABLE.has(error.statusCode),
  };
}

/** `CODE:message:fields --` (Bulk 2.0 `sf__Error`) → SaveError. */
export function parseBulkError(text: string): SaveError {
  const match = /^([A-Z_]+):(.*?)(?::([\w,]*))?\s*--\s*$/s.exec(text.trim());
  if (!match) return { statusCode: 'UNKNOWN_EXCEPTION', message: text };
  return {
    statusCode: match[1]!,
    message: match[2]!.trim(),
    fields: match[3] ? match[3].split(',').filter(Boolean) : [],
  };
}

/** What writing scores needs: the connector's API wrapper, its budget and options, and how to wait. */
export interface WriteContext {
  readonly api: SalesforceApi;
  readonly budget: ApiBudget;
  readonly options: SalesforceOptions;
  readonly sleep: (ms: number) => Promise<void>;
}

export async function writeScores(ctx: WriteContext, updates: readonly ScoreUpdate[]): Promise<WriteResult[]> {
  if (updates.length === 0) return [];
  const bulk = updates.length > ctx.options.bulkWriteThreshold;
  const results = bulk ? await writeBulk(ctx, updates) : await writeComposite(ctx, updates, COLLECTION_SIZE);
  // Bulk API 2.0 takes no duplicate-rule header: alerts it met are acknowledged through Composite.
  if (bulk) await resend(ctx, updates, results, (r) => r.code === 'DUPLICATES_DETECTED', COLLECTION_SIZE);
  await isolateChunkFailures(ctx, updates, results);
  return retryLocked(ctx, updates, results);
}

/** Sends the failed records `which` selects again, in collections of `size`; their new results replace the old. */
async function resend(
  ctx: WriteContext,
  updates: readonly ScoreUpdate[],
  results: WriteResult[],
  which: (failed: Extract<WriteResult, { ok: false }>) => boolean,
  size: number,
): Promise<void> {
  const again = results.flatMap((r, index) => (!r.ok && which(r) ? [index] : []));
  if (again.length === 0) return;
  const retried = await writeComposite(
    ctx,
    again.map((index) => updates[index]!),
    size,
  );
  again.forEach((index, k) => {
    results[index] = retried[k]!;
  });
}

/**
 * A chunk failed for one record's trigger or flow: split the failed records into five times smaller collections
 * (one Composite call per round: 200 → 40 → 8 → 2 → 1) until each failure is alone; the others are saved.
 */
async function isolateChunkFailures(
  ctx: WriteContext,
  updates: readonly ScoreUpdate[],
  results: WriteResult[],
): Promise<void> {
  const failed = (r: Extract<WriteResult, { ok: false }>): boolean => CHUNK_FAILURES.has(r.code);
  let size = COLLECTION_SIZE;
  while (size > 1 && results.filter((r) => !r.ok && failed(r)).length > 1) {
    size = Math.ceil(size / COLLECTIONS_PER_COMPOSITE);
    await resend(ctx, updates, results, failed, size);
  }
}

/** UNABLE_TO_LOCK_ROW: wait, then resend only those records in ever smaller collections. */
async function retryLocked(
  ctx: WriteContext,
  updates: readonly ScoreUpdate[],
  results: WriteResult[],
): Promise<WriteResult[]> {
  const locked = (r: Extract<WriteResult, { ok: false }>): boolean => r.code === 'UNABLE_TO_LOCK_ROW';
  let size = COLLECTION_SIZE;
  for (let attempt = 1; attempt <= ctx.options.lockRetries; attempt++) {
    if (!results.some((r) => !r.ok && locked(r))) break;
    size = Math.max(1, Math.floor(size / 4));
    await ctx.sleep(ctx.options.lockBackoffMs * 2 ** (attempt - 1) * (0.5 + Math.random()));
    await resend(ctx, updates, results, locked, size);
  }
  return results;
}

async function writeComposite(
  ctx: WriteContext,
  updates: readonly ScoreUpdate[],
  collectionSize: number,
): Promise<WriteResult[]> {
  const results: WriteResult[] = [];
  const perCall = collectionSize * COLLECTIONS_PER_COMPOSITE;
  for (let start = 0; start < updates.length; start += perCall) {
    const slice = updates.slice(start, start + perCall);
    const collections: ScoreUpdate[][] = [];
    for (let i = 0; i < slice.length; i += collectionSize) collections.push(slice.slice(i, i + collectionSize));
    const body = {
      allOrNone: false,
      compositeRequest: collections.map((records, k) => ({
        method: 'PATCH',
        url: `/services/data/v${ctx.api.version}/composite/sobjects`,
        referenceId: `scores${k}`,
        // Our fields on a record a duplicate rule flags: acknowledge the alert (a block still refuses it).
        ...(Number(ctx.api.version) >= DUPLICATE_HEADER_VERSION
          ? { httpHeaders: { 'Sforce-Duplicate-Rule-Header': 'allowSave=true' } }
          : {}),
        body: {
          allOrNone: false,
          records: records.map((u) => ({
            attributes: { type: u.objectType },
            id: u.id,
            ...toSalesforceValues(u.fields),
          })),
        },
      })),
    };
    const answer = await ctx.api.composite('write', 'score write-back', body);
    collections.forEach((records, k) => {
      const sub = answer.compositeResponse[k];
      if (!sub || sub.httpStatusCode >= 300 || !Array.isArray(sub.body)) {
        const error = sub ? compositeError(sub) : new Error('no answer for this collection');
        const setup = setupErrorFor(error);
        if (setup) throw setup;
        for (const u of records)
          results.push({ id: u.id, ok: false, code: error.name, message: error.message, retryable: true });
        return;
      }
      const saves = sub.body as SaveResult[];
      records.forEach((u, index) => results.push(toResult(ctx, u, saves[index])));
    });
  }
  return results;
}

function toResult(ctx: WriteContext, update: ScoreUpdate, save: SaveResult | undefined): WriteResult {
  if (!save)
    return {
      id: update.id,
      ok: false,
      code: 'NO_RESULT',
      message: 'Salesforce returned no result for this record',
      retryable: true,
    };
  if (save.success) return { id: update.id, ok: true };
  const error = save.errors?.[0] ?? { statusCode: 'UNKNOWN_EXCEPTION', message: 'failed without an error' };
  if (SCHEMA_DRIFT.has(error.statusCode)) {
    const field = error.fields?.[0] ?? /column '([^']+)'/.exec(error.message)?.[1] ?? 'an influence field';
    throw new SetupError(
      `Salesforce field ${update.objectType}.${field} is missing or not editable by the integration user (${error.statusCode}: ${error.message}).`,
      DEPLOY_FIX,
    );
  }
  return resultFor(update.id, error);
}

/** One Bulk API 2.0 update job per object; per-record outcomes from successful/failed results. */
async function writeBulk(ctx: WriteContext, updates: readonly ScoreUpdate[]): Promise<WriteResult[]> {
  const byObject = new Map<string, ScoreUpdate[]>();
  for (const u of updates) byObject.set(u.objectType, [...(byObject.get(u.objectType) ?? []), u]);
  const outcome = new Map<string, WriteResult>();
  for (const [object, list] of byObject) {
    // jsforce takes the CSV header from the first record, so every record carries every column.
    const input = list.map((u) => ({ Id: u.id, ...toSalesforceValues(u.fields) }));
    let polls = 0;
    const results = await ctx.api.call(
      'write',
      `bulk update of ${object}`,
      async () => {
        const job = ctx.api.conn.bulk2.createJob({ object, operation: 'update' });
        job.on('inProgress', () => {
          polls += 1;
        });
        try {
          await job.open();
          await job.uploadData(input);
          await job.close();
          await job.poll(ctx.options.bulkPollIntervalMs, ctx.options.bulkPollTimeoutMs);
          return await job.getAllResults();
        } catch (error) {
          await job.delete().catch(() => undefined);
          throw error;
        }
      },
      0,
    );
    // A job is several counted calls: create, upload, close, each poll, and three result downloads.
    ctx.budget.count('write', 3 + polls + 1 + 3);
    for (const row of results.successfulResults) outcome.set(String(row.sf__Id), { id: String(row.sf__Id), ok: true });
    for (const row of results.failedResults) {
      const record = row as unknown as Record<string, string | undefined>;
      const id = record.sf__Id || record.Id || '';
      const error = parseBulkError(record.sf__Error ?? '');
      if (SCHEMA_DRIFT.has(error.statusCode)) {
        throw new SetupError(
          `Salesforce field ${object}.${error.fields?.[0] ?? '?'} is missing or not editable by the integration user (${error.statusCode}).`,
          DEPLOY_FIX,
        );
      }
      outcome.set(id, resultFor(id, error));
    }
  }
  return updates.map(
    (u) =>
      outcome.get(u.id) ?? {
        id: u.id,
        ok: false,
        code: 'UNPROCESSED',
        message: 'the Bulk API job did not process this record',
        retryable: true,
      },
  );
}
