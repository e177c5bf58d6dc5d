// Writing scores: batch update ≤ 100 per call; 207 answers mapped back to one WriteResult per update. A contact
// deleted since it was read fails OBJECT_NOT_FOUND and is gone; a contact merged since is updated by HubSpot under
// the surviving contact's id, which one batch read (`hs_merged_object_ids`) ties back to the id we sent.
import type { ScoreUpdate, WriteResult } from '../../src/crm/contract.ts';
import { SetupError } from '../../src/crm/errors.ts';
import { mapConcurrent } from '../../src/http/concurrency.ts';
import type { HubSpotApi } from './api.ts';
import { HubSpotApiError } from './api.ts';
import { MERGED_IDS_PROPERTY, mergedAway, toPropertyValues } from './mapping.ts';

export const WRITE_BATCH_SIZE = 100;
/** Batches in flight at once; the portal limiter still decides when each may go. */
const WRITE_CONCURRENCY = 3;

/** Per-record categories worth retrying on a later run (the record itself is fine). */
const RETRYABLE_CATEGORIES = new Set([
  'RATE_LIMITS',
  'RATE_LIMIT',
  'LOCKED',
  'UNABLE_TO_LOCK_ROW',
  'CONFLICT',
  'TIMEOUT',
  'INTERNAL_ERROR',
  'SERVICE_UNAVAILABLE',
]);

interface BatchError {
  category?: string;
  message?: string;
  context?: Record<string, string[]> | { ids?: string[] };
}

export async function writeScores(
  api: HubSpotApi,
  updates: readonly ScoreUpdate[],
  allowedReasonCodes: ReadonlySet<string> | undefined,
): Promise<WriteResult[]> {
  const chunks: ScoreUpdate[][] = [];
  for (let i = 0; i < updates.length; i += WRITE_BATCH_SIZE) chunks.push(updates.slice(i, i + WRITE_BATCH_SIZE));
  const results = await mapConcurrent(chunks, WRITE_CONCURRENCY, (chunk) => writeChunk(api, chunk, allowedReasonCodes));
  return results.flat();
}

async function writeChunk(
  api: HubSpotApi,
  chunk: readonly ScoreUpdate[],
  allowedReasonCodes: ReadonlySet<string> | undefined,
): Promise<WriteResult[]> {
  const inputs = chunk.map((u) => ({ id: u.id, properties: toPropertyValues(u.fields, allowedReasonCodes) }));
  let response;
  try {
    response = await api.call('write', 'api', 'contacts batch update', () => api.contacts.batchApi.update({ inputs }));
  } catch (error) {
    if (error instanceof HubSpotApiError && error.status === 400) return batchRejected(error, chunk);
    throw error;
  }
  // Our write moves the contact's lastmodifieddate to the result's updatedAt (HubSpot's batch update answer, see
  // developers.hubspot.com/docs/api-reference/legacy/crm/objects/contacts/batch/update-contacts): remembered, so the
  // next run's search, which finds the contact again, knows it for our own write.
  const modifiedAt = new Map(response.results.map((r) => [r.id, updatedAtOf(r.updatedAt)]));
  const ok = new Set(modifiedAt.keys());
  const failed = new Map<string, WriteResult>();
  // 207 MULTI_STATUS: HubSpot names the records of each error in `context.ids`.
  const errors = (response as { errors?: BatchError[] }).errors ?? [];
  for (const e of errors) {
    const category = e.category ?? 'UNKNOWN';
    const ids = (e.context as { ids?: string[] } | undefined)?.ids ?? [];
    for (const id of ids) {
      if (category === 'OBJECT_NOT_FOUND') {
        failed.set(id, {
          id,
          ok: false,
          code: category,
          message: `contact ${id} no longer exists in HubSpot (deleted)`,
          retryable: false,
          gone: { id, reason: 'deleted' },
        });
        continue;
      }
      failed.set(id, {
        id,
        ok: false,
        code: category,
        message: e.message ?? category,
        retryable: RETRYABLE_CATEGORIES.has(category),
      });
    }
  }
  const sent = new Set(chunk.map((u) => u.id));
  // Results under ids we did not send: merges. Which sent id went where, HubSpot's merged-ids property says.
  const unanswered = chunk.filter((u) => !ok.has(u.id) && !failed.has(u.id)).map((u) => ({ id: u.id }));
  if (unanswered.length > 0 && response.results.some((r) => !sent.has(r.id))) {
    const survivors = await api.call('read', 'api', 'contacts batch read (merged ids)', () =>
      api.contacts.batchApi.read({ inputs: unanswered, properties: [MERGED_IDS_PROPERTY], propertiesWithHistory: [] }),
    );
    for (const gone of survivors.results.flatMap(mergedAway)) {
      if (!sent.has(gone.id) || ok.has(gone.id)) continue;
      failed.set(gone.id, {
        id: gone.id,
        ok: false,
        code: 'MERGED',
        message: `contact ${gone.id} was merged into contact ${gone.mergedInto ?? '?'}; the score went there and is re-checked on its next read`,
        retryable: false,
        gone,
      });
    }
  }
  return chunk.map((u): WriteResult => {
    if (failed.has(u.id)) return failed.get(u.id) as WriteResult;
    if (ok.has(u.id)) {
      const stamp = modifiedAt.get(u.id);
      return stamp === undefined ? { id: u.id, ok: true } : { id: u.id, ok: true, modifiedAt: stamp };
    }
    return {
      id: u.id,
      ok: false,
      code: 'NO_RESULT',
      message: `HubSpot returned neither a result nor an error for contact ${u.id}`,
      retryable: true,
    };
  });
}

/** The SDK parses `updatedAt` into a Date; an unparsable one is left out (the echo is then read as a change). */
function updatedAtOf(value: Date | string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const ms = value instanceof Date ? value.getTime() : Date.parse(value);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
}

/**
 * HubSpot rejects a whole batch when one value is invalid and names the property, not the record. A property that
 * no longer exists is schema drift: stop the run with the fix. Anything else fails every record of the batch.
 */
function batchRejected(error: HubSpotApiError, chunk: readonly ScoreUpdate[]): WriteResult[] {
  const missing =
    /"error"\s*:\s*"PROPERTY_DOESNT_EXIST"\s*,\s*"name"\s*:\s*"([^"]+)"/.exec(error.hubspotMessage)?.[1] ??
    /Property \\?"([^"\\]+)\\?" does not exist/.exec(error.hubspotMessage)?.[1];
  if (missing !== undefined) {
    throw new SetupError(
      `the HubSpot contact property "${missing}" does not exist (deleted?); no scores can be written.`,
      'run `crm-influence fields install --crm hubspot` to recreate it, then sync again',
    );
  }
  const code = /"error"\s*:\s*"([A-Z_]+)"/.exec(error.hubspotMessage)?.[1] ?? error.category ?? 'VALIDATION_ERROR';
  return chunk.map((u) => ({
    id: u.id,
    ok: false,
    code,
    message: `HubSpot rejected the batch: ${error.hubspotMessage}`.slice(0, 1000),
    retryable: false,
  }));
}
