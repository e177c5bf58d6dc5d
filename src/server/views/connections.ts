// The Connections page: each connection's status, last and next run and actions; connecting a CRM through OAuth.
import type { RunReport } from '../../store/run-report.ts';
import type { SafeHtml } from '../html.ts';
import { csrfField, formatTime, html } from '../html.ts';
import { statusBadge } from './parts.ts';

export interface ConnectionRow {
  id: string;
  crm: string;
  name: string;
  status: string;
  statusMessage: string | null;
  lastRun: RunReport | null;
  nextRun: string | null;
  running: boolean;
}

export function connectionsView(
  rows: readonly ConnectionRow[],
  token: string,
  oauth: { salesforce: boolean; hubspot: boolean; salesforceLoginUrl: string },
): SafeHtml {
  return html`
        ${
          rows.length === 0
            ? html`<p>No CRM connected yet.</p>`
            : html`<div class="table-wrap"><table>
          <thead><tr><th scope="col">Connection</th><th scope="col">Status</th><th scope="col">Last run</th><th scope="col">Next run</th><th scope="col">Actions</th></tr></thead>
          <tbody>${rows.map(
            (c) => html`<tr data-connection="${c.id}">
            <th scope="row">${c.name}<br><span class="muted">${c.id}</span></th>
            <td>${statusBadge(c.status)}${c.status === 'needs_reauth' ? html`<br><a href="/connect/${c.crm}">Reconnect</a>` : ''}${c.running ? html`<br><span class="badge badge-running">running</span>` : ''}</td>
            <td>${c.lastRun === null ? 'never' : html`<a href="/runs/${encodeURIComponent(c.lastRun.runId)}">${formatTime(c.lastRun.startedAt)}</a> ${statusBadge(c.lastRun.status)}`}</td>
            <td>${c.nextRun === null ? '—' : formatTime(c.nextRun)}</td>
            <td class="actions">
              <form method="post" action="/connections/${encodeURIComponent(c.id)}/run">${csrfField(token)}<button type="submit">Run now</button></form>
              <form method="post" action="/connections/${encodeURIComponent(c.id)}/run">${csrfField(token)}<input type="hidden" name="dryRun" value="true"><button type="submit">Dry run</button></form>
              <form method="post" action="/connections/${encodeURIComponent(c.id)}/disconnect" data-confirm="Disconnect ${c.name}? Its stored tokens, sync state and history are deleted.">${csrfField(token)}<button type="submit" class="danger">Disconnect</button></form>
            </td></tr>`,
          )}</tbody></table></div>`
        }
        <section class="grid">
          <article class="card"><h2>Connect Salesforce</h2>
            ${
              oauth.salesforce
                ? html`<form method="get" action="/connect/salesforce">
              <label for="loginUrl">Login URL</label>
              <input id="loginUrl" name="loginUrl" type="url" value="${oauth.salesforceLoginUrl}" aria-describedby="loginUrl-help">
              <p id="loginUrl-help" class="muted">https://login.salesforce.com, https://test.salesforce.com (sandboxes) or your My Domain.</p>
              <button type="submit" id="connect-salesforce">Connect Salesforce</button></form>`
                : html`<p class="muted">Set SALESFORCE_CLIENT_ID and SALESFORCE_CLIENT_SECRET to connect through OAuth.</p>`
            }
          </article>
          <article class="card"><h2>Connect HubSpot</h2>
            ${
              oauth.hubspot
                ? html`<p><a class="button" id="connect-hubspot" href="/connect/hubspot">Install in HubSpot</a></p>`
                : html`<p class="muted">Set HUBSPOT_CLIENT_ID and HUBSPOT_CLIENT_SECRET to install the app through OAuth.</p>`
            }
          </article>
        </section>`;
}
