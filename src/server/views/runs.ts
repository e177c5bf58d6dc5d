// The Runs page: the latest runs, most recent first, with the worker that ran each; on PostgreSQL the run queue's depth.
import type { RunReport } from '../../store/run-report.ts';
import type { QueueDepth } from '../coordinator.ts';
import type { SafeHtml } from '../html.ts';
import { html } from '../html.ts';
import { runRow } from './parts.ts';

function queueLine(queue: QueueDepth | null): SafeHtml | string {
  if (queue === null) return '';
  return html`<p class="queue-depth">Run queue: ${String(queue.waiting)} waiting · ${String(queue.running)} running · ${String(queue.retrying)} to retry · ${String(queue.dead)} failed every retry</p>`;
}

export function runsView(
  runs: readonly RunReport[],
  connection: string | undefined,
  queue: QueueDepth | null,
): SafeHtml {
  return html`${queueLine(queue)}${
    runs.length === 0
      ? html`<p>No runs yet.</p>`
      : html`<div class="table-wrap"><table class="runs">
        <caption>Most recent first${connection ? html` · ${connection}` : ''}</caption>
        <thead><tr><th scope="col">Started (UTC)</th><th scope="col">Connection</th><th scope="col">Status</th><th scope="col" class="num">Read</th><th scope="col" class="num">Scored</th>
        <th scope="col" class="num">Written</th><th scope="col" class="num">Unchanged</th><th scope="col" class="num">Failed</th><th scope="col" class="num">CRM calls</th><th scope="col" class="num">Provider calls</th><th scope="col" class="num">Duration</th><th scope="col">Worker</th></tr></thead>
        <tbody>${runs.map(runRow)}</tbody></table></div>`
  }`;
}
