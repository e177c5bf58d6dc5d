// X batch compliance jobs for users, as docs.x.com/x-api/compliance/batch-compliance describes them: POST
// /2/compliance/jobs {type, name?, resumable?} → {data: {id, type, name, status: created, upload_url, upload_expires_at,
// download_url, download_expires_at, created_at, resumable}}; the ids go by PUT to upload_url (plain text, one per
// line; real: a signed storage.googleapis.com URL, here on the twin's own origin); GET /2/compliance/jobs/:id shows
// created → in_progress → complete; download_url serves one JSON object per line
// ({id, action: "delete", created_at, redacted_at, reason}) for ids with an event only (deleted, deactivated,
// suspended, protected). Upload links last 15 minutes, download links a week.
import { randomBytes } from 'node:crypto';

import type { Population } from '../population.ts';
import type { NetworkRequest, Reply, Route } from './server.ts';

const PROBLEMS = 'https://api.twitter.com/2/problems';
const UPLOAD_LIFETIME_MS = 15 * 60_000;
const DOWNLOAD_LIFETIME_MS = 7 * 86_400_000;

interface Job {
  id: string;
  name?: string;
  status: 'created' | 'in_progress' | 'complete' | 'expired';
  createdAt: number;
  signature: string;
  /** Result lines, decided when the ids arrive. */
  results: string[];
  /** Status reads left before an uploaded job completes (real jobs take minutes). */
  pollsUntilComplete: number;
}

export interface XComplianceJobs {
  routes: Route[];
  /** Tests: an account X has since deleted, deactivated, suspended or protected (the population is fixed). */
  setEvent(userId: string, reason: 'deleted' | 'deactivated' | 'suspended' | 'protected'): void;
  /** Jobs created so far. */
  jobsCreated(): number;
}

export function createXComplianceJobs(options: {
  population: Population;
  clock: () => number;
  /** Answers a request not carrying the app's bearer token, or null to go on. */
  unauthorized: (request: NetworkRequest) => Reply | null;
}): XComplianceJobs {
  const { population, clock } = options;
  const jobs = new Map<string, Job>();
  const events = new Map<string, string>();
  let nextId = 1_425_543_269_983_784_962n;

  const iso = (ms: number) => new Date(ms).toISOString();
  const origin = (request: NetworkRequest) => `http://${request.headers.host ?? '127.0.0.1'}`;
  const jobJson = (job: Job, request: NetworkRequest) => ({
    id: job.id,
    type: 'users',
    ...(job.name === undefined ? {} : { name: job.name }),
    status: job.status,
    resumable: false,
    upload_url: `${origin(request)}/storage/compliance/${job.id}/submission?X-Goog-Signature=${job.signature}`,
    upload_expires_at: iso(job.createdAt + UPLOAD_LIFETIME_MS),
    download_url: `${origin(request)}/storage/compliance/${job.id}/result?X-Goog-Signature=${job.signature}`,
    download_expires_at: iso(job.createdAt + DOWNLOAD_LIFETIME_MS),
    created_at: iso(job.createdAt),
  });
  const invalid = (message: string): Reply => ({
    status: 400,
    body: {
      errors: [{ message }],
      title: 'Invalid Request',
      detail: 'One or more parameters to your request was invalid.',
      type: `${PROBLEMS}/invalid-request`,
    },
  });
  /** Storage answers like Google Cloud Storage: 403 with an XML-ish text for a bad signature. */
  const signedJob = (request: NetworkRequest, id: string): { job: Job } | { refused: Reply } => {
    const job = jobs.get(id);
    if (!job || request.query.get('X-Goog-Signature') !== job.signature)
      return { refused: { status: 403, text: { body: 'SignatureDoesNotMatch', contentType: 'application/xml' } } };
    return { job };
  };

  function reasonFor(id: string): string | null {
    const event = events.get(id);
    if (event !== undefined) return event;
    const account = population.accountById('x', id);
    if (!account) return 'deleted';
    if (account.state === 'suspended') return 'suspended';
    if (account.state === 'protected') return 'protected';
    return null;
  }

  const routes: Route[] = [
    {
      method: 'POST',
      pattern: /^\/2\/compliance\/jobs$/,
      endpoint: 'POST /2/compliance/jobs',
      handle: (request) => {
        const refused = options.unauthorized(request);
        if (refused) return refused;
        const body = (request.body ?? {}) as { type?: unknown; name?: unknown };
        if (body.type !== 'users' && body.type !== 'tweets')
          return invalid('The `type` field must be one of [tweets, users]');
        if (body.type === 'tweets') return invalid('This twin runs users jobs only');
        const job: Job = {
          id: String(nextId++),
          ...(typeof body.name === 'string' ? { name: body.name } : {}),
          status: 'created',
          createdAt: clock(),
          signature: randomBytes(16).toString('hex'),
          results: [],
          pollsUntilComplete: 1,
        };
        jobs.set(job.id, job);
        return { status: 200, body: { data: jobJson(job, request) } };
      },
    },
    {
      method: 'GET',
      pattern: /^\/2\/compliance\/jobs\/(\d+)$/,
      endpoint: 'GET /2/compliance/jobs/:id',
      handle: (request, match) => {
        const refused = options.unauthorized(request);
        if (refused) return refused;
        const job = jobs.get(match[1] ?? '');
        if (!job)
          return {
            status: 200,
            body: {
              errors: [
                {
                  value: match[1],
                  detail: `Could not find compliance job with id: [${match[1]}].`,
                  title: 'Not Found Error',
                  type: `${PROBLEMS}/resource-not-found`,
                },
              ],
            },
          };
        if (job.status === 'in_progress' && job.pollsUntilComplete-- <= 0) job.status = 'complete';
        if (job.status === 'created' && clock() > job.createdAt + UPLOAD_LIFETIME_MS) job.status = 'expired';
        return { status: 200, body: { data: jobJson(job, request) } };
      },
    },
    {
      method: 'PUT',
      pattern: /^\/storage\/compliance\/(\d+)\/submission$/,
      endpoint: 'PUT (compliance upload)',
      handle: (request, match) => {
        const signed = signedJob(request, match[1] ?? '');
        if ('refused' in signed) return signed.refused;
        const found = signed.job;
        if (found.status !== 'created' || clock() > found.createdAt + UPLOAD_LIFETIME_MS)
          return { status: 403, text: { body: 'ExpiredToken', contentType: 'application/xml' } };
        const at = iso(clock());
        for (const line of (request.text ?? '').split('\n')) {
          const id = line.trim();
          if (id === '') continue;
          const reason = reasonFor(id);
          if (reason !== null)
            found.results.push(JSON.stringify({ id, action: 'delete', created_at: at, redacted_at: at, reason }));
        }
        found.status = 'in_progress';
        return { status: 200, text: { body: '', contentType: 'text/plain' } };
      },
    },
    {
      method: 'GET',
      pattern: /^\/storage\/compliance\/(\d+)\/result$/,
      endpoint: 'GET (compliance download)',
      handle: (request, match) => {
        const signed = signedJob(request, match[1] ?? '');
        if ('refused' in signed) return signed.refused;
        const found = signed.job;
        if (found.status !== 'complete')
          return { status: 404, text: { body: 'NoSuchKey', contentType: 'application/xml' } };
        return { status: 200, text: { body: found.results.map((l) => `${l}\n`).join(''), contentType: 'text/plain' } };
      },
    },
  ];

  return {
    routes,
    setEvent: (userId, reason) => events.set(userId, reason),
    jobsCreated: () => jobs.size,
  };
}
