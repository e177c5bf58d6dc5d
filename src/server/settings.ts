// Per-connection settings (schedule, tier thresholds and labels, network weights, overwrite policy, refresh
// interval), validated with zod and previewed before saving: tiers re-counted from the stored scores, and a dry run
// with the new settings (nothing written to the CRM).
import { Router } from 'express';
import { validate as isValidCron } from 'node-cron';
import { z } from 'zod';
import { INFLUENCE_FIELD_NAMES } from '../crm/contract.ts';
import type { InfluenceFieldName } from '../crm/contract.ts';
import { OverwriteModeSchema } from '../crm/policy.ts';
import { ScoringOptionsSchema } from '../scoring/options.ts';
import { NETWORKS } from '../scoring/types.ts';
import type { Connection, Store } from '../store/contract.ts';
import { SyncAlreadyRunningError } from '../sync/engine.ts';
import type { RunReport } from '../sync/report.ts';
import type { RunCoordinator } from './coordinator.ts';
import { csrfField, formatCount, html, raw } from './html.ts';
import type { SafeHtml } from './html.ts';
import { connectionPicker } from './pages.ts';
import { done, respond } from './render.ts';
import { csrfToken, flash, HttpError } from './security.ts';
import { retier } from './summary.ts';
import type { DashboardSummaries } from './summary.ts';

const number = (min: number, max: number, name: string) => z.coerce.number({ error: `${name} must be a number` }).min(min, `${name} must be at least ${min}`).max(max, `${name} must be at most ${max}`);

/** The form (or JSON body): flat fields, so one schema serves both. */
export const SettingsFormSchema = z.object({
  schedule: z.string().trim().refine((v) => isValidCron(v), 'schedule must be a cron expression like "0 3 * * *" (daily at 03:00)'),
  refreshDays: number(1, 365, 'refreshDays').int('refreshDays must be a whole number of days'),
  tierA: number(0, 100, 'tierA'),
  tierB: number(0, 100, 'tierB'),
  tierC: number(0, 100, 'tierC'),
  ...Object.fromEntries(NETWORKS.map((n) => [`weight_${n}`, number(0, 1, `weight_${n}`).default(1)])) as Record<`weight_${(typeof NETWORKS)[number]}`, z.ZodDefault<z.ZodCoercedNumber>>,
  ...Object.fromEntries(INFLUENCE_FIELD_NAMES.map((f) => [`overwrite_${f}`, OverwriteModeSchema.default('tracked')])) as Record<`overwrite_${InfluenceFieldName}`, z.ZodDefault<typeof OverwriteModeSchema>>,
}).refine((s) => s.tierA > s.tierB && s.tierB > s.tierC, { message: 'tier thresholds must satisfy A > B > C', path: ['tierA'] });
export type SettingsForm = z.output<typeof SettingsFormSchema>;

const StoredSchema = z.looseObject({
  schedule: z.string().optional(),
  refreshDays: z.number().optional(),
  scoring: z.looseObject({}).optional(),
  overwritePolicy: z.record(z.string(), z.string()).optional(),
});

/** The form's values for a connection's current settings. */
export function formFromSettings(settings: Record<string, unknown>, defaults: { schedule: string; refreshDays: number }): SettingsForm {
  const stored = StoredSchema.catch({}).parse(settings);
  const scoring = ScoringOptionsSchema.catch(ScoringOptionsSchema.parse({})).parse(stored.scoring ?? {});
  const policy = stored.overwritePolicy ?? {};
  return {
    schedule: stored.schedule ?? defaults.schedule,
    refreshDays: stored.refreshDays ?? defaults.refreshDays,
    tierA: scoring.tiers.thresholds.A, tierB: scoring.tiers.thresholds.B, tierC: scoring.tiers.thresholds.C,
    ...Object.fromEntries(NETWORKS.map((n) => [`weight_${n}`, scoring.weights[n] ?? 1])),
    ...Object.fromEntries(INFLUENCE_FIELD_NAMES.map((f) => [`overwrite_${f}`, OverwriteModeSchema.catch('tracked').parse(policy[f])])),
  } as SettingsForm;
}

/** The connection settings the form stands for, merged over what else the connection keeps. */
export function settingsFromForm(form: SettingsForm, current: Record<string, unknown>): Record<string, unknown> {
  const stored = StoredSchema.catch({}).parse(current);
  const scoring = { ...(stored.scoring ?? {}) } as Record<string, unknown>;
  const tiers = typeof scoring.tiers === 'object' && scoring.tiers !== null ? scoring.tiers as Record<string, unknown> : {};
  const next = {
    ...current,
    schedule: form.schedule,
    refreshDays: form.refreshDays,
    scoring: { ...scoring, weights: Object.fromEntries(NETWORKS.map((n) => [n, form[`weight_${n}`]])), tiers: { ...tiers, thresholds: { A: form.tierA, B: form.tierB, C: form.tierC } } },
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
}

function problemsOf(error: z.ZodError): string[] {
  return error.issues.map((i) => (i.message.startsWith(String(i.path[0] ?? '')) ? i.message : `${i.path.join('.') || 'settings'}: ${i.message}`));
}

function settingsForm(connection: Connection, form: SettingsForm, token: string, action: 'preview' | 'save'): SafeHtml {
  const input = (name: string, label: string, value: string | number, attrs: SafeHtml = html``) => html`<div class="field"><label for="${name}">${label}</label><input id="${name}" name="${name}" value="${String(value)}" ${attrs}></div>`;
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
    <fieldset><legend>Network weights (0 = ignore, 1 = full)</legend>
      ${NETWORKS.map((n) => input(`weight_${n}`, n, form[`weight_${n}`], raw('type="number" min="0" max="1" step="0.05" required')))}
    </fieldset>
    <fieldset><legend>Overwrite policy per field</legend>
      ${INFLUENCE_FIELD_NAMES.map((f) => html`<div class="field"><label for="overwrite_${f}">${f}</label><select id="overwrite_${f}" name="overwrite_${f}">
        ${OverwriteModeSchema.options.map((m) => html`<option value="${m}"${form[`overwrite_${f}`] === m ? raw(' selected') : ''}>${m}</option>`)}</select></div>`)}
    </fieldset>
    <button type="submit" id="settings-${action}">${action === 'preview' ? 'Preview (dry run)' : 'Save these settings'}</button>
  </form>`;
}

function previewSection(before: Record<string, number>, after: Record<string, number>, report: RunReport | null, runError: string | null): SafeHtml {
  return html`<section class="card preview" aria-labelledby="preview-h" id="preview"><h2 id="preview-h">Preview</h2>
    <table><caption>Tier counts from the stored scores</caption><thead><tr><th scope="col">Tier</th><th scope="col" class="num">Now</th><th scope="col" class="num">With these settings</th></tr></thead>
    <tbody>${(['A', 'B', 'C', 'D'] as const).map((t) => html`<tr><th scope="row">${t}</th><td class="num">${formatCount(before[t] ?? 0)}</td><td class="num" data-preview-tier="${t}">${formatCount(after[t] ?? 0)}</td></tr>`)}</tbody></table>
    ${report === null ? html`<p class="flash flash-error">Dry run not possible: ${runError ?? 'unknown reason'}</p>` : html`
      <p>Dry run <a href="/runs/${encodeURIComponent(report.runId)}">${report.runId.slice(0, 8)}</a>: ${report.status};
      read ${formatCount(report.counts.read)}, would write ${formatCount(report.counts.written)}, unchanged ${formatCount(report.counts.unchanged)}, failed ${formatCount(report.counts.failed)}. Nothing was written to the CRM.</p>`}
  </section>`;
}

export function settingsRoutes(deps: SettingsDeps): Router {
  const router = Router();

  router.get('/settings', async (req, res) => {
    const connections = await deps.store.listConnections();
    const id = typeof req.query.connection === 'string' ? req.query.connection : undefined;
    const chosen = connections.find((c) => c.id === id) ?? connections[0];
    const form = chosen === undefined ? null : formFromSettings(chosen.settings, deps.defaults);
    respond(req, res, {
      title: 'Settings', current: '/settings', data: { connection: chosen?.id ?? null, settings: form },
      body: () => (chosen === undefined || form === null ? html`<p>Connect a CRM first.</p>`
        : html`${connectionPicker('/settings', connections, chosen)}${settingsForm(chosen, form, csrfToken(req), 'preview')}`),
    });
  });

  router.post('/settings', async (req, res) => {
    const body = z.looseObject({ connection: z.string().min(1).max(200), action: z.enum(['preview', 'save']).default('preview') }).safeParse(req.body);
    if (!body.success) throw new HttpError(400, 'Say which connection (connection) and whether to preview or save (action).');
    const connection = await deps.store.getConnection(body.data.connection);
    if (connection === null) throw new HttpError(404, `No connection "${body.data.connection}".`);
    const parsed = SettingsFormSchema.safeParse(req.body);
    const token = csrfToken(req);
    if (!parsed.success) {
      const problems = problemsOf(parsed.error);
      res.status(422);
      respond(req, res, {
        title: 'Settings', current: '/settings', data: { error: 'invalid settings', problems },
        body: () => html`<div class="flash flash-error" role="alert"><p>The settings were not saved:</p><ul>${problems.map((p) => html`<li>${p}</li>`)}</ul></div>
          ${settingsForm(connection, { ...formFromSettings(connection.settings, deps.defaults) }, token, 'preview')}`,
      });
      return;
    }
    let next: Record<string, unknown>;
    try {
      next = settingsFromForm(parsed.data, connection.settings);
    } catch (error) {
      throw new HttpError(422, error instanceof z.ZodError ? problemsOf(error).join('; ') : 'The settings are not valid.');
    }
    if (body.data.action === 'save') {
      await deps.store.saveConnection({ ...connection, settings: next });
      await deps.coordinator.refresh();
      flash(req, 'ok', `Settings of ${connection.id} saved.`);
      done(req, res, 200, { saved: true, settings: formFromSettings(next, deps.defaults) }, `/settings?connection=${encodeURIComponent(connection.id)}`);
      return;
    }
    const summary = await deps.summaries.get(connection.id);
    const current = formFromSettings(connection.settings, deps.defaults);
    const before = retier(summary.scores, { A: current.tierA, B: current.tierB, C: current.tierC });
    const after = retier(summary.scores, { A: parsed.data.tierA, B: parsed.data.tierB, C: parsed.data.tierC });
    let report: RunReport | null = null;
    let runError: string | null = null;
    try {
      report = (await deps.coordinator.runAndWait(connection.id, { dryRun: true, settings: next })).report;
    } catch (error) {
      runError = error instanceof SyncAlreadyRunningError ? 'a run of this connection is going on; try again when it finishes' : 'the dry run could not start (see the server log)';
    }
    respond(req, res, {
      title: 'Settings preview', current: '/settings', data: { preview: { tiersNow: before, tiersWithSettings: after, dryRun: report }, settings: parsed.data, dryRunError: runError },
      body: () => html`${previewSection(before, after, report, runError)}${settingsForm(connection, parsed.data, token, 'save')}
        <p><a href="/settings?connection=${encodeURIComponent(connection.id)}">Discard and start over</a></p>`,
    });
  });

  return router;
}
