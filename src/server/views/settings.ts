// The Settings form and the preview shown above it before saving.
import { INFLUENCE_FIELD_LABELS, INFLUENCE_FIELD_NAMES } from '../../crm/contract.ts';
import { OVERWRITE_MODE_WORDS, OverwriteModeSchema } from '../../crm/policy.ts';
import { NETWORK_NAMES } from '../../scoring/explain.ts';
import { NETWORKS } from '../../scoring/types.ts';
import type { Connection } from '../../store/contract.ts';
import type { RunReport } from '../../store/run-report.ts';
import { writesOf } from '../../store/run-report.ts';
import type { ImportSummary } from '../../sync/imported-counts.ts';
import type { SafeHtml } from '../html.ts';
import { csrfField, formatCount, html, raw } from '../html.ts';
import type { SettingsForm } from '../settings-form.ts';
import { MAPPING_NETWORKS, mappingText, TIER_LETTERS } from '../settings-form.ts';

export function settingsForm(
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
    <fieldset><legend>Tier-change tasks</legend>
      <div class="field"><label for="tierTasks">Task for the owner when a contact reaches tier A</label><select id="tierTasks" name="tierTasks" aria-describedby="tierTasks-help">
        <option value="off"${form.tierTasks === 'on' ? '' : raw(' selected')}>Off</option><option value="on"${form.tierTasks === 'on' ? raw(' selected') : ''}>On</option></select></div>
      ${input('tierTasksMax', 'At most this many tasks per run', form.tierTasksMax ?? 25, raw('type="number" min="1" max="1000" required aria-describedby="tierTasks-help"'))}
      <p id="tierTasks-help" class="muted">When the score moves a ${connection.crm === 'salesforce' ? 'contact or lead' : 'contact'} up into tier A, its owner gets one ${connection.crm === 'salesforce' ? 'Salesforce task' : 'HubSpot task'} with the top factors: once per rise, never again on later runs; past the limit, the rest follow on the next runs (for up to 7 days). Not on a connection's first run. ${connection.crm === 'salesforce' ? 'The integration user needs Edit Tasks (in the Social_Influence_Integration permission set); records owned by a queue get none.' : 'Contacts without a contact owner get none.'}</p>
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

export function previewSection(
  before: Record<string, number>,
  after: Record<string, number>,
  form: SettingsForm,
  mappingChanged: boolean,
  report: RunReport | null,
  runError: string | null,
): SafeHtml {
  return html`<section class="card preview" aria-labelledby="preview-h" id="preview"><h2 id="preview-h">Preview</h2>
    <table><caption>Tier counts: now as the Dashboard shows them; with these settings, moved by the new thresholds</caption><thead><tr><th scope="col">Tier</th><th scope="col" class="num">Now</th><th scope="col" class="num">With these settings</th></tr></thead>
    <tbody>${TIER_LETTERS.map((t) => html`<tr><th scope="row" data-preview-label="${t}">${t}${form[`tierLabel${t}`] !== undefined && form[`tierLabel${t}`] !== t ? ` (shown as "${form[`tierLabel${t}`]}")` : ''}</th><td class="num">${formatCount(before[t] ?? 0)}</td><td class="num" data-preview-tier="${t}">${formatCount(after[t] ?? 0)}</td></tr>`)}</tbody></table>
    ${
      report === null
        ? html`<p class="flash flash-error">Dry run not possible: ${runError ?? 'unknown reason'}</p>`
        : html`
      <p>Dry run <a href="/runs/${encodeURIComponent(report.runId)}">${report.runId.slice(0, 8)}</a>: ${report.status};
      read ${formatCount(report.counts.read)}, would write ${formatCount(writesOf(report).count)}, unchanged ${formatCount(report.counts.unchanged)}, failed ${formatCount(report.counts.failed)}. Nothing was written to the CRM.</p>`
    }
    ${form.fieldMapping === undefined ? '' : html`<p data-preview-mapping>Field mapping: ${form.fieldMapping.length === 0 ? "the connector's default fields" : form.fieldMapping.map((p) => `${p.field} → ${p.network}`).join(', ')}.${mappingChanged ? ' It changed: this dry run read the saved mapping; the new one applies from the first run after saving.' : ''}</p>`}
  </section>`;
}

type HandleMapping = readonly { field: string; network: string }[];

/** What is imported, per network. */
function importedTable(stored: readonly ImportSummary[]): SafeHtml {
  if (stored.length === 0) return html`<p class="muted" data-imported="none">No counts imported yet.</p>`;
  return html`<table data-imported><caption>Imported counts (used by every connection)</caption><thead><tr><th scope="col">Network</th><th scope="col" class="num">Accounts</th><th scope="col">As of</th></tr></thead>
    <tbody>${stored.map((s) => html`<tr><th scope="row">${NETWORK_NAMES[s.network]}</th><td class="num">${formatCount(s.accounts)}</td><td>${s.oldestAsOf.slice(0, 10) === s.newestAsOf.slice(0, 10) ? s.newestAsOf.slice(0, 10) : `${s.oldestAsOf.slice(0, 10)} – ${s.newestAsOf.slice(0, 10)}`}</td></tr>`)}</tbody></table>`;
}

/** The upload of counts for networks without an open API (LinkedIn). */
export function importCard(
  stored: readonly ImportSummary[],
  token: string,
  connectionId: string | undefined,
): SafeHtml {
  return html`<section class="card import" aria-labelledby="import-h"><h2 id="import-h">Import counts (LinkedIn and other networks without an API)</h2>
    ${importedTable(stored)}
    <form method="post" action="/settings/import" enctype="multipart/form-data">${csrfField(token)}${connectionId === undefined ? '' : html`<input type="hidden" name="connection" value="${connectionId}">`}
      <div class="field"><label for="counts">CSV file</label><input id="counts" name="counts" type="file" accept=".csv,text/csv" required aria-describedby="import-help"></div>
      <button type="submit" id="import-submit">Import</button></form>
    <p id="import-help" class="muted">Columns: <code>handle</code> (profile URL), <code>followers</code>, <code>as_of</code> (2026-06-01) required; <code>network</code> (default linkedin), <code>following</code> or <code>connections</code>, <code>posts</code>, <code>source</code>, <code>email</code> optional. Bad rows are listed by line and column and not stored. The next run of each connection reads its contacts again and scores them with these counts; counts older than 14 days count as stale.</p>
  </section>`;
}

/** After an import: what was stored, the bad rows by line and column. */
export function importResultView(
  accounts: number,
  problems: readonly string[],
  stored: readonly ImportSummary[],
  connectionId: string | undefined,
): SafeHtml {
  return html`<section class="card import-result" aria-labelledby="import-result-h"><h2 id="import-result-h">Import</h2>
    <p role="status">Imported ${formatCount(accounts)} account${accounts === 1 ? '' : 's'}${problems.length > 0 ? html`; ${formatCount(problems.length)} bad row${problems.length === 1 ? ' was' : 's were'} not stored` : ''}. The next run of each connection scores them.</p>
    ${problems.length === 0 ? '' : html`<div class="flash flash-error" role="alert"><p>Fix these rows and import the file again:</p><ul class="import-problems">${problems.slice(0, 200).map((p) => html`<li>${p}</li>`)}</ul>${problems.length > 200 ? html`<p>… and ${formatCount(problems.length - 200)} more.</p>` : ''}</div>`}
    ${importedTable(stored)}
    <p><a href="/settings${connectionId === undefined ? '' : `?connection=${encodeURIComponent(connectionId)}`}">Back to Settings</a></p></section>`;
}

/** GET /settings: the form of the chosen connection (previewed before saving), and the import of counts. */
export function settingsPageView(
  picker: SafeHtml,
  chosen: { connection: Connection; form: SettingsForm } | undefined,
  token: string,
  defaultMapping: HandleMapping,
  imported: readonly ImportSummary[],
): SafeHtml {
  return chosen === undefined
    ? html`<p>Connect a CRM first.</p>`
    : html`${picker}${settingsForm(chosen.connection, chosen.form, token, 'preview', defaultMapping)}${importCard(imported, token, chosen.connection.id)}`;
}

/** The form again, with what was wrong, after a refused submit. */
export function settingsInvalidView(
  problems: readonly string[],
  connection: Connection,
  form: SettingsForm,
  token: string,
  defaultMapping: HandleMapping,
): SafeHtml {
  return html`<div class="flash flash-error" role="alert"><p>The settings were not saved:</p><ul>${problems.map((p) => html`<li>${p}</li>`)}</ul></div>
          ${settingsForm(connection, form, token, 'preview', defaultMapping)}`;
}

/** The preview, and the same settings ready to save. */
export function settingsPreviewView(
  preview: SafeHtml,
  connection: Connection,
  form: SettingsForm,
  token: string,
  defaultMapping: HandleMapping,
): SafeHtml {
  return html`${preview}${settingsForm(connection, form, token, 'save', defaultMapping)}
        <p><a href="/settings?connection=${encodeURIComponent(connection.id)}">Discard and start over</a></p>`;
}
