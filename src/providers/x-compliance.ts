// X's batch compliance for users (docs.x.com/x-api/compliance/batch-compliance): which of the X accounts we hold
// data about were deleted, deactivated, suspended or made protected, so their data goes within 24 hours (X Developer
// Agreement). A job: POST /2/compliance/jobs {type: users} → PUT the user ids, one per line, to its upload_url →
// poll GET /2/compliance/jobs/:id until `complete` → GET its download_url: one JSON object per line, only for ids
// with an event. One job per type at a time; 150 job requests per 15 minutes per app. Not billed per resource.
import { z } from 'zod';

import type { HttpClient, HttpResponse } from '../http/index.ts';
import { type AdapterOptions, createHttp, ProviderUnusableError } from './common.ts';

/** Why X wants an account's data gone (users' compliance events). */
export const X_COMPLIANCE_REASONS = ['deleted', 'deactivated', 'suspended', 'protected'] as const;
export type XComplianceReason = (typeof X_COMPLIANCE_REASONS)[number];

const JobSchema = z.object({
  id: z.string().min(1),
  type: z.literal('users'),
  status: z.enum(['created', 'in_progress', 'complete', 'failed', 'expired']),
  upload_url: z.url(),
  download_url: z.url(),
});
const JobResponseSchema = z.object({ data: JobSchema });

/** One line of the results; reasons X may add later are kept as text and still mean "delete". */
const ResultLineSchema = z.looseObject({
  id: z.string().regex(/^\d{1,19}$/),
  action: z.string(),
  reason: z.string(),
});

export interface XComplianceOptions extends AdapterOptions {
  bearerToken: string;
  /** The first wait before reading the job's status; each next one doubles, up to a minute (real jobs take minutes). */
  pollMs?: number;
  /** The longest one job is waited for before giving up on this check. */
  maxWaitMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

export interface XComplianceCheck {
  /** Account ids X reported, with the reason. Ids not listed are still fine. */
  events: Map<string, string>;
  jobId: string;
}

/** Thrown when a check could not be completed (the next one retries); the message says which step failed. */
export class XComplianceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'XComplianceError';
  }
}

export class XComplianceClient {
  private readonly api: HttpClient;
  /** The upload and download URLs are signed storage URLs: the bearer token is not sent there. */
  private readonly storage: HttpClient;
  private readonly options: XComplianceOptions;

  constructor(options: XComplianceOptions) {
    this.options = options;
    this.api = createHttp('x-compliance', options, { headers: { authorization: `Bearer ${options.bearerToken}` } });
    this.storage = createHttp('x-compliance-storage', options, { maxBodyBytes: 256 * 1024 * 1024 });
  }

  /** Runs one users job over `accountIds` and returns the accounts with a compliance event. */
  async check(accountIds: readonly string[]): Promise<XComplianceCheck> {
    if (accountIds.length === 0) return { events: new Map(), jobId: '' };
    const created = await this.api.request(`${this.options.baseUrl}/2/compliance/jobs`, {
      method: 'POST',
      json: { type: 'users', name: `crm-influence ${new Date().toISOString().slice(0, 10)}` },
    });
    if (created.status === 401 || created.status === 403)
      throw new ProviderUnusableError(
        'x',
        `X refused the compliance job (HTTP ${created.status}): check X_BEARER_TOKEN and the app's project access`,
      );
    let job = this.job(created, 'creating the compliance job');
    const upload = await this.storage.request(job.upload_url, {
      method: 'PUT',
      text: { body: `${accountIds.join('\n')}\n`, contentType: 'text/plain' },
    });
    if (upload.status >= 300)
      throw new XComplianceError(`uploading the ids of compliance job ${job.id} failed (HTTP ${upload.status})`);
    let pollMs = this.options.pollMs ?? 500;
    const deadline = Date.now() + (this.options.maxWaitMs ?? 2 * 3_600_000);
    const sleep = this.options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
    while (job.status !== 'complete') {
      if (job.status === 'failed' || job.status === 'expired')
        throw new XComplianceError(`compliance job ${job.id} ended ${job.status}`);
      if (Date.now() >= deadline) throw new XComplianceError(`compliance job ${job.id} did not complete in time`);
      await sleep(pollMs);
      pollMs = Math.min(2 * pollMs, 60_000);
      const polled = await this.api.request(`${this.options.baseUrl}/2/compliance/jobs/${encodeURIComponent(job.id)}`);
      job = this.job(polled, `reading compliance job ${job.id}`);
    }
    const download = await this.storage.request(job.download_url);
    if (download.status !== 200)
      throw new XComplianceError(
        `downloading the results of compliance job ${job.id} failed (HTTP ${download.status})`,
      );
    return { events: parseResults(download.body, job.id), jobId: job.id };
  }

  private job(response: HttpResponse, step: string): z.infer<typeof JobSchema> {
    if (response.status !== 200)
      throw new XComplianceError(`${step} failed (HTTP ${response.status}${statusDetail(response)})`);
    const parsed = JobResponseSchema.safeParse(response.body);
    if (!parsed.success)
      throw new XComplianceError(`${step}: unexpected answer (${parsed.error.issues[0]?.path.join('.') ?? ''})`);
    return parsed.data.data;
  }
}

function statusDetail(response: HttpResponse): string {
  const detail = z.object({ detail: z.string() }).safeParse(response.body);
  return detail.success ? `: ${detail.data.detail}` : '';
}

/** The results file: one JSON object per line (one line arrives parsed already). */
function parseResults(body: unknown, jobId: string): Map<string, string> {
  const lines: unknown[] =
    typeof body === 'string'
      ? body
          .split('\n')
          .filter((line) => line.trim() !== '')
          .map((line, i) => {
            try {
              return JSON.parse(line) as unknown;
            } catch {
              throw new XComplianceError(`compliance job ${jobId}: results line ${i + 1} is not JSON`);
            }
          })
      : [body];
  const events = new Map<string, string>();
  lines.forEach((line, i) => {
    const parsed = ResultLineSchema.safeParse(line);
    if (!parsed.success)
      throw new XComplianceError(
        `compliance job ${jobId}: results line ${i + 1}, field ${parsed.error.issues[0]?.path.join('.') ?? ''}: ${parsed.error.issues[0]?.message ?? ''}`,
      );
    events.set(parsed.data.id, parsed.data.reason);
  });
  return events;
}
