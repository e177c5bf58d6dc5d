// Record saves as Salesforce performs them: per-field validation (existence, field-level security, types,
// restricted picklists, lengths, number precision), converted and deleted records refused, sharing, the strict
// org's automation (validation rule, a throwing Apex trigger failing its whole chunk, duplicate rules, row locks),
// injected per-record faults, and `allOrNone` rollback. sObject Collections, Composite and Bulk 2.0 ingest all save
// through here.
import type { FaultInjector } from '../faults.ts';
import type { Row } from './org.ts';
import { SandboxOrg } from './org.ts';
import { picked } from './profile.ts';
import type { FieldDef, ObjectName } from './schema.ts';
import { OBJECT_NAMES } from './schema.ts';

export interface SaveError {
  statusCode: string;
  message: string;
  fields: string[];
}
export type SaveResult =
  { id: string; success: true; errors: [] } | { id?: string; success: false; errors: SaveError[] };

/** One record to save: its type as sent in `attributes.type` (or the Bulk job's object) and its raw fields. */
export interface SaveInput {
  type: string | undefined;
  id: string | undefined;
  fields: Record<string, unknown>;
}

export const COLLECTION_LIMIT = 200;
/** Records per trigger invocation: DML is processed in chunks of 200 (apex_triggers_bulk). */
const TRIGGER_CHUNK = 200;
/** A locked record of the strict org stays locked for this many save attempts. */
const LOCKED_ATTEMPTS = 2;

export interface SaveOptions {
  /** `Sforce-Duplicate-Rule-Header: allowSave=true`: save despite a duplicate rule whose action is an alert. */
  allowDuplicates?: boolean;
}

interface Checked {
  input: SaveInput;
  object?: ObjectName;
  index?: number;
  values?: Row;
  errors: SaveError[];
}

export class RecordWriter {
  recordsWritten = 0;
  largestBatch = 0;
  /** Successful saves per record id: the write log tests read to prove nothing was written twice. */
  readonly writesById = new Map<string, number>();
  private readonly lockAttempts = new Map<string, number>();

  private readonly org: SandboxOrg;
  private readonly faults: FaultInjector;

  constructor(org: SandboxOrg, faults: FaultInjector) {
    this.org = org;
    this.faults = faults;
  }

  /** Saves a batch; results are in input order. With `allOrNone`, one failure rolls every record back. */
  save(inputs: readonly SaveInput[], allOrNone: boolean, userId: string, options: SaveOptions = {}): SaveResult[] {
    this.largestBatch = Math.max(this.largestBatch, inputs.length);
    const checked = inputs.map((input) => this.check(input));
    for (let start = 0; start < checked.length; start += TRIGGER_CHUNK)
      this.runAutomation(checked.slice(start, start + TRIGGER_CHUNK), options);
    const anyFailed = checked.some((c) => c.errors.length > 0);
    if (allOrNone && anyFailed) {
      return checked.map((c) => ({
        ...(c.input.id ? { id: c.input.id } : {}),
        success: false as const,
        errors:
          c.errors.length > 0
            ? c.errors
            : [
                {
                  statusCode: 'ALL_OR_NONE_OPERATION_ROLLED_BACK',
                  message:
                    'Record rolled back because not all records were valid and the request was using AllOrNone header',
                  fields: [],
                },
              ],
      }));
    }
    const stamp = this.org.nextWriteStamp();
    return checked.map((c): SaveResult => {
      if (c.errors.length > 0 || c.object === undefined || c.index === undefined || !c.values) {
        return { ...(c.input.id ? { id: c.input.id } : {}), success: false, errors: c.errors };
      }
      this.org.applyUpdate(c.object, c.index, c.values, userId, stamp);
      this.recordsWritten += 1;
      this.writesById.set(c.input.id!, (this.writesById.get(c.input.id!) ?? 0) + 1);
      return { id: c.input.id!, success: true, errors: [] };
    });
  }

  /**
   * The strict org's automation, in Salesforce's order of execution: before-update triggers (an unhandled exception
   * fails every record of the chunk), then custom validation rules, then duplicate rules (apex_triggers_order_of_execution).
   */
  private runAutomation(chunk: Checked[], options: SaveOptions): void {
    const profile = this.org.profile;
    if (!profile.strict) return;
    const valid = chunk.filter((c) => c.errors.length === 0 && c.object !== undefined);
    const thrower = valid.find((c) => picked(profile, 'trigger', c.input.id!, profile.triggerThrows));
    if (thrower) {
      const trigger = `${thrower.object!}Trigger`;
      for (const c of valid) {
        c.errors.push({
          statusCode: 'CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY',
          message: `${trigger}: execution of BeforeUpdate\n\ncaused by: System.NullPointerException: Attempt to de-reference a null object\n\nTrigger.${trigger}: line 12, column 1`,
          fields: [],
        });
      }
      return;
    }
    for (const c of valid) {
      const id = c.input.id!;
      if (picked(profile, 'validation', id, profile.validationRule)) {
        c.errors.push({
          statusCode: 'FIELD_CUSTOM_VALIDATION_EXCEPTION',
          message: 'Records of inactive accounts cannot be edited.',
          fields: [],
        });
      } else if (
        picked(profile, 'duplicate-block', id, profile.duplicateBlock) ||
        (!options.allowDuplicates && picked(profile, 'duplicate-alert', id, profile.duplicateAlert))
      ) {
        c.errors.push({
          statusCode: 'DUPLICATES_DETECTED',
          message: "You're creating a duplicate record. We recommend you use an existing record instead.",
          fields: [],
        });
      }
    }
  }

  /** The strict org's row locks: a picked record is locked for its first attempts, as under a busy parent record. */
  private isLocked(id: string): boolean {
    const profile = this.org.profile;
    if (!picked(profile, 'lock', id, profile.locked)) return false;
    const attempt = (this.lockAttempts.get(id) ?? 0) + 1;
    this.lockAttempts.set(id, attempt);
    return attempt <= LOCKED_ATTEMPTS;
  }

  private check(input: SaveInput): Checked {
    const fail = (statusCode: string, message: string, fields: string[] = []): Checked => ({
      input,
      errors: [{ statusCode, message, fields }],
    });
    const object = OBJECT_NAMES.find((o) => o === input.type);
    if (!input.type) return fail('INVALID_TYPE', 'Must send a concrete entity type.');
    if (!object || !this.org.canRead(object))
      return fail('INVALID_TYPE', `sObject type '${input.type}' is not supported.`);
    if (!input.id) return fail('MISSING_ARGUMENT', 'Id not specified in an update call', ['Id']);
    const parsed = SandboxOrg.parseId(input.id);
    if (!parsed || parsed.object !== object)
      return fail('MALFORMED_ID', `${object} ID: id value of incorrect type: ${input.id}`, ['Id']);
    const row = this.org.row(object, parsed.index);
    if (!row) return fail('INVALID_CROSS_REFERENCE_KEY', 'invalid cross reference id', []);
    if (row.IsDeleted === true) return fail('ENTITY_IS_DELETED', 'entity is deleted', []);
    if (row.IsConverted === true) return fail('CANNOT_UPDATE_CONVERTED_LEAD', 'cannot reference converted lead', []);
    if (!this.org.isVisible(object, row) || !this.org.isEditable(object, row))
      return fail('INSUFFICIENT_ACCESS_OR_READONLY', 'insufficient access rights on object id', []);
    if (this.isLocked(input.id))
      return fail('UNABLE_TO_LOCK_ROW', 'unable to obtain exclusive access to this record or 1 records', []);
    const schema = this.org.schemas[object];
    const values: Row = {};
    for (const [name, raw] of Object.entries(input.fields)) {
      const def = schema.field(name);
      if (!def) return fail('INVALID_FIELD', `No such column '${name}' on sobject of type ${object}`, [name]);
      if (!def.updateable) {
        return fail(
          'INVALID_FIELD_FOR_INSERT_UPDATE',
          `Unable to create/update fields: ${def.name}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.`,
          [def.name],
        );
      }
      const converted = convert(def, raw);
      if ('error' in converted) return { input, errors: [converted.error] };
      values[def.name] = converted.value;
    }
    const fault = this.faults.recordError(input.id);
    if (fault) {
      return fail(fault.code, fault.message ?? defaultFaultMessage(fault.code), fault.fields ?? []);
    }
    return { input, object, index: parsed.index, values, errors: [] };
  }
}

function defaultFaultMessage(code: string): string {
  switch (code) {
    case 'UNABLE_TO_LOCK_ROW':
      return 'unable to obtain exclusive access to this record or 1 records';
    case 'FIELD_CUSTOM_VALIDATION_EXCEPTION':
      return 'Influence fields may only be changed by the integration user.';
    default:
      return code;
  }
}

/** The stored value for a raw JSON (or CSV text) value, or the error Salesforce gives for it. */
const show = (raw: unknown): string => (typeof raw === 'string' ? raw : JSON.stringify(raw));

function convert(def: FieldDef, raw: unknown): { value: unknown } | { error: SaveError } {
  const bad = (statusCode: string, message: string): { error: SaveError } => ({
    error: { statusCode, message, fields: [def.name] },
  });
  if (raw === null || raw === undefined || raw === '' || raw === '#N/A') {
    if (def.type === 'boolean') return { value: false };
    if (!def.nillable) return bad('REQUIRED_FIELD_MISSING', `Required fields are missing: [${def.name}]`);
    return { value: null };
  }
  switch (def.type) {
    case 'double': {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' ? Number(raw) : NaN;
      if (!Number.isFinite(n))
        return bad('INVALID_TYPE_ON_FIELD_IN_RECORD', `${def.label}: value not of required type: ${show(raw)}`);
      const scale = def.scale ?? 0;
      const rounded = Math.round(n * 10 ** scale) / 10 ** scale;
      if (Math.abs(rounded) >= 10 ** ((def.precision ?? 18) - scale))
        return bad(
          'NUMBER_OUTSIDE_VALID_RANGE',
          `${def.label}: value outside of valid range on numeric field: ${show(raw)}`,
        );
      return { value: rounded };
    }
    case 'boolean':
      if (typeof raw === 'boolean') return { value: raw };
      if (raw === 'true' || raw === 'false') return { value: raw === 'true' };
      return bad('INVALID_TYPE_ON_FIELD_IN_RECORD', `${def.label}: value not of required type: ${show(raw)}`);
    case 'datetime': {
      const ms = typeof raw === 'string' ? Date.parse(raw.replace(/([+-]\d{2})(\d{2})$/, '$1:$2')) : NaN;
      if (Number.isNaN(ms))
        return bad('INVALID_TYPE_ON_FIELD_IN_RECORD', `${def.label}: value not of required type: ${show(raw)}`);
      return { value: ms };
    }
    case 'picklist':
      if (typeof raw !== 'string')
        return bad('INVALID_TYPE_ON_FIELD_IN_RECORD', `${def.label}: value not of required type: ${show(raw)}`);
      if (def.restricted && !(def.picklist ?? []).includes(raw))
        return bad(
          'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST',
          `${def.label}: bad value for restricted picklist field: ${raw}`,
        );
      return { value: raw };
    default: {
      if (typeof raw !== 'string')
        return bad('INVALID_TYPE_ON_FIELD_IN_RECORD', `${def.label}: value not of required type: ${show(raw)}`);
      if (def.length && raw.length > def.length)
        return bad(
          'STRING_TOO_LONG',
          `${def.label}: data value too large: ${raw.slice(0, 40)}... (max length=${def.length})`,
        );
      return { value: raw };
    }
  }
}
