// installFields / checkSetup: the influence property group and properties from manifests/hubspot, created
// idempotently (409 → read and compare type and options); mismatches and missing scopes reported with their fix.
import { z } from 'zod';

import type { FieldCheck, InfluenceFieldName, SetupReport } from '../../src/crm/contract.ts';
import { INFLUENCE_FIELD_NAMES } from '../../src/crm/contract.ts';
import type { Tier } from '../../src/scoring/types.ts';
import { TierSchema } from '../../src/scoring/types.ts';
import { describeIssues } from '../../src/zod-issues.ts';
import type { HubSpotApi } from './api.ts';
import { HubSpotApiError } from './api.ts';
import type { PropertyDefinition, PropertyManifest } from './manifest.ts';
import { INFLUENCE_PROPERTIES } from './mapping.ts';

export const REQUIRED_SCOPES = [
  'crm.objects.contacts.read',
  'crm.objects.contacts.write',
  'crm.schemas.contacts.read',
  'crm.schemas.contacts.write',
] as const;

const INSTALL_FIX = 'run `crm-influence fields install --crm hubspot`';

type Problem = SetupReport['problems'][number];

interface ExistingProperty {
  name: string;
  type: string;
  fieldType: string;
  options: { value: string }[];
  modificationMetadata?: { readOnlyValue?: boolean };
}

/** What is wrong with an existing property compared with the manifest (undefined = it matches). */
export function compareProperty(wanted: PropertyDefinition, existing: ExistingProperty): Problem | undefined {
  if (existing.type !== wanted.type) {
    return {
      code: 'PROPERTY_TYPE_MISMATCH',
      message: `HubSpot contact property "${wanted.name}" is of type ${existing.type} (${existing.fieldType}); the plugin needs ${wanted.type} (${wanted.fieldType}).`,
      fix: `in HubSpot Settings › Properties, delete or rename the existing contact property "${wanted.name}", then ${INSTALL_FIX}`,
    };
  }
  if (wanted.type === 'enumeration' && wanted.fieldType === 'checkbox' && existing.fieldType !== 'checkbox') {
    return {
      code: 'PROPERTY_TYPE_MISMATCH',
      message: `HubSpot contact property "${wanted.name}" is a single-choice ${existing.fieldType}; the plugin writes several values (multiple checkboxes).`,
      fix: `in HubSpot Settings › Properties, change "${wanted.name}" to "Multiple checkboxes" (or delete it and ${INSTALL_FIX})`,
    };
  }
  const have = new Set(existing.options.map((o) => o.value));
  const missing = (wanted.options ?? []).map((o) => o.value).filter((v) => !have.has(v));
  if (missing.length > 0) {
    return {
      code: 'PROPERTY_OPTIONS_MISSING',
      message: `HubSpot contact property "${wanted.name}" lacks the option${missing.length === 1 ? '' : 's'} ${missing.map((v) => `"${v}"`).join(', ')}; writes with ${missing.length === 1 ? 'it' : 'them'} would be rejected.`,
      fix: `in HubSpot Settings › Properties, add the internal value${missing.length === 1 ? '' : 's'} ${missing.join(', ')} to "${wanted.name}" (or delete the property and ${INSTALL_FIX})`,
    };
  }
  return undefined;
}

function fieldOf(propertyName: string): InfluenceFieldName | undefined {
  return INFLUENCE_FIELD_NAMES.find((f) => INFLUENCE_PROPERTIES[f] === propertyName);
}

async function grantedScopes(api: HubSpotApi, baseUrl: string): Promise<string[] | undefined> {
  const token = await api.currentToken();
  const request =
    api.tokenKind === 'private'
      ? {
          url: `${baseUrl}/oauth/v2/private-apps/get/access-token-info`,
          init: {
            method: 'POST',
            headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify({ tokenKey: token }),
          },
        }
      : { url: `${baseUrl}/oauth/v1/access-tokens/${encodeURIComponent(token)}`, init: { method: 'GET' } };
  try {
    const body = await api.call('other', 'api', 'token info', async () => {
      const response = await fetch(request.url, { ...request.init, signal: AbortSignal.timeout(30_000) });
      const text = await response.text();
      const headers = Object.fromEntries(response.headers);
      const parsed: unknown = text === '' ? {} : JSON.parse(text);
      if (!response.ok)
        throw Object.assign(new Error(`HTTP ${response.status}`), { code: response.status, body: parsed, headers });
      return parsed;
    });
    const scopes = (body as { scopes?: unknown }).scopes;
    return Array.isArray(scopes) ? scopes.filter((s): s is string => typeof s === 'string') : undefined;
  } catch (error) {
    if (error instanceof HubSpotApiError) return undefined;
    throw error;
  }
}

export async function checkSetup(
  api: HubSpotApi,
  manifest: PropertyManifest,
  baseUrl: string,
  doNotProfileProperty: string,
): Promise<SetupReport> {
  const problems: Problem[] = [];
  const scopes = await grantedScopes(api, baseUrl);
  const missingScopes = scopes === undefined ? [] : REQUIRED_SCOPES.filter((s) => !scopes.includes(s));
  if (scopes === undefined) {
    problems.push({
      code: 'SCOPES_UNKNOWN',
      message: 'HubSpot did not say which scopes the token has.',
      fix: "check the app's scopes in HubSpot: it needs " + REQUIRED_SCOPES.join(', '),
    });
  } else if (missingScopes.length > 0) {
    problems.push({
      code: 'MISSING_SCOPES',
      message: `the HubSpot token lacks the scope${missingScopes.length === 1 ? '' : 's'} ${missingScopes.join(', ')}.`,
      fix: `add ${missingScopes.join(', ')} to the app's scopes in HubSpot (private app: Settings › Integrations › Private apps; public app: reinstall it)`,
    });
  }
  const all = await api.call('other', 'api', 'properties read', () => api.properties.coreApi.getAll('contacts'));
  const existing = new Map(all.results.map((p) => [p.name, p as unknown as ExistingProperty]));
  const fields: FieldCheck[] = [];
  for (const wanted of manifest.properties) {
    const have = existing.get(wanted.name);
    const problem =
      have === undefined
        ? {
            code: 'PROPERTY_MISSING',
            message: `HubSpot contact property "${wanted.name}" does not exist.`,
            fix: INSTALL_FIX,
          }
        : compareProperty(wanted, have);
    if (problem !== undefined) problems.push(problem);
    const field = fieldOf(wanted.name);
    if (field !== undefined) {
      fields.push({
        objectType: 'contact',
        field,
        crmField: wanted.name,
        exists: have !== undefined,
        writable: have !== undefined && have.modificationMetadata?.readOnlyValue !== true && problem === undefined,
        ...(problem === undefined ? {} : { problem: `${problem.message} Fix: ${problem.fix}` }),
      });
    }
  }
  if (!manifest.properties.some((p) => p.name === doNotProfileProperty) && !existing.has(doNotProfileProperty)) {
    problems.push({
      code: 'OPT_OUT_PROPERTY_MISSING',
      message: `the opt-out property "${doNotProfileProperty}" does not exist, so no contact can opt out.`,
      fix: `create a Yes/No contact property "${doNotProfileProperty}" in HubSpot or set the connection's doNotProfileProperty to an existing one`,
    });
  }
  for (const field of INFLUENCE_FIELD_NAMES) {
    if (!fields.some((f) => f.field === field)) {
      problems.push({
        code: 'MANIFEST_INCOMPLETE',
        message: `the property manifest does not declare ${INFLUENCE_PROPERTIES[field]}.`,
        fix: 'restore manifests/hubspot/properties/influence-properties.json from the release',
      });
    }
  }
  return {
    ok: problems.length === 0,
    fields,
    missingScopes,
    ...(api.budget === undefined ? {} : { budget: api.budget }),
    problems,
  };
}

const TierPropertySchema = z.object({
  options: z.array(
    z.object({
      label: z.string(),
      value: z.string(),
      displayOrder: z.number().optional(),
      hidden: z.boolean().optional(),
    }),
  ),
});

/** The tier property's option labels set to the admin's labels (values untouched); one read, and a write only when they differ. */
export async function applyTierLabels(api: HubSpotApi, labels: Readonly<Record<Tier, string>>): Promise<boolean> {
  const name = INFLUENCE_PROPERTIES.tier;
  const read = TierPropertySchema.safeParse(
    await api.call('other', 'api', `property read ${name}`, () => api.properties.coreApi.getByName('contacts', name)),
  );
  if (!read.success)
    throw new Error(
      `HubSpot contact property "${name}" has no readable options (${describeIssues(read.error)}); ${INSTALL_FIX}`,
    );
  const options = read.data.options.map((option) => {
    const label = TierSchema.safeParse(option.value).success ? labels[option.value as Tier] : option.label;
    return { ...option, label };
  });
  if (options.every((option, i) => option.label === read.data.options[i]!.label)) return false;
  await api.call('other', 'api', `property update ${name}`, () =>
    api.properties.coreApi.update('contacts', name, { options } as unknown as Parameters<
      HubSpotApi['properties']['coreApi']['update']
    >[2]),
  );
  return true;
}

/** Creates the group and every property; existing ones are compared, never changed. Then checks the setup. */
export async function installFields(
  api: HubSpotApi,
  manifest: PropertyManifest,
  baseUrl: string,
  doNotProfileProperty: string,
): Promise<SetupReport> {
  const conflicts: Problem[] = [];
  try {
    await api.call('other', 'api', 'property group create', () =>
      api.properties.groupsApi.create('contacts', manifest.group),
    );
  } catch (error) {
    if (!(error instanceof HubSpotApiError && error.status === 409)) throw error;
  }
  for (const property of manifest.properties) {
    try {
      await api.call('other', 'api', `property create ${property.name}`, () =>
        api.properties.coreApi.create(
          'contacts',
          property as unknown as Parameters<HubSpotApi['properties']['coreApi']['create']>[1],
        ),
      );
    } catch (error) {
      if (!(error instanceof HubSpotApiError && error.status === 409)) throw error;
      const existing = await api.call('other', 'api', `property read ${property.name}`, () =>
        api.properties.coreApi.getByName('contacts', property.name),
      );
      const problem = compareProperty(property, existing);
      if (problem !== undefined) conflicts.push(problem);
    }
  }
  const report = await checkSetup(api, manifest, baseUrl, doNotProfileProperty);
  // checkSetup finds the same mismatches; keep one entry per problem.
  const seen = new Set(report.problems.map((p) => p.message));
  const problems = [...report.problems, ...conflicts.filter((p) => !seen.has(p.message))];
  return { ...report, ok: problems.length === 0, problems };
}
