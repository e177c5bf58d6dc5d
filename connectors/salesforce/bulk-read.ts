// Bulk API 2.0 query jobs for the first full pass of a large object: create the job, poll it, download the CSV
// results page by page (`Sforce-Locator`, the string `null` on the last page). Raw REST calls rather than
// jsforce's `bulk2.query`, because jsforce hides the locator (a crash could not resume) and loops forever without it.
// Every request is one counted API call.
import { HttpApi } from 'jsforce/lib/http-api.js';

import type { SalesforceApi } from './api.ts';
import { InfluenceValuesSchema } from './field-map.ts';
import type { SalesforceOptions } from './options.ts';

export interface BulkResultPage {
  rows: Record<string, string>[];
  /** The locator of the following download, or null after the last one. */
  next: string | null;
}

/** The job (or its results) is gone: Salesforce keeps query results for a limited time. */
export function isExpiredJob(error: unknown): boolean {
  const code = error instanceof Error ? ((error as { errorCode?: string }).errorCode ?? error.name) : '';
  return code === 'NOT_FOUND' || code === 'INVALID_LOCATOR' || code === 'ERROR_HTTP_404';
}

export class BulkQuery {
  private readonly api: SalesforceApi;
  private readonly options: SalesforceOptions;

  constructor(api: SalesforceApi, options: SalesforceOptions) {
    this.api = api;
    this.options = options;
  }

  private jobsPath(suffix = ''): string {
    return `/services/data/v${this.api.version}/jobs/query${suffix}`;
  }

  /** Creates the job and waits until its results are ready; returns the job id. */
  async start(soql: string): Promise<string> {
    const job = await this.api.call('read', 'bulk query job', () =>
      this.api.conn.requestPost<{ id: string }>(this.jobsPath(), {
        operation: 'query',
        query: soql,
        contentType: 'CSV',
      }),
    );
    await this.waitDone(job.id);
    return job.id;
  }

  private async waitDone(id: string): Promise<void> {
    const deadline = Date.now() + this.options.bulkPollTimeoutMs;
    for (;;) {
      const info = await this.api.call('read', 'bulk query status', () =>
        this.api.conn.request<{ state: string; errorMessage?: string }>(this.jobsPath(`/${id}`)),
      );
      if (info.state === 'JobComplete') return;
      if (info.state === 'Failed' || info.state === 'Aborted')
        throw new Error(
          `Salesforce Bulk query job ${id} ended ${info.state}${info.errorMessage ? `: ${info.errorMessage}` : ''}`,
        );
      if (Date.now() > deadline)
        throw new Error(
          `Salesforce Bulk query job ${id} did not finish within ${this.options.bulkPollTimeoutMs} ms; raise bulkPollTimeoutMs`,
        );
      await new Promise((resolve) => setTimeout(resolve, this.options.bulkPollIntervalMs));
    }
  }

  /** One download of results, starting at `locator` (the first when undefined). */
  async page(id: string, locator: string | undefined): Promise<BulkResultPage> {
    const params = new URLSearchParams({ maxRecords: String(this.options.bulkQueryPageSize) });
    if (locator) params.set('locator', locator);
    const url = `${this.api.conn.instanceUrl}${this.jobsPath(`/${id}/results`)}?${params.toString()}`;
    let next: string | null = null;
    const rows = await this.api.call('read', 'bulk query results', async () => {
      const http = new HttpApi(this.api.conn, {});
      http.on('response', (response: { headers?: Record<string, string | undefined> }) => {
        const header = response.headers?.['sforce-locator'];
        next = header && header !== 'null' ? header : null;
      });
      const body: unknown = await http.request({ method: 'GET', url, headers: { Accept: 'text/csv' } });
      return Array.isArray(body) ? (body as Record<string, string>[]) : [];
    });
    return { rows, next };
  }
}

const NUMERIC_FIELDS = new Set(
  Object.entries(InfluenceValuesSchema.shape)
    .filter(([, schema]) => schema.safeParse(1).success && !schema.safeParse('x').success)
    .map(([name]) => name),
);

/** A Bulk CSV row → the record shape of the REST API (nulls, numbers, booleans, nested relationship fields). */
export function recordFromCsv(
  row: Record<string, string>,
  booleanFields: ReadonlySet<string>,
): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  for (const [column, text] of Object.entries(row)) {
    let value: unknown = text === '' ? null : text;
    if (value !== null && NUMERIC_FIELDS.has(column)) value = Number(text);
    if (value !== null && booleanFields.has(column)) value = text === 'true';
    const [head, ...rest] = column.split('.');
    if (rest.length === 0) {
      record[head!] = value;
    } else {
      const parent = (record[head!] ??= {}) as Record<string, unknown>;
      parent[rest.join('.')] = value;
    }
  }
  return record;
}
