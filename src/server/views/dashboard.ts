// The dashboard: score histogram, tier counts, the CRM's API budget, tiers over 30 days.
import type { Connection } from '../../store/contract.ts';
import type { RunReport } from '../../store/run-report.ts';
import type { SafeHtml } from '../html.ts';
import { formatCount, formatTime, html } from '../html.ts';
import type { Summary } from '../summary.ts';
import { gauge, histogram, stackedDays } from '../svg.ts';
import { connectionPicker, TIERS } from './parts.ts';
import { unscoredTable } from './run.ts';

export interface DashboardView {
  connections: readonly Connection[];
  chosen: Connection | undefined;
  summary: Summary | null;
  /** Ten-point score bands (summary.ts `buckets`). */
  bars: readonly { from: number; to: number; n: number }[];
  budgetFraction: number | null;
  budgetFloor: number;
  /** YYYY-MM-DD (UTC): the right end of the 30-day chart. */
  today: string;
  /** The run whose Unscored contacts are broken down by why (the latest that read every contact), if any. */
  breakdownRun: RunReport | null;
}

export function dashboardView(v: DashboardView): SafeHtml {
  const { chosen, summary } = v;
  return chosen === undefined || summary === null
    ? html`<p>No CRM is connected yet. <a href="/connections">Connect Salesforce or HubSpot</a>.</p>`
    : html`${connectionPicker('/', v.connections, chosen)}
          <section class="grid dashboard">
            <article class="card wide" aria-labelledby="hist-h"><h2 id="hist-h">Score distribution</h2>
              ${histogram(
                v.bars.map((b) => ({ label: `${b.from}–${b.to}`, n: b.n })),
                `Contacts per score band, ${chosen.name}`,
                { x: 'Score', y: 'Contacts' },
              )}
              <p class="muted">${formatCount(summary.contacts)} contacts with a written score or tier.</p>
            </article>
            <article class="card" aria-labelledby="tiers-h"><h2 id="tiers-h">Tiers</h2>
              <table class="tiers"><thead><tr><th scope="col">Tier</th><th scope="col" class="num">Contacts</th></tr></thead>
              <tbody>${TIERS.map((t) => html`<tr><th scope="row">${t}</th><td class="num" data-tier="${t}">${formatCount(summary.tiers[t] ?? 0)}</td></tr>`)}</tbody></table>
            </article>
            <article class="card" aria-labelledby="budget-h"><h2 id="budget-h">CRM API budget</h2>
              ${gauge(v.budgetFraction, v.budgetFloor, 'API budget left today')}
              <p class="muted">${summary.budget ? `${formatCount(summary.budget.remaining)} of ${formatCount(summary.budget.limit)} calls left at the last run (runs stop below ${Math.round(v.budgetFloor * 100)} %).` : 'Known after the next run.'}</p>
            </article>
            ${
              v.breakdownRun === null
                ? ''
                : html`<article class="card wide" aria-labelledby="unscored-h"><h2 id="unscored-h">Why contacts are not scored</h2>
              ${unscoredTable(v.breakdownRun)}
              <p class="muted">From <a href="/runs/${encodeURIComponent(v.breakdownRun.runId)}">the run of ${formatTime(v.breakdownRun.startedAt)}</a>${v.breakdownRun.readAll === undefined ? ' (it read only the contacts that changed)' : ''}.</p></article>`
            }
            <article class="card wide" aria-labelledby="days-h"><h2 id="days-h">Tiers over the last 30 days</h2>
              ${stackedDays(summary.daily, TIERS, 'Scores recorded per day by tier', v.today)}
            </article>
          </section>`;
}
