// POST /settings/import: counts from a CSV file (LinkedIn and other networks without an open API), stored for every
// connection; the next run of each reads its contacts again and scores them with the new counts.
import { z } from 'zod';

import { describeCsvProblem, importCountsCsv, ImportedCountsStore } from '../../sync/imported-counts.ts';
import { respond } from '../render.ts';
import { sqlOf } from '../server-store.ts';
import { importResultView } from '../views/settings.ts';
import { defineRoute } from './route.ts';

export const settingsImportRoute = defineRoute({
  method: 'post',
  path: '/settings/import',
  validate: {
    body: z.object({
      counts: z
        .string({ error: 'Choose a CSV file to import.' })
        .refine((text) => text.trim() !== '', 'The file is empty.'),
      connection: z.string().max(200).optional(),
    }),
    invalid: { body: (error) => error.issues.map((i) => i.message).join(' ') },
  },
  async handler({ body }, { req, res, deps }) {
    const counts = new ImportedCountsStore(sqlOf(deps.store));
    const outcome = await importCountsCsv(counts, body.counts);
    const stored = await counts.summary();
    const problems = outcome.problems.map(describeCsvProblem);
    if (problems.length > 0) res.status(422);
    respond(req, res, {
      title: 'Settings',
      current: '/settings',
      data: { imported: outcome.accounts, problems, stored },
      body: () => importResultView(outcome.accounts, problems, stored, body.connection),
    });
  },
});
