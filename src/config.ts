// Configuration: one zod schema over the environment. Every variable is described once in VARIABLES (name, default,
// meaning, whether it is a secret); the schema, the README table and the error messages all come from there.
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';

import { validate as isValidCron } from 'node-cron';
import { z } from 'zod';

const SECRET_KEY_HINT = `generate one with: node -e "console.log(require('crypto').randomBytes(32).toString('hex'))"`;

/** Hosts where plain http is fine (the sandbox and tests); everything else must be https. */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

function baseUrl(example: string) {
  const hint = `must be an https URL like ${example} (http only for 127.0.0.1/localhost)`;
  return (
    z
      .string()
      .refine((value) => {
        let url: URL;
        try {
          url = new URL(value);
        } catch {
          return false;
        }
        if (url.protocol === 'https:') return true;
        return url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname);
      }, hint)
      // No trailing slash, so callers can append `/path` without doubling it.
      .transform((value) => value.replace(/\/+$/, ''))
  );
}

const token = z.string().min(1, 'must not be empty');

function integer(min: number, max: number, hint: string) {
  return z
    .string()
    .regex(/^\d+$/, hint)
    .transform(Number)
    .refine((n) => n >= min && n <= max, hint);
}

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: "must be 'true' or 'false'" })
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

/** 32 bytes as 64 hex characters or base64; becomes the AES-256-GCM key. */
const secretKey = z.string().transform((value, ctx) => {
  const trimmed = value.trim();
  let key: Buffer | null = null;
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) key = Buffer.from(trimmed, 'hex');
  else if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) {
    const decoded = Buffer.from(trimmed, trimmed.includes('-') || trimmed.includes('_') ? 'base64url' : 'base64');
    if (decoded.length === 32) key = decoded;
  }
  if (key === null) {
    ctx.addIssue({
      code: 'custom',
      message: `must be 32 random bytes as 64 hex characters or base64; ${SECRET_KEY_HINT}`,
    });
    return z.NEVER;
  }
  return key;
});

/**
 * A PEM private key, given as the key itself (newlines may be written `\n`, as environments often need) or as the
 * path of a file holding it. Checked by parsing, so a wrong key fails at start, not at the first token request.
 */
const privateKeyPem = z.string().transform((value, ctx) => {
  let pem = value.includes('PRIVATE KEY') ? value.replaceAll('\\n', '\n') : undefined;
  if (pem === undefined) {
    try {
      pem = readFileSync(value, 'utf8');
    } catch {
      ctx.addIssue({
        code: 'custom',
        message: 'must be a PEM private key, or the path of a readable file holding one',
      });
      return z.NEVER;
    }
  }
  try {
    createPrivateKey(pem);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'is not a PEM private key (-----BEGIN PRIVATE KEY----- …)' });
    return z.NEVER;
  }
  return pem;
});

const cron = z
  .string()
  .refine((value) => isValidCron(value), 'must be a cron expression like "0 3 * * *" (daily at 03:00)');

const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
  error: 'must be one of fatal, error, warn, info, debug, trace, silent',
});

const postgresUrl = z
  .string()
  .refine(
    (value) => /^postgres(ql)?:\/\/.+/.test(value),
    'must be a PostgreSQL URL like postgres://user:password@host:5432/db',
  );

interface Variable {
  schema: z.ZodType<unknown, string | undefined>;
  /** As written in the environment; applied before validation. */
  default?: string;
  meaning: string;
  /** Never shown in errors or logs. */
  secret?: boolean;
}

/** Every environment variable the product reads. Order = README table order. */
export const VARIABLES = {
  SALESFORCE_INSTANCE_URL: {
    schema: baseUrl('https://yourorg.my.salesforce.com').optional(),
    meaning: "Your org's My Domain URL, e.g. `https://yourorg.my.salesforce.com`.",
  },
  SALESFORCE_LOGIN_URL: {
    schema: baseUrl('https://login.salesforce.com'),
    default: 'https://login.salesforce.com',
    meaning: 'OAuth login host (`https://test.salesforce.com` for sandboxes).',
  },
  SALESFORCE_CLIENT_ID: { schema: token.optional(), meaning: 'Consumer key of the External Client App.' },
  SALESFORCE_CLIENT_SECRET: {
    schema: token.optional(),
    meaning: 'Consumer secret of the External Client App.',
    secret: true,
  },
  SALESFORCE_ACCESS_TOKEN: {
    schema: token.optional(),
    meaning: 'A session/access token (short-lived; for quick tries).',
    secret: true,
  },
  SALESFORCE_REFRESH_TOKEN: {
    schema: token.optional(),
    meaning: 'OAuth refresh token; needs `SALESFORCE_CLIENT_ID`.',
    secret: true,
  },
  SALESFORCE_USERNAME: {
    schema: token.optional(),
    meaning: 'Username of the integration user; with `SALESFORCE_JWT_KEY` it signs in through the JWT bearer flow.',
  },
  SALESFORCE_JWT_KEY: {
    schema: privateKeyPem.optional(),
    meaning:
      'Private key (PEM, or the path of its file) whose certificate is in the External Client App: signs in as `SALESFORCE_USERNAME` without a browser or a refresh token (JWT bearer flow).',
    secret: true,
  },
  SALESFORCE_API_VERSION: {
    schema: z.string().regex(/^\d{2,3}\.0$/, 'must be an API version like 64.0'),
    default: '64.0',
    meaning: 'Salesforce REST API version.',
  },
  HUBSPOT_ACCESS_TOKEN: { schema: token.optional(), meaning: 'Private app / service key access token.', secret: true },
  HUBSPOT_BASE_URL: {
    schema: baseUrl('https://api.hubapi.com'),
    default: 'https://api.hubapi.com',
    meaning: 'HubSpot API base URL.',
  },
  HUBSPOT_CLIENT_ID: { schema: token.optional(), meaning: 'Public app client ID (OAuth install).' },
  HUBSPOT_CLIENT_SECRET: {
    schema: token.optional(),
    meaning: 'Public app client secret; also verifies webhook signatures (HubSpot signs v3 webhooks with it).',
    secret: true,
  },
  X_ENABLED: { schema: bool, default: 'false', meaning: 'Use the X API (paid per call, so opt-in).' },
  X_API_BASE_URL: { schema: baseUrl('https://api.x.com'), default: 'https://api.x.com', meaning: 'X API base URL.' },
  X_BEARER_TOKEN: {
    schema: token.optional(),
    meaning: 'X app bearer token; needed when `X_ENABLED=true`.',
    secret: true,
  },
  CRM_INFLUENCE_X_MONTHLY_CAP_USD: {
    schema: z
      .string()
      .regex(/^\d{1,9}(\.\d{1,2})?$/, 'must be a number of US dollars like 50 or 49.99')
      .transform(Number)
      .refine((usd) => usd > 0, 'must be more than 0 (leave it unset for no cap)')
      .optional(),
    meaning:
      "Most the X API may cost per calendar month (UTC, estimated from X's pay-per-use prices, all connections together). A run that reaches it stops looking up X, ends `budget_reached`, and its contacts waiting on X are retried next month. Unset: no cap.",
  },
  GITHUB_API_BASE_URL: {
    schema: baseUrl('https://api.github.com'),
    default: 'https://api.github.com',
    meaning: 'GitHub API base URL.',
  },
  GITHUB_TOKEN: {
    schema: token.optional(),
    meaning: 'GitHub token (raises the rate limit from 60 to 5,000/hour).',
    secret: true,
  },
  MASTODON_API_BASE_URL: {
    schema: baseUrl('https://mastodon.social').optional(),
    meaning:
      "Overrides every Mastodon instance's base URL (the sandbox, or a proxy you run: trusted as configured); unset = " +
      "each handle's own instance, called only over https at a public address (instances come from CRM data).",
  },
  BLUESKY_API_BASE_URL: {
    schema: baseUrl('https://public.api.bsky.app'),
    default: 'https://public.api.bsky.app',
    meaning: 'Bluesky AppView base URL.',
  },
  YOUTUBE_API_BASE_URL: {
    schema: baseUrl('https://www.googleapis.com/youtube/v3'),
    default: 'https://www.googleapis.com/youtube/v3',
    meaning: 'YouTube Data API base URL.',
  },
  YOUTUBE_API_KEY: {
    schema: token.optional(),
    meaning: 'YouTube Data API key (YouTube is skipped without it).',
    secret: true,
  },
  GRAVATAR_API_BASE_URL: {
    schema: baseUrl('https://api.gravatar.com/v3'),
    default: 'https://api.gravatar.com/v3',
    meaning: 'Gravatar API base URL (handle discovery from e-mail).',
  },
  GRAVATAR_API_KEY: { schema: token.optional(), meaning: 'Gravatar API key (higher rate limit).', secret: true },
  CRM_INFLUENCE_DB: {
    schema: z.string().min(1, 'must be a file path'),
    default: './data/crm-influence.db',
    meaning: 'SQLite database file (used when `DATABASE_URL` is unset; its folder is created).',
  },
  DATABASE_URL: {
    schema: postgresUrl.optional(),
    meaning: 'PostgreSQL URL; when set, PostgreSQL is used instead of SQLite.',
    secret: true,
  },
  CRM_INFLUENCE_SECRET_KEY: {
    schema: secretKey.optional(),
    meaning:
      'Encrypts stored CRM credentials (AES-256-GCM): 32 bytes as 64 hex characters or base64. ' +
      "Required once credentials are stored. Generate: `node -e \"console.log(require('crypto').randomBytes(32).toString('hex'))\"`.",
    secret: true,
  },
  CRM_INFLUENCE_JOBS_SCHEMA: {
    schema: z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be lower-case letters, digits and _ (a PostgreSQL schema)'),
    default: 'crm_influence_jobs',
    meaning:
      'PostgreSQL schema of the run queue (pg-boss), with `DATABASE_URL`: scheduled, manual and webhook runs wait there for a worker.',
  },
  CRM_INFLUENCE_WORKER_TIMEOUT_SECONDS: {
    schema: integer(10, 3600, 'must be a whole number of seconds, 10–3600'),
    default: '60',
    meaning:
      'With `DATABASE_URL`: a worker silent this long (killed, cut off) loses its run; another worker resumes it from its checkpoint.',
  },
  CRM_INFLUENCE_SCHEDULE: {
    schema: cron,
    default: '0 3 * * *',
    meaning: 'When each connection syncs (cron; default daily 03:00).',
  },
  CRM_INFLUENCE_LOG_LEVEL: {
    schema: logLevel,
    default: 'info',
    meaning: 'fatal, error, warn, info, debug, trace or silent.',
  },
  CRM_INFLUENCE_BUDGET_FLOOR: {
    schema: z
      .string()
      .regex(/^(0(\.\d+)?|\.\d+)$/, 'must be a fraction between 0 and 1 like 0.2')
      .transform(Number),
    default: '0.2',
    meaning: "Stop a run when less than this fraction of the CRM's daily API quota remains.",
  },
  CRM_INFLUENCE_REFRESH_DAYS: {
    schema: integer(1, 365, 'must be a whole number of days from 1 to 365'),
    default: '7',
    meaning: 'Re-score a contact when its score is older than this many days.',
  },
  CRM_INFLUENCE_RATE_LIMIT_WAIT: {
    schema: integer(0, 3600, 'must be a whole number of seconds from 0 to 3600'),
    default: '900',
    meaning:
      "Longest wait, in seconds, for a network's rate-limit window to reset during a sync (X's windows last 15 minutes); " +
      'past it, those contacts are left to the next run. `demo` waits at most 60.',
  },
  CRM_INFLUENCE_HISTORY_MONTHS: {
    schema: integer(1, 600, 'must be a whole number of months from 1 to 600'),
    default: '24',
    meaning: 'Score history older than this is deleted.',
  },
  CRM_INFLUENCE_ADMIN_PASSWORD: {
    schema: z.string().min(12, 'must be at least 12 characters').optional(),
    meaning: 'Password of the first admin user, created on first start (optional).',
    secret: true,
  },
  PORT: {
    schema: integer(0, 65535, 'must be a port number from 0 to 65535'),
    default: '3000',
    meaning: 'Admin UI / webhook port.',
  },
  CRM_INFLUENCE_PUBLIC_URL: {
    schema: baseUrl('https://crm-influence.example.com').optional(),
    meaning:
      'The https origin of the admin UI as CRMs and browsers reach it (OAuth callbacks, webhook signatures); default: the request host. Besides IP addresses, localhost and `serve --host`, the only host name the admin UI answers to (DNS rebinding guard).',
  },
  CRM_INFLUENCE_METRICS_TOKEN: {
    schema: z.string().min(16, 'must be at least 16 characters').optional(),
    meaning:
      'When set, `/metrics` requires `Authorization: Bearer <token>`; unset, `/metrics` answers requests from this machine only.',
    secret: true,
  },
  CRM_INFLUENCE_METRICS_PUBLIC: {
    schema: bool,
    default: 'false',
    meaning:
      '`true`: `/metrics` answers anyone without a token (only where a firewall already limits who reaches it). Ignored when `CRM_INFLUENCE_METRICS_TOKEN` is set.',
  },
} satisfies Record<string, Variable>;

export type VariableName = keyof typeof VARIABLES;
type Shape = { [K in VariableName]: (typeof VARIABLES)[K]['schema'] };

const shape = Object.fromEntries(Object.entries(VARIABLES).map(([name, v]) => [name, v.schema])) as unknown as Shape;

/** Combinations that cannot work, each reported on the variable to add. */
const COMBINATION_RULES: {
  name: VariableName;
  missing: (c: Partial<Record<VariableName, unknown>>) => boolean;
  message: string;
}[] = [
  {
    name: 'X_BEARER_TOKEN',
    missing: (c) => c.X_ENABLED === true && !c.X_BEARER_TOKEN,
    message: 'is required when X_ENABLED=true (an X app bearer token)',
  },
  {
    name: 'SALESFORCE_CLIENT_ID',
    missing: (c) => Boolean(c.SALESFORCE_REFRESH_TOKEN) && !c.SALESFORCE_CLIENT_ID,
    message: 'is required with SALESFORCE_REFRESH_TOKEN (the External Client App consumer key)',
  },
  {
    name: 'SALESFORCE_INSTANCE_URL',
    missing: (c) => Boolean(c.SALESFORCE_ACCESS_TOKEN) && !c.SALESFORCE_INSTANCE_URL,
    message: 'is required with SALESFORCE_ACCESS_TOKEN: your org URL like https://yourorg.my.salesforce.com',
  },
  {
    name: 'SALESFORCE_USERNAME',
    missing: (c) => Boolean(c.SALESFORCE_JWT_KEY) && !c.SALESFORCE_USERNAME,
    message: 'is required with SALESFORCE_JWT_KEY: the username of the integration user the JWT signs in as',
  },
  {
    name: 'SALESFORCE_CLIENT_ID',
    missing: (c) => Boolean(c.SALESFORCE_JWT_KEY) && !c.SALESFORCE_CLIENT_ID,
    message: 'is required with SALESFORCE_JWT_KEY (the External Client App consumer key)',
  },
  {
    name: 'SALESFORCE_INSTANCE_URL',
    missing: (c) => Boolean(c.SALESFORCE_JWT_KEY) && !c.SALESFORCE_INSTANCE_URL,
    message: 'is required with SALESFORCE_JWT_KEY: your org URL like https://yourorg.my.salesforce.com',
  },
];

/** The configuration schema: raw environment strings in, typed values out. */
export const ConfigSchema = COMBINATION_RULES.reduce(
  (schema, rule) =>
    schema.refine((c) => !rule.missing(c), {
      path: [rule.name],
      message: rule.message,
      // Also checked when other variables are invalid, so one error lists every problem.
      when: (payload) => typeof payload.value === 'object' && payload.value !== null,
    }),
  z.object(shape),
);

export type AppConfig = z.infer<typeof ConfigSchema>;

export class ConfigError extends Error {
  /** One entry per bad variable: `NAME: what is wrong and how to fix it`. */
  readonly problems: string[];
  constructor(problems: string[]) {
    super(
      `invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n  ${problems.join('\n  ')}`,
    );
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

function isVariableName(name: unknown): name is VariableName {
  return typeof name === 'string' && Object.hasOwn(VARIABLES, name);
}

function isSecret(name: VariableName): boolean {
  const v: Variable = VARIABLES[name];
  return v.secret === true;
}

/** Reads and validates the environment; throws one ConfigError listing every bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): AppConfig {
  return parseVariables(ConfigSchema, Object.keys(VARIABLES) as VariableName[], env);
}

/**
 * Reads and validates only the variables a command needs (`runs` needs the store, not the schedule), so a bad
 * variable it never uses does not stop it; combinations are checked among these alone.
 */
export function loadConfigOf<K extends VariableName>(
  names: readonly K[],
  env: Record<string, string | undefined> = process.env,
): Pick<AppConfig, K> {
  const picked = new Set<VariableName>(names);
  const schema = COMBINATION_RULES.filter((rule) => picked.has(rule.name)).reduce(
    (s, rule) =>
      s.refine((c) => !rule.missing(c), {
        path: [rule.name],
        message: rule.message,
        when: (payload) => typeof payload.value === 'object' && payload.value !== null,
      }),
    z.object(Object.fromEntries(names.map((name) => [name, shape[name]]))),
  );
  // The object holds exactly the picked variables' schemas, so its output is their slice of AppConfig.
  return parseVariables(schema as unknown as z.ZodType<Pick<AppConfig, K>>, names, env);
}

function parseVariables<T>(
  schema: z.ZodType<T>,
  names: readonly VariableName[],
  env: Record<string, string | undefined>,
): T {
  const raw: Record<string, string> = {};
  for (const name of names) {
    const variable: Variable = VARIABLES[name];
    const value = env[name];
    // An empty value (common in .env files) counts as unset.
    if (value !== undefined && value.trim() !== '') raw[name] = value;
    else if (variable.default !== undefined) raw[name] = variable.default;
  }
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;

  const problems: string[] = [];
  const seen = new Set<string>();
  for (const issue of parsed.error.issues) {
    const name = issue.path[0];
    const label = isVariableName(name) ? name : String(name ?? 'configuration');
    const given = isVariableName(name) ? env[name] : undefined;
    const shown =
      given === undefined || given.trim() === ''
        ? ''
        : isVariableName(name) && isSecret(name)
          ? ' (value hidden)'
          : ` (got '${given}')`;
    const line = `${label}: ${issue.message}${shown}`;
    if (!seen.has(line)) {
      seen.add(line);
      problems.push(line);
    }
  }
  throw new ConfigError(problems);
}

/**
 * For a feature that needs variables the schema leaves optional (a Salesforce sync needs the org URL, storing
 * credentials needs the secret key): throws a ConfigError naming each missing one and what it is.
 */
/** Each paid network's monthly spend cap in US dollars, as a run's `monthlySpendCapUsd` takes it. */
export function monthlySpendCaps(config: AppConfig): { x?: number } {
  return config.CRM_INFLUENCE_X_MONTHLY_CAP_USD === undefined ? {} : { x: config.CRM_INFLUENCE_X_MONTHLY_CAP_USD };
}

export function requireVariables(config: AppConfig, purpose: string, names: readonly VariableName[]): void {
  const problems = names
    .filter((name) => config[name] === undefined)
    .map((name) => {
      const extra = name === 'CRM_INFLUENCE_SECRET_KEY' ? `; ${SECRET_KEY_HINT}` : '';
      return `${name}: is required ${purpose} — ${stripMarkdown(VARIABLES[name].meaning)}${extra}`;
    });
  if (problems.length > 0) throw new ConfigError(problems);
}

function stripMarkdown(text: string): string {
  return text.replace(/`/g, '');
}

export interface ConfigTableRow {
  name: VariableName;
  default: string | null;
  meaning: string;
  secret: boolean;
}

/** The variables as the README documents them. */
export function configTable(): ConfigTableRow[] {
  return (Object.entries(VARIABLES) as [VariableName, Variable][]).map(([name, v]) => ({
    name,
    default: v.default ?? null,
    meaning: v.meaning,
    secret: v.secret === true,
  }));
}

/** The README "Configuration" table, generated from VARIABLES (a test keeps README in step). */
export function configTableMarkdown(): string {
  const rows = configTable().map((row) => {
    const def = row.default === null ? '—' : `\`${row.default}\``;
    const meaning = row.meaning.replace(/\|/g, '\\|') + (row.secret ? ' *(secret)*' : '');
    return `| \`${row.name}\` | ${def} | ${meaning} |`;
  });
  return ['| Variable | Default | Meaning |', '| --- | --- | --- |', ...rows].join('\n');
}

export { SECRET_KEY_HINT };
