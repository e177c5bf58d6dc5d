// POST /connections/:id/run: a run (or a dry run) of one connection, started in the background.
import { z } from 'zod';

import { done } from '../render.ts';
import { flash, HttpError } from '../security.ts';
import { defineRoute, ID } from './route.ts';

const Flag = z.union([z.boolean(), z.enum(['true', 'false'])]).optional();

export const connectionRunRoute = defineRoute({
  method: 'post',
  path: '/connections/:id/run',
  validate: {
    params: z.object({ id: ID }),
    body: z.looseObject({ dryRun: Flag, full: Flag }),
    invalid: { body: () => 'dryRun and full must be true or false.' },
  },
  async handler({ params: { id }, body }, { req, res, deps }) {
    if ((await deps.store.getConnection(id)) === null) throw new HttpError(404, `No connection "${id}".`);
    const dryRun = String(body.dryRun) === 'true';
    const result = await deps.coordinator.start(id, { dryRun, full: String(body.full) === 'true' });
    if (result.started) flash(req, 'ok', `${dryRun ? 'Dry run' : 'Run'} of ${id} started.`);
    else flash(req, 'error', `Not started: ${result.reason}.`);
    done(
      req,
      res,
      result.started ? 202 : 409,
      result.started ? { started: true, connection: id, dryRun } : { started: false, error: result.reason },
      `/runs?connection=${encodeURIComponent(id)}`,
    );
  },
});
