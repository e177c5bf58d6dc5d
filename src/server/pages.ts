// Dashboard, Connections, Runs (and one run's per-record errors) and Contacts: pages and their JSON twins.
import { Router } from 'express';
import { z } from 'zod';

import { redact } from '../log.ts';
import type { Connection, Store } from '../store/contract.ts';
import type { RunReport } from '../store/run-report.ts';
import { countsInWords, READ_ALL_WORDS } from '../store/run-report.ts';
import type { RunCoordinator } from './coordinator.ts';
import type { SafeHtml } from './html.ts';
import { csrfField, formatCount, formatDuration, formatTime, html, raw } from './html.ts';
import { done, respond } from './render.ts';
import { csrfToken, flash, HttpError } from './security.ts';
import type { ServerStore } from './server-store.ts';
import type { DashboardSummaries } from './summary.ts';
import { buckets } from './summary.ts';
import { gauge, histogram, sparkline, stackedDays } from './svg.ts';

export interface PageDeps {
  store: Store;
  serverStore: ServerStore;
  summaries: DashboardSummaries;
  coordinator: RunCoordinator;
  budgetFloor: number;
  oauth: { salesforce: boolean; hubspot: boolean; salesforceLoginUrl: string };
}

const TIERS = ['A', 'B', 'C', 'D', 'Unscored'] as const;
const ID = z.string().min(1).max(200);

/** CRM error texts can quote a token back (`Bearer 00D…` inside a validation message): shown as the logs show them. */
export function redactedReport(report: RunReport): RunReport {
  return {
    ...report,
    ...(report.message === undefined ? {} : { message: redact(report.message) }),
    errors: report.errors.map((e) => ({ ...e, message: redact(e.message) })),
    ...(report.errorGroups === undefined
      ? {}
      : { errorGroups: report.errorGroups.map((g) => ({ ...g, message: redact(g.message) })) }),
  };
}

export function durationMs(report: RunReport): number | null {
  return report.finishedAt === null ? null : Date.parse(report.finishedAt) - Date.parse(report.startedAt);
}

export function crmCalls(report: RunReport): number {
  return report.apiCalls.crm.read + report.apiCalls.crm.write + report.apiCalls.crm.other;
}

export function providerCalls(report: RunReport): number {
  return Object.values(report.apiCalls.providers).reduce((a, b) => a + b, 0);
}

async function pickConnection(
  store: Store,
  requested: unknown,
): Promise<{ connections: Connection[]; chosen: Connection | undefined }> {
  const connections = await store.listConnections();
  const id = typeof requested === 'string' ? requested : undefined;
  return { connections, chosen: connections.find((c) => c.id === id) ?? connections[0] };
}

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

function statusBadge(status: string): SafeHtml {
  return html`<span class="badge badge-${status}">${status.replace('_', ' ')}</span>`;
}

function runRow(r: RunReport): SafeHtml {
  return html`<tr>
    <td><a href="/runs/${encodeURIComponent(r.runId)}">${formatTime(r.startedAt)}</a></td>
    <td>${r.connection}</td><td>${statusBadge(r.status)}${r.dryRun ? html` <span class="badge">dry run</span>` : ''}</td>
    <td class="num">${formatCount(r.counts.read)}</td><td class="num">${formatCount(r.counts.scored)}</td>
    <td class="num">${formatCount(r.counts.written)}</td><td class="num">${formatCount(r.counts.unchanged)}</td>
    <td class="num">${formatCount(r.counts.failed)}</td><td class="num">${formatCount(crmCalls(r))}</td>
    <td class="num">${formatCount(providerCalls(r))}</td><td class="num">${formatDuration(durationMs(r))}</td></tr>`;
}

export function pageRoutes(deps: PageDeps): Router {
  const router = Router();
  const { store } = deps;

  router.get('/session', (req, res) => {
    res.json({ admin: req.user?.username ?? null, csrfToken: csrfToken(req) });
  });

  router.get(['/', '/dashboard'], async (req, res) => {
    const { connections, chosen } = await pickConnection(store, req.query.connection);
    const summary = chosen === undefined ? null : await deps.summaries.get(chosen.id);
    const bars = summary === null ? [] : buckets(summary.scores);
    const budgetFraction = summary?.budget ? summary.budget.remaining / Math.max(1, summary.budget.limit) : null;
    respond(req, res, {
      title: 'Dashboard',
      current: '/',
      data: { connection: chosen?.id ?? null, summary, histogram: bars },
      body: () =>
        chosen === undefined || summary === null
          ? html`<p>No CRM is connected yet. <a href="/connections">Connect Salesforce or HubSpot</a>.</p>`
          : html`${connectionPicker('/', connections, chosen)}
          <section class="grid">
            <article class="card wide" aria-labelledby="hist-h"><h2 id="hist-h">Score distribution</h2>
              ${histogram(
                bars.map((b) => ({ label: `${b.from}–${b.to}`, n: b.n })),
                `Contacts per score band, ${chosen.name}`,
              )}
              <p class="muted">${formatCount(summary.contacts)} contacts with a written score or tier.</p>
            </article>
            <article class="card" aria-labelledby="tiers-h"><h2 id="tiers-h">Tiers</h2>
              <table class="tiers"><thead><tr><th scope="col">Tier</th><th scope="col" class="num">Contacts</th></tr></thead>
              <tbody>${TIERS.map((t) => html`<tr><th scope="row">${t}</th><td class="num" data-tier="${t}">${formatCount(summary.tiers[t] ?? 0)}</td></tr>`)}</tbody></table>
            </article>
            <article class="card" aria-labelledby="budget-h"><h2 id="budget-h">CRM API budget</h2>
              ${gauge(budgetFraction, deps.budgetFloor, 'API budget left today')}
              <p class="muted">${summary.budget ? `${formatCount(summary.budget.remaining)} of ${formatCount(summary.budget.limit)} calls left at the last run (runs stop below ${Math.round(deps.budgetFloor * 100)} %).` : 'Known after the next run.'}</p>
            </article>
            <article class="card wide" aria-labelledby="days-h"><h2 id="days-h">Tiers over the last 30 days</h2>
              ${stackedDays(summary.daily, TIERS, 'Scores recorded per day by tier')}
            </article>
          </section>`,
    });
  });

  router.get('/connections', async (req, res) => {
    const connections = await store.listConnections();
    const rows = await Promise.all(
      connections.map(async (c) => {
        const last = (await store.listRuns({ connectionId: c.id, limit: 1 }))[0] ?? null;
        return {
          id: c.id,
          crm: c.crm,
          name: c.name,
          status: c.status,
          statusMessage: c.statusMessage === null ? null : redact(c.statusMessage),
          lastRun: last === null ? null : redactedReport(last),
          nextRun: deps.coordinator.nextRun(c.id)?.toISOString() ?? null,
          running: deps.coordinator.isRunning(c.id),
        };
      }),
    );
    const token = csrfToken(req);
    respond(req, res, {
      title: 'Connections',
      current: '/connections',
      data: { connections: rows },
      body: () => html`
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
              deps.oauth.salesforce
                ? html`<form method="get" action="/connect/salesforce">
              <label for="loginUrl">Login URL</label>
              <input id="loginUrl" name="loginUrl" type="url" value="${deps.oauth.salesforceLoginUrl}" aria-describedby="loginUrl-help">
              <p id="loginUrl-help" class="muted">https://login.salesforce.com, https://test.salesforce.com (sandboxes) or your My Domain.</p>
              <button type="submit" id="connect-salesforce">Connect Salesforce</button></form>`
                : html`<p class="muted">Set SALESFORCE_CLIENT_ID and SALESFORCE_CLIENT_SECRET to connect through OAuth.</p>`
            }
          </article>
          <article class="card"><h2>Connect HubSpot</h2>
            ${
              deps.oauth.hubspot
                ? html`<p><a class="button" id="connect-hubspot" href="/connect/hubspot">Install in HubSpot</a></p>`
                : html`<p class="muted">Set HUBSPOT_CLIENT_ID and HUBSPOT_CLIENT_SECRET to install the app through OAuth.</p>`
            }
          </article>
        </section>`,
    });
  });

  const RunBodySchema = z
    .object({
      dryRun: z.union([z.boolean(), z.enum(['true', 'false'])]).optional(),
      full: z.union([z.boolean(), z.enum(['true', 'false'])]).optional(),
    })
    .loose();

  router.post('/connections/:id/run', async (req, res) => {
    const id = ID.parse(req.params.id);
    if ((await store.getConnection(id)) === null) throw new HttpError(404, `No connection "${id}".`);
    const body = RunBodySchema.safeParse(req.body ?? {});
    if (!body.success) throw new HttpError(400, 'dryRun and full must be true or false.');
    const dryRun = String(body.data.dryRun) === 'true';
    const result = deps.coordinator.start(id, { dryRun, full: String(body.data.full) === 'true' });
    if (result.started) flash(req, 'ok', `${dryRun ? 'Dry run' : 'Run'} of ${id} started.`);
    else flash(req, 'error', `Not started: ${result.reason}.`);
    done(
      req,
      res,
      result.started ? 202 : 409,
      result.started ? { started: true, connection: id, dryRun } : { started: false, error: result.reason },
      `/runs?connection=${encodeURIComponent(id)}`,
    );
  });

  router.post('/connections/:id/disconnect', async (req, res) => {
    const id = ID.parse(req.params.id);
    if ((await store.getConnection(id)) === null) throw new HttpError(404, `No connection "${id}".`);
    if (deps.coordinator.isRunning(id))
      throw new HttpError(409, `A run of "${id}" is going on; disconnect after it finishes.`);
    await store.deleteConnection(id);
    await deps.coordinator.refresh();
    flash(req, 'ok', `Disconnected ${id}; its stored tokens were deleted.`);
    done(req, res, 200, { disconnected: id }, '/connections');
  });

  router.get('/runs', async (req, res) => {
    const connection =
      typeof req.query.connection === 'string' && req.query.connection !== '' ? req.query.connection : undefined;
    const limit = z.coerce.number().int().min(1).max(500).catch(50).parse(req.query.limit);
    const runs = (await store.listRuns({ ...(connection ? { connectionId: connection } : {}), limit })).map(
      redactedReport,
    );
    respond(req, res, {
      title: 'Runs',
      current: '/runs',
      data: {
        runs: runs.map((r) => ({ ...r, errors: undefined, errorCount: r.errors.length, durationMs: durationMs(r) })),
      },
      body: () =>
        html`${
          runs.length === 0
            ? html`<p>No runs yet.</p>`
            : html`<div class="table-wrap"><table class="runs">
        <caption>Most recent first${connection ? html` · ${connection}` : ''}</caption>
        <thead><tr><th scope="col">Started (UTC)</th><th scope="col">Connection</th><th scope="col">Status</th><th scope="col" class="num">Read</th><th scope="col" class="num">Scored</th>
        <th scope="col" class="num">Written</th><th scope="col" class="num">Unchanged</th><th scope="col" class="num">Failed</th><th scope="col" class="num">CRM calls</th><th scope="col" class="num">Provider calls</th><th scope="col" class="num">Duration</th></tr></thead>
        <tbody>${runs.map(runRow)}</tbody></table></div>`
        }`,
    });
  });

  const ErrorFilterSchema = z.object({
    code: z.string().max(100).optional(),
    stage: z.string().max(20).optional(),
    q: z.string().max(200).optional(),
  });

  router.get('/runs/:id', async (req, res) => {
    const stored = await store.getRun(ID.parse(req.params.id));
    if (stored === null) throw new HttpError(404, 'No such run.');
    const report = redactedReport(stored);
    const filter = ErrorFilterSchema.catch({}).parse(req.query);
    const q = filter.q?.toLowerCase() ?? '';
    const errors = report.errors.filter(
      (e) =>
        (!filter.code || e.code === filter.code) &&
        (!filter.stage || e.stage === filter.stage) &&
        (q === '' || e.recordId.toLowerCase().includes(q) || e.message.toLowerCase().includes(q)),
    );
    const codes = [...new Set(report.errors.map((e) => e.code))].sort();
    const token = csrfToken(req);
    respond(req, res, {
      title: `Run ${report.runId.slice(0, 8)}`,
      current: '/runs',
      data: { run: { ...report, durationMs: durationMs(report) }, errors },
      body: () => html`
        <dl class="facts"><dt>Connection</dt><dd>${report.connection} (${report.crm})</dd><dt>Status</dt><dd>${statusBadge(report.status)}${report.dryRun ? ' (dry run)' : ''}</dd>
        ${report.message ? html`<dt>Message</dt><dd>${report.message}</dd>` : ''}
        <dt>Started</dt><dd>${formatTime(report.startedAt)}</dd><dt>Duration</dt><dd>${formatDuration(durationMs(report))}</dd>
        <dt>Counts</dt><dd>${countsInWords(report.counts, formatCount)}</dd>${report.readAll === undefined ? '' : html`<dt>Read</dt><dd>${READ_ALL_WORDS[report.readAll]}</dd>`}
        <dt>API calls</dt><dd>CRM read ${report.apiCalls.crm.read} · write ${report.apiCalls.crm.write} · other ${report.apiCalls.crm.other}${Object.entries(
          report.apiCalls.providers,
        )
          .map(([n, v]) => ` · ${n} ${v}`)
          .join('')}</dd></dl>
        ${
          (report.errorGroups ?? []).length === 0
            ? ''
            : html`<h2>Problems</h2>
          <div class="table-wrap"><table><thead><tr><th scope="col">Records</th><th scope="col">Stage</th><th scope="col">Code</th><th scope="col">Message</th><th scope="col">Retryable</th></tr></thead>
          <tbody>${(report.errorGroups ?? []).map((g) => html`<tr><td>${formatCount(g.count)}</td><td>${g.stage}</td><td>${g.code}</td><td>${g.message}</td><td>${g.retryable ? 'yes' : 'no'}</td></tr>`)}</tbody></table></div>`
        }
        <h2>Per-record errors (${report.errors.length}${report.counts.failed > report.errors.length ? ` shown of ${report.counts.failed}` : ''})</h2>
        <form method="get" class="filters"><label for="code">Code</label><select id="code" name="code"><option value="">any</option>${codes.map((c) => html`<option${c === filter.code ? raw(' selected') : ''}>${c}</option>`)}</select>
          <label for="q">Record or message</label><input id="q" name="q" value="${filter.q ?? ''}"><button type="submit">Filter</button></form>
        ${
          errors.length === 0
            ? html`<p>No errors${report.errors.length > 0 ? ' match the filter' : ''}.</p>`
            : html`
          <form method="post" action="/runs/${encodeURIComponent(report.runId)}/retry">${csrfField(token)}<button type="submit">Retry failed records</button></form>
          <div class="table-wrap"><table><thead><tr><th scope="col">Record</th><th scope="col">Stage</th><th scope="col">Code</th><th scope="col">Message</th><th scope="col">Retryable</th></tr></thead>
          <tbody>${errors.slice(0, 500).map((e) => html`<tr><td><a href="/contacts?id=${encodeURIComponent(e.recordId)}">${e.recordId}</a></td><td>${e.stage}</td><td>${e.code}</td><td>${e.message}</td><td>${e.retryable ? 'yes' : 'no'}</td></tr>`)}</tbody></table></div>`
        }`,
    });
  });

  router.post('/runs/:id/retry', async (req, res) => {
    const report = await store.getRun(ID.parse(req.params.id));
    if (report === null) throw new HttpError(404, 'No such run.');
    const ids = [...new Set(report.errors.map((e) => e.recordId))];
    const reset = await deps.serverStore.resetAttempts(report.connection, ids);
    const result = deps.coordinator.start(report.connection, { dryRun: false });
    flash(
      req,
      result.started ? 'ok' : 'error',
      result.started
        ? `Retrying ${reset} failed records: a run of ${report.connection} started (it re-reads them first).`
        : `Not started: ${result.reason}.`,
    );
    done(
      req,
      res,
      result.started ? 202 : 409,
      { started: result.started, records: reset },
      `/runs?connection=${encodeURIComponent(report.connection)}`,
    );
  });

  const ContactQuerySchema = z.object({
    id: z.string().trim().max(200, 'id must be at most 200 characters').optional(),
    email: z
      .union([
        z.literal(''),
        z
          .string()
          .trim()
          .max(320, 'email must be at most 320 characters')
          .pipe(z.email('email must be an e-mail address like ada@example.com')),
      ])
      .optional(),
    connection: z.string().max(200).optional(),
  });

  router.get('/contacts', async (req, res) => {
    const query = ContactQuerySchema.safeParse(req.query);
    if (!query.success) throw new HttpError(400, query.error.issues.map((i) => i.message).join('; '));
    const id = query.data.id ?? '';
    const email = query.data.email?.trim().toLowerCase() ?? '';
    const connection = query.data.connection === '' ? undefined : query.data.connection;
    const found =
      id !== ''
        ? await findContactById(store, id, connection)
        : email !== ''
          ? await findContactsByEmail(store, email, connection)
          : [];
    const asked = id !== '' ? `id ${id}` : email !== '' ? `e-mail ${email}` : '';
    respond(req, res, {
      title: 'Contacts',
      current: '/contacts',
      data: { id, email, found },
      body: () => html`
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
        )}`,
    });
  });

  return router;
}

async function describeContact(store: Store, connectionId: string, recordId: string) {
  const state = (await store.getSyncStates(connectionId, [recordId])).get(recordId);
  if (state === undefined) return null;
  const history = await store.getHistory(connectionId, recordId, 24);
  return {
    connection: connectionId,
    recordId,
    objectType: state.objectType,
    fields: state.lastWritten,
    writtenAt: state.writtenAt,
    factors: (state.lastWritten?.topFactors ?? '')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== ''),
    history,
  };
}

type FoundContact = NonNullable<Awaited<ReturnType<typeof describeContact>>>;

async function findContactById(
  store: Store,
  recordId: string,
  connectionId: string | undefined,
): Promise<FoundContact[]> {
  const out: FoundContact[] = [];
  for (const c of await store.listConnections()) {
    if (connectionId !== undefined && c.id !== connectionId) continue;
    const found = await describeContact(store, c.id, recordId);
    if (found !== null) out.push(found);
  }
  return out;
}

/** Every record (in every connection, or the one asked for) whose last recorded e-mail is this one. */
async function findContactsByEmail(
  store: Store,
  email: string,
  connectionId: string | undefined,
): Promise<FoundContact[]> {
  if (store.findRecordIdsByEmail === undefined)
    throw new HttpError(501, 'This store cannot look contacts up by e-mail; use the record id.');
  const out: FoundContact[] = [];
  for (const match of await store.findRecordIdsByEmail(connectionId, email)) {
    const found = await describeContact(store, match.connectionId, match.recordId);
    if (found !== null) out.push(found);
  }
  return out;
}
