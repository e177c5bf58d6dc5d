// POST /runs/:id/retry: makes a run's failed records due again and starts a run of their connection.
import { z } from 'zod';

import { done } from '../render.ts';
import { flash, HttpError } from '../security.ts';
import { defineRoute, ID } from './route.ts';

export const runRetryRoute = defineRoute({
  method: 'post',
  path: '/runs/:id/retry',
  validate: { params: z.object({ id: ID }) },
  async handler({ params }, { req, res, deps }) {
    const report = await deps.store.getRun(params.id);
    if (report === null) throw new HttpError(404, 'No such run.');
    const ids = [...new Set(report.errors.map((e) => e.recordId))];
    const reset = await deps.serverStore.resetAttempts(report.connection, ids);
    const result = await deps.coordinator.start(report.connection, { dryRun: false });
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
  },
});
