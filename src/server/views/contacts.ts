// The Contacts page: the look-up form and each contact found, with its fields, factors and score history.
import { NETWORK_NAMES } from '../../scoring/explain.ts';
import { REASON_CODES } from '../../scoring/reasons.ts';
import { type Network, NETWORKS, TrendSchema } from '../../scoring/types.ts';
import type { ContactListFilter, ContactListRow, ContactSort } from '../../store/contact-list.ts';
import { ContactListFilterSchema } from '../../store/contact-list.ts';
import type { Connection } from '../../store/contract.ts';
import type { FoundContact } from '../contacts.ts';
import type { SafeHtml } from '../html.ts';
import { formatTime, html, raw } from '../html.ts';
import { scoreHistory } from '../svg.ts';
import { TIERS } from './parts.ts';

export interface ContactsView {
  id: string;
  email: string;
  /** What was looked up, in words ('' when nothing was). */
  asked: string;
  found: readonly FoundContact[];
  /** Reason code → the CRM picklist's words for it. */
  reasonLabels: Readonly<Record<string, string>>;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function reasons(codes: readonly string[] | undefined, labels: Readonly<Record<string, string>>): SafeHtml | string {
  if (codes === undefined || codes.length === 0) return '—';
  return html`${codes.map((code, i) => html`${i > 0 ? ', ' : ''}<span class="reason" title="${code}">${labels[code] ?? code}</span>`)}`;
}

/** The chart of scored points, or in words why there is none. */
function history(f: FoundContact): SafeHtml {
  const latest = f.history[0];
  if (latest === undefined) return html`<p class="muted">No history yet.</p>`;
  const scored = f.history.filter((p) => p.score !== null).length;
  const unscored = f.history.length - scored;
  if (scored === 0)
    return html`<p class="muted">No scored history: ${plural(unscored, 'run')} left it Unscored, the latest ${formatTime(latest.at)}.</p>`;
  return html`${scoreHistory(f.history, `Score history of ${f.recordId}`)}
          <p class="muted">${plural(scored, 'scored point')}${unscored > 0 ? `, ${unscored} unscored` : ''}; latest ${formatTime(latest.at)}.</p>`;
}

export function contactsView({ id, email, asked, found, reasonLabels }: ContactsView): SafeHtml {
  return html`
        <form method="get" action="/contacts" class="search" role="search"><label for="contact-id">CRM record id</label>
          <input id="contact-id" name="id" value="${id}" placeholder="003… or HubSpot contact id">
          <label for="contact-email">or e-mail</label>
          <input id="contact-email" name="email" type="email" value="${email}" placeholder="ada@example.com"><button type="submit">Find</button></form>
        <p class="muted">Look a contact up by its Salesforce or HubSpot id, or by the e-mail it had at its last sync (opted-out contacts' e-mails are not kept).</p>
        ${asked !== '' && found.length === 0 ? html`<p role="status">No scored contact with ${asked}.</p>` : ''}
        ${found.length > 1 ? html`<p role="status">${found.length} records match ${asked}.</p>` : ''}
        ${found.map(
          (f) => html`<article class="card contact" aria-label="Contact ${f.recordId} in ${f.connection}">
          <h2>${f.name ?? f.recordId} <span class="muted">${f.name === null ? '' : `${f.recordId} · `}${f.objectType} · ${f.connection}</span></h2>
          <p class="muted">Name and e-mail as at the last sync.</p>
          <dl class="facts"><dt>Name</dt><dd class="name">${f.name ?? '—'}</dd><dt>E-mail</dt><dd class="email">${f.email ?? '—'}</dd>
          <dt>Score</dt><dd class="score">${f.fields?.score ?? '—'}</dd><dt>Tier</dt><dd class="tier">${f.fields?.tier ?? '—'}</dd>
          <dt>Confidence</dt><dd>${f.fields?.confidence ?? '—'}</dd><dt>Trend</dt><dd>${f.fields?.trend ?? '—'}</dd>
          <dt>Org percentile</dt><dd>${f.fields?.orgPercentile ?? '—'}</dd><dt>Scored</dt><dd class="scored-at">${f.fields?.scoredAt ? formatTime(f.fields.scoredAt) : '—'}</dd>
          <dt>Reasons</dt><dd class="reasons">${reasons(f.fields?.reasonCodes, reasonLabels)}</dd></dl>
          <h3>Factors</h3>${f.factors.length === 0 ? html`<p class="muted">none</p>` : html`<ul class="factors">${f.factors.map((x) => html`<li>${x}</li>`)}</ul>`}
          <h3>History</h3>${history(f)}
        </article>`,
        )}`;
}

export interface ContactListView {
  connections: readonly Connection[];
  connection: Connection | undefined;
  filter: ContactListFilter & { connection?: string | undefined };
  rows: readonly (ContactListRow & { crmUrl: string | null })[];
  /** The next page's cursor, or null on the last page. */
  next: string | null;
  /** The previous page's cursor, or null on the first page. */
  previous: string | null;
  reasonLabels: Readonly<Record<string, string>>;
}

const SORT_WORDS: Record<ContactSort, string> = {
  score: 'Score',
  scored_at: 'Scored',
  tier_since: 'Reached their tier',
};
const ORDER_WORDS = [
  ['desc', 'Highest / newest first'],
  ['asc', 'Lowest / oldest first'],
] as const;

/** The filter as query parameters (for the next page and the CSV export). */
export function filterQuery(connectionId: string | undefined, filter: ContactListFilter): URLSearchParams {
  const params = new URLSearchParams();
  if (connectionId !== undefined) params.set('connection', connectionId);
  for (const key of Object.keys(ContactListFilterSchema.shape) as (keyof ContactListFilter)[]) {
    const value = filter[key];
    const isDefault = (key === 'sort' && value === 'score') || (key === 'order' && value === 'desc');
    if (value !== undefined && !isDefault) params.set(key, String(value));
  }
  return params;
}

function select(
  name: string,
  label: string,
  options: readonly (readonly [string, string])[],
  chosen: string | undefined,
): SafeHtml {
  return html`<div class="field"><label for="f-${name}">${label}</label><select id="f-${name}" name="${name}">
    ${options.map(([value, words]) => html`<option value="${value}"${value === (chosen ?? '') ? raw(' selected') : ''}>${words}</option>`)}</select></div>`;
}

function tierCell(row: ContactListRow): SafeHtml | string {
  if (!row.profiled) return html`<span class="muted">opted out</span>`;
  return html`<span class="tier tier-${row.tier ?? ''}">${row.tier ?? '—'}</span>`;
}

export function contactListView(view: ContactListView): SafeHtml {
  const { connection, filter, rows } = view;
  if (connection === undefined) return html`<p>Connect a CRM first.</p>`;
  const any = [['', 'Any']] as const;
  const query = filterQuery(connection.id, filter);
  const crmName = connection.crm === 'salesforce' ? 'Salesforce' : 'HubSpot';
  const firstPage = view.previous === null;
  return html`
        <form method="get" action="/contacts" class="card filters" aria-label="Filter contacts">
          ${
            view.connections.length > 1
              ? select(
                  'connection',
                  'Connection',
                  view.connections.map((c) => [c.id, c.name] as const),
                  connection.id,
                )
              : html`<input type="hidden" name="connection" value="${connection.id}">`
          }
          ${select('tier', 'Tier', [...any, ...TIERS.map((t) => [t, t] as const)], filter.tier)}
          ${select('confidence', 'Confidence', [...any, ['high', 'High'], ['medium', 'Medium'], ['low', 'Low']], filter.confidence)}
          ${select('trend', 'Trend', [...any, ...TrendSchema.options.map((t) => [t, t] as const)], filter.trend)}
          ${select('network', 'Network', [...any, ...NETWORKS.map((n) => [n, NETWORK_NAMES[n]] as const)], filter.network)}
          ${select('reason', 'Reason', [...any, ...REASON_CODES.map((c) => [c, view.reasonLabels[c] ?? c] as const)], filter.reason)}
          <div class="field"><label for="f-minScore">Score from</label><input id="f-minScore" name="minScore" type="number" min="0" max="100" value="${filter.minScore ?? ''}"></div>
          <div class="field"><label for="f-maxScore">to</label><input id="f-maxScore" name="maxScore" type="number" min="0" max="100" value="${filter.maxScore ?? ''}"></div>
          <div class="field"><label for="f-risenDays">Reached A in the last (days)</label><input id="f-risenDays" name="risenDays" type="number" min="1" max="3650" value="${filter.risenDays ?? ''}"></div>
          ${select('sort', 'Sort by', Object.entries(SORT_WORDS), filter.sort)}
          ${select('order', 'Order', ORDER_WORDS, filter.order)}
          <button type="submit">Show</button>
          <a class="button" href="/contacts?${new URLSearchParams([...query, ['format', 'csv']]).toString()}" download>Export CSV</a>
        </form>
        <form method="get" action="/contacts" class="search" role="search"><label for="contact-id">Find by CRM record id</label>
          <input id="contact-id" name="id" placeholder="003… or HubSpot contact id">
          <label for="contact-email">or e-mail</label>
          <input id="contact-email" name="email" type="email" placeholder="ada@example.com"><button type="submit">Find</button></form>
        ${
          rows.length === 0
            ? html`<p role="status">${firstPage ? 'No contact matches these filters.' : 'No more contacts.'}</p>`
            : html`<table class="contact-list"><caption>Contacts of ${connection.name}${firstPage ? '' : ' (continued)'}</caption>
          <thead><tr><th scope="col">Name</th><th scope="col">E-mail</th><th scope="col" class="num">Score</th><th scope="col">Tier</th><th scope="col">Confidence</th><th scope="col">Trend</th><th scope="col">Scored (UTC)</th><th scope="col">Networks</th><th scope="col">${crmName}</th></tr></thead>
          <tbody>${rows.map(
            (
              r,
            ) => html`<tr data-record="${r.recordId}"><td><a href="/contacts?id=${encodeURIComponent(r.recordId)}&amp;connection=${encodeURIComponent(connection.id)}">${r.name ?? r.recordId}</a></td>
            <td>${r.email ?? '—'}</td><td class="num">${r.score ?? '—'}</td><td>${tierCell(r)}</td><td>${r.confidence ?? '—'}</td><td>${r.trend ?? '—'}</td>
            <td>${r.scoredAt === null ? '—' : formatTime(r.scoredAt)}</td><td>${r.networks.map((n) => NETWORK_NAMES[n as Network] ?? n).join(', ') || '—'}</td>
            <td>${r.crmUrl === null ? '—' : html`<a href="${r.crmUrl}" rel="noopener noreferrer" target="_blank">Open</a>`}</td></tr>`,
          )}</tbody></table>`
        }
        <p class="pager">${
          view.previous === null
            ? ''
            : html`<a href="/contacts?${query.toString()}">First page</a> <a rel="prev" href="/contacts?${new URLSearchParams([...query, ['before', view.previous]]).toString()}">Previous page</a> `
        }${view.next === null ? '' : html`<a rel="next" href="/contacts?${new URLSearchParams([...query, ['after', view.next]]).toString()}">Next page</a>`}</p>`;
}
