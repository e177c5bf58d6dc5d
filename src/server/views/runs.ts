// The Runs page: the latest runs, most recent first.
import type { RunReport } from '../../store/run-report.ts';
import type { SafeHtml } from '../html.ts';
import { html } from '../html.ts';
import { runRow } from './parts.ts';

export function runsView(runs: readonly RunReport[], connection: string | undefined): SafeHtml {
  return html`${
    runs.length === 0
      ? html`<p>No runs yet.</p>`
      : html`<div class="table-wrap"><table class="runs">
        <caption>Most recent first${connection ? html` · ${connection}` : ''}</caption>
        <thead><tr><th scope="col">Started (UTC)</th><th scope="col">Connection</th><th scope="col">Status</th><th scope="col" class="num">Read</th><th scope="col" class="num">Scored</th>
        <th scope="col" class="num">Written</th><th scope="col" class="num">Unchanged</th><th scope="col" class="num">Failed</th><th scope="col" class="num">CRM calls</th><th scope="col" class="num">Provider calls</th><th scope="col" class="num">Duration</th></tr></thead>
        <tbody>${runs.map(runRow)}</tbody></table></div>`
  }`;
}
