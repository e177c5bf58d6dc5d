// `crm-influence doctor [--crm …] [--json]`: is everything in place for a sync? Configuration, store, CRM
// credentials, fields, scopes and API budget, providers, the model. Exit status 0 only when every check passes.
import { readFile } from 'node:fs/promises';

import type { Command } from 'commander';
import { z } from 'zod';

import type { CrmName } from '../../crm/contract.ts';
import { CrmNameSchema } from '../../crm/contract.ts';
import { describeProviders } from '../../providers/index.ts';
import { openStore } from '../../store/open.ts';
import { ImportedCountsStore } from '../../sync/imported-counts.ts';
import type { CliContext } from '../context.ts';
import { createCliLogger, loadCliConfig } from '../context.ts';
import { openCrm, openModel, openProviders } from '../crms.ts';
import { salesforceSignInChecks } from '../doctor-salesforce.ts';
import { parseFlags } from '../flags.ts';
import { salesforceInEnvironment } from '../open-salesforce.ts';
import { printJson } from '../output.ts';
import { FIELD_FIXES, fieldsOutcome } from './fields.ts';

const DoctorFlagsSchema = z.strictObject({
  crm: z
    .enum(CrmNameSchema.options, { error: (i) => `must be salesforce or hubspot (got ${JSON.stringify(i.input)})` })
    .optional(),
  json: z.boolean().default(false),
});

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
  /** What to do about it, when not ok. */
  fix?: string;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function checkCrm(crm: CrmName, ctx: CliContext): Promise<Check[]> {
  let opened;
  try {
    opened = await openCrm(crm, ctx);
  } catch (error) {
    return [{ name: `${crm}: connect`, ok: false, detail: describe(error) }];
  }
  const checks: Check[] = [{ name: `${crm}: connect`, ok: true, detail: `connection ${opened.connectionId}` }];
  if (crm === 'salesforce') checks.push(...salesforceSignInChecks(ctx.config));
  try {
    const setup = await opened.connector.checkSetup();
    // Each problem once: a missing field is named in the fields line, not again as a problem of its own.
    const outcome = fieldsOutcome(crm, 'check', setup);
    const missing = setup.fields.filter((f) => !f.exists);
    const notWritable = setup.fields.filter((f) => f.exists && !f.writable);
    checks.push({
      name: `${crm}: fields`,
      ok: missing.length === 0 && notWritable.length === 0,
      detail:
        missing.length === 0 && notWritable.length === 0
          ? `${setup.fields.length} influence fields present and writable`
          : [
              ...(missing.length === 0
                ? []
                : [`missing: ${missing.map((f) => `${f.objectType}.${f.crmField}`).join(', ')}`]),
              ...notWritable.map(
                (f) => `${f.objectType}.${f.crmField} not writable${f.problem !== undefined ? ` (${f.problem})` : ''}`,
              ),
            ].join('; '),
      ...(missing.length > 0 || notWritable.length > 0
        ? { fix: FIELD_FIXES[crm][missing.length > 0 ? 'missing' : 'notWritable'] }
        : {}),
    });
    checks.push({
      name: `${crm}: scopes`,
      ok: setup.missingScopes.length === 0,
      detail:
        setup.missingScopes.length === 0 ? 'all required scopes granted' : `missing: ${setup.missingScopes.join(', ')}`,
      ...(outcome.scopesFix !== undefined ? { fix: outcome.scopesFix } : {}),
    });
    if (setup.budget !== undefined) {
      const left = setup.budget.limit > 0 ? setup.budget.remaining / setup.budget.limit : 1;
      checks.push({
        name: `${crm}: API budget`,
        ok: left >= ctx.config.CRM_INFLUENCE_BUDGET_FLOOR,
        detail: `${setup.budget.remaining} of ${setup.budget.limit} calls left today (${(left * 100).toFixed(0)}%)`,
        ...(left < ctx.config.CRM_INFLUENCE_BUDGET_FLOOR
          ? { fix: 'wait for the daily quota to reset; syncs stop at CRM_INFLUENCE_BUDGET_FLOOR' }
          : {}),
      });
    }
    if (setup.visibility !== undefined && setup.visibility.length > 0) {
      const words = (n: number): string => n.toLocaleString('en-US');
      checks.push({
        name: `${crm}: records visible`,
        ok: !setup.problems.some((p) => p.code === 'records_hidden'),
        detail: setup.visibility
          .map(
            (v) =>
              `${words(v.visible)}${v.total === undefined ? '' : ` of ${words(v.total)}`} ${v.objectType.toLowerCase()}s`,
          )
          .join(', '),
      });
    }
    for (const problem of outcome.otherProblems)
      checks.push({ name: `${crm}: ${problem.code}`, ok: false, detail: problem.message, fix: problem.fix });
    for (const note of setup.notes ?? [])
      checks.push({
        name: `${crm}: ${note.code}`,
        ok: true,
        detail: note.message,
        ...(note.fix ? { fix: note.fix } : {}),
      });
    if (crm === 'hubspot') checks.push(await hubspotWebhooks(ctx));
  } catch (error) {
    checks.push({ name: `${crm}: setup check`, ok: false, detail: describe(error) });
  }
  return checks;
}

/** HubSpot's webhooks reach `serve` only with the app's client secret, a public https URL and the app pointing there. */
async function hubspotWebhooks(ctx: CliContext): Promise<Check> {
  const { webhookSetupProblems } = await import('../../../connectors/hubspot/webhook.ts');
  if (ctx.config.HUBSPOT_CLIENT_SECRET === undefined) {
    return {
      name: 'hubspot: webhooks',
      ok: true,
      detail:
        'off (no HUBSPOT_CLIENT_SECRET): changes and deletions are found by the scheduled runs; privacy deletions only reach us through webhooks',
    };
  }
  let manifestTargetUrl: string | undefined;
  try {
    const manifest = JSON.parse(
      await readFile(
        new URL('../../../manifests/hubspot/src/app/webhooks/webhooks-hsmeta.json', import.meta.url),
        'utf8',
      ),
    ) as { config?: { settings?: { targetUrl?: unknown } } };
    const target = manifest.config?.settings?.targetUrl;
    manifestTargetUrl = typeof target === 'string' ? target : undefined;
  } catch {
    // An installed copy without the manifests: only the address is checked.
  }
  const problems = webhookSetupProblems({ publicUrl: ctx.config.CRM_INFLUENCE_PUBLIC_URL, manifestTargetUrl });
  return problems.length === 0
    ? {
        name: 'hubspot: webhooks',
        ok: true,
        detail: `HubSpot can deliver to ${ctx.config.CRM_INFLUENCE_PUBLIC_URL ?? ''}/webhooks/hubspot`,
      }
    : {
        name: 'hubspot: webhooks',
        ok: false,
        detail: problems.map((p) => p.message).join(' '),
        fix: [...new Set(problems.map((p) => p.fix))].join('; '),
      };
}

async function runChecks(flags: z.output<typeof DoctorFlagsSchema>): Promise<Check[]> {
  const checks: Check[] = [];
  let config;
  try {
    config = loadCliConfig();
    checks.push({ name: 'configuration', ok: true, detail: 'environment variables valid' });
  } catch (error) {
    checks.push({
      name: 'configuration',
      ok: false,
      detail: describe(error),
      fix: 'see the Configuration table in README.md',
    });
    return checks;
  }
  let store;
  try {
    store = await openStore(config);
    checks.push({
      name: 'store',
      ok: true,
      detail:
        config.DATABASE_URL !== undefined
          ? 'PostgreSQL reachable, schema current'
          : `SQLite at ${config.CRM_INFLUENCE_DB}, schema current`,
    });
  } catch (error) {
    checks.push({ name: 'store', ok: false, detail: describe(error) });
    return checks;
  }
  const ctx: CliContext = { config, store, logger: createCliLogger(config) };
  try {
    const connections = await store.listConnections();
    for (const c of connections.filter((c) => c.status !== 'ok')) {
      checks.push({
        name: `connection ${c.id}`,
        ok: false,
        detail: `${c.crm} connection is ${c.status}${c.statusMessage !== null ? `: ${c.statusMessage}` : ''}`,
        fix: 'reconnect it in the admin UI',
      });
    }
    const hasEnv: Record<CrmName, boolean> = {
      salesforce: salesforceInEnvironment(config),
      hubspot: config.HUBSPOT_ACCESS_TOKEN !== undefined,
    };
    const crms =
      flags.crm !== undefined
        ? [flags.crm]
        : CrmNameSchema.options.filter((crm) => hasEnv[crm] || connections.some((c) => c.crm === crm));
    if (crms.length === 0) {
      checks.push({
        name: 'crm',
        ok: false,
        detail: 'no CRM configured',
        fix: 'set SALESFORCE_INSTANCE_URL + SALESFORCE_ACCESS_TOKEN (or a refresh token, or SALESFORCE_JWT_KEY + SALESFORCE_USERNAME), or HUBSPOT_ACCESS_TOKEN',
      });
    }
    for (const crm of crms) checks.push(...(await checkCrm(crm, ctx)));
    try {
      const { providers } = await openProviders(ctx);
      checks.push({
        name: 'providers',
        ok: providers.length > 0,
        detail:
          providers.length > 0
            ? providers.map((p) => `${p.network} (${p.maxBatch}/call)`).join(', ')
            : 'no network enabled',
      });
      // Each network on its own line: what it does, or why it is off and the step that turns it on.
      const imported = store.sql === undefined ? [] : await ImportedCountsStore.of(store).summary();
      for (const description of describeProviders(config, imported)) {
        checks.push({
          name: `  ${description.network}`,
          ok: true,
          detail: /^(on|off)\b/.test(description.detail)
            ? description.detail
            : `${description.enabled ? 'on' : 'off'}: ${description.detail}`,
          ...(description.howToEnable !== undefined ? { fix: description.howToEnable } : {}),
        });
      }
    } catch (error) {
      checks.push({ name: 'providers', ok: false, detail: describe(error) });
    }
    try {
      const { modelVersion } = await openModel();
      checks.push({ name: 'model', ok: true, detail: `scoring model ${modelVersion}` });
    } catch (error) {
      checks.push({ name: 'model', ok: false, detail: describe(error) });
    }
  } finally {
    await store.close();
  }
  return checks;
}

async function action(rawFlags: unknown): Promise<void> {
  const flags = parseFlags('doctor', DoctorFlagsSchema, rawFlags);
  const checks = await runChecks(flags);
  if (flags.json) printJson(checks);
  else {
    for (const check of checks) {
      process.stdout.write(`${check.ok ? '✓' : '✗'} ${check.name}: ${check.detail}\n`);
      if (check.fix !== undefined) process.stdout.write(`    ${check.ok ? 'tip' : 'fix'}: ${check.fix}\n`);
    }
  }
  process.exitCode = checks.every((c) => c.ok) ? 0 : 1;
}

export function register(program: Command): void {
  program
    .command('doctor')
    .description(
      'check configuration, store, CRM credentials and sign-in, fields read and written, record visibility, scopes, API budget, providers and the model',
    )
    .option('--crm <crm>', 'check only this CRM: salesforce or hubspot')
    .option('--json', 'print the checks as JSON')
    .action(action);
}
