// POST /connections/:id/disconnect: deletes a connection with its stored tokens, sync state and history.
import { z } from 'zod';

import { done } from '../render.ts';
import { flash, HttpError } from '../security.ts';
import { defineRoute, ID } from './route.ts';

export const connectionDisconnectRoute = defineRoute({
  method: 'post',
  path: '/connections/:id/disconnect',
  validate: { params: z.object({ id: ID }) },
  async handler({ params: { id } }, { req, res, deps }) {
    if ((await deps.store.getConnection(id)) === null) throw new HttpError(404, `No connection "${id}".`);
    if (await deps.coordinator.isRunning(id))
      throw new HttpError(409, `A run of "${id}" is going on; disconnect after it finishes.`);
    await deps.store.deleteConnection(id);
    await deps.coordinator.refresh();
    flash(req, 'ok', `Disconnected ${id}; its stored tokens were deleted.`);
    done(req, res, 200, { disconnected: id }, '/connections');
  },
});
