// Every Salesforce call the connector makes goes through `call`: re-authorisation and budget checks first, then
// jsforce, then Salesforce's answers handled once — quota exhausted → BudgetReachedError, dead session →
// NeedsReauthError, missing field → SetupError naming it, 5xx/429/dropped connection → bounded backoff.
import type { Connection } from 'jsforce';

import { BudgetReachedError, NeedsReauthError, SetupError } from '../../src/crm/errors.ts';
import { fullJitter, retry, retryAfter, STOP } from '../../src/http/index.ts';
import type { SessionHandle } from './auth.ts';
import type { ApiBudget, CallKind } from './budget.ts';
import type { SalesforceHooks, SalesforceOptions } from './options.ts';

export const DEPLOY_FIX =
  'deploy manifests/salesforce (sf project deploy start --source-dir manifests/salesforce/force-app) ' +
  'and assign the Social_Influence_Integration permission set to the integration user';

export interface QueryPage<R> {
  totalSize: number;
  done: boolean;
  nextRecordsUrl?: string;
  records: R[];
}

/** A Salesforce error answer as jsforce surfaces it (`HttpApiError`: name = errorCode). */
export function errorCodeOf(error: unknown): string {
  if (error instanceof Error) return (error as { errorCode?: string }).errorCode ?? error.name;
  return 'UNKNOWN';
}

/** jsforce's session-refresh-delegate.js when the access token is refused and there is no refresh token. */
const NO_REFRESH_TOKEN = /^Unable to refresh session due to: No refresh token found/;

/** The longest wait between two tries of a transient failure. */
const TRANSIENT_BACKOFF_CAP_MS = 30_000;

const TRANSIENT =
  /^(SERVER_UNAVAILABLE|UNKNOWN_EXCEPTION|ERROR_HTTP_5\d\d|ERROR_HTTP_429|ECONNRESET|ETIMEDOUT|ECONNREFUSED|EPIPE|UND_ERR_\w+)$/;

function isTransient(error: unknown): boolean {
  const code = errorCodeOf(error);
  if (code === 'REQUEST_LIMIT_EXCEEDED') return !isQuotaExhausted(error);
  if (TRANSIENT.test(code)) return true;
  const cause = (error as { cause?: { code?: string } } | undefined)?.cause?.code;
  return (
    (error instanceof TypeError && /fetch failed|terminated|socket/i.test(error.message)) ||
    (cause !== undefined && TRANSIENT.test(cause))
  );
}

function isQuotaExhausted(error: unknown): boolean {
  return (
    errorCodeOf(error) === 'REQUEST_LIMIT_EXCEEDED' && error instanceof Error && /TotalRequests/i.test(error.message)
  );
}

/** `No such column 'X' on entity 'Contact'` → a SetupError naming the field. */
export function setupErrorFor(error: unknown): SetupError | undefined {
  const code = errorCodeOf(error);
  if (code !== 'INVALID_FIELD' && code !== 'INVALID_FIELD_FOR_INSERT_UPDATE') return undefined;
  const message = error instanceof Error ? error.message : String(error);
  const column = /No such column '([^']+)' on (?:entity|sobject of type) '?(\w+)'?/.exec(message);
  const field = column
    ? `${column[2]}.${column[1]}`
    : (/fields: ([\w, ]+)/.exec(message)?.[1] ?? 'a field the connector uses');
  return new SetupError(
    `Salesforce field ${field} is missing or not editable by the integration user (${code}).`,
    DEPLOY_FIX,
  );
}

export class SalesforceApi {
  readonly conn: Connection;
  private readonly sleep: (ms: number) => Promise<void>;

  private readonly session: SessionHandle;
  private readonly budget: ApiBudget;
  private readonly options: SalesforceOptions;

  constructor(session: SessionHandle, budget: ApiBudget, options: SalesforceOptions, hooks: SalesforceHooks) {
    this.session = session;
    this.budget = budget;
    this.options = options;
    this.conn = session.conn;
    this.sleep = hooks.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  get version(): string {
    return this.options.apiVersion;
  }

  /** One counted API call with the connector's error handling. */
  async call<T>(kind: CallKind, what: string, run: () => Promise<T>, calls = 1): Promise<T> {
    // Refusals before the call (re-authorisation needed, budget at the floor) stop at once, as they are.
    let sent = false;
    return retry(
      async () => {
        sent = false;
        this.ensureUsable();
        this.budget.count(kind, calls);
        sent = true;
        const result = await run();
        this.budget.observeHeader(this.conn.limitInfo);
        this.session.guard.noteSuccess();
        await this.session.persisted();
        return result;
      },
      {
        sleep: this.sleep,
        onError: async (error, attempt) => {
          if (!sent) return STOP;
          this.budget.observeHeader(this.conn.limitInfo);
          await this.session.persisted().catch(() => undefined);
          const reauth = this.session.guard.needsReauth;
          if (reauth) throw new NeedsReauthError(reauth);
          const code = errorCodeOf(error);
          // With a client id, jsforce answers a refused token by refreshing it, and fails without a refresh token.
          if (code === 'INVALID_SESSION_ID' || (error instanceof Error && NO_REFRESH_TOKEN.test(error.message))) {
            this.session.guard.markNeedsReauth(
              'the Salesforce access token expired and no refresh token (or JWT key) is configured; reconnect the org',
            );
            throw new NeedsReauthError(this.session.guard.needsReauth);
          }
          if (isQuotaExhausted(error))
            throw new BudgetReachedError(
              `Salesforce daily API quota exhausted (REQUEST_LIMIT_EXCEEDED during ${what})`,
            );
          const setup = setupErrorFor(error);
          if (setup) throw setup;
          if (isTransient(error) && attempt <= this.options.transientRetries) {
            return retryAfter(fullJitter(attempt, this.options.transientBackoffMs, TRANSIENT_BACKOFF_CAP_MS));
          }
          if (error instanceof Error) error.message = `Salesforce ${what} failed: ${error.message}`;
          return STOP;
        },
      },
    );
  }

  private ensureUsable(): void {
    const reauth = this.session.guard.needsReauth;
    if (reauth) throw new NeedsReauthError(reauth);
    this.budget.checkFloor();
  }

  private queryHeaders(): Record<string, string> {
    return { 'Sforce-Query-Options': `batchSize=${this.options.queryBatchSize}` };
  }

  query<R>(soql: string): Promise<QueryPage<R>> {
    return this.call(
      'read',
      'query',
      async () =>
        (await this.conn.query<R & Record<string, unknown>>(soql, {
          autoFetch: false,
          headers: this.queryHeaders(),
        })) as unknown as QueryPage<R>,
    );
  }

  queryMore<R>(nextRecordsUrl: string): Promise<QueryPage<R>> {
    return this.call(
      'read',
      'queryMore',
      async () =>
        (await this.conn.queryMore<R & Record<string, unknown>>(nextRecordsUrl, {
          autoFetch: false,
          headers: this.queryHeaders(),
          maxFetch: this.options.queryBatchSize,
          scanAll: false,
          responseTarget: 'QueryResult',
        })) as unknown as QueryPage<R>,
    );
  }

  /** The REST path of a query (a Composite subrequest's `url`). */
  queryUrl(soql: string): string {
    return `/services/data/v${this.version}/query?q=${encodeURIComponent(soql)}`;
  }

  /**
   * Up to 25 GET subrequests (at most 5 of them queries) in one Composite call, which counts as one API call; each
   * entry is the answer's body or its error (so one failed query does not hide the others' answers).
   */
  async getMany<R>(urls: readonly string[]): Promise<(R | Error)[]> {
    const body = {
      allOrNone: false,
      compositeRequest: urls.map((url, k) => ({
        method: 'GET',
        url,
        referenceId: `r${k}`,
        httpHeaders: this.queryHeaders(),
      })),
    };
    const answer = await this.call('read', 'composite read', () =>
      this.conn.requestPost<CompositeAnswer>('/composite', body),
    );
    return answer.compositeResponse.map((sub) => (sub.httpStatusCode < 300 ? (sub.body as R) : compositeError(sub)));
  }

  composite(kind: CallKind, what: string, body: object): Promise<CompositeAnswer> {
    return this.call(kind, what, () => this.conn.requestPost<CompositeAnswer>('/composite', body));
  }
}

export interface CompositeAnswer {
  compositeResponse: { body: unknown; httpStatusCode: number; referenceId: string }[];
}

/** A failed Composite subrequest as an Error shaped like jsforce's (name = errorCode). */
export function compositeError(sub: CompositeAnswer['compositeResponse'][number]): Error {
  const first = Array.isArray(sub.body)
    ? (sub.body[0] as { errorCode?: string; message?: string } | undefined)
    : undefined;
  const error = new Error(first?.message ?? `HTTP ${sub.httpStatusCode}`);
  error.name = first?.errorCode ?? `ERROR_HTTP_${sub.httpStatusCode}`;
  (error as Error & { errorCode?: string }).errorCode = error.name;
  return error;
}
