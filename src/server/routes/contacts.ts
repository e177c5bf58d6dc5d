// GET /contacts: look a contact up by record id or by e-mail.
import { z } from 'zod';

import { describeIssues } from '../../zod-issues.ts';
import { findContactById, findContactsByEmail } from '../contacts.ts';
import { respond } from '../render.ts';
import { contactsView } from '../views/contacts.ts';
import { defineRoute } from './route.ts';

const ContactQuerySchema = z.object({
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
});

export const contactsRoute = defineRoute({
  method: 'get',
  path: '/contacts',
  validate: { query: ContactQuerySchema, invalid: { query: (error) => describeIssues(error) } },
  async handler({ query }, { req, res, deps }) {
    const id = query.id ?? '';
    const email = query.email?.trim().toLowerCase() ?? '';
    const connection = query.connection === '' ? undefined : query.connection;
    const found =
      id !== ''
        ? await findContactById(deps.store, id, connection)
        : email !== ''
          ? await findContactsByEmail(deps.store, email, connection)
          : [];
    const asked = id !== '' ? `id ${id}` : email !== '' ? `e-mail ${email}` : '';
    respond(req, res, {
      title: 'Contacts',
      current: '/contacts',
      data: { id, email, found },
      body: () => contactsView({ id, email, asked, found, reasonLabels: deps.reasonLabels }),
    });
  },
});
