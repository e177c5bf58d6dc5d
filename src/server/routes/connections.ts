// GET /connections: every connection with its last and next run.
import { redact } from '../../log.ts';
import { respond } from '../render.ts';
import { redactedReport } from '../reports.ts';
import { csrfToken } from '../security.ts';
import type { ConnectionRow } from '../views/connections.ts';
import { connectionsView } from '../views/connections.ts';
import { defineRoute } from './route.ts';

export const connectionsRoute = defineRoute({
  method: 'get',
  path: '/connections',
  validate: {},
  async handler(_input, { req, res, deps }) {
    const connections = await deps.store.listConnections();
    const rows: ConnectionRow[] = await Promise.all(
      connections.map(async (c) => {
        const last = (await deps.store.listRuns({ connectionId: c.id, limit: 1 }))[0] ?? null;
        return {
          id: c.id,
          crm: c.crm,
          name: c.name,
          status: c.status,
          statusMessage: c.statusMessage === null ? null : redact(c.statusMessage),
          lastRun: last === null ? null : redactedReport(last),
          nextRun: deps.coordinator.nextRun(c.id)?.toISOString() ?? null,
          running: await deps.coordinator.isRunning(c.id),
        };
      }),
    );
    const token = csrfToken(req);
    respond(req, res, {
      title: 'Connections',
      current: '/connections',
      data: { connections: rows },
      body: () => connectionsView(rows, token, deps.oauth),
    });
  },
});
