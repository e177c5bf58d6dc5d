// Per-connection settings (schedule, tier thresholds and labels, network weights, overwrite policy, refresh
// interval, which CRM field holds which network's handle), validated with zod and previewed before saving: tiers re-counted from the stored scores, and a dry run
// with the new settings (nothing written to the CRM).
import { Router } from 'express';
import { validate as isValidCron } from 'node-cron';
import { z } from 'zod';

import type { CrmName, InfluenceFieldName } from '../crm/contract.ts';
import { INFLUENCE_FIELD_LABELS, INFLUENCE_FIELD_NAMES } from '../crm/contract.ts';
import { OVERWRITE_MODE_WORDS, OverwriteModeSchema } from '../crm/policy.ts';
import { NETWORK_NAMES } from '../scoring/explain.ts';
import { ScoringOptionsSchema } from '../scoring/options.ts';
import { NETWORKS } from '../scoring/types.ts';
import type { Connection, Store } from '../store/contract.ts';
import type { RunReport } from '../store/run-report.ts';
import { SyncAlreadyRunningError } from '../sync/engine.ts';
import { scoringKeyOf } from '../sync/fields.ts';
import type { RunCoordinator } from './coordinator.ts';
import type { SafeHtml } from './html.ts';
import { csrfField, formatCount, html, raw } from './html.ts';
import { connectionPicker } from './pages.ts';
import { done, respond } from './render.ts';
import { csrfToken, flash, HttpError } from './security.ts';
import type { DashboardSummaries } from './summary.ts';
import { retier } from './summary.ts';

const TIER_LETTERS = ['A', 'B', 'C', 'D'] as const;
const MAPPING_NETWORKS = [...NETWORKS, 'any'] as const;
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
  };
  // The model must accept them too (labels, hysteresis… kept from before).
  ScoringOptionsSchema.parse(next.scoring);
  return next;
}

export interface SettingsDeps {
  store: Store;
  coordinator: RunCoordinator;
  summaries: DashboardSummaries;
  defaults: { schedule: string; refreshDays: number };
  /** The handle mapping each CRM's connector reads when the admin has set none (shown greyed in the form). */
  defaultHandleMapping?: ((crm: CrmName) => readonly { field: string; network: string }[]) | undefined;
}

function problemsOf(error: z.ZodError): string[] {
  return error.issues.map((i) =>
    i.message.startsWith(String(i.path[0] ?? '')) ? i.message : `${i.path.join('.') || 'settings'}: ${i.message}`,
  );
}

function settingsForm(
  connection: Connection,
  form: SettingsForm,
  token: string,
  action: 'preview' | 'save',
  defaultMapping: readonly { field: string; network: string }[],
): SafeHtml {
  const input = (name: string, label: string, value: string | number, attrs: SafeHtml = html``) =>
    html`<div class="field"><label for="${name}">${label}</label><input id="${name}" name="${name}" value="${String(value)}" ${attrs}></div>`;
  return html`<form method="post" action="/settings" class="card settings">
    ${csrfField(token)}<input type="hidden" name="connection" value="${connection.id}"><input type="hidden" name="action" value="${action}">
    <fieldset><legend>Schedule</legend>
      ${input('schedule', 'Cron schedule', form.schedule, raw('required aria-describedby="schedule-help"'))}<p id="schedule-help" class="muted">e.g. 0 3 * * * = daily at 03:00</p>
      ${input('refreshDays', 'Re-score after (days)', form.refreshDays, raw('type="number" min="1" max="365" required'))}
    </fieldset>
    <fieldset><legend>Tier thresholds (score at least)</legend>
      ${input('tierA', 'A', form.tierA, raw('type="number" min="0" max="100" step="any" required'))}
      ${input('tierB', 'B', form.tierB, raw('type="number" min="0" max="100" step="any" required'))}
      ${input('tierC', 'C', form.tierC, raw('type="number" min="0" max="100" step="any" required'))}
    </fieldset>
    <fieldset><legend>Tier labels (what the CRM shows)</legend>
      ${TIER_LETTERS.map((t) => input(`tierLabel${t}`, `Label of ${t}`, form[`tierLabel${t}`] ?? t, raw('maxlength="40" required aria-describedby="tierLabels-help"')))}
      <p id="tierLabels-help" class="muted">${
        connection.crm === 'hubspot'
          ? 'The Influence tier property shows these labels from the next run. Its values stay A–D, so reports and filters keep working.'
          : "Salesforce shows the Influence Tier picklist's own labels: rename them in Setup › Object Manager › Contact (and Lead) › Fields & Relationships › Influence Tier › Values. Keep the API names A–D: they are what is written and what reports filter on."
      }</p>
    </fieldset>
    <fieldset><legend>Field mapping (${connection.crm === 'salesforce' ? 'Contact and Lead fields' : 'contact properties'} holding each network's handle)</legend>
      <div class="field"><label for="fieldMapping">One "Field = network" per line</label>
      <textarea id="fieldMapping" name="fieldMapping" rows="6" aria-describedby="fieldMapping-help" placeholder="${mappingText(defaultMapping)}">${mappingText(form.fieldMapping ?? null)}</textarea></div>
      <p id="fieldMapping-help" class="muted">Networks: ${MAPPING_NETWORKS.join(', ')} (any = a profile URL of any network). Empty: ${defaultMapping.length > 0 ? `the default ${connection.crm === 'salesforce' ? 'fields' : 'properties'} shown greyed in the box` : "the connector's default fields"}.</p>
    </fieldset>
    <fieldset><legend>Network weights (0 = ignore, 1 = full)</legend>
      ${NETWORKS.map((n) => input(`weight_${n}`, NETWORK_NAMES[n], form[`weight_${n}`], raw('type="number" min="0" max="1" step="0.05" required')))}
    </fieldset>
    <fieldset><legend>Overwrite policy per field</legend>
      ${INFLUENCE_FIELD_NAMES.map(
        (
          f,
        ) => html`<div class="field"><label for="overwrite_${f}">${INFLUENCE_FIELD_LABELS[f]}</label><select id="overwrite_${f}" name="overwrite_${f}" aria-describedby="overwrite-help">
        ${OverwriteModeSchema.options.map((m) => html`<option value="${m}"${form[`overwrite_${f}`] === m ? raw(' selected') : ''}>${OVERWRITE_MODE_WORDS[m]}</option>`)}</select></div>`,
      )}
      <p id="overwrite-help" class="muted">When a person edits one of these fields on a record: <em>keep a person's edits</em> (default) stops updating that field on that record; <em>always overwrite</em> puts the score back at the next write; <em>fill only when empty</em> writes only into an empty field.</p>
    </fieldset>
    <button type="submit" id="settings-${action}">${action === 'preview' ? 'Preview (dry run)' : 'Save these settings'}</button>
  </form>`;
}

function previewSection(
  before: Record<string, number>,
  after: Record<string, number>,
  form: SettingsForm,
  mappingChanged: boolean,
  report: RunReport | null,
  runError: string | null,
): SafeHtml {
  return html`<section class="card preview" aria-labelledby="preview-h" id="preview"><h2 id="preview-h">Preview</h2>
    <table><caption>Tier counts from the stored scores</caption><thead><tr><th scope="col">Tier</th><th scope="col" class="num">Now</th><th scope="col" class="num">With these settings</th></tr></thead>
    <tbody>${TIER_LETTERS.map((t) => html`<tr><th scope="row" data-preview-label="${t}">${t}${form[`tierLabel${t}`] !== undefined && form[`tierLabel${t}`] !== t ? ` (shown as "${form[`tierLabel${t}`]}")` : ''}</th><td class="num">${formatCount(before[t] ?? 0)}</td><td class="num" data-preview-tier="${t}">${formatCount(after[t] ?? 0)}</td></tr>`)}</tbody></table>
    ${
      report === null
        ? html`<p class="flash flash-error">Dry run not possible: ${runError ?? 'unknown reason'}</p>`
        : html`
      <p>Dry run <a href="/runs/${encodeURIComponent(report.runId)}">${report.runId.slice(0, 8)}</a>: ${report.status};
      read ${formatCount(report.counts.read)}, would write ${formatCount(report.counts.written)}, unchanged ${formatCount(report.counts.unchanged)}, failed ${formatCount(report.counts.failed)}. Nothing was written to the CRM.</p>`
    }
    ${form.fieldMapping === undefined ? '' : html`<p data-preview-mapping>Field mapping: ${form.fieldMapping.length === 0 ? "the connector's default fields" : form.fieldMapping.map((p) => `${p.field} → ${p.network}`).join(', ')}.${mappingChanged ? ' It changed: this dry run read the saved mapping; the new one applies from the first run after saving.' : ''}</p>`}
  </section>`;
}

export function settingsRoutes(deps: SettingsDeps): Router {
  const router = Router();
  const defaultsFor = (connection: Connection) => deps.defaultHandleMapping?.(connection.crm) ?? [];

  router.get('/settings', async (req, res) => {
    const connections = await deps.store.listConnections();
    const id = typeof req.query.connection === 'string' ? req.query.connection : undefined;
    const chosen = connections.find((c) => c.id === id) ?? connections[0];
    const form = chosen === undefined ? null : formFromSettings(chosen.settings, deps.defaults, chosen.crm);
    respond(req, res, {
      title: 'Settings',
      current: '/settings',
      data: { connection: chosen?.id ?? null, settings: form },
      body: () =>
        chosen === undefined || form === null
          ? html`<p>Connect a CRM first.</p>`
          : html`${connectionPicker('/settings', connections, chosen)}${settingsForm(chosen, form, csrfToken(req), 'preview', defaultsFor(chosen))}`,
    });
  });

  router.post('/settings', async (req, res) => {
    const body = z
      .looseObject({ connection: z.string().min(1).max(200), action: z.enum(['preview', 'save']).default('preview') })
      .safeParse(req.body);
    if (!body.success)
      throw new HttpError(400, 'Say which connection (connection) and whether to preview or save (action).');
    const connection = await deps.store.getConnection(body.data.connection);
    if (connection === null) throw new HttpError(404, `No connection "${body.data.connection}".`);
    const parsed = SettingsFormSchema.safeParse(req.body);
    const token = csrfToken(req);
    if (!parsed.success) {
      const problems = problemsOf(parsed.error);
      res.status(422);
      respond(req, res, {
        title: 'Settings',
        current: '/settings',
        data: { error: 'invalid settings', problems },
        body: () => html`<div class="flash flash-error" role="alert"><p>The settings were not saved:</p><ul>${problems.map((p) => html`<li>${p}</li>`)}</ul></div>
          ${settingsForm(connection, { ...formFromSettings(connection.settings, deps.defaults, connection.crm) }, token, 'preview', defaultsFor(connection))}`,
      });
      return;
    }
    let next: Record<string, unknown>;
    try {
      next = settingsFromForm(parsed.data, connection.settings, connection.crm);
    } catch (error) {
      throw new HttpError(
        422,
        error instanceof z.ZodError ? problemsOf(error).join('; ') : 'The settings are not valid.',
      );
    }
    if (body.data.action === 'save') {
      await deps.store.saveConnection({ ...connection, settings: next });
      await deps.coordinator.refresh();
      const rescoring =
        scoringKeyOf('', connection.settings.scoring, connection.settings) !== scoringKeyOf('', next.scoring, next);
      flash(
        req,
        'ok',
        `Settings of ${connection.id} saved.${rescoring ? ' Scoring or field mapping changed: the next run reads and re-scores every contact (writing only those whose fields change).' : ''}`,
      );
      done(
        req,
        res,
        200,
        { saved: true, settings: formFromSettings(next, deps.defaults, connection.crm) },
        `/settings?connection=${encodeURIComponent(connection.id)}`,
      );
      return;
    }
    const summary = await deps.summaries.get(connection.id);
    const current = formFromSettings(connection.settings, deps.defaults, connection.crm);
    const before = retier(summary.scores, { A: current.tierA, B: current.tierB, C: current.tierC });
    const after = retier(summary.scores, { A: parsed.data.tierA, B: parsed.data.tierB, C: parsed.data.tierC });
    const mappingChanged =
      parsed.data.fieldMapping !== undefined &&
      mappingText(parsed.data.fieldMapping) !== mappingText(current.fieldMapping ?? null);
    let report: RunReport | null = null;
    let runError: string | null = null;
    try {
      report = (await deps.coordinator.runAndWait(connection.id, { dryRun: true, settings: next })).report;
    } catch (error) {
      runError =
        error instanceof SyncAlreadyRunningError
          ? 'a run of this connection is going on; try again when it finishes'
          : 'the dry run could not start (see the server log)';
    }
    respond(req, res, {
      title: 'Settings preview',
      current: '/settings',
      data: {
        preview: {
          tiersNow: before,
          tiersWithSettings: after,
          tierLabels: Object.fromEntries(
            TIER_LETTERS.map((t) => [t, parsed.data[`tierLabel${t}`] ?? current[`tierLabel${t}`] ?? t]),
          ),
          fieldMapping: parsed.data.fieldMapping ?? current.fieldMapping ?? [],
          fieldMappingAppliesAfterSave: mappingChanged,
          dryRun: report,
        },
        settings: parsed.data,
        dryRunError: runError,
      },
      body: () => html`${previewSection(before, after, parsed.data, mappingChanged, report, runError)}${settingsForm(connection, parsed.data, token, 'save', defaultsFor(connection))}
        <p><a href="/settings?connection=${encodeURIComponent(connection.id)}">Discard and start over</a></p>`,
    });
  });

  return router;
}
