// Structured logs: pino, JSON lines by default, readable (pino-pretty) on a terminal. Secrets never reach the output:
// known secret-bearing keys are censored by path, and free text (messages, error messages and stacks) is scrubbed of
// bearer tokens, `access_token=…` style parameters, URL passwords and recognisable token formats.
import type { DestinationStream, Logger } from 'pino';
import pino from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

export const CENSOR = '[REDACTED]';

const SECRET_KEYS = [
  'accessToken',
  'refreshToken',
  'access_token',
  'refresh_token',
  'idToken',
  'id_token',
  'token',
  'bearerToken',
  'password',
  'passwordHash',
  'clientSecret',
  'client_secret',
  'secret',
  'secretKey',
  'apiKey',
  'api_key',
  'credentials',
  'authorization',
  'Authorization',
  'cookie',
  'Cookie',
  'sessionId',
];

/** Where secrets live in logged objects, from the top level down to three levels deep. */
export const REDACT_PATHS: string[] = SECRET_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`, `*.*.*.${key}`]);

const FREE_TEXT_PATTERNS: [RegExp, string][] = [
  // Authorization headers and their values in text.
  [/\b(Bearer|Basic|OAuth)\s+[A-Za-z0-9._~+/=!-]{6,}/gi, `$1 ${CENSOR}`],
  // query strings and form bodies: access_token=…, key=… (YouTube), client_secret=…
  [
    /\b(access_token|refresh_token|id_token|client_secret|password|api_key|apikey|key|token|secret)=[^\s&"',;#]+/gi,
    `$1=${CENSOR}`,
  ],
  // JSON: "access_token":"…", "clientSecret": "…"
  [
    /(["'])(access_token|refresh_token|id_token|client_secret|clientSecret|accessToken|refreshToken|password|api_key|apiKey|token|secret)\1(\s*:\s*)(["'])[^"']*\4/gi,
    `$1$2$1$3$4${CENSOR}$4`,
  ],
  // passwords inside URLs (postgres://user:pass@host)
  [/(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:)[^\s@/]+@/gi, `$1${CENSOR}@`],
  // Salesforce session ids, HubSpot private-app tokens, GitHub tokens
  [/\b00D[A-Za-z0-9]{12,15}![A-Za-z0-9._]+/g, CENSOR],
  [/\bpat-[a-z]{2,4}\d?-[0-9a-f-]{20,}/gi, CENSOR],
  [/\b(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})/g, CENSOR],
];

/** Masks secrets in free text (error messages, URLs, response bodies) before it is logged or shown. */
export function redact(text: string): string {
  let out = text;
  for (const [pattern, replacement] of FREE_TEXT_PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

function serializeError(error: unknown): unknown {
  const serialized = pino.stdSerializers.err(error as Error) as unknown as Record<string, unknown>;
  if (typeof serialized !== 'object' || serialized === null) return serialized;
  const clean: Record<string, unknown> = { ...serialized };
  for (const field of ['message', 'stack']) {
    const value = clean[field];
    if (typeof value === 'string') clean[field] = redact(value);
  }
  return clean;
}

export interface LoggerOptions {
  /** CRM_INFLUENCE_LOG_LEVEL; default `info`. */
  level?: string;
  /** Pretty lines instead of JSON; default: when stdout is a terminal. */
  pretty?: boolean;
  /** Where lines go; default stdout. */
  destination?: DestinationStream;
  /** Fields on every line (e.g. `{ component: 'sync' }`). */
  base?: Record<string, unknown>;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const usePretty = options.pretty ?? (options.destination === undefined && process.stdout.isTTY);
  const destination = options.destination ?? pino.destination(1);
  const target = usePretty
    ? pretty({
        colorize: options.destination === undefined,
        destination,
        translateTime: 'SYS:HH:MM:ss',
        ignore: 'pid,hostname',
      })
    : destination;
  return pino(
    {
      level: options.level ?? 'info',
      base: options.base ?? null,
      redact: { paths: REDACT_PATHS, censor: CENSOR },
      serializers: { err: serializeError, error: serializeError },
      hooks: {
        // Scrub the free-text message (and printf arguments) of every line.
        logMethod(args, method) {
          const [first] = args;
          // `logger.error(err)` alone: pino would use the raw message as the line's message.
          if (first instanceof Error && args.length === 1) {
            method.call(this, { err: first }, redact(first.message));
            return;
          }
          const cleaned = args.map((arg) => (typeof arg === 'string' ? redact(arg) : arg)) as Parameters<typeof method>;
          method.apply(this, cleaned);
        },
      },
    },
    target,
  );
}

const LEVEL_NAMES: Record<number, string> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
};
const LEVEL_COLORS: Record<string, string> = { warn: '\u001b[33m', error: '\u001b[31m', fatal: '\u001b[31m' };

function plainValue(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  if (typeof value === 'object' && value !== null && typeof (value as { message?: unknown }).message === 'string')
    return JSON.stringify((value as { message: string }).message);
  return JSON.stringify(value) ?? String(value);
}

/**
 * One JSON log line as one plain line a person reads: `2026-03-01 10:00:00Z warn  message key=value …`. An error
 * shows its message, never its stack; newlines inside values stay escaped, so an event is always one line.
 */
export function formatLogLine(json: string, options: { color?: boolean } = {}): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const { level, time, msg, ...fields } = entry;
  const name = typeof level === 'number' ? (LEVEL_NAMES[level] ?? String(level)) : plainValue(level ?? '');
  const when = typeof time === 'number' ? `${new Date(time).toISOString().slice(0, 19).replace('T', ' ')}Z ` : '';
  const color = options.color === true ? LEVEL_COLORS[name] : undefined;
  const label = color === undefined ? name.padEnd(5) : `${color}${name.padEnd(5)}\u001b[0m`;
  const rest = Object.entries(fields)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}=${plainValue(value)}`);
  return [`${when}${label}`, typeof msg === 'string' ? msg.replace(/\n/g, '\\n') : '', ...rest]
    .filter((part) => part !== '')
    .join(' ');
}
