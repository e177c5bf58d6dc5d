// checkSetup: describe Contact and Lead as the integration user sees them (field-level security hides fields it
// cannot read) and say, per field, whether our writes can succeed — with the fix for each problem.
import type { FieldCheck, InfluenceFieldName, SetupReport } from '../../src/crm/contract.ts';
import type { SalesforceApi } from './api.ts';
import { DEPLOY_FIX } from './api.ts';
import type { ApiBudget } from './budget.ts';
import { REQUIRED_PICKLIST_VALUES, SALESFORCE_FIELDS } from './field-map.ts';
import type { SalesforceOptions } from './options.ts';

interface DescribedField {
  name: string;
  updateable: boolean;
  picklistValues?: { value: string; active: boolean }[];
  relationshipName?: string | null;
}

export async function checkSetup(
  api: SalesforceApi,
  budget: ApiBudget,
  options: SalesforceOptions,
): Promise<SetupReport> {
  const fields: FieldCheck[] = [];
  const problems: SetupReport['problems'] = [];
  const limits = await api.call('other', 'limits', () => api.conn.limits());
  budget.observeLimits(limits);
  for (const object of options.objects) {
    const describe = await api.call('other', `describe ${object}`, () => api.conn.describe(object));
    const byName = new Map((describe.fields as unknown as DescribedField[]).map((f) => [f.name.toLowerCase(), f]));
    for (const [field, crmField] of Object.entries(SALESFORCE_FIELDS) as [InfluenceFieldName, string][]) {
      const described = byName.get(crmField.toLowerCase());
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
      if (check.problem)
        problems.push({
          code: check.exists ? 'field_not_writable' : 'field_missing',
          message: check.problem,
          fix: DEPLOY_FIX,
        });
      fields.push(check);
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
      problems.push({
        code: 'opt_out_field_missing',
        message: `opt-out field ${object}.${options.optOut.field} does not exist or is not readable`,
        fix: DEPLOY_FIX,
      });
    }
    if (options.optOut.individual && !byName.get('individualid')) {
      problems.push({
        code: 'individual_missing',
        message: `${object}.IndividualId is not readable, so Individual.HasOptedOutProfiling cannot be honoured`,
        fix: 'enable Data Protection and Privacy in Setup (Individual object), or set optOut.individual to false and rely on the opt-out checkbox',
      });
    }
  }
  const report: SetupReport = { ok: problems.length === 0, fields, missingScopes: [], problems };
  const current = budget.budget;
  if (current) report.budget = current;
  return report;
}
