// The security skeleton every route sits behind: helmet with a strict CSP, the Host check (DNS rebinding), CSRF
// tokens (synchronizer tokens in a signed-in session, a signed double-submit cookie before sign-in, so an anonymous
// visitor costs no stored session), "who is signed in" and the guard that refuses everything else, and safe
// post-login redirects.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';

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
    interface Request {
      /** The CSRF token forms and `X-CSRF-Token` must carry (set by `csrfProtection`). */
      csrfToken?: () => string;
    }
  }
}

export class HttpError extends Error {
  /** The message is safe to show (it names no secret). */
  readonly status: number;
  readonly expose: boolean;

  constructor(status: number, message: string, expose = true) {
    super(message);
    this.status = status;
    this.expose = expose;
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
  return req.csrfToken?.() ?? '';
}

function sameToken(given: unknown, expected: string | undefined): boolean {
  if (typeof given !== 'string' || expected === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** One cookie of the request (no cookie parser in front: only this and express-session read cookies). */
export function cookieValue(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export function secureCookie(req: Request, setting: boolean | 'auto'): boolean {
  return setting === 'auto' ? req.secure : setting;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
export const CSRF_COOKIE = 'crm_influence_csrf';
const SEED = /^[A-Za-z0-9_-]{43}$/;
const CSRF_COOKIE_TTL_MS = 12 * 3600_000;

export interface CsrfOptions {
  /** HMAC key of the pre-sign-in tokens (a server secret shared by every process on the store). */
  secret: string;
  secureCookies: boolean | 'auto';
}

/**
 * Gives each request its CSRF token (`csrfToken(req)`) and refuses every state-changing request without it (form field
 * `_csrf` or header `X-CSRF-Token`). Signed in: the session's synchronizer token. Before sign-in: an HMAC of a random
 * seed kept in a cookie (signed double-submit), so the sign-in form needs no stored session.
 */
export function csrfProtection(options: CsrfOptions): RequestHandler {
  const sign = (seed: string) => createHmac('sha256', options.secret).update(`csrf:${seed}`).digest('base64url');
  return (req, res, next) => {
    let seed = cookieValue(req, CSRF_COOKIE);
    if (seed !== undefined && !SEED.test(seed)) seed = undefined;
    const expected = (): string | undefined =>
      req.user !== undefined ? req.session.csrfToken : seed === undefined ? undefined : sign(seed);
    req.csrfToken = () => {
      if (req.user !== undefined) {
        req.session.csrfToken ??= randomBytes(32).toString('base64url');
        return req.session.csrfToken;
      }
      if (seed === undefined) {
        seed = randomBytes(32).toString('base64url');
        res.cookie(CSRF_COOKIE, seed, {
          httpOnly: true,
          sameSite: 'lax',
          secure: secureCookie(req, options.secureCookies),
          maxAge: CSRF_COOKIE_TTL_MS,
          path: '/',
        });
      }
      return sign(seed);
    };
    if (SAFE_METHODS.has(req.method)) {
      next();
      return;
    }
    const body = req.body as Record<string, unknown> | undefined;
    const given = req.get('x-csrf-token') ?? (typeof body === 'object' && body !== null ? body._csrf : undefined);
    if (!sameToken(given, expected())) {
      next(
        new HttpError(
          403,
          'The form expired or did not come from this site (missing or wrong CSRF token). Reload the page and try again.',
        ),
      );
      return;
    }
    next();
  };
}

function hostName(host: string): string {
  return host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '');
}

/**
 * DNS rebinding: a page on attacker.example whose name is re-pointed at this server is same-origin with it in the
 * browser, and its requests arrive from the victim's machine (loopback, inside the network). They carry the
 * attacker's host name, so only IP literals (which cannot be re-pointed), localhost and the names this server is
 * known by (the bound host, CRM_INFLUENCE_PUBLIC_URL's) are answered.
 */
export function hostCheck(names: readonly string[]): RequestHandler {
  const known = new Set(['localhost', ...names.map(hostName)]);
  return (req, res, next) => {
    const host = hostName(req.hostname ?? '');
    if (host !== '' && (isIP(host) !== 0 || known.has(host))) {
      next();
      return;
    }
    res
      .status(421)
      .type('text/plain')
      .send(
        'This server does not answer to that host name. Set CRM_INFLUENCE_PUBLIC_URL to the address you reach it at.\n',
      );
  };
}

const LOOPBACK_ADDRESS = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;

/** A request from this machine itself, not relayed by a proxy (which would make every client look local). */
export function fromLoopback(req: Request): boolean {
  if (
    req.get('x-forwarded-for') !== undefined ||
    req.get('forwarded') !== undefined ||
    req.get('x-real-ip') !== undefined
  )
    return false;
  return LOOPBACK_ADDRESS.test(req.socket.remoteAddress ?? '');
}

export function wantsJson(req: Request): boolean {
  return (
    req.baseUrl.startsWith('/api') ||
    req.path === '/api' ||
    req.path.startsWith('/api/') ||
    req.accepts(['html', 'json']) === 'json'
  );
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
function hasUnsafeChar(text: string): boolean {
  for (const c of text) {
    const code = c.charCodeAt(0);
    if (code < 0x20 || code === 0x7f || c === '\\') return true;
  }
  return false;
}

/** A path that stays on this site when a browser resolves it: not `//host`, not `/\\host`, no scheme. */
function staysOnOrigin(path: string): boolean {
  if (!path.startsWith('/') || path.startsWith('//') || hasUnsafeChar(path)) return false;
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
