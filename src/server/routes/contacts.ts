// GET /contacts: the contacts of a connection, filtered, sorted and paged (keyset), or one looked up by record id or
// e-mail.
import { z } from 'zod';

import { ContactListFilterSchema, decodeCursor, encodeCursor, listContacts } from '../../store/contact-list.ts';
import { describeIssues } from '../../zod-issues.ts';
import { crmRecordUrl, findContactById, findContactsByEmail } from '../contacts.ts';
import { sendContactsCsv } from '../contacts-csv.ts';
import { respond } from '../render.ts';
import { HttpError } from '../security.ts';
import { sqlOf } from '../server-store.ts';
import { contactListView, contactsView } from '../views/contacts.ts';
import { defineRoute, pickConnection } from './route.ts';

export const PAGE_SIZE = 50;

const ContactQuerySchema = ContactListFilterSchema.extend({
  id: z.string().trim().max(200, 'id must be at most 200 characters').optional(),
  email: z
    .union([
      z.literal(''),
      z
        .string()
        .trim()
        .max(320, 'email must be at most 320 characters')
        .pipe(z.email('email must be an e-mail address like ada@example.com')),
    ])
    .optional(),
  connection: z.string().max(200).optional(),
  after: z.string().max(400).optional(),
  /** The page before this cursor ("Previous page"). */
  before: z.string().max(400).optional(),
  /** `csv`: every matching contact as a CSV file instead of a page. */
  format: z.enum(['html', 'csv']).optional(),
});

export const contactsRoute = defineRoute({
  method: 'get',
  path: '/contacts',
  validate: { query: ContactQuerySchema, invalid: { query: (error) => describeIssues(error) } },
  async handler({ query }, { req, res, deps }) {
    const id = query.id ?? '';
    const email = query.email?.trim().toLowerCase() ?? '';
    if (id !== '' || email !== '') {
      const connection = query.connection === '' ? undefined : query.connection;
      const found =
        id !== ''
          ? await findContactById(deps.store, id, connection)
          : await findContactsByEmail(deps.store, email, connection);
      const asked = id !== '' ? `id ${id}` : `e-mail ${email}`;
      respond(req, res, {
        title: 'Contacts',
        current: '/contacts',
        data: { id, email, found },
        body: () => contactsView({ id, email, asked, found, reasonLabels: deps.reasonLabels }),
      });
      return;
    }
    const { connections, chosen } = await pickConnection(deps.store, query.connection);
    if (query.format === 'csv') {
      if (chosen === undefined) throw new HttpError(404, 'No connection to export.');
      await sendContactsCsv(res, sqlOf(deps.store), chosen, query);
      return;
    }
    const cursor = (name: 'after' | 'before', link: string) => {
      const text = query[name];
      if (text === undefined || text === '') return null;
      const decoded = decodeCursor(text);
      if (decoded === null) throw new HttpError(400, `${name}: not a page of this list (follow the "${link}" link)`);
      return decoded;
    };
    const after = cursor('after', 'Next page');
    const before = cursor('before', 'Previous page');
    const page =
      chosen === undefined
        ? { rows: [], next: null, previous: null }
        : await listContacts(sqlOf(deps.store), chosen.id, query, { after, before, limit: PAGE_SIZE });
    const rows = page.rows.map((row) => ({
      ...row,
      crmUrl: chosen === undefined ? null : crmRecordUrl(chosen, row.objectType, row.recordId),
    }));
    const next = page.next === null ? null : encodeCursor(page.next);
    const previous = page.previous === null ? null : encodeCursor(page.previous);
    respond(req, res, {
      title: 'Contacts',
      current: '/contacts',
      data: { connection: chosen?.id ?? null, filter: query, rows, next, previous },
      body: () =>
        contactListView({
          connections,
          connection: chosen,
          filter: query,
          rows,
          next,
          previous,
          reasonLabels: deps.reasonLabels,
        }),
    });
  },
});
