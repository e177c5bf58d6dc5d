// Tier-change tasks: one HubSpot task per contact, assigned to the contact's owner (`hubspot_owner_id`, read in one
// batch read per 100 at the moment the task is made) and associated with the contact (task → contact, type 204), in
// one batch create per 100. Results come back in no promised order: each input's `objectWriteTraceId` is the
// contact id, and the results carry it back (the SDK's SimplePublicObject model).
import { AssociationSpecAssociationCategoryEnum } from '@hubspot/api-client/lib/codegen/crm/objects/tasks/models/AssociationSpec.js';

import type { OwnerTask, OwnerTaskResult } from '../../src/crm/contract.ts';
import type { HubSpotApi } from './api.ts';
import { HubSpotApiError } from './api.ts';

export const TASK_BATCH_SIZE = 100;
const OWNER_PROPERTY = 'hubspot_owner_id';
/** The HUBSPOT_DEFINED association type "task to contact" (associations v4 guide). */
const TASK_TO_CONTACT = 204;
/** hs_task_subject is a single-line text property. */
const SUBJECT_LIMIT = 255;

type CreateInput = Parameters<HubSpotApi['tasks']['batchApi']['create']>[0]['inputs'][number];

/** HubSpot renders a task body as HTML: CRM-derived text is escaped, its lines kept. */
export function taskBodyHtml(text: string): string {
  const escaped = text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
  return escaped.split('\n').join('<br>');
}

export async function createOwnerTasks(
  api: HubSpotApi,
  tasks: readonly OwnerTask[],
  now: () => number,
): Promise<OwnerTaskResult[]> {
  const results: OwnerTaskResult[] = [];
  for (let i = 0; i < tasks.length; i += TASK_BATCH_SIZE)
    results.push(...(await createChunk(api, tasks.slice(i, i + TASK_BATCH_SIZE), now)));
  return results;
}

async function createChunk(
  api: HubSpotApi,
  chunk: readonly OwnerTask[],
  now: () => number,
): Promise<OwnerTaskResult[]> {
  const read = await api.call('read', 'api', 'contacts batch read (owners)', () =>
    api.contacts.batchApi.read({
      inputs: chunk.map((t) => ({ id: t.recordId })),
      properties: [OWNER_PROPERTY],
      propertiesWithHistory: [],
    }),
  );
  const owners = new Map(read.results.map((r) => [r.id, r.properties[OWNER_PROPERTY] ?? null]));
  const outcome = new Map<string, OwnerTaskResult>();
  const ready: { task: OwnerTask; input: CreateInput }[] = [];
  for (const task of chunk) {
    const owner = owners.get(task.recordId);
    if (owner === undefined) {
      outcome.set(task.recordId, {
        recordId: task.recordId,
        ok: false,
        code: 'OBJECT_NOT_FOUND',
        message: `contact ${task.recordId} no longer exists in HubSpot (deleted or merged)`,
        retryable: false,
      });
    } else if (owner === null || owner === '') {
      outcome.set(task.recordId, {
        recordId: task.recordId,
        ok: false,
        code: 'NO_OWNER',
        message: `contact ${task.recordId} has no contact owner: no one to assign the task to`,
        retryable: false,
      });
    } else {
      ready.push({
        task,
        input: {
          objectWriteTraceId: task.recordId,
          properties: {
            hs_timestamp: new Date(now()).toISOString(),
            hs_task_subject: task.subject.slice(0, SUBJECT_LIMIT),
            hs_task_body: taskBodyHtml(task.body),
            hs_task_status: 'NOT_STARTED',
            hs_task_priority: 'MEDIUM',
            hs_task_type: 'TODO',
            hubspot_owner_id: owner,
          },
          associations: [
            {
              to: { id: task.recordId },
              types: [
                {
                  associationCategory: AssociationSpecAssociationCategoryEnum.HubspotDefined,
                  associationTypeId: TASK_TO_CONTACT,
                },
              ],
            },
          ],
        },
      });
    }
  }
  for (const result of await createBatch(api, ready)) outcome.set(result.recordId, result);
  return chunk.map((t) => outcome.get(t.recordId)!);
}

/**
 * One batch create. HubSpot refuses a whole batch for one invalid input (an owner since deactivated): then each
 * input is sent alone, so only that task fails.
 */
async function createBatch(
  api: HubSpotApi,
  ready: readonly { task: OwnerTask; input: CreateInput }[],
): Promise<OwnerTaskResult[]> {
  if (ready.length === 0) return [];
  let response;
  try {
    response = await api.call('write', 'api', 'tasks batch create', () =>
      api.tasks.batchApi.create({ inputs: ready.map((r) => r.input) }),
    );
  } catch (error) {
    if (!(error instanceof HubSpotApiError) || error.status !== 400) throw error;
    if (ready.length > 1) {
      const one: OwnerTaskResult[] = [];
      for (const r of ready) one.push(...(await createBatch(api, [r])));
      return one;
    }
    return [
      {
        recordId: ready[0]!.task.recordId,
        ok: false,
        code: error.category ?? 'VALIDATION_ERROR',
        message: `HubSpot refused the task: ${error.hubspotMessage}`.slice(0, 1000),
        retryable: false,
      },
    ];
  }
  const created = new Map(response.results.map((r) => [r.objectWriteTraceId, r.id]));
  return ready.map(({ task }): OwnerTaskResult => {
    const id = created.get(task.recordId);
    return id === undefined
      ? {
          recordId: task.recordId,
          ok: false,
          code: 'NO_RESULT',
          message: `HubSpot returned no created task for contact ${task.recordId}`,
          retryable: true,
        }
      : { recordId: task.recordId, ok: true, taskId: id };
  });
}
