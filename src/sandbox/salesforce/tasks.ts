// Task records as tier-change tasks create them: sObject Collections create (`POST /composite/sobjects`, ≤ 200
// records, per-record results in input order; resources_composite_sobjects_collections_create.htm), directly or as a
// Composite subrequest. What a Task insert checks here (object reference: Task; sforce_api_objects_task.htm):
// the user may edit tasks ("Edit Tasks"), `WhoId` names a live Contact or an unconverted Lead, `OwnerId` an active
// user (a queue or an inactive user is refused), `Subject` ≤ 255 and `Description` ≤ 32,000 characters.
import type { SandboxOrg } from './org.ts';
import { INTEGRATION_USER_ID, PERSON_USER_ID } from './org.ts';
import type { SaveError, SaveResult } from './write.ts';

/** A user who left: still owns records, cannot be assigned new ones (tests set it as a record's owner). */
export const INACTIVE_USER_ID = '005SB0000000000003';
/** A lead queue (Leads may be owned by queues; tasks here go to users only). */
export const LEAD_QUEUE_ID = '00GSB0000000000001';
const ACTIVE_USERS = new Set([PERSON_USER_ID, INTEGRATION_USER_ID]);

export interface SandboxTask {
  Id: string;
  WhoId: string;
  OwnerId: string;
  Subject: string | null;
  Description: string | null;
  ActivityDate: string | null;
  Status: string;
  Priority: string;
  CreatedById: string;
}

const CREATABLE = new Set(['WhoId', 'OwnerId', 'Subject', 'Description', 'ActivityDate', 'Status', 'Priority']);

export class TaskLedger {
  readonly tasks: SandboxTask[] = [];
  private seq = 0;

  private readonly org: SandboxOrg;
  /** Whether the integration user holds "Edit Tasks" (the strict org: its permission sets). */
  private readonly mayEditTasks: () => boolean;

  constructor(org: SandboxOrg, mayEditTasks: () => boolean) {
    this.org = org;
    this.mayEditTasks = mayEditTasks;
  }

  ofRecord(id: string): SandboxTask[] {
    return this.tasks.filter((t) => t.WhoId === id);
  }

  /** Saves a collection of new records; with `allOrNone`, one failure saves none. */
  create(records: readonly Record<string, unknown>[], allOrNone: boolean, userId: string): SaveResult[] {
    const checked = records.map((record) => ({ record, errors: this.check(record) }));
    const anyFailed = checked.some((c) => c.errors.length > 0);
    return checked.map(({ record, errors }): SaveResult => {
      if (errors.length > 0) return { success: false, errors };
      if (allOrNone && anyFailed)
        return {
          success: false,
          errors: [
            {
              statusCode: 'ALL_OR_NONE_OPERATION_ROLLED_BACK',
              message:
                'Record rolled back because not all records were valid and the request was using AllOrNone header',
              fields: [],
            },
          ],
        };
      const task: SandboxTask = {
        Id: `00TSB${String(++this.seq).padStart(13, '0')}`,
        WhoId: String(record.WhoId),
        OwnerId: typeof record.OwnerId === 'string' ? record.OwnerId : userId,
        Subject: typeof record.Subject === 'string' ? record.Subject : null,
        Description: typeof record.Description === 'string' ? record.Description : null,
        ActivityDate: typeof record.ActivityDate === 'string' ? record.ActivityDate : null,
        // The org's default picklist values when none is sent.
        Status: typeof record.Status === 'string' ? record.Status : 'Not Started',
        Priority: typeof record.Priority === 'string' ? record.Priority : 'Normal',
        CreatedById: userId,
      };
      this.tasks.push(task);
      return { id: task.Id, success: true, errors: [] };
    });
  }

  private check(record: Record<string, unknown>): SaveError[] {
    const { attributes, ...fields } = record;
    const type = (attributes as { type?: unknown } | undefined)?.type;
    if (type !== 'Task')
      return [
        {
          statusCode: 'INVALID_TYPE',
          message: `sObject type '${String(type)}' cannot be created here (the sandbox creates Task records only)`,
          fields: [],
        },
      ];
    // [verify] the code Salesforce gives a user without "Edit Tasks".
    if (!this.mayEditTasks())
      return [
        {
          statusCode: 'INSUFFICIENT_ACCESS_OR_READONLY',
          message: 'insufficient access rights on object id',
          fields: [],
        },
      ];
    for (const name of Object.keys(fields)) {
      if (!CREATABLE.has(name))
        return [
          { statusCode: 'INVALID_FIELD', message: `No such column '${name}' on sobject of type Task`, fields: [] },
        ];
    }
    const errors: SaveError[] = [];
    const who = typeof fields.WhoId === 'string' ? this.org.rowById(fields.WhoId) : undefined;
    if (who === undefined || (who.object !== 'Contact' && who.object !== 'Lead'))
      errors.push({
        statusCode: 'INVALID_CROSS_REFERENCE_KEY',
        message: 'invalid cross reference id',
        fields: ['WhoId'],
      });
    else if (who.row.IsDeleted === true)
      errors.push({ statusCode: 'ENTITY_IS_DELETED', message: 'entity is deleted', fields: ['WhoId'] });
    else if (who.row.IsConverted === true)
      // [verify] the wording for a converted lead as the task's Name.
      errors.push({
        statusCode: 'FIELD_INTEGRITY_EXCEPTION',
        message: 'Name ID: a converted lead cannot be the subject of a new task',
        fields: ['WhoId'],
      });
    const owner = fields.OwnerId;
    if (typeof owner === 'string' && owner.startsWith('00G'))
      // [verify] the code for a queue as a task's owner in an org without task queues.
      errors.push({
        statusCode: 'FIELD_INTEGRITY_EXCEPTION',
        message: 'Assigned To ID: id value of incorrect type: ' + owner,
        fields: ['OwnerId'],
      });
    else if (owner === INACTIVE_USER_ID)
      errors.push({
        statusCode: 'INACTIVE_OWNER_OR_USER',
        message: `operation performed with inactive user [${owner}] as owner of task`,
        fields: [],
      });
    else if (owner !== undefined && (typeof owner !== 'string' || !ACTIVE_USERS.has(owner)))
      errors.push({
        statusCode: 'INVALID_CROSS_REFERENCE_KEY',
        message: 'invalid cross reference id',
        fields: ['OwnerId'],
      });
    if (typeof fields.Subject === 'string' && fields.Subject.length > 255)
      errors.push({
        statusCode: 'STRING_TOO_LONG',
        message: 'Subject: data value too large (max length=255)',
        fields: ['Subject'],
      });
    if (typeof fields.Description === 'string' && fields.Description.length > 32_000)
      errors.push({
        statusCode: 'STRING_TOO_LONG',
        message: 'Comments: data value too large (max length=32000)',
        fields: ['Description'],
      });
    return errors;
  }
}
