// The Revenue lift page: win rate by tier with 95 % intervals, pipeline per 100 contacts by tier, win rate by score
// band (calibration), the table behind them, filters and a CSV download. Framed as what it is: observational.
import type { LiftFilters, LiftReport, LiftRow } from '../../lift/index.ts';
import type { Connection } from '../../store/contract.ts';
import type { SafeHtml } from '../html.ts';
import { formatCount, formatTime, html, raw } from '../html.ts';
import { histogram, intervalChart } from '../svg.ts';
import { connectionPicker } from './parts.ts';

export interface LiftView {
  connections: readonly Connection[];
  chosen: Connection | undefined;
  report: LiftReport | null;
  /** When the outcomes were last read (the newest stored report), or null before the first read. */
  readAt: string | null;
  filters: LiftFilters;
}

const percent = (x: number | null): string => (x === null ? '—' : `${(x * 100).toFixed(1)} %`);
const money = (x: number | null): string => (x === null ? '—' : Math.round(x).toLocaleString('en-US'));

function intervalRows(rows: readonly LiftRow[], tiers: boolean) {
  return rows.map((r) => ({
    label: tiers ? (r.group === 'Unscored' ? 'Unscored' : `Tier ${r.group}`) : r.group,
    rate: r.winRate,
    low: r.winRateInterval?.low ?? null,
    high: r.winRateInterval?.high ?? null,
    n: r.closed,
    ...(tiers ? { tier: r.group } : {}),
  }));
}

function query(chosen: Connection, filters: LiftFilters): string {
  const params = new URLSearchParams({ connection: chosen.id });
  for (const [key, value] of Object.entries(filters)) if (value !== undefined) params.set(key, String(value));
  return params.toString();
}

function tableRow(r: LiftRow, heading: string): SafeHtml {
  const verdict = r.verdict ?? '';
  return html`<tr><th scope="row">${heading}</th><td class="num">${formatCount(r.contacts)}</td>
    <td class="num">${percent(r.shareWithDeals)}</td><td class="num">${formatCount(r.closed)}</td>
    <td class="num">${percent(r.winRate)}</td>
    <td class="num">${r.winRateInterval === null ? '—' : `${percent(r.winRateInterval.low)} – ${percent(r.winRateInterval.high)}`}</td>
    <td class="num">${r.lift === null ? '—' : `${r.lift.toFixed(2)}×`}</td>
    <td class="num">${money(r.avgWonAmount)}</td><td class="num">${money(r.pipelinePer100)}</td>
    <td class="num">${r.medianDaysToClose === null ? '—' : String(Math.round(r.medianDaysToClose))}</td>
    <td class="verdict-${verdict.replaceAll(' ', '-')}">${verdict}</td></tr>`;
}

function filtersForm(v: LiftView, chosen: Connection, report: LiftReport): SafeHtml {
  const f = v.filters;
  return html`<form method="get" action="/lift" class="lift-filters">
    <input type="hidden" name="connection" value="${chosen.id}">
    <label for="from">Deals created from<input type="date" id="from" name="from" value="${f.from ?? ''}"></label>
    <label for="to">to<input type="date" id="to" name="to" value="${f.to ?? ''}"></label>
    ${
      report.pipelines.length === 0
        ? html``
        : html`<label for="pipeline">Pipeline<select id="pipeline" name="pipeline"><option value="">All pipelines</option>${report.pipelines.map(
            (p) => html`<option value="${p}"${p === f.pipeline ? raw(' selected') : ''}>${p}</option>`,
          )}</select></label>`
    }
    <button type="submit">Apply</button>
    <a class="button" href="/lift?${query(chosen, f)}&amp;format=csv" download>Download CSV</a>
  </form>`;
}

export function liftView(v: LiftView): SafeHtml {
  const { chosen, report } = v;
  if (chosen === undefined)
    return html`<p>No CRM is connected yet. <a href="/connections">Connect Salesforce or HubSpot</a>.</p>`;
  if (report === null || v.readAt === null)
    return html`${connectionPicker('/lift', v.connections, chosen)}
      <p>No deal outcomes have been read for ${chosen.name} yet. Run <code>crm-influence report lift --crm ${chosen.crm}</code>
      (read-only: it reads ${chosen.crm === 'salesforce' ? 'opportunities by their primary contact' : 'deals and their associated contacts'}).</p>`;
  const tiers = [...report.tiers, report.unscored];
  return html`${connectionPicker('/lift', v.connections, chosen)}
    ${filtersForm(v, chosen, report)}
    <p class="note" role="note"><strong>Observational, not causal.</strong> Contacts in a tier may differ in other ways
      (accounts, roles, regions). Bars are 95 % intervals around each win rate; the dashed line is all contacts'. A tier
      is called higher or lower only when its difference from the rest holds for all tiers at once; otherwise it may
      be noise. A tier with fewer than 20 closed deals or 30 contacts says “too few to tell”.
      Deals are credited to their ${chosen.crm === 'salesforce' ? 'primary contact' : 'associated contacts'}; tiers are the ones written now.
      Outcomes read ${formatTime(v.readAt)}.</p>
    <section class="grid dashboard">
      <article class="card wide" aria-labelledby="win-h"><h2 id="win-h">Win rate by tier</h2>
        ${intervalChart(intervalRows(tiers, true), `Win rate of closed deals by tier, ${chosen.name}`, { x: 'Tier (n = closed deals)', y: 'Win rate' }, report.org.winRate)}
      </article>
      <article class="card wide" aria-labelledby="pipe-h"><h2 id="pipe-h">Pipeline per 100 contacts</h2>
        ${histogram(
          tiers.map((r) => ({
            label: r.group === 'Unscored' ? 'Unscored' : `Tier ${r.group}`,
            n: Math.round((r.pipelinePer100 ?? 0) / 1000),
          })),
          `Deal amount per 100 contacts by tier (thousands), ${chosen.name}`,
          { x: 'Tier', y: 'Per 100 contacts (k)' },
        )}
      </article>
      <article class="card wide" aria-labelledby="cal-h"><h2 id="cal-h">Win rate by score band</h2>
        ${intervalChart(intervalRows(report.bands, false), `Win rate of closed deals by score band, ${chosen.name}`, { x: 'Influence score (n = closed deals)', y: 'Win rate' }, report.org.winRate)}
      </article>
      <article class="card wide" aria-labelledby="table-h"><h2 id="table-h">The figures</h2>
        <table class="lift"><thead><tr><th scope="col">Tier</th><th scope="col" class="num">Contacts</th>
          <th scope="col" class="num">With a deal</th><th scope="col" class="num">Closed deals</th>
          <th scope="col" class="num">Win rate</th><th scope="col" class="num">95 % interval</th><th scope="col" class="num">Lift</th>
          <th scope="col" class="num">Avg won amount</th><th scope="col" class="num">Pipeline / 100 contacts</th>
          <th scope="col" class="num">Median days to close</th><th scope="col">Against the rest</th></tr></thead>
        <tbody>${report.tiers.map((r) => tableRow(r, `Tier ${r.group}`))}${tableRow(report.unscored, 'Unscored')}${tableRow(report.org, 'All contacts')}</tbody></table>
      </article>
    </section>`;
}
