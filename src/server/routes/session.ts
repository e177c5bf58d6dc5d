// GET /api/session: who is signed in and the CSRF token scripts send as X-CSRF-Token (also before sign-in).
import { csrfToken } from '../security.ts';
import { defineRoute } from './route.ts';

export const sessionRoute = defineRoute({
  method: 'get',
  path: '/session',
  jsonOnly: true,
  access: 'anyone',
  validate: {},
  handler(_input, { req, res }) {
    res.json({ admin: req.user?.username ?? null, csrfToken: csrfToken(req) });
  },
});
