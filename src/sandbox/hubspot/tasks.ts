// The portal's tasks and owners, as far as tier-change tasks use them: `POST /crm/v3/objects/tasks/batch/create`
// with associations to contacts (HubSpot's tasks guide, developers.hubspot.com/docs/api-reference/legacy/crm/
// activities/tasks; the request and response shapes of @hubspot/api-client's crm/objects/tasks models:
// SimplePublicObjectBatchInputForCreate, BatchResponseSimplePublicObject; 201 as the SDK's BatchApi expects).
// Owners: `hubspot_owner_id` holds an owner id; a task's owner must be one of the portal's owners.
import { z } from 'zod';

import { describeIssues } from '../../zod-issues.ts';
import type { ContactStore } from './contacts.ts';
import { hubspotError, validationError } from './errors.ts';

/** The portal's owners (users who can own records); the population's contacts are spread over them. */
export const SANDBOX_OWNER_IDS = ['71000101', '71000102', '71000103'] as const;

/** Every tenth contact of the population has no owner (an import without one). */
export function sandboxOwnerOf(index: number): string | null {
  return index % 10 === 9 ? null : SANDBOX_OWNER_IDS[index % SANDBOX_OWNER_IDS.length]!;
}

/** The HUBSPOT_DEFINED association type "task to contact" (associations v4 guide, type ids table). */
export const TASK_TO_CONTACT = 204;

// Task property values the guide lists (hs_task_status, hs_task_priority, hs_task_type).
const STATUSES = new Set(['NOT_STARTED', 'COMPLETED']);
const PRIORITIES = new Set(['LOW', 'MEDIUM', 'HIGH']);
const TYPES = new Set(['EMAIL', 'CALL', 'TODO']);

const CreateInputsSchema = z.object({
  inputs: z.array(
    z.object({
      properties: z.record(z.string(), z.string()),
      associations: z
        .array(
          z.object({
            to: z.object({ id: z.union([z.string(), z.number()]).transform(String) }),
            types: z.array(
              z.object({
                associationCategory: z.enum(['HUBSPOT_DEFINED', 'USER_DEFINED', 'INTEGRATOR_DEFINED']),
                associationTypeId: z.number().int(),
              }),
            ),
          }),
        )
        .optional(),
      objectWriteTraceId: z.string().optional(),
    }),
  ),
});

export interface SandboxTask {
  id: string;
  properties: Record<string, string>;
  contactIds: string[];
  createdAt: string;
}

export class TaskStore {
  readonly tasks: SandboxTask[] = [];
  private nextId = 90_000_001;

  private readonly contacts: ContactStore;

  constructor(contacts: ContactStore) {
    this.contacts = contacts;
  }

  /** Tasks associated with a contact (tests). */
  ofContact(contactId: string): SandboxTask[] {
    return this.tasks.filter((t) => t.contactIds.includes(contactId));
  }

  /**
   * A batch create. Invalid input rejects the whole batch, naming the property (as contact batch writes do); the
   * created tasks come back in no promised order, each with the `objectWriteTraceId` it was sent with.
   */
  batchCreate(body: unknown, limit: number): { status: number; body: Record<string, unknown> } {
    const parsed = CreateInputsSchema.safeParse(body);
    if (!parsed.success) throw validationError(`Invalid input JSON on line 1: ${describeIssues(parsed.error)}`);
    const { inputs } = parsed.data;
    if (inputs.length > limit)
      throw validationError(
        `Batch input limit exceeded: got ${inputs.length} inputs; the limit is ${limit} per request.`,
      );
    const problems: Record<string, unknown>[] = [];
    const invalid = (name: string, error: string, message: string) =>
      problems.push({ isValid: false, message, error, name, localizedErrorMessage: message });
    for (const input of inputs) {
      const p = input.properties;
      if (p.hs_timestamp === undefined || !/^\d+$|^\d{4}-\d\d-\d\dT/.test(p.hs_timestamp))
        invalid('hs_timestamp', 'REQUIRED_PROPERTY', 'hs_timestamp is required: the task due date');
      if (p.hs_task_status !== undefined && !STATUSES.has(p.hs_task_status))
        invalid('hs_task_status', 'INVALID_OPTION', `${p.hs_task_status} was not one of the allowed options`);
      if (p.hs_task_priority !== undefined && !PRIORITIES.has(p.hs_task_priority))
        invalid('hs_task_priority', 'INVALID_OPTION', `${p.hs_task_priority} was not one of the allowed options`);
      if (p.hs_task_type !== undefined && !TYPES.has(p.hs_task_type))
        invalid('hs_task_type', 'INVALID_OPTION', `${p.hs_task_type} was not one of the allowed options`);
      // [verify] the exact error for an unknown owner id.
      if (p.hubspot_owner_id !== undefined && !(SANDBOX_OWNER_IDS as readonly string[]).includes(p.hubspot_owner_id))
        invalid('hubspot_owner_id', 'INVALID_OWNER_ID', `${p.hubspot_owner_id} is not a valid owner id`);
      for (const association of input.associations ?? []) {
        for (const type of association.types) {
          if (type.associationCategory !== 'HUBSPOT_DEFINED' || type.associationTypeId !== TASK_TO_CONTACT)
            throw validationError(
              `association type ${type.associationCategory}/${type.associationTypeId} from task to contact is not valid`,
            );
        }
        if (this.contacts.resolve(association.to.id) === undefined)
          throw hubspotError(
            400,
            'VALIDATION_ERROR',
            `One or more associations are invalid: contact ${association.to.id} was not found`,
          );
      }
    }
    if (problems.length > 0)
      throw validationError(`Property values were not valid: ${JSON.stringify(problems)}`, { errors: problems });
    const startedAt = new Date().toISOString();
    const created = inputs.map((input) => {
      const at = new Date().toISOString();
      const task: SandboxTask = {
        id: String(this.nextId++),
        properties: { ...input.properties },
        contactIds: (input.associations ?? []).map((a) => a.to.id),
        createdAt: at,
      };
      this.tasks.push(task);
      return {
        id: task.id,
        properties: {
          ...task.properties,
          hs_object_id: task.id,
          hs_createdate: at,
          hs_lastmodifieddate: at,
        },
        createdAt: at,
        updatedAt: at,
        archived: false,
        ...(input.objectWriteTraceId === undefined ? {} : { objectWriteTraceId: input.objectWriteTraceId }),
      };
    });
    return {
      status: 201,
      body: {
        status: 'COMPLETE',
        // No promised order: reversed here, so a client that pairs results with inputs by position is caught.
        results: created.reverse(),
        startedAt,
        completedAt: new Date().toISOString(),
      },
    };
  }
}
