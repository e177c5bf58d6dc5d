// The Runs page: each month's estimated network spend, then the latest runs, most recent first, with the worker that ran
// each; on PostgreSQL the run queue's depth.
import type { MonthlySpend } from '../../store/contract.ts';
import type { RunReport } from '../../store/run-report.ts';
import type { QueueDepth } from '../coordinator.ts';
import type { SafeHtml } from '../html.ts';
import { html } from '../html.ts';
import { runRow, usd } from './parts.ts';

/** Estimated spend per paid network and month (all connections: the networks bill the app), against its cap. */
function monthlySpendTable(spend: readonly MonthlySpend[], caps: Readonly<Record<string, number>>): SafeHtml {
  if (spend.length === 0) return html``;
  return html`<div class="table-wrap"><table class="spend">
    <caption>Estimated network spend per month (UTC, all connections)</caption>
    <thead><tr><th scope="col">Month</th><th scope="col">Network</th><th scope="col" class="num">Spend</th><th scope="col" class="num">Monthly cap</th></tr></thead>
    <tbody>${spend.map((m) => {
      const cap = caps[m.network];
      return html`<tr><td>${m.month}</td><td>${m.network}</td><td class="num">${usd(m.usd)}</td>
        <td class="num">${cap === undefined ? 'none' : html`${usd(cap)} (${Math.round((m.usd / cap) * 100)} %)`}</td></tr>`;
    })}</tbody></table></div>`;
}

function queueLine(queue: QueueDepth | null): SafeHtml | string {
  if (queue === null) return '';
  return html`<p class="queue-depth">Run queue: ${String(queue.waiting)} waiting · ${String(queue.running)} running · ${String(queue.retrying)} to retry · ${String(queue.dead)} failed every retry</p>`;
}

export function runsView(
  runs: readonly RunReport[],
  connection: string | undefined,
  queue: QueueDepth | null,
  spend: readonly MonthlySpend[],
  caps: Readonly<Record<string, number>>,
): SafeHtml {
  return html`${monthlySpendTable(spend, caps)}${queueLine(queue)}${
    runs.length === 0
      ? html`<p>No runs yet.</p>`
      : html`<div class="table-wrap"><table class="runs">
        <caption>Most recent first${connection ? html` · ${connection}` : ''}</caption>
        <thead><tr><th scope="col">Started (UTC)</th><th scope="col">Connection</th><th scope="col">Status</th><th scope="col" class="num">Read</th><th scope="col" class="num">Scored</th>
        <th scope="col" class="num">Written</th><th scope="col" class="num">Unchanged</th><th scope="col" class="num">Failed</th><th scope="col" class="num">CRM calls</th><th scope="col" class="num">Provider calls</th><th scope="col" class="num">Est. spend</th><th scope="col" class="num">Duration</th><th scope="col">Worker</th></tr></thead>
        <tbody>${runs.map(runRow)}</tbody></table></div>`
  }`;
}
