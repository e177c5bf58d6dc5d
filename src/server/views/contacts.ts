// The Contacts page: the look-up form and each contact found, with its fields, factors and score history.
import type { FoundContact } from '../contacts.ts';
import type { SafeHtml } from '../html.ts';
import { html } from '../html.ts';
import { sparkline } from '../svg.ts';

export interface ContactsView {
  id: string;
  email: string;
  /** What was looked up, in words ('' when nothing was). */
  asked: string;
  found: readonly FoundContact[];
}

export function contactsView({ id, email, asked, found }: ContactsView): SafeHtml {
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
          <dl class="facts"><dt>Score</dt><dd class="score">${f.fields?.score ?? '—'}</dd><dt>Tier</dt><dd class="tier">${f.fields?.tier ?? '—'}</dd>
          <dt>Confidence</dt><dd>${f.fields?.confidence ?? '—'}</dd><dt>Trend</dt><dd>${f.fields?.trend ?? '—'}</dd>
          <dt>Org percentile</dt><dd>${f.fields?.orgPercentile ?? '—'}</dd><dt>Scored</dt><dd>${f.fields?.scoredAt ?? '—'}</dd>
          <dt>Reason codes</dt><dd>${f.fields?.reasonCodes.join(', ') || '—'}</dd></dl>
          <h3>Factors</h3>${f.factors.length === 0 ? html`<p class="muted">none</p>` : html`<ul class="factors">${f.factors.map((x) => html`<li>${x}</li>`)}</ul>`}
          <h3>History</h3>${sparkline(f.history, `Score history of ${f.recordId}`)}
          <p class="muted">${f.history.length} points${f.history[0] ? `, latest ${f.history[0].at}` : ''}</p>
        </article>`,
        )}`;
}
