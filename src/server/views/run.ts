// One run: its facts, problems grouped by code, and the per-record errors (filterable, retryable).
import type { RunReport } from '../../store/run-report.ts';
import { countsInWords, READ_ALL_WORDS, unscoredBreakdown } from '../../store/run-report.ts';
import type { SafeHtml } from '../html.ts';
import { csrfField, formatCount, formatDuration, formatTime, html, raw } from '../html.ts';
import { durationMs } from '../reports.ts';
import { statusBadge } from './parts.ts';

export interface RunView {
  report: RunReport;
  /** The per-record errors that pass the filter. */
  errors: RunReport['errors'];
  filter: { code?: string | undefined; q?: string | undefined };
  token: string;
}

/** Unscored contacts by why, each with its fix (the run page and the dashboard). */
export function unscoredTable(report: RunReport): SafeHtml | string {
  const rows = unscoredBreakdown(report);
  if (rows.length === 0) return '';
  return html`<div class="table-wrap"><table class="unscored"><caption>Not scored, by why</caption><thead><tr><th scope="col" class="num">Contacts</th><th scope="col">Why</th><th scope="col">Fix</th></tr></thead>
    <tbody>${rows.map((r) => html`<tr data-unscored="${r.key}"><td class="num">${formatCount(r.count)}</td><td>${r.why}</td><td>${r.fix}</td></tr>`)}</tbody></table></div>`;
}

export function runView({ report, errors, filter, token }: RunView): SafeHtml {
  const codes = [...new Set(report.errors.map((e) => e.code))].sort();
  return html`
        <dl class="facts"><dt>Connection</dt><dd>${report.connection} (${report.crm})</dd><dt>Status</dt><dd>${statusBadge(report.status)}${report.dryRun ? ' (dry run)' : ''}</dd>
        ${report.message ? html`<dt>Message</dt><dd>${report.message}</dd>` : ''}
        <dt>Started</dt><dd>${formatTime(report.startedAt)}</dd><dt>Duration</dt><dd>${formatDuration(durationMs(report))}</dd>
        <dt>Counts</dt><dd>${countsInWords(report, formatCount)}</dd>${report.readAll === undefined ? '' : html`<dt>Read</dt><dd>${READ_ALL_WORDS[report.readAll]}</dd>`}
        <dt>API calls</dt><dd>CRM read ${report.apiCalls.crm.read} · write ${report.apiCalls.crm.write} · other ${report.apiCalls.crm.other}${Object.entries(
          report.apiCalls.providers,
        )
          .map(([n, v]) => ` · ${n} ${v}`)
          .join(
            '',
          )}</dd>${report.apiCalls.refused === undefined ? '' : html`<dt>Outbound refused</dt><dd>${formatCount(report.apiCalls.refused)} (requests to hosts from CRM data that the outbound guard would not send)</dd>`}${Object.entries(
          report.apiCalls.estimatedSpendUsd ?? {},
        ).map(([n, usd]) => html`<dt>Estimated ${n} spend</dt><dd>$${usd.toFixed(2)}</dd>`)}</dl>
        ${unscoredTable(report)}
        ${
          (report.errorGroups ?? []).length === 0
            ? ''
            : html`<h2>Problems</h2>
          <div class="table-wrap"><table><thead><tr><th scope="col">Records</th><th scope="col">Stage</th><th scope="col">Code</th><th scope="col">Message</th><th scope="col">Retryable</th></tr></thead>
          <tbody>${(report.errorGroups ?? []).map((g) => html`<tr><td>${formatCount(g.count)}</td><td>${g.stage}</td><td>${g.code}</td><td>${g.message}</td><td>${g.retryable ? 'yes' : 'no'}</td></tr>`)}</tbody></table></div>`
        }
        <h2>Per-record errors (${report.errors.length}${report.counts.failed > report.errors.length ? ` shown of ${report.counts.failed}` : ''})</h2>
        <form method="get" class="filters"><label for="code">Code</label><select id="code" name="code"><option value="">any</option>${codes.map((c) => html`<option${c === filter.code ? raw(' selected') : ''}>${c}</option>`)}</select>
          <label for="q">Record or message</label><input id="q" name="q" value="${filter.q ?? ''}"><button type="submit">Filter</button></form>
        ${
          errors.length === 0
            ? html`<p>No errors${report.errors.length > 0 ? ' match the filter' : ''}.</p>`
            : html`
          <form method="post" action="/runs/${encodeURIComponent(report.runId)}/retry">${csrfField(token)}<button type="submit">Retry failed records</button></form>
          <div class="table-wrap"><table><thead><tr><th scope="col">Record</th><th scope="col">Stage</th><th scope="col">Code</th><th scope="col">Message</th><th scope="col">Retryable</th></tr></thead>
          <tbody>${errors.slice(0, 500).map((e) => html`<tr><td><a href="/contacts?id=${encodeURIComponent(e.recordId)}">${e.recordId}</a></td><td>${e.stage}</td><td>${e.code}</td><td>${e.message}</td><td>${e.retryable ? 'yes' : 'no'}</td></tr>`)}</tbody></table></div>`
        }`;
}
