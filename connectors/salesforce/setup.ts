// checkSetup: what a run needs, checked as the integration user sees it: the API version, every field the read
// selects (field-level security hides what the user cannot read) and every field the write sets, the Individual
// object behind opt-outs (optional: Data Protection and Privacy may be off), and how many records the user can see.
// Each problem names its fix. The budget comes from the `Sforce-Limit-Info` header of these calls: `/limits` needs
// "View Setup and Configuration", which a least-privilege integration user does not have.
import type { FieldCheck, InfluenceFieldName, SetupReport } from '../../src/crm/contract.ts';
import type { SalesforceApi } from './api.ts';
import { DEPLOY_FIX, errorCodeOf } from './api.ts';
import type { ApiBudget } from './budget.ts';
import type { SalesforceObject } from './field-map.ts';
import { REQUIRED_PICKLIST_VALUES, SALESFORCE_FIELDS } from './field-map.ts';
import type { SalesforceOptions } from './options.ts';

interface DescribedField {
  name: string;
  updateable: boolean;
  picklistValues?: { value: string; active: boolean }[];
  relationshipName?: string | null;
}

const INTEGRATION_SET = 'Social_Influence_Integration';
const INDIVIDUAL_SET = 'Social_Influence_Individual';
const assign = (set: string): string =>
  `assign the ${set} permission set to the integration user (sf org assign permset --name ${set} --on-behalf-of <integration user>)`;

/** Standard fields every read selects; ours and the mapped handle fields are checked on their own. */
const READ_FIELDS: Record<SalesforceObject, readonly string[]> = {
  Contact: ['Id', 'FirstName', 'LastName', 'Email', 'SystemModstamp', 'LastModifiedById'],
  Lead: [
    'Id',
    'FirstName',
    'LastName',
    'Email',
    'SystemModstamp',
    'LastModifiedById',
    'IsConverted',
    'ConvertedContactId',
  ],
};

export async function checkSetup(
  api: SalesforceApi,
  budget: ApiBudget,
  options: SalesforceOptions,
): Promise<SetupReport> {
  const fields: FieldCheck[] = [];
  const problems: SetupReport['problems'] = [];
  const notes: NonNullable<SetupReport['notes']> = [];
  // Every other call names the version: on an org that does not offer it, they would only fail.
  if (!(await checkVersion(api, options, problems))) return { ok: false, fields, missingScopes: [], problems };
  let individualReadable = options.optOut.individual;
  let optOutFieldReadable = options.optOut.field !== null;
  for (const object of options.objects) {
    const describe = await api.call('other', `describe ${object}`, () => api.conn.describe(object));
    const byName = new Map((describe.fields as unknown as DescribedField[]).map((f) => [f.name.toLowerCase(), f]));
    for (const [field, crmField] of Object.entries(SALESFORCE_FIELDS) as [InfluenceFieldName, string][]) {
      const check = checkWritable(object, field, crmField, byName.get(crmField.toLowerCase()));
      if (check.problem)
        problems.push({
          code: check.exists ? 'field_not_writable' : 'field_missing',
          message: check.problem,
          fix: DEPLOY_FIX,
        });
      fields.push(check);
    }
    for (const name of READ_FIELDS[object]) {
      if (!byName.has(name.toLowerCase())) {
        problems.push({
          code: 'field_not_readable',
          message: `${object}.${name} is not readable by the integration user (field-level security), and every read selects it`,
          fix: assign(INTEGRATION_SET),
        });
      }
    }
    for (const { field } of options.handleFields) {
      if (!byName.has(field.toLowerCase())) {
        problems.push({
          code: 'handle_field_missing',
          message: `mapped handle field ${object}.${field} does not exist or is not readable`,
          fix: 'correct the handle field mapping (settings) or grant the integration user read access to the field',
        });
      }
    }
    if (options.optOut.field && !byName.has(options.optOut.field.toLowerCase())) {
      optOutFieldReadable = false;
      problems.push({
        code: 'opt_out_field_missing',
        message: `opt-out field ${object}.${options.optOut.field} does not exist or is not readable`,
        fix: DEPLOY_FIX,
      });
    }
    if (byName.get('individualid')?.relationshipName !== 'Individual') individualReadable = false;
  }
  if (individualReadable) individualReadable = await canReadIndividual(api);
  if (options.optOut.individual && !individualReadable) {
    const note = {
      code: 'individual_unavailable',
      message: optOutFieldReadable
        ? `the Individual object is not readable (Data Protection and Privacy is off, or ${INDIVIDUAL_SET} is not assigned): opt-outs come from ${options.optOut.field} alone`
        : 'neither the Individual object nor an opt-out field is readable: nobody can opt out of profiling',
      fix: `enable Data Protection and Privacy (Setup → Data Protection and Privacy), deploy manifests/salesforce/individual-app and ${assign(INDIVIDUAL_SET)}`,
    };
    if (optOutFieldReadable) notes.push(note);
    else problems.push(note);
  }
  const visibility = await checkVisibility(api, options.objects, problems, notes);
  const report: SetupReport = { ok: problems.length === 0, fields, missingScopes: [], problems, notes, visibility };
  const current = budget.budget;
  if (current) report.budget = current;
  return report;
}

function checkWritable(
  object: SalesforceObject,
  field: InfluenceFieldName,
  crmField: string,
  described: DescribedField | undefined,
): FieldCheck {
  const check: FieldCheck = {
    objectType: object,
    field,
    crmField,
    exists: Boolean(described),
    writable: Boolean(described?.updateable),
  };
  if (!described) {
    check.problem = `${object}.${crmField} does not exist or is not visible to the integration user`;
  } else if (!described.updateable) {
    check.problem = `${object}.${crmField} is read-only for the integration user (field-level security)`;
  } else {
    const required = REQUIRED_PICKLIST_VALUES[field];
    const active = new Set((described.picklistValues ?? []).filter((v) => v.active).map((v) => v.value));
    const missing = (required ?? []).filter((value) => !active.has(value));
    if (missing.length > 0)
      check.problem = `${object}.${crmField} lacks the active picklist values ${missing.join(', ')}`;
  }
  return check;
}

/** The org must still serve our API version (`/services/data` lists them; it needs no session and no quota). */
async function checkVersion(
  api: SalesforceApi,
  options: SalesforceOptions,
  problems: SetupReport['problems'],
): Promise<boolean> {
  const versions = await api.call(
    'other',
    'API versions',
    () => api.conn.request<{ version: string }[]>('/services/data'),
    0,
  );
  const offered = versions.map((v) => v.version);
  if (!offered.includes(options.apiVersion)) {
    const newest = offered.map(Number).sort((a, b) => b - a)[0];
    problems.push({
      code: 'api_version_unsupported',
      message: `the org does not offer REST API version ${options.apiVersion} (it offers ${offered.at(0) ?? '?'}–${offered.at(-1) ?? '?'})`,
      fix: `set SALESFORCE_API_VERSION to ${newest?.toFixed(1) ?? 'a version the org offers'}`,
    });
    return false;
  }
  return true;
}

/** Individual exists and its Don't Profile flag is readable (the optional permission set grants both). */
async function canReadIndividual(api: SalesforceApi): Promise<boolean> {
  try {
    const describe = await api.call('other', 'describe Individual', () => api.conn.describe('Individual'));
    return (describe.fields as unknown as DescribedField[]).some((f) => f.name === 'HasOptedOutProfiling');
  } catch (error) {
    if (errorCodeOf(error) === 'NOT_FOUND') return false;
    throw error;
  }
}

/**
 * `SELECT COUNT()` counts what the integration user can see; `/limits/recordCount` counts everything but needs
 * "View Setup and Configuration". With both, hidden records are a problem (a run scores only what it sees, without
 * an error); without the total, the count is reported with what to compare it to.
 */
async function checkVisibility(
  api: SalesforceApi,
  objects: readonly SalesforceObject[],
  problems: SetupReport['problems'],
  notes: NonNullable<SetupReport['notes']>,
): Promise<NonNullable<SetupReport['visibility']>> {
  const totals = new Map<string, number>();
  try {
    const counts = await api.call('other', 'record counts', () =>
      api.conn.request<{ sObjects: { name: string; count: number }[] }>(
        `/services/data/v${api.version}/limits/recordCount?sObjects=${objects.join(',')}`,
      ),
    );
    for (const { name, count } of counts.sObjects) totals.set(name, count);
  } catch (error) {
    if (errorCodeOf(error) !== 'INSUFFICIENT_ACCESS' && !/^ERROR_HTTP_40[34]$/.test(errorCodeOf(error))) throw error;
  }
  const visibility: NonNullable<SetupReport['visibility']> = [];
  for (const object of objects) {
    const visible = await api.call(
      'other',
      `count ${object}`,
      async () => (await api.conn.query(`SELECT COUNT() FROM ${object}`)).totalSize,
    );
    const total = totals.get(object);
    visibility.push({ objectType: object, visible, ...(total === undefined ? {} : { total }) });
  }
  const words = (n: number): string => n.toLocaleString('en-US');
  const plural = (object: string): string => `${object.toLowerCase()}s`;
  const hidden = visibility.filter((v) => v.total !== undefined && v.visible < v.total);
  if (hidden.length > 0) {
    problems.push({
      code: 'records_hidden',
      message: `the integration user can see ${hidden.map((v) => `${words(v.visible)} of ${words(v.total!)} ${plural(v.objectType)}`).join(' and ')}: a run scores only those, without an error`,
      fix: `${assign(INTEGRATION_SET)}: it grants View All on Contact and Lead`,
    });
  } else if (visibility.some((v) => v.total === undefined)) {
    notes.push({
      code: 'visibility_unchecked',
      message: `the integration user can see ${visibility.map((v) => `${words(v.visible)} ${plural(v.objectType)}`).join(' and ')}; the org's totals need View Setup and Configuration to compare (Setup → Storage Usage shows them)`,
      fix: `with ${INTEGRATION_SET} assigned (View All on Contact and Lead) these are all of them`,
    });
  }
  return visibility;
}
