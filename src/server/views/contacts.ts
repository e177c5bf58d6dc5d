// The Contacts page: the look-up form and each contact found, with its fields, factors and score history.
import type { FoundContact } from '../contacts.ts';
import type { SafeHtml } from '../html.ts';
import { formatTime, html } from '../html.ts';
import { scoreHistory } from '../svg.ts';

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
          <h2>${f.recordId} <span class="muted">${f.objectType} · ${f.connection}</span></h2>
          <dl class="facts"><dt>E-mail</dt><dd class="email">${f.email ?? '—'}</dd>
          <dt>Score</dt><dd class="score">${f.fields?.score ?? '—'}</dd><dt>Tier</dt><dd class="tier">${f.fields?.tier ?? '—'}</dd>
          <dt>Confidence</dt><dd>${f.fields?.confidence ?? '—'}</dd><dt>Trend</dt><dd>${f.fields?.trend ?? '—'}</dd>
          <dt>Org percentile</dt><dd>${f.fields?.orgPercentile ?? '—'}</dd><dt>Scored</dt><dd class="scored-at">${f.fields?.scoredAt ? formatTime(f.fields.scoredAt) : '—'}</dd>
          <dt>Reasons</dt><dd class="reasons">${reasons(f.fields?.reasonCodes, reasonLabels)}</dd></dl>
          <h3>Factors</h3>${f.factors.length === 0 ? html`<p class="muted">none</p>` : html`<ul class="factors">${f.factors.map((x) => html`<li>${x}</li>`)}</ul>`}
          <h3>History</h3>${history(f)}
        </article>`,
        )}`;
}
