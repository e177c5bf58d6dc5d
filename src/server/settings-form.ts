// A connection's settings as the Settings form shows them (schedule, tier thresholds and labels, network weights,
// overwrite policy, refresh interval, which CRM field holds which network's handle, tier-change tasks): the form's zod schema, and the
// conversions between the form and the settings the connection keeps (what the connectors and the model read).
import { validate as isValidCron } from 'node-cron';
import { z } from 'zod';

import type { InfluenceFieldName } from '../crm/contract.ts';
import { INFLUENCE_FIELD_NAMES } from '../crm/contract.ts';
import { OverwriteModeSchema } from '../crm/policy.ts';
import { ScoringOptionsSchema } from '../scoring/options.ts';
import { NETWORKS } from '../scoring/types.ts';
import { TierTasksSchema } from '../sync/options.ts';
import { describeIssues } from '../zod-issues.ts';

export const TIER_LETTERS = ['A', 'B', 'C', 'D'] as const;
export const MAPPING_NETWORKS = [...NETWORKS, 'any'] as const;
const FIELD_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;

const tierLabel = (tier: string) =>
  z
    .string()
    .trim()
    .min(1, `tierLabel${tier} must not be empty`)
    .max(40, `tierLabel${tier} must be at most 40 characters`)
    .optional();

/**
 * "Field = network" per line (network one of the scored networks, or `any` for a profile URL of any network). The
 * connectors read one list per CRM: Salesforce applies it to Contact and Lead alike, HubSpot to contacts.
 */
export const FieldMappingSchema = z
  .string()
  .max(4000, 'fieldMapping must be at most 4000 characters')
  .transform((text, ctx) => {
    const pairs: { field: string; network: (typeof MAPPING_NETWORKS)[number] }[] = [];
    text
      .split(/\r?\n/)
      .map((l) => l.trim())
      .forEach((line, index) => {
        if (line === '') return;
        const match = /^([^=\s]+)\s*=\s*(\S+)$/.exec(line);
        const network = MAPPING_NETWORKS.find((n) => n === match?.[2]?.toLowerCase());
        if (match === null || !FIELD_NAME.test(match[1] ?? '') || network === undefined) {
          ctx.addIssue({
            code: 'custom',
            message: `fieldMapping line ${index + 1} ("${line.slice(0, 60)}") must read "Field_API_Name = network" with network one of ${MAPPING_NETWORKS.join(', ')}`,
          });
          return;
        }
        if (pairs.some((p) => p.field.toLowerCase() === match[1]!.toLowerCase())) {
          ctx.addIssue({
            code: 'custom',
            message: `fieldMapping line ${index + 1}: field ${match[1]} is mapped twice`,
          });
          return;
        }
        pairs.push({ field: match[1]!, network });
      });
    return pairs;
  });

const number = (min: number, max: number, name: string) =>
  z.coerce
    .number({ error: `${name} must be a number` })
    .min(min, `${name} must be at least ${min}`)
    .max(max, `${name} must be at most ${max}`);

/** The form (or JSON body): flat fields, so one schema serves both. */
export const SettingsFormSchema = z
  .object({
    schedule: z
      .string()
      .trim()
      .refine((v) => isValidCron(v), 'schedule must be a cron expression like "0 3 * * *" (daily at 03:00)'),
    refreshDays: number(1, 365, 'refreshDays').int('refreshDays must be a whole number of days'),
    tierA: number(0, 100, 'tierA'),
    tierB: number(0, 100, 'tierB'),
    tierC: number(0, 100, 'tierC'),
    tierLabelA: tierLabel('A'),
    tierLabelB: tierLabel('B'),
    tierLabelC: tierLabel('C'),
    tierLabelD: tierLabel('D'),
    /** Absent: keep the stored mapping; empty: the connector's default fields. */
    fieldMapping: FieldMappingSchema.optional(),
    /** Tier-change tasks (a CRM task for the owner when a contact reaches tier A); absent: keep what is stored. */
    tierTasks: z.enum(['off', 'on'], { error: 'tierTasks must be "on" or "off"' }).optional(),
    tierTasksMax: number(1, 1000, 'tierTasksMax').int('tierTasksMax must be a whole number of tasks').optional(),
    ...(Object.fromEntries(NETWORKS.map((n) => [`weight_${n}`, number(0, 1, `weight_${n}`).default(1)])) as Record<
      `weight_${(typeof NETWORKS)[number]}`,
      z.ZodDefault<z.ZodCoercedNumber>
    >),
    ...(Object.fromEntries(
      INFLUENCE_FIELD_NAMES.map((f) => [`overwrite_${f}`, OverwriteModeSchema.default('tracked')]),
    ) as Record<`overwrite_${InfluenceFieldName}`, z.ZodDefault<typeof OverwriteModeSchema>>),
  })
  .refine((s) => s.tierA > s.tierB && s.tierB > s.tierC, {
    message: 'tier thresholds must satisfy A > B > C',
    path: ['tierA'],
  });
export type SettingsForm = z.output<typeof SettingsFormSchema>;

const StoredSchema = z.looseObject({
  schedule: z.string().optional(),
  refreshDays: z.number().optional(),
  scoring: z.looseObject({}).optional(),
  overwritePolicy: z.record(z.string(), z.string()).optional(),
  salesforce: z
    .looseObject({ handleFields: z.array(z.object({ field: z.string(), network: z.string() })).optional() })
    .optional(),
  hubspot: z.looseObject({ handleProperties: z.record(z.string(), z.string()).optional() }).optional(),
  tierTasks: TierTasksSchema.partial().optional(),
});

type MappingPairs = z.output<typeof FieldMappingSchema>;

/** The stored mapping of the connection's CRM, as pairs (null: none stored, the connector's defaults apply). */
function storedMapping(
  stored: z.output<typeof StoredSchema>,
  crm: string | undefined,
): { field: string; network: string }[] | null {
  if (crm === 'salesforce') return stored.salesforce?.handleFields ?? null;
  if (crm === 'hubspot')
    return stored.hubspot?.handleProperties === undefined
      ? null
      : Object.entries(stored.hubspot.handleProperties).map(([field, network]) => ({ field, network }));
  return null;
}

export function mappingText(pairs: readonly { field: string; network: string }[] | null): string {
  return (pairs ?? []).map((p) => `${p.field} = ${p.network}`).join('\n');
}

/** Where each connector reads its mapping from: `settings.salesforce.handleFields` / `settings.hubspot.handleProperties`. */
function withMapping(
  settings: Record<string, unknown>,
  crm: string | undefined,
  pairs: MappingPairs,
): Record<string, unknown> {
  const key = crm === 'salesforce' ? 'salesforce' : crm === 'hubspot' ? 'hubspot' : null;
  if (key === null) return settings;
  const section =
    typeof settings[key] === 'object' && settings[key] !== null
      ? { ...(settings[key] as Record<string, unknown>) }
      : {};
  const prop = key === 'salesforce' ? 'handleFields' : 'handleProperties';
  if (pairs.length === 0) {
    if (settings[key] === undefined) return settings;
    delete section[prop];
  } else section[prop] = key === 'salesforce' ? pairs : Object.fromEntries(pairs.map((p) => [p.field, p.network]));
  return { ...settings, [key]: section };
}

/** The form's values for a connection's current settings. */
export function formFromSettings(
  settings: Record<string, unknown>,
  defaults: { schedule: string; refreshDays: number },
  crm?: string,
): SettingsForm {
  const stored = StoredSchema.catch({}).parse(settings);
  const scoring = ScoringOptionsSchema.catch(ScoringOptionsSchema.parse({})).parse(stored.scoring ?? {});
  const policy = stored.overwritePolicy ?? {};
  return {
    schedule: stored.schedule ?? defaults.schedule,
    refreshDays: stored.refreshDays ?? defaults.refreshDays,
    tierA: scoring.tiers.thresholds.A,
    tierB: scoring.tiers.thresholds.B,
    tierC: scoring.tiers.thresholds.C,
    tierLabelA: scoring.tiers.labels.A,
    tierLabelB: scoring.tiers.labels.B,
    tierLabelC: scoring.tiers.labels.C,
    tierLabelD: scoring.tiers.labels.D,
    fieldMapping: (storedMapping(stored, crm) ?? []) as MappingPairs,
    tierTasks: stored.tierTasks?.enabled === true ? 'on' : 'off',
    tierTasksMax: stored.tierTasks?.maxPerRun ?? TierTasksSchema.parse({}).maxPerRun,
    ...Object.fromEntries(NETWORKS.map((n) => [`weight_${n}`, scoring.weights[n] ?? 1])),
    ...Object.fromEntries(
      INFLUENCE_FIELD_NAMES.map((f) => [`overwrite_${f}`, OverwriteModeSchema.catch('tracked').parse(policy[f])]),
    ),
  } as SettingsForm;
}

/** The connection settings the form stands for, merged over what else the connection keeps. */
export function settingsFromForm(
  form: SettingsForm,
  current: Record<string, unknown>,
  crm?: string,
): Record<string, unknown> {
  const stored = StoredSchema.catch({}).parse(current);
  const scoring = { ...(stored.scoring ?? {}) } as Record<string, unknown>;
  const tiers =
    typeof scoring.tiers === 'object' && scoring.tiers !== null ? (scoring.tiers as Record<string, unknown>) : {};
  const oldLabels =
    typeof tiers.labels === 'object' && tiers.labels !== null ? (tiers.labels as Record<string, unknown>) : {};
  const newLabels = Object.fromEntries(
    TIER_LETTERS.flatMap((t) => (form[`tierLabel${t}`] === undefined ? [] : [[t, form[`tierLabel${t}`]]])),
  );
  const labels =
    Object.keys(newLabels).length === 0 && tiers.labels === undefined
      ? {}
      : { labels: { ...ScoringOptionsSchema.parse({}).tiers.labels, ...oldLabels, ...newLabels } };
  const base = form.fieldMapping === undefined ? current : withMapping(current, crm, form.fieldMapping);
  const next = {
    ...base,
    schedule: form.schedule,
    refreshDays: form.refreshDays,
    scoring: {
      ...scoring,
      weights: Object.fromEntries(NETWORKS.map((n) => [n, form[`weight_${n}`]])),
      tiers: { ...tiers, ...labels, thresholds: { A: form.tierA, B: form.tierB, C: form.tierC } },
    },
    overwritePolicy: Object.fromEntries(INFLUENCE_FIELD_NAMES.map((f) => [f, form[`overwrite_${f}`]])),
    ...(form.tierTasks === undefined && form.tierTasksMax === undefined
      ? {}
      : {
          tierTasks: TierTasksSchema.parse({
            ...stored.tierTasks,
            ...(form.tierTasks === undefined ? {} : { enabled: form.tierTasks === 'on' }),
            ...(form.tierTasksMax === undefined ? {} : { maxPerRun: form.tierTasksMax }),
          }),
        }),
  };
  // The model must accept them too (labels, hysteresis… kept from before).
  ScoringOptionsSchema.parse(next.scoring);
  return next;
}

/** The form's problems, one line each, naming the field. */
export function problemsOf(error: z.ZodError): string[] {
  // A message that starts with its field's name (the form's own wording) is shown as it is.
  return error.issues.map((i) =>
    i.message.startsWith(String(i.path[0] ?? '')) ? i.message : describeIssues([i], { root: 'settings' }),
  );
}
