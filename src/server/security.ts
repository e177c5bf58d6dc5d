// The security skeleton every route sits behind: helmet with a strict CSP, the session cookie, CSRF synchronizer
// tokens, "who is signed in" and the guard that refuses everything else, and safe post-login redirects.
import { randomBytes, timingSafeEqual } from 'node:crypto';

import type { NextFunction, Request, RequestHandler, Response } from 'express';
import helmet from 'helmet';

declare module 'express-session' {
  interface SessionData {
    csrfToken?: string;
    flash?: { kind: 'ok' | 'error'; text: string };
    salesforceLoginUrl?: string;
  }
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface User {
      username: string;
    }
  }
}

export class HttpError extends Error {
  /** The message is safe to show (it names no secret). */
  constructor(
    readonly status: number,
    message: string,
    readonly expose = true,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** Helmet with a CSP that allows only our own scripts and styles (no inline code), forms to us and the OAuth hosts. */
export function securityHeaders(formTargets: readonly string[]): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        fontSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        frameAncestors: ["'none'"],
        // Chrome applies form-action to the redirects after a form submission (the OAuth hand-off).
        formAction: ["'self'", ...formTargets],
      },
    },
    crossOriginEmbedderPolicy: false,
    referrerPolicy: { policy: 'same-origin' },
  });
}

export function csrfToken(req: Request): string {
  const session = req.session as Request['session'] | undefined;
  if (session === undefined) return '';
  session.csrfToken ??= randomBytes(32).toString('base64url');
  return session.csrfToken;
}

function sameToken(given: unknown, expected: string | undefined): boolean {
  if (typeof given !== 'string' || expected === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Every state-changing request carries the session's token (form field `_csrf` or header `X-CSRF-Token`). */
export function csrfProtection(req: Request, _res: Response, next: NextFunction): void {
  if (SAFE_METHODS.has(req.method)) {
    next();
    return;
  }
  const body = req.body as Record<string, unknown> | undefined;
  const given = req.get('x-csrf-token') ?? (typeof body === 'object' && body !== null ? body._csrf : undefined);
  if (!sameToken(given, req.session.csrfToken)) {
    next(
      new HttpError(
        403,
        'The form expired or did not come from this site (missing or wrong CSRF token). Reload the page and try again.',
      ),
    );
    return;
  }
  next();
}

export function wantsJson(req: Request): boolean {
  return req.baseUrl.startsWith('/api') || req.path.startsWith('/api/') || req.accepts(['html', 'json']) === 'json';
}

/** Only a signed-in admin passes; pages send the browser to the login form, the API answers 401. */
export function requireAdmin(req: Request, res: Response, next: NextFunction): void {
  if (req.user !== undefined) {
    next();
    return;
  }
  if (wantsJson(req) || req.method !== 'GET') {
    res.status(401).json({ error: 'sign in first (POST /login)' });
    return;
  }
  res.redirect(303, `/login?next=${encodeURIComponent(req.originalUrl)}`);
}

/** Where relative targets are resolved for the check; any fixed origin works, as only same-origin paths pass. */
const CHECK_ORIGIN = 'http://check.invalid';
/** Control characters (the URL parser drops tabs and newlines, so `/\t/evil` would become `//evil`) and backslashes. */
const UNSAFE_CHARS = /[\u0000-\u001f\u007f\\]/;

/** A path that stays on this site when a browser resolves it: not `//host`, not `/\\host`, no scheme. */
function staysOnOrigin(path: string): boolean {
  if (!path.startsWith('/') || path.startsWith('//') || UNSAFE_CHARS.test(path)) return false;
  try {
    return new URL(path, CHECK_ORIGIN).origin === CHECK_ORIGIN;
  } catch {
    return false;
  }
}

/**
 * A post-login target: a path and query on this site, else `/`. Normalised first (dot segments, `%2e`), then checked,
 * because `/.//evil.example` only becomes `//evil.example` (another host) once its dot segment is resolved. The
 * percent-decoded path is checked too, for proxies that decode `%2F` and `%5C` before routing.
 */
export function safeNext(next: unknown): string {
  if (typeof next !== 'string' || next.length > 2000 || !staysOnOrigin(next)) return '/';
  const url = new URL(next, CHECK_ORIGIN);
  let decoded: string;
  try {
    decoded = decodeURIComponent(url.pathname);
  } catch {
    return '/';
  }
  if (!staysOnOrigin(url.pathname) || !staysOnOrigin(decoded)) return '/';
  return `${url.pathname}${url.search}`;
}

/** One-shot message for the next page. */
export function flash(req: Request, kind: 'ok' | 'error', text: string): void {
  req.session.flash = { kind, text };
}

export function takeFlash(req: Request): { kind: 'ok' | 'error'; text: string } | undefined {
  const message = req.session.flash;
  delete req.session.flash;
  return message;
}
