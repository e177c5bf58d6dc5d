// GET /runs/:id: one run's report and its per-record errors, filtered by code, stage or text.
import { z } from 'zod';

import { respond } from '../render.ts';
import { durationMs, redactedReport } from '../reports.ts';
import { csrfToken, HttpError } from '../security.ts';
import { runView } from '../views/run.ts';
import { defineRoute, ID } from './route.ts';

const ErrorFilterSchema = z
  .object({
    code: z.string().max(100).optional(),
    stage: z.string().max(20).optional(),
    q: z.string().max(200).optional(),
  })
  .catch({});

export const runRoute = defineRoute({
  method: 'get',
  path: '/runs/:id',
  validate: { params: z.object({ id: ID }), query: ErrorFilterSchema },
  async handler({ params, query: filter }, { req, res, deps }) {
    const stored = await deps.store.getRun(params.id);
    if (stored === null) throw new HttpError(404, 'No such run.');
    const report = redactedReport(stored);
    const q = filter.q?.toLowerCase() ?? '';
    const errors = report.errors.filter(
      (e) =>
        (!filter.code || e.code === filter.code) &&
        (!filter.stage || e.stage === filter.stage) &&
        (q === '' || e.recordId.toLowerCase().includes(q) || e.message.toLowerCase().includes(q)),
    );
    const token = csrfToken(req);
    respond(req, res, {
      title: `Run ${report.runId.slice(0, 8)}`,
      current: '/runs',
      data: { run: { ...report, durationMs: durationMs(report) }, errors },
      body: () => runView({ report, errors, filter, token }),
    });
  },
});
