// The connector's settings, validated once at construction. Credentials come from the environment (via the
// CLI's AppConfig) or the store; everything else has a documented default.
import { z } from 'zod';

import { issueLines } from '../../src/zod-issues.ts';
import { DEFAULT_HANDLE_MAPPING, DO_NOT_PROFILE_FIELD, HandleMappingSchema, OBJECT_TYPES } from './field-map.ts';

const url = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL like https://yourorg.my.salesforce.com' });

export const SalesforceOptionsSchema = z
  .object({
    instanceUrl: url,
    loginUrl: url.default('https://login.salesforce.com'),
    /** jsforce defaults to 50.0; we always send an explicit, current version. */
    apiVersion: z
      .string()
      .regex(/^\d{2,3}\.0$/, 'must be an API version like 64.0')
      .default('64.0'),
    clientId: z.string().min(1).optional(),
    clientSecret: z.string().min(1).optional(),
    accessToken: z.string().min(1).optional(),
    refreshToken: z.string().min(1).optional(),
    /** Server-to-server: JWT bearer flow with the External Client App's certificate (no refresh token needed). */
    jwt: z
      .object({
        username: z.string().min(1, "jwt.username must be the integration user's username"),
        privateKey: z.string().includes('PRIVATE KEY', { error: 'jwt.privateKey must be a PEM private key' }),
        /** The assertion's `aud`; default from the login URL (see jwtAudience): login/test.salesforce.com or a site. */
        audience: url.optional(),
      })
      .optional(),
    handleFields: HandleMappingSchema.default(DEFAULT_HANDLE_MAPPING),
    optOut: z
      .object({
        /** Honour `Individual.HasOptedOutProfiling` (data-privacy record linked from Contact/Lead). */
        individual: z.boolean().default(true),
        /** A checkbox on Contact/Lead meaning "do not profile"; null = none. */
        field: z
          .string()
          .regex(/^[A-Za-z][A-Za-z0-9_]*$/)
          .nullable()
          .default(DO_NOT_PROFILE_FIELD),
      })
      .prefault({}),
    objects: z
      .array(z.enum(OBJECT_TYPES))
      .min(1)
      .default([...OBJECT_TYPES]),
    /** Records per query page (Salesforce: 200–2,000, not guaranteed). */
    queryBatchSize: z.number().int().min(200).max(2000).default(2000),
    /** Re-read records modified this many seconds before the watermark (late commits share old stamps). */
    overlapSeconds: z.number().int().min(0).max(86_400).default(60),
    /** A first full pass of an object with more records than this reads it through a Bulk API 2.0 query job. */
    bulkQueryThreshold: z.number().int().min(1).default(50_000),
    /** Records per Bulk 2.0 query result download (one API call each); handed over in pages of `queryBatchSize`. */
    bulkQueryPageSize: z.number().int().min(1).max(100_000).default(50_000),
    /** Above this many updates in one `writeScores` call, Bulk API 2.0 ingest is used. */
    bulkWriteThreshold: z.number().int().min(1).default(2000),
    bulkPollIntervalMs: z.number().int().min(10).default(2000),
    bulkPollTimeoutMs: z
      .number()
      .int()
      .min(1000)
      .default(30 * 60_000),
    /** Stop (BudgetReachedError) when less than this fraction of the daily API quota remains. */
    budgetFloor: z.number().min(0).max(1).default(0.2),
    /** Consecutive refreshes without a successful call (or failed refreshes) before "needs re-authorisation". */
    maxRefreshAttempts: z.number().int().min(1).max(20).default(3),
    /** Retries of records that failed with UNABLE_TO_LOCK_ROW, each with smaller batches and longer waits. */
    lockRetries: z.number().int().min(0).max(10).default(3),
    lockBackoffMs: z.number().int().min(0).default(500),
    /** Retries of a whole call that failed with 5xx, 429 or a dropped connection. */
    transientRetries: z.number().int().min(0).max(10).default(3),
    transientBackoffMs: z.number().int().min(0).default(500),
  })
  .refine((o) => Boolean(o.accessToken) || (Boolean(o.clientId) && (Boolean(o.refreshToken) || Boolean(o.jwt))), {
    error:
      'Salesforce needs SALESFORCE_ACCESS_TOKEN, or SALESFORCE_CLIENT_ID with SALESFORCE_REFRESH_TOKEN (or a JWT key)',
  });
export type SalesforceOptionsInput = z.input<typeof SalesforceOptionsSchema>;
export type SalesforceOptions = z.output<typeof SalesforceOptionsSchema>;

/** Tokens after a refresh; `refreshToken` is the rotated one when the org rotates refresh tokens. */
export interface SalesforceTokens {
  accessToken: string;
  refreshToken?: string;
  instanceUrl: string;
}

export interface SalesforceHooks {
  /** Persist new tokens (the CLI wires this to the store). Awaited before the run continues. */
  onTokens?: (tokens: SalesforceTokens) => void | Promise<void>;
  /** Waits between retries; tests pass a fast one. */
  sleep?: (ms: number) => Promise<void>;
}

export function parseSalesforceOptions(input: SalesforceOptionsInput): SalesforceOptions {
  const parsed = SalesforceOptionsSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const problems = issueLines(parsed.error, { root: 'options' });
  throw new Error(`invalid Salesforce connector options: ${problems.join('; ')}`);
}
