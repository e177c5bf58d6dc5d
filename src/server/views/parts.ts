// Pieces several views share: the connection picker, status badges, a run's table row.
import type { Connection } from '../../store/contract.ts';
import type { RunReport } from '../../store/run-report.ts';
import { writesOf } from '../../store/run-report.ts';
import type { SafeHtml } from '../html.ts';
import { formatCount, formatDuration, formatTime, html, raw } from '../html.ts';
import { crmCalls, durationMs, providerCalls } from '../reports.ts';

export const TIERS = ['A', 'B', 'C', 'D', 'Unscored'] as const;

/** A select of the connections (submits on change), when there is more than one. */
export function connectionPicker(
  path: string,
  connections: readonly Connection[],
  chosen: Connection | undefined,
): SafeHtml {
  if (connections.length <= 1) return html``;
  return html`<form method="get" action="${path}" class="picker"><label for="connection">Connection</label>
    <select id="connection" name="connection" data-autosubmit>${connections.map((c) => html`<option value="${c.id}"${c.id === chosen?.id ? raw(' selected') : ''}>${c.name}</option>`)}</select>
    <button type="submit">Show</button></form>`;
}

export function statusBadge(status: string): SafeHtml {
  return html`<span class="badge badge-${status}">${status.replace('_', ' ')}</span>`;
}

export function runRow(r: RunReport): SafeHtml {
  const writes = writesOf(r);
  return html`<tr>
    <td><a href="/runs/${encodeURIComponent(r.runId)}">${formatTime(r.startedAt)}</a></td>
    <td>${r.connection}</td><td>${statusBadge(r.status)}${r.dryRun ? html` <span class="badge">dry run</span>` : ''}</td>
    <td class="num">${formatCount(r.counts.read)}</td><td class="num">${formatCount(r.counts.scored)}</td>
    <td class="num">${r.dryRun ? `${writes.label} ` : ''}${formatCount(writes.count)}</td><td class="num">${formatCount(r.counts.unchanged)}</td>
    <td class="num">${formatCount(r.counts.failed)}</td><td class="num">${formatCount(crmCalls(r))}</td>
    <td class="num">${formatCount(providerCalls(r))}</td><td class="num">${runSpend(r)}</td><td class="num">${formatDuration(durationMs(r))}</td>
    <td>${r.worker ?? '—'}</td></tr>`;
}

export function usd(dollars: number): string {
  return `$${dollars.toFixed(2)}`;
}

/** A run's estimated spend over its paid networks (`—` when none is paid), and which cap it reached. */
function runSpend(r: RunReport): SafeHtml {
  const spend = Object.values(r.apiCalls.estimatedSpendUsd ?? {});
  const capped = r.apiCalls.spendCapReached ?? [];
  return html`${spend.length === 0 ? '—' : usd(spend.reduce((a, b) => a + b, 0))}${capped.length > 0 ? html` <span class="badge badge-budget_reached" title="monthly spend cap reached">${capped.join(', ')} cap</span>` : ''}`;
}
