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

/** A post-login target: a path on this site only (no scheme, no host, no `//` or `/\` tricks), else `/`. */
export function safeNext(next: unknown): string {
  if (typeof next !== 'string' || next === '' || next.length > 2000) return '/';
  if (
    !next.startsWith('/') ||
    next.startsWith('//') ||
    next.includes('\\') ||
    [...next].some((c) => c.charCodeAt(0) < 0x20)
  )
    return '/';
  let url: URL;
  try {
    url = new URL(next, 'http://local.invalid');
  } catch {
    return '/';
  }
  if (url.origin !== 'http://local.invalid') return '/';
  return `${url.pathname}${url.search}${url.hash}`;
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
