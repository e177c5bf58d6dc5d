// Admin sign-in: passport-local over server_admins (scrypt hashes), rate-limited, session id regenerated on
// sign-in (passport does it) with a fresh CSRF token, and post-login redirects kept on this site.
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { Router } from 'express';
import { rateLimit } from 'express-rate-limit';
import type { PassportStatic } from 'passport';
import passport from 'passport';
import { Strategy as LocalStrategy } from 'passport-local';
import { z } from 'zod';

import { csrfField, html, layout } from './html.ts';
import { decoyHash, hashPassword, MIN_PASSWORD_LENGTH, verifyPassword } from './passwords.ts';
import { csrfToken, flash, HttpError, safeNext, takeFlash, wantsJson } from './security.ts';
import type { ServerStore } from './server-store.ts';

export const USERNAME = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9._@-]+$/, 'letters, digits and . _ @ - only');

const LoginBodySchema = z.object({
  username: z.string().max(200),
  password: z.string().max(1000),
  next: z.string().max(2000).optional(),
  _csrf: z.string().optional(),
});

/** A passport instance of our own (not the global one), so two apps in one process never share strategies. */
export function createPassport(serverStore: ServerStore): PassportStatic {
  const instance = new passport.Passport() as PassportStatic;
  instance.use(
    'local',
    new LocalStrategy((username, password, done) => {
      (async () => {
        const admin = await serverStore.getAdmin(username);
        // Same work whether or not the user exists.
        const ok = await verifyPassword(password, admin?.password_hash ?? (await decoyHash()));
        return admin !== null && ok ? { username: admin.username } : false;
      })().then(
        (user) => done(null, user),
        (error: unknown) => done(error),
      );
    }),
  );
  instance.serializeUser((user, done) => done(null, user.username));
  instance.deserializeUser((username: string, done) => {
    serverStore.getAdmin(username).then(
      (admin) => done(null, admin === null ? false : { username: admin.username }),
      (error: unknown) => done(error),
    );
  });
  return instance;
}

/** Creates the first admin, or changes an admin's password. Never a default password. */
export async function setAdminPassword(serverStore: ServerStore, username: string, password: string): Promise<void> {
  const name = USERNAME.parse(username);
  if (password.length < MIN_PASSWORD_LENGTH)
    throw new Error(`the admin password must be at least ${MIN_PASSWORD_LENGTH} characters`);
  await serverStore.putAdmin(name, await hashPassword(password));
}

function loginPage(req: Request, next: string, message?: string): string {
  const error = message ?? takeFlash(req)?.text;
  return layout(
    { title: 'Sign in', flash: error === undefined ? undefined : { kind: 'error', text: error } },
    html`
    <form method="post" action="/login" class="card narrow">
      ${csrfField(csrfToken(req))}
      <input type="hidden" name="next" value="${next}">
      <label for="username">Username</label>
      <input id="username" name="username" autocomplete="username" required autofocus>
      <label for="password">Password</label>
      <input id="password" name="password" type="password" autocomplete="current-password" required>
      <button type="submit">Sign in</button>
    </form>`,
  );
}

export interface AuthRoutesOptions {
  passport: PassportStatic;
  serverStore: ServerStore;
  /** Failed sign-ins allowed per client per window (default 10 per 15 minutes). */
  loginLimit?: number;
  loginWindowMs?: number;
}

export function authRoutes(options: AuthRoutesOptions): Router {
  const router = Router();
  const limiter = rateLimit({
    windowMs: options.loginWindowMs ?? 15 * 60_000,
    limit: options.loginLimit ?? 10,
    skipSuccessfulRequests: true,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    handler: (req, res) => {
      const message = 'Too many sign-in attempts; wait a few minutes and try again.';
      if (wantsJson(req)) res.status(429).json({ error: message });
      else
        res
          .status(429)
          .type('html')
          .send(loginPage(req, '/', message));
    },
  });

  router.get('/login', (req, res) => {
    if (req.user !== undefined) {
      res.redirect(303, safeNext(req.query.next));
      return;
    }
    res.type('html').send(loginPage(req, safeNext(req.query.next)));
  });

  router.post('/login', limiter, (req: Request, res: Response, next: NextFunction) => {
    const body = LoginBodySchema.safeParse(req.body);
    if (!body.success) {
      next(new HttpError(400, 'Sign-in needs a username and a password.'));
      return;
    }
    const target = safeNext(body.data.next);
    const authenticate = options.passport.authenticate('local', (error: unknown, user: Express.User | false) => {
      if (error) {
        next(error);
        return;
      }
      if (user === false) {
        res.status(401);
        if (wantsJson(req)) res.json({ error: 'wrong username or password' });
        else res.type('html').send(loginPage(req, target, 'Wrong username or password.'));
        return;
      }
      // passport regenerates the session here (no fixation); the new session gets a new CSRF token.
      req.login(user, (loginError) => {
        if (loginError) {
          next(loginError);
          return;
        }
        csrfToken(req);
        options.serverStore.recordLogin(user.username).then(() => {
          if (wantsJson(req)) res.json({ ok: true, csrfToken: csrfToken(req), next: target });
          else res.redirect(303, target);
        }, next);
      });
    }) as RequestHandler;
    void authenticate(req, res, next);
  });

  router.post('/logout', (req, res, next) => {
    req.logout((error) => {
      if (error) {
        next(error);
        return;
      }
      flash(req, 'ok', 'Signed out.');
      res.redirect(303, '/login');
    });
  });

  return router;
}
