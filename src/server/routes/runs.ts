// GET /runs: the latest runs (of one connection with ?connection=), most recent first.
import { z } from 'zod';

import { respond } from '../render.ts';
import { durationMs, redactedReport } from '../reports.ts';
import { runsView } from '../views/runs.ts';
import { defineRoute } from './route.ts';

export const runsRoute = defineRoute({
  method: 'get',
  path: '/runs',
  validate: {
    query: z.object({
      connection: z
        .string()
        .optional()
        .catch(undefined)
        .transform((c) => (c === '' ? undefined : c)),
      limit: z.coerce.number().int().min(1).max(500).catch(50),
    }),
  },
  async handler({ query: { connection, limit } }, { req, res, deps }) {
    const runs = (await deps.store.listRuns({ ...(connection ? { connectionId: connection } : {}), limit })).map(
      redactedReport,
    );
    // The networks bill the app: each month's spend over every connection, the last 12 months.
    const now = deps.now();
    const spend = await deps.store.monthlySpend(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 11, 1)));
    const queue = await deps.coordinator.queueDepth();
    respond(req, res, {
      title: 'Runs',
      current: '/runs',
      data: {
        queue,
        runs: runs.map((r) => ({ ...r, errors: undefined, errorCount: r.errors.length, durationMs: durationMs(r) })),
        monthlySpend: spend.map((m) => ({ ...m, capUsd: deps.spendCaps[m.network] ?? null })),
      },
      body: () => runsView(runs, connection, queue, spend, deps.spendCaps),
    });
  },
});
