// GET /lift: revenue lift by tier for the chosen connection, over the deal outcomes the store holds, filtered by the
// created-date range and pipeline; `?format=csv` downloads the table. Read-only; outcomes are read after each run
// and by `crm-influence report lift`.
import { z } from 'zod';

import type { LiftFilters } from '../../lift/index.ts';
import { liftCsv } from '../../lift/index.ts';
import type { Store } from '../../store/contract.ts';
import { computeStoredLift } from '../../sync/lift.ts';
import { respond } from '../render.ts';
import { HttpError } from '../security.ts';
import { liftView } from '../views/lift.ts';
import { ConnectionQuerySchema, defineRoute, pickConnection } from './route.ts';

const day = z.iso.date().optional().catch(undefined);
export const LiftQuerySchema = ConnectionQuerySchema.extend({
  from: day,
  to: day,
  pipeline: z.string().min(1).max(100).optional().catch(undefined),
  format: z.enum(['csv']).optional().catch(undefined),
});

export function liftFilters(query: z.output<typeof LiftQuerySchema>): LiftFilters {
  return {
    ...(query.from === undefined ? {} : { from: query.from }),
    ...(query.to === undefined ? {} : { to: query.to }),
    ...(query.pipeline === undefined ? {} : { pipeline: query.pipeline }),
  };
}

/** The chosen connection's lift table, or null before its first outcomes read. */
export async function liftFor(store: Store, connectionId: string, filters: LiftFilters, now: Date) {
  const log = store.outcomes;
  const latest = log === undefined ? null : await log.latestReport(connectionId);
  if (log === undefined || latest === null) return { report: null, readAt: null };
  return { report: await computeStoredLift(log, connectionId, filters, now), readAt: latest.computedAt };
}

export const liftRoute = defineRoute({
  method: 'get',
  path: '/lift',
  validate: { query: LiftQuerySchema },
  async handler({ query }, { req, res, deps }) {
    const { connections, chosen } = await pickConnection(deps.store, query.connection);
    const filters = liftFilters(query);
    const { report, readAt } =
      chosen === undefined ? { report: null, readAt: null } : await liftFor(deps.store, chosen.id, filters, deps.now());
    if (query.format === 'csv') {
      if (chosen === undefined || report === null) throw new HttpError(404, 'no deal outcomes read yet');
      const name = `revenue-lift-${chosen.id.replace(/[^\w-]/g, '_')}-${report.computedAt.slice(0, 10)}.csv`;
      res.type('text/csv; charset=utf-8').attachment(name).send(liftCsv(report));
      return;
    }
    respond(req, res, {
      title: 'Revenue lift',
      current: '/lift',
      data: { connection: chosen?.id ?? null, readAt, report },
      body: () => liftView({ connections, chosen, report, readAt, filters }),
    });
  },
});
