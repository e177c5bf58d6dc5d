// GET /lift/csv: the Revenue lift table as a CSV download, with the page's filters.
import { liftCsv } from '../../lift/index.ts';
import { HttpError } from '../security.ts';
import { liftFilters, liftFor, LiftQuerySchema } from './lift.ts';
import { defineRoute, pickConnection } from './route.ts';

export const liftCsvRoute = defineRoute({
  method: 'get',
  path: '/lift/csv',
  validate: { query: LiftQuerySchema },
  async handler({ query }, { res, deps }) {
    const { chosen } = await pickConnection(deps.store, query.connection);
    if (chosen === undefined) throw new HttpError(404, 'no connection');
    const { report } = await liftFor(deps.store, chosen.id, liftFilters(query), deps.now());
    if (report === null) throw new HttpError(404, `no deal outcomes read for ${chosen.name} yet`);
    const name = `revenue-lift-${chosen.id.replace(/[^\w-]/g, '_')}-${report.computedAt.slice(0, 10)}.csv`;
    res.type('text/csv; charset=utf-8').attachment(name).send(liftCsv(report));
  },
});
