// Tier-change tasks: one Task per contact or lead (`WhoId`), assigned to the record's owner (`OwnerId`, read at the
// moment the task is made), in chunks of 200 (sObject Collections): per chunk one Composite call reading the owners
// (a query per object) and one creating the tasks, so 25 tasks cost 2 API calls.
import type { OwnerTask, OwnerTaskResult } from '../../src/crm/contract.ts';
import type { SalesforceApi } from './api.ts';
import { soqlId } from './soql.ts';

const CHUNK = 200;
const SUBJECT_LIMIT = 255;
const DESCRIPTION_LIMIT = 32_000;
/** Row locks clear; the rest of a Task's refusals (no such record, inactive owner) do not by themselves. */
const RETRYABLE = new Set(['UNABLE_TO_LOCK_ROW']);

interface SaveResult {
  id?: string;
  success: boolean;
  errors: { statusCode: string; message: string }[];
}

export async function createOwnerTasks(
  api: SalesforceApi,
  tasks: readonly OwnerTask[],
  now: () => Date,
): Promise<OwnerTaskResult[]> {
  const results: OwnerTaskResult[] = [];
  for (let i = 0; i < tasks.length; i += CHUNK)
    results.push(...(await createChunk(api, tasks.slice(i, i + CHUNK), now)));
  return results;
}

async function owners(api: SalesforceApi, tasks: readonly OwnerTask[]): Promise<Map<string, string>> {
  const byObject = new Map<string, string[]>();
  for (const t of tasks) byObject.set(t.objectType, [...(byObject.get(t.objectType) ?? []), t.recordId]);
  const objects = [...byObject.keys()].filter((o) => o === 'Contact' || o === 'Lead');
  const answers = await api.getMany<{ records: { Id: string; OwnerId: string }[] }>(
    objects.map((object) =>
      api.queryUrl(`SELECT Id, OwnerId FROM ${object} WHERE Id IN (${byObject.get(object)!.map(soqlId).join(', ')})`),
    ),
  );
  const found = new Map<string, string>();
  for (const answer of answers) {
    if (answer instanceof Error) throw answer;
    for (const r of answer.records) found.set(r.Id, r.OwnerId);
  }
  return found;
}

async function createChunk(
  api: SalesforceApi,
  chunk: readonly OwnerTask[],
  now: () => Date,
): Promise<OwnerTaskResult[]> {
  const ownerOf = await owners(api, chunk);
  const outcome = new Map<string, OwnerTaskResult>();
  const ready: { task: OwnerTask; owner: string }[] = [];
  for (const task of chunk) {
    const owner = ownerOf.get(task.recordId);
    const fail = (code: string, message: string) =>
      outcome.set(task.recordId, { recordId: task.recordId, ok: false, code, message, retryable: false });
    if (owner === undefined) fail('ENTITY_IS_DELETED', `${task.objectType} ${task.recordId} no longer exists`);
    // Key prefix 00G: a queue (Leads may be queue-owned); a task goes to one person.
    else if (owner.startsWith('00G'))
      fail(
        'OWNER_IS_QUEUE',
        `${task.objectType} ${task.recordId} is owned by a queue: no one person to assign the task to`,
      );
    else ready.push({ task, owner });
  }
  if (ready.length > 0) {
    const today = now().toISOString().slice(0, 10);
    const answer = await api.composite('write', 'task create', {
      allOrNone: false,
      compositeRequest: [
        {
          method: 'POST',
          url: `/services/data/v${api.version}/composite/sobjects`,
          referenceId: 'tasks',
          body: {
            allOrNone: false,
            records: ready.map(({ task, owner }) => ({
              attributes: { type: 'Task' },
              WhoId: task.recordId,
              OwnerId: owner,
              Subject: task.subject.slice(0, SUBJECT_LIMIT),
              Description: task.body.slice(0, DESCRIPTION_LIMIT),
              ActivityDate: today,
            })),
          },
        },
      ],
    });
    const sub = answer.compositeResponse[0];
    const saved =
      sub !== undefined && sub.httpStatusCode < 300 && Array.isArray(sub.body) ? (sub.body as SaveResult[]) : null;
    ready.forEach(({ task }, k) => {
      const result = saved?.[k];
      if (result?.success === true && result.id !== undefined) {
        outcome.set(task.recordId, { recordId: task.recordId, ok: true, taskId: result.id });
        return;
      }
      const error =
        result?.errors[0] ??
        (sub === undefined
          ? { statusCode: 'NO_RESULT', message: 'Salesforce returned no answer for the task create' }
          : (() => {
              const e = (Array.isArray(sub.body) ? sub.body[0] : undefined) as
                { errorCode?: string; message?: string } | undefined;
              return { statusCode: e?.errorCode ?? `HTTP_${sub.httpStatusCode}`, message: e?.message ?? '' };
            })());
      const fix = /INSUFFICIENT_ACCESS/.test(error.statusCode)
        ? ' (the integration user needs "Edit Tasks": assign the Social_Influence_Integration permission set)'
        : '';
      outcome.set(task.recordId, {
        recordId: task.recordId,
        ok: false,
        code: error.statusCode,
        message: `${error.message}${fix}`,
        retryable: RETRYABLE.has(error.statusCode) || error.statusCode === 'NO_RESULT',
      });
    });
  }
  return chunk.map((t) => outcome.get(t.recordId)!);
}
