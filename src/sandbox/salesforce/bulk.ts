// Bulk API 2.0 ingest (update) and query jobs: the job state machine, CSV upload, per-record results
// (`sf__Id`, `sf__Error`) and query result pages with `Sforce-Locator` (the string `null` on the last page).
import { csvLine, parseCsv } from './csv.ts';
import type { ApiResponse } from './http.ts';
import { apiError, json } from './http.ts';
import { INTEGRATION_USER_ID } from './org.ts';
import type { PreparedQuery, QueryEngine } from './query.ts';
import { OBJECT_NAMES } from './schema.ts';
import { SoqlError } from './soql.ts';
import type { RecordWriter, SaveInput } from './write.ts';

type JobState = 'Open' | 'UploadComplete' | 'InProgress' | 'JobComplete' | 'Failed' | 'Aborted';

interface IngestJob {
  id: string;
  object: string;
  operation: string;
  state: JobState;
  createdDate: string;
  lineEnding: string;
  csv?: string;
  processed: number;
  failed: number;
  successful: string[];
  failedRows: string[];
  unprocessed: string[];
  header: string[];
  errorMessage?: string;
}
interface QueryJob {
  id: string;
  operation: string;
  object: string;
  state: JobState;
  createdDate: string;
  prepared: PreparedQuery;
  indices: number[];
  errorMessage?: string;
}

const DEFAULT_PAGE = 50_000;
const SAVE_CHUNK = 2000;

export class BulkJobs {
  private readonly ingest = new Map<string, IngestJob>();
  private readonly queries = new Map<string, QueryJob>();
  private nextId = 1;
  recordsRead = 0;

  private readonly writer: RecordWriter;
  private readonly engine: QueryEngine;
  private readonly version: () => string;
  /** ORDER BY turns PK chunking off: a job over more records than this times out (the strict org). */
  private readonly orderByLimit: number;

  constructor(writer: RecordWriter, engine: QueryEngine, version: () => string, orderByLimit = Infinity) {
    this.writer = writer;
    this.engine = engine;
    this.version = version;
    this.orderByLimit = orderByLimit;
  }

  handleIngest(method: string, parts: string[], body: string): ApiResponse {
    const [id, sub] = parts;
    if (!id) {
      if (method !== 'POST')
        return apiError(405, 'METHOD_NOT_ALLOWED', `HTTP Method '${method}' not allowed. Allowed are POST`);
      return this.createIngest(body);
    }
    const job = this.ingest.get(id);
    if (!job) return apiError(404, 'NOT_FOUND', 'The requested resource does not exist');
    if (sub === 'batches' && method === 'PUT') {
      if (job.state !== 'Open')
        return apiError(409, 'INVALIDJOB', `Job ${id} is not open for data upload; its state is ${job.state}`);
      if (job.csv !== undefined) return apiError(400, 'INVALIDJOB', 'Only one upload is allowed per job');
      job.csv = body;
      return { status: 201 };
    }
    if (!sub && method === 'PATCH') return this.changeState(job, body);
    if (!sub && method === 'GET') return json(200, this.ingestInfo(job));
    if (!sub && method === 'DELETE') {
      this.ingest.delete(id);
      return { status: 204 };
    }
    if (method === 'GET' && (sub === 'successfulResults' || sub === 'failedResults' || sub === 'unprocessedrecords')) {
      const lines =
        sub === 'successfulResults'
          ? [csvLine(['sf__Id', 'sf__Created', ...job.header]), ...job.successful]
          : sub === 'failedResults'
            ? [csvLine(['sf__Id', 'sf__Error', ...job.header]), ...job.failedRows]
            : [csvLine(job.header), ...job.unprocessed];
      return { status: 200, text: `${lines.join('\n')}\n`, contentType: 'text/csv' };
    }
    return apiError(404, 'NOT_FOUND', 'The requested resource does not exist');
  }

  handleQuery(method: string, parts: string[], body: string, search: URLSearchParams): ApiResponse {
    const [id, sub] = parts;
    if (!id) {
      if (method !== 'POST')
        return apiError(405, 'METHOD_NOT_ALLOWED', `HTTP Method '${method}' not allowed. Allowed are POST`);
      return this.createQuery(body);
    }
    const job = this.queries.get(id);
    if (!job) return apiError(404, 'NOT_FOUND', 'The requested resource does not exist');
    if (!sub && method === 'GET') return json(200, this.queryInfo(job));
    if (!sub && method === 'DELETE') {
      this.queries.delete(id);
      return { status: 204 };
    }
    if (!sub && method === 'PATCH') {
      job.state = 'Aborted';
      return json(200, this.queryInfo(job));
    }
    if (sub === 'results' && method === 'GET') {
      if (job.state !== 'JobComplete')
        return apiError(400, 'INVALIDJOB', `Job ${id} is not complete; its state is ${job.state}`);
      const locator = search.get('locator');
      const start = locator ? Number(Buffer.from(locator, 'base64url').toString('utf8')) : 0;
      if (!Number.isInteger(start) || start < 0 || start > job.indices.length)
        return apiError(400, 'INVALID_LOCATOR', `Invalid locator: ${locator ?? ''}`);
      const maxRecords = Number(search.get('maxRecords') ?? DEFAULT_PAGE);
      const end = Math.min(
        job.indices.length,
        start + (Number.isInteger(maxRecords) && maxRecords > 0 ? maxRecords : DEFAULT_PAGE),
      );
      const lines = [csvLine(job.prepared.fields.map((f) => f.path.join('.')))];
      for (let k = start; k < end; k++) lines.push(csvLine(this.engine.csvCells(job.prepared, job.indices[k]!)));
      this.recordsRead += end - start;
      const next = end < job.indices.length ? Buffer.from(String(end)).toString('base64url') : 'null';
      return {
        status: 200,
        text: `${lines.join('\n')}\n`,
        contentType: 'text/csv',
        headers: { 'Sforce-Locator': next, 'Sforce-NumberOfRecords': String(end - start) },
      };
    }
    return apiError(404, 'NOT_FOUND', 'The requested resource does not exist');
  }

  private newId(): string {
    return `750SB${String(this.nextId++).padStart(13, '0')}`;
  }

  private createIngest(body: string): ApiResponse {
    let request: { object?: unknown; operation?: unknown; lineEnding?: unknown; contentType?: unknown };
    try {
      request = JSON.parse(body) as typeof request;
    } catch {
      return apiError(400, 'JSON_PARSER_ERROR', 'The request body is not valid JSON');
    }
    if (typeof request.object !== 'string' || !OBJECT_NAMES.includes(request.object as never)) {
      return apiError(400, 'INVALIDENTITY', `Entity '${String(request.object)}' is not supported by the Bulk API.`);
    }
    if (request.operation !== 'update')
      return apiError(
        400,
        'INVALIDJOB',
        `The sandbox supports the update operation only, not '${String(request.operation)}'`,
      );
    if (request.contentType !== undefined && request.contentType !== 'CSV')
      return apiError(400, 'INVALIDJOB', 'contentType must be CSV');
    const job: IngestJob = {
      id: this.newId(),
      object: request.object,
      operation: 'update',
      state: 'Open',
      createdDate: new Date().toISOString(),
      lineEnding: typeof request.lineEnding === 'string' ? request.lineEnding : 'LF',
      processed: 0,
      failed: 0,
      successful: [],
      failedRows: [],
      unprocessed: [],
      header: [],
    };
    this.ingest.set(job.id, job);
    return json(200, this.ingestInfo(job));
  }

  private changeState(job: IngestJob, body: string): ApiResponse {
    let state: unknown;
    try {
      state = (JSON.parse(body) as { state?: unknown }).state;
    } catch {
      return apiError(400, 'JSON_PARSER_ERROR', 'The request body is not valid JSON');
    }
    if (state === 'Aborted') {
      job.state = 'Aborted';
      return json(200, this.ingestInfo(job));
    }
    if (state !== 'UploadComplete') return apiError(400, 'INVALIDJOB', `Invalid state transition to ${String(state)}`);
    if (job.state !== 'Open')
      return apiError(409, 'INVALIDJOB', `Job ${job.id} is not open; its state is ${job.state}`);
    job.state = 'UploadComplete';
    setImmediate(() => this.process(job));
    return json(200, this.ingestInfo(job));
  }

  /** Processes the upload in chunks, yielding to the event loop between them like a real async job. */
  private process(job: IngestJob): void {
    const rows = parseCsv(job.csv ?? '');
    const header = rows.shift() ?? [];
    job.header = header;
    const idColumn = header.findIndex((h) => h.toLowerCase() === 'id');
    if (idColumn < 0) {
      job.state = 'Failed';
      job.errorMessage = 'InvalidBatch : Field name not found : Id';
      return;
    }
    job.state = 'InProgress';
    let offset = 0;
    const step = (): void => {
      if (job.state === 'Aborted') {
        for (const row of rows.slice(offset)) job.unprocessed.push(csvLine(row));
        return;
      }
      const chunk = rows.slice(offset, offset + SAVE_CHUNK).filter((r) => r.length > 1 || r[0] !== '');
      const inputs: SaveInput[] = chunk.map((cells) => {
        const fields: Record<string, unknown> = {};
        header.forEach((name, k) => {
          // Bulk semantics: an empty cell leaves the field alone; `#N/A` sets it to null.
          const value = cells[k] ?? '';
          if (k !== idColumn && value !== '') fields[name] = value === '#N/A' ? null : value;
        });
        return { type: job.object, id: cells[idColumn], fields };
      });
      const results = this.writer.save(inputs, false, INTEGRATION_USER_ID);
      results.forEach((result, k) => {
        const cells = chunk[k]!;
        job.processed += 1;
        if (result.success) {
          job.successful.push(csvLine([result.id, 'false', ...cells]));
        } else {
          job.failed += 1;
          const text = result.errors.map((e) => `${e.statusCode}:${e.message}:${e.fields.join(',')} --`).join(' ');
          job.failedRows.push(csvLine([cells[idColumn] ?? '', text, ...cells]));
        }
      });
      offset += SAVE_CHUNK;
      if (offset < rows.length) setImmediate(step);
      else job.state = 'JobComplete';
    };
    step();
  }

  private ingestInfo(job: IngestJob): Record<string, unknown> {
    const version = this.version();
    return {
      id: job.id,
      operation: job.operation,
      object: job.object,
      createdById: INTEGRATION_USER_ID,
      createdDate: job.createdDate,
      systemModstamp: new Date().toISOString(),
      state: job.state,
      concurrencyMode: 'Parallel',
      contentType: 'CSV',
      apiVersion: Number(version),
      jobType: 'V2Ingest',
      contentUrl: `services/data/v${version}/jobs/ingest/${job.id}/batches`,
      lineEnding: job.lineEnding,
      columnDelimiter: 'COMMA',
      numberRecordsProcessed: job.processed,
      numberRecordsFailed: job.failed,
      retries: 0,
      totalProcessingTime: 0,
      ...(job.errorMessage ? { errorMessage: job.errorMessage } : {}),
    };
  }

  private createQuery(body: string): ApiResponse {
    let request: { operation?: unknown; query?: unknown };
    try {
      request = JSON.parse(body) as typeof request;
    } catch {
      return apiError(400, 'JSON_PARSER_ERROR', 'The request body is not valid JSON');
    }
    if (request.operation !== 'query' && request.operation !== 'queryAll')
      return apiError(400, 'INVALIDJOB', 'operation must be query or queryAll');
    if (typeof request.query !== 'string') return apiError(400, 'INVALIDJOB', 'query is required');
    let prepared: PreparedQuery;
    try {
      prepared = this.engine.prepare(request.query);
    } catch (err) {
      if (err instanceof SoqlError) return apiError(400, err.errorCode, err.message);
      throw err;
    }
    if (prepared.query.select === 'count')
      return apiError(400, 'INVALIDJOB', 'Aggregate queries are not supported by Bulk API 2.0');
    const job: QueryJob = {
      id: this.newId(),
      operation: request.operation,
      object: prepared.object,
      state: 'UploadComplete',
      createdDate: new Date().toISOString(),
      prepared,
      indices: [],
    };
    this.queries.set(job.id, job);
    setImmediate(() => {
      if (job.state === 'Aborted') return;
      const indices = this.engine.execute(prepared, request.operation === 'queryAll');
      // "Use of ORDER BY in a Bulk 2.0 query disables PKChunking … potentially results in query timeouts"
      // (bulk_api_2_0_troubleshoot_query_timeouts.htm).
      if (prepared.query.orderBy.length > 0 && indices.length > this.orderByLimit) {
        job.state = 'Failed';
        job.errorMessage = 'QUERY_TIMEOUT: Your query request was running for too long.';
        return;
      }
      job.indices = indices;
      job.state = 'JobComplete';
    });
    return json(200, this.queryInfo(job));
  }

  private queryInfo(job: QueryJob): Record<string, unknown> {
    return {
      id: job.id,
      operation: job.operation,
      object: job.object,
      createdById: INTEGRATION_USER_ID,
      createdDate: job.createdDate,
      systemModstamp: new Date().toISOString(),
      state: job.state,
      concurrencyMode: 'Parallel',
      contentType: 'CSV',
      apiVersion: Number(this.version()),
      jobType: 'V2Query',
      lineEnding: 'LF',
      columnDelimiter: 'COMMA',
      numberRecordsProcessed: job.state === 'JobComplete' ? job.indices.length : 0,
      retries: 0,
      totalProcessingTime: 0,
      ...(job.errorMessage ? { errorMessage: job.errorMessage } : {}),
    };
  }
}
