// GET / (and /dashboard): the chosen connection's dashboard.
import { unscoredBreakdown } from '../../store/run-report.ts';
import { respond } from '../render.ts';
import { buckets } from '../summary.ts';
import { dashboardView } from '../views/dashboard.ts';
import { ConnectionQuerySchema, defineRoute, pickConnection } from './route.ts';

export const dashboardRoute = defineRoute({
  method: 'get',
  path: ['/', '/dashboard'],
  validate: { query: ConnectionQuerySchema },
  async handler({ query }, { req, res, deps }) {
    const { connections, chosen } = await pickConnection(deps.store, query.connection);
    const summary = chosen === undefined ? null : await deps.summaries.get(chosen.id);
    const bars = summary === null ? [] : buckets(summary.scores);
    // The Unscored breakdown of the latest run that read every contact (an incremental run sees only a few).
    const runs = chosen === undefined ? [] : await deps.store.listRuns({ connectionId: chosen.id, limit: 20 });
    const breakdownRun =
      runs.find((r) => !r.dryRun && r.readAll !== undefined && r.unscoredBy !== undefined) ??
      runs.find((r) => !r.dryRun && r.unscoredBy !== undefined) ??
      null;
    const budgetFraction = summary?.budget ? summary.budget.remaining / Math.max(1, summary.budget.limit) : null;
    respond(req, res, {
      title: 'Dashboard',
      current: '/',
      data: {
        connection: chosen?.id ?? null,
        summary,
        histogram: bars,
        unscored: breakdownRun === null ? null : { runId: breakdownRun.runId, rows: unscoredBreakdown(breakdownRun) },
      },
      body: () =>
        dashboardView({
          connections,
          chosen,
          summary,
          bars,
          budgetFraction,
          budgetFloor: deps.budgetFloor,
          today: deps.now().toISOString().slice(0, 10),
          breakdownRun,
        }),
    });
  },
});
