// `crm-influence fields check|install --crm salesforce|hubspot [--json]`: compares the live org / portal with the
// manifests (the connector's checkSetup reads describe / properties) and prints exactly what is missing and the
// command that fixes it. `install` creates the fields where the CRM's API allows it (HubSpot properties);
// Salesforce fields are metadata and are deployed from manifests/salesforce instead.
import type { Command } from 'commander';
import { z } from 'zod';

import type { CrmConnector, CrmName, SetupReport } from '../../crm/contract.ts';
import { CrmNameSchema } from '../../crm/contract.ts';
import { describeIssues } from '../../zod-issues.ts';
import { withContext } from '../context.ts';
import { openCrm } from '../crms.ts';
import { UsageError } from '../errors.ts';
import { parseFlags } from '../flags.ts';
import { printJson, table } from '../output.ts';

export const FIELDS_ACTIONS = ['check', 'install'] as const;
const FieldsActionSchema = z.enum(FIELDS_ACTIONS, {
  error: (i) => `must be check or install (got ${JSON.stringify(i.input)})`,
});
export type FieldsAction = z.infer<typeof FieldsActionSchema>;

const FieldsFlagsSchema = z.strictObject({
  crm: z.enum(CrmNameSchema.options, {
    error: (i) => `must be salesforce or hubspot (got ${JSON.stringify(i.input)})`,
  }),
  json: z.boolean().default(false),
});

/** The commands that fix a missing or read-only field, per CRM (also in README "Install"). */
export const FIELD_FIXES: Record<CrmName, { missing: string; notWritable: string }> = {
  salesforce: {
    missing: 'sf project deploy start --source-dir manifests/salesforce/force-app --target-org <your-org>',
    notWritable:
      'sf org assign permset --name Social_Influence_Integration --on-behalf-of <integration-user> --target-org <your-org>',
  },
  hubspot: {
    missing: 'crm-influence fields install --crm hubspot',
    notWritable:
      'crm-influence fields install --crm hubspot (then check the property is not read-only in HubSpot Settings › Properties)',
  },
};

export interface FieldsOutcome {
  crm: CrmName;
  action: FieldsAction;
  ok: boolean;
  report: SetupReport;
  /** Problems not already shown as a missing field row (a missing field is one line, not two). */
  otherProblems: SetupReport['problems'];
  /** What grants the missing scopes, when some are missing. */
  scopesFix?: string;
  /** One line per distinct fix, in the order a person should run them. */
  fixes: string[];
  /** `install` only: whether it created anything (false: everything was there, nothing to change). */
  changed?: boolean;
}

/** Does this problem only restate what a field row already says (missing, or not writable and why)? */
function restatesField(
  problem: { message: string },
  missing: SetupReport['fields'],
  notWritable: SetupReport['fields'],
): boolean {
  return (
    missing.some(
      (f) =>
        problem.message.includes(`${f.objectType}.${f.crmField} `) ||
        problem.message.includes(`"${f.crmField}" does not exist`),
    ) || notWritable.some((f) => f.problem !== undefined && f.problem.includes(problem.message))
  );
}

export function fieldsOutcome(crm: CrmName, action: FieldsAction, report: SetupReport): FieldsOutcome {
  const missing = report.fields.filter((f) => !f.exists);
  const notWritable = report.fields.filter((f) => f.exists && !f.writable);
  // The missing scopes have a line of their own; the problem that restates them lends it its fix.
  const scopesProblem =
    report.missingScopes.length > 0 ? report.problems.find((p) => p.code === 'MISSING_SCOPES') : undefined;
  const scopesFix =
    report.missingScopes.length > 0 ? (scopesProblem?.fix ?? 'reconnect with the missing scopes granted') : undefined;
  const otherProblems = report.problems.filter((p) => p !== scopesProblem && !restatesField(p, missing, notWritable));
  const fixes = [
    ...(missing.length > 0 ? [FIELD_FIXES[crm].missing] : []),
    ...(notWritable.length > 0 ? [FIELD_FIXES[crm].notWritable] : []),
    ...(scopesFix !== undefined ? [scopesFix] : []),
    ...otherProblems.map((p) => p.fix),
  ];
  const ok = report.ok && missing.length === 0 && notWritable.length === 0 && report.missingScopes.length === 0;
  return {
    crm,
    action,
    ok,
    report,
    otherProblems,
    ...(scopesFix !== undefined ? { scopesFix } : {}),
    fixes: [...new Set(fixes)],
  };
}

/** The outcome in words, for a person at a terminal: every field, every other problem, then what to run. */
export function describeFields(outcome: FieldsOutcome): string {
  const { report } = outcome;
  const rows = report.fields.map((f) => [
    f.exists && f.writable ? '✓' : '✗',
    `${f.objectType}.${f.crmField}`,
    f.exists ? (f.writable ? 'ok' : `not writable${f.problem !== undefined ? ` (${f.problem})` : ''}`) : 'missing',
  ]);
  const lines = [table(rows)];
  if (report.missingScopes.length > 0) lines.push(`✗ missing scopes: ${report.missingScopes.join(', ')}`);
  for (const problem of outcome.otherProblems) lines.push(`✗ ${problem.message}`);
  const bad = report.fields.filter((f) => !f.exists || !f.writable).length;
  if (outcome.ok) {
    const done = outcome.action !== 'install' ? '' : outcome.changed === false ? 'Nothing to change: ' : 'Installed: ';
    lines.push(`${done}all ${report.fields.length} influence fields present and writable.`);
  } else {
    const problems = outcome.otherProblems.length + (report.missingScopes.length > 0 ? 1 : 0);
    lines.push(
      `${bad} of ${report.fields.length} fields need attention${problems > 0 ? `, ${problems} other problem${problems === 1 ? '' : 's'}` : ''}. To fix:`,
    );
    for (const fix of outcome.fixes) lines.push(`  ${fix}`);
  }
  return lines.join('\n');
}

export async function runFields(crm: CrmName, action: FieldsAction, connector: CrmConnector): Promise<FieldsOutcome> {
  if (action === 'check') return fieldsOutcome(crm, action, await connector.checkSetup());
  if (connector.installFields === undefined) throw salesforceInstallError(crm);
  // Installed already: say so rather than "Installed", and send no create calls.
  const before = await connector.checkSetup();
  if (before.ok && fieldsOutcome(crm, action, before).ok)
    return { ...fieldsOutcome(crm, action, before), changed: false };
  return { ...fieldsOutcome(crm, action, await connector.installFields()), changed: true };
}

function salesforceInstallError(crm: CrmName): UsageError {
  return new UsageError(
    `fields install: ${crm} fields are metadata, not created through the API. Deploy them: ${FIELD_FIXES.salesforce.missing}; ` +
      `then give the integration user access: ${FIELD_FIXES.salesforce.notWritable} (README "Install"). ` +
      `\`crm-influence fields check --crm ${crm}\` shows what is still missing.`,
  );
}

async function action(rawAction: unknown, rawFlags: unknown): Promise<void> {
  const parsedAction = FieldsActionSchema.safeParse(rawAction);
  if (!parsedAction.success)
    throw new UsageError(
      `fields: ${describeIssues(parsedAction.error, { root: '<action>' })} (see \`crm-influence fields --help\`)`,
    );
  const flags = parseFlags('fields', FieldsFlagsSchema, rawFlags);
  // Salesforce never creates fields through the API: say how to deploy without asking for credentials first.
  if (parsedAction.data === 'install' && flags.crm === 'salesforce') throw salesforceInstallError(flags.crm);
  const outcome = await withContext(async (ctx) => {
    const { connector } = await openCrm(flags.crm, ctx);
    return runFields(flags.crm, parsedAction.data, connector);
  });
  if (flags.json) printJson(outcome);
  else process.stdout.write(`${describeFields(outcome)}\n`);
  process.exitCode = outcome.ok ? 0 : 1;
}

export function register(program: Command): void {
  program
    .command('fields')
    .description('check the influence fields in the CRM against manifests/, or install them (HubSpot)')
    .argument('<action>', 'check (compare the CRM with the manifests) or install (create them; HubSpot only)')
    .requiredOption('--crm <crm>', 'salesforce or hubspot')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      [
        '',
        'Exit status: 0 when every field is present and writable, 1 when something is missing (each with its fix).',
        'Salesforce fields are deployed from manifests/salesforce (see README "Install"):',
        `  ${FIELD_FIXES.salesforce.missing}`,
      ].join('\n'),
    )
    .action(action);
}
