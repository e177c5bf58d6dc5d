// Admin sign-in: passport-local over server_admins (scrypt hashes), throttled per IP and per account (with the
// device-cookie exemption of login-throttle.ts), session id regenerated on sign-in (passport does it) with a fresh
// CSRF token, and post-login redirects kept on this site.
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { Router } from 'express';
import { rateLimit } from 'express-rate-limit';
import type { PassportStatic } from 'passport';
import passport from 'passport';
import { Strategy as LocalStrategy } from 'passport-local';
import { z } from 'zod';

import { csrfField, html, layout } from './html.ts';
import type { AccountThrottle, DeviceCookies } from './login-throttle.ts';
import { DEVICE_COOKIE, DEVICE_COOKIE_TTL_MS } from './login-throttle.ts';
import { decoyHash, hashPassword, MIN_PASSWORD_LENGTH, verifyPassword } from './passwords.ts';
import { cookieValue, csrfToken, flash, HttpError, safeNext, secureCookie, takeFlash, wantsJson } from './security.ts';
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
    <form method="post" action="/login" class="card narrow login">
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

function tooMany(req: Request, res: Response, message: string): void {
  res.status(429);
  if (wantsJson(req)) res.json({ error: message });
  else res.type('html').send(loginPage(req, '/', message));
}

export interface AuthRoutesOptions {
  passport: PassportStatic;
  serverStore: ServerStore;
  /** Failed sign-ins allowed per client per window (default 10 per 15 minutes). */
  loginLimit?: number;
  loginWindowMs?: number;
  /** Failed sign-ins per account: exponential wait, except for browsers that signed in to it before. */
  accountThrottle: AccountThrottle;
  deviceCookies: DeviceCookies;
  secureCookies: boolean | 'auto';
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
      tooMany(req, res, 'Too many sign-in attempts; wait a few minutes and try again.');
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
    const { username } = body.data;
    const knownDevice = options.deviceCookies.vouchesFor(cookieValue(req, DEVICE_COOKIE), username);
    const waitMs = knownDevice ? 0 : options.accountThrottle.waitMs(username);
    if (waitMs > 0) {
      // Refused before the password is checked, so a throttled guess learns nothing.
      const seconds = Math.ceil(waitMs / 1000);
      res.set('Retry-After', String(seconds));
      tooMany(req, res, `Too many wrong passwords for this account: wait ${seconds} s and try again.`);
      return;
    }
    const authenticate = options.passport.authenticate('local', (error: unknown, user: Express.User | false) => {
      if (error) {
        next(error);
        return;
      }
      if (user === false) {
        if (!knownDevice) options.accountThrottle.failed(username);
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
        options.accountThrottle.succeeded(username);
        res.cookie(DEVICE_COOKIE, options.deviceCookies.issue(user.username), {
          httpOnly: true,
          sameSite: 'strict',
          secure: secureCookie(req, options.secureCookies),
          maxAge: DEVICE_COOKIE_TTL_MS,
          path: '/login',
        });
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
