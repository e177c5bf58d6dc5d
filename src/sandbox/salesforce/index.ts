// A local Salesforce org the unmodified jsforce cannot tell from the real one: OAuth, REST (versions, limits,
// describe, query/queryMore, sObject Collections, Composite) and Bulk API 2.0, with the platform's limits, headers
// and error bodies, over records generated lazily from the sandbox population.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

import type { DealWorldOptions, SandboxDeal } from '../deals.ts';
import type { FaultSchedule } from '../faults.ts';
import { FaultInjector } from '../faults.ts';
import { SandboxAuth } from './auth.ts';
import { BulkJobs } from './bulk.ts';
import type { ApiResponse } from './http.ts';
import { apiError, json } from './http.ts';
import type { OpportunityObject } from './opportunities.ts';
import { OPPORTUNITY_OBJECTS, OpportunityTables } from './opportunities.ts';
import type { PersonSource, Row } from './org.ts';
import { INTEGRATION_USER_ID, ORG_ID, PERSON_USER_ID, SandboxOrg } from './org.ts';
import type { StrictOrgOptions } from './profile.ts';
import { hasUserPermission, PERMISSIVE_PROFILE, strictProfile } from './profile.ts';
import type { PreparedQuery } from './query.ts';
import { formatDatetime, QueryEngine, toApiValue } from './query.ts';
import type { FieldDef, ObjectName } from './schema.ts';
import { describeBody, OBJECT_NAMES } from './schema.ts';
import { parseSoql, SoqlError } from './soql.ts';
import type { SandboxTask } from './tasks.ts';
import { TaskLedger } from './tasks.ts';
import type { SaveInput } from './write.ts';
import { COLLECTION_LIMIT, RecordWriter } from './write.ts';

export type { PersonLike, PersonSource } from './org.ts';
export { INTEGRATION_USER_ID, ORG_ID, PERSON_USER_ID, SandboxOrg } from './org.ts';
export type { FieldGrant, IntegrationPermissions, ObjectGrant, StrictOrgOptions } from './profile.ts';
export type { SandboxTask } from './tasks.ts';
export { INACTIVE_USER_ID, LEAD_QUEUE_ID } from './tasks.ts';

export interface SalesforceSandboxOptions {
  population: PersonSource;
  port?: number;
  faults?: FaultSchedule | FaultInjector;
  /** Daily API request allowance (`DailyApiRequests.Max`). */
  apiQuota?: number;
  /** API requests already used today when the sandbox starts. */
  apiUsage?: number;
  rotateRefreshTokens?: boolean;
  /** Whether our influence fields are deployed (false = a fresh org before `manifests/salesforce`). */
  withCustomFields?: boolean;
  accessTokenTtlSeconds?: number;
  clientId?: string;
  clientSecret?: string;
  /** PEM public key or certificate that verifies JWT bearer assertions (enables that flow). */
  jwtPublicKey?: string;
  /**
   * The strict org a least-privilege deployment meets on day one (see profile.ts): a minimum-access integration
   * user with only the given permission sets, no Data Protection and Privacy, Private sharing, a validation rule,
   * a throwing trigger, duplicate rules, row locks, query timeouts. Default: the permissive org.
   */
  strict?: boolean | StrictOrgOptions;
  /**
   * Opportunities with primary contact roles, and how a contact's latent influence sways winning (`effect`, log-odds
   * per standard deviation; 0 = no relationship). Default: effect 0.8.
   */
  deals?: DealWorldOptions;
}

export interface SalesforceCounters {
  /** Every HTTP request the server received. */
  requests: number;
  /** Requests counted against the daily quota (Composite = 1). */
  apiCalls: number;
  /** Per endpoint: token, query, queryMore, describe, limits, collections, composite, bulkIngest, bulkQuery (and bulkQueryJobs created), … */
  calls: Record<string, number>;
  recordsRead: number;
  recordsWritten: number;
  /** Successful saves per record id (the write log): a record saved twice shows 2. */
  writesById: ReadonlyMap<string, number>;
  largestBatch: number;
  status429: number;
  status5xx: number;
  dropped: number;
  refreshGrants: number;
  failedGrants: number;
}

export interface SalesforceSandboxControl {
  /** The field disappears from describe, SOQL and writes (a deleted field, or FLS removed). */
  deleteField(object: ObjectName, field: string): void;
  /** Field-level security: the integration user may (not) edit this field. */
  setFieldUpdateable(object: ObjectName, field: string, updateable: boolean): void;
  /** A person edits a record in the UI: values change and SystemModstamp/LastModified* move. */
  editRecord(id: string, fields: Record<string, unknown>): void;
  /** Converts a lead, into the given contact (which is updated) or none. */
  convertLead(id: string, contactId?: string): void;
  /** Deletes a record (recycle bin: Get Deleted and queryAll still show it). */
  deleteRecord(id: string): void;
  /** Restores a deleted record. */
  undeleteRecord(id: string): void;
  /** Merges records into the master: the others are deleted with MasterRecordId set, the master is updated. */
  mergeRecords(masterId: string, otherIds: readonly string[]): void;
  /** Every access token expires now; the next REST call gets 401 INVALID_SESSION_ID. */
  expireTokens(): void;
  /** Every refresh token is revoked; the next refresh gets `invalid_grant`. */
  revokeRefreshTokens(): void;
  refreshTokens(): string[];
  setApiUsage(used: number, quota?: number): void;
  /** The record as the REST API would return it with every field, or undefined. */
  record(id: string): Record<string, unknown> | undefined;
  /** Tasks whose Name (WhoId) is this contact or lead, oldest first. */
  tasksOf(id: string): SandboxTask[];
  /** The deals behind the opportunities, with the win probability each was drawn with. */
  deals(): SandboxDeal[];
  /** A person edits an opportunity (StageName moves IsClosed/IsWon); its SystemModstamp moves. */
  editOpportunity(id: string, fields: Record<string, unknown>): void;
  readonly faults: FaultInjector;
  readonly org: SandboxOrg;
}

export interface SalesforceSandbox {
  url: string;
  env: Record<string, string>;
  counters: SalesforceCounters;
  control: SalesforceSandboxControl;
  close(): Promise<void>;
}

const LATEST_VERSION = '64.0';
const MIN_VERSION = 31;
const MAX_VERSION = 66;
const QUERY_BATCH = { min: 200, max: 2000, default: 2000 };
const COMPOSITE_LIMIT = 25;
const COMPOSITE_COLLECTION_LIMIT = 5;
const MAX_OPEN_LOCATORS = 20;

interface Locator {
  prepared: PreparedQuery | null;
  /** Opportunity queries: the records themselves (contacts are formatted lazily from `indices`). */
  records?: Record<string, unknown>[];
  indices: number[];
  batchSize: number;
  version: string;
}

export async function startSalesforceSandbox(options: SalesforceSandboxOptions): Promise<SalesforceSandbox> {
  const faults = options.faults instanceof FaultInjector ? options.faults : new FaultInjector(options.faults ?? {});
  const clientId = options.clientId ?? '3MVG9sandbox.crm-influence';
  const clientSecret = options.clientSecret ?? 'sandbox-client-secret';
  const profile =
    options.strict === undefined || options.strict === false
      ? PERMISSIVE_PROFILE
      : strictProfile(options.strict === true ? {} : options.strict);
  const auth = new SandboxAuth({
    clientId,
    clientSecret,
    rotateRefreshTokens: options.rotateRefreshTokens ?? false,
    accessTokenTtlSeconds: options.accessTokenTtlSeconds ?? 7200,
    ...(options.jwtPublicKey ? { jwtPublicKey: options.jwtPublicKey } : {}),
    ...(profile.jwtUsers ? { jwtUsers: profile.jwtUsers } : {}),
  });
  const org = new SandboxOrg(options.population, options.withCustomFields ?? true, Date.now(), profile);
  const engine = new QueryEngine(org);
  const opportunities = new OpportunityTables(
    { size: options.population.size, latentInfluence: (i) => options.population.latentInfluence?.(i) ?? 0 },
    options.deals ?? { effect: 0.8 },
    profile,
    (i) => org.objectTypeOf(i) === 'Contact',
    (i) => SandboxOrg.idOf('Contact', i),
    Date.now(),
  );
  const writer = new RecordWriter(org, faults);
  const tasks = new TaskLedger(org, () => hasUserPermission(profile, 'EditTask'));
  let currentVersion = LATEST_VERSION;
  const bulk = new BulkJobs(writer, engine, () => currentVersion, profile.bulkOrderByLimit);
  const quota = { max: options.apiQuota ?? 100_000, used: options.apiUsage ?? 0 };
  const stats = {
    requests: 0,
    calls: {} as Record<string, number>,
    recordsRead: 0,
    status429: 0,
    status5xx: 0,
    dropped: 0,
  };
  const locators = new Map<string, Locator>();
  let locatorSeq = 0;
  let baseUrl = '';

  const count = (endpoint: string): void => {
    stats.calls[endpoint] = (stats.calls[endpoint] ?? 0) + 1;
  };

  // ---- REST resources (paths relative to /services/data/vXX.X) -------------------------------------------------
  function rest(
    method: string,
    path: string,
    search: URLSearchParams,
    body: string,
    headers: IncomingMessage['headers'],
    version: string,
    inComposite: boolean,
    outerAllOrNone = false,
  ): ApiResponse {
    currentVersion = version;
    const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
    const [head, ...rest_] = parts;
    if (!head && method === 'GET') {
      count('resources');
      const base = `/services/data/v${version}`;
      return json(200, {
        sobjects: `${base}/sobjects`,
        query: `${base}/query`,
        queryAll: `${base}/queryAll`,
        limits: `${base}/limits`,
        composite: `${base}/composite`,
        jobs: `${base}/jobs`,
        identity: `${baseUrl}/id/${ORG_ID}/${INTEGRATION_USER_ID}`,
      });
    }
    switch (head) {
      case 'limits':
        count(rest_[0] === 'recordCount' ? 'recordCount' : 'limits');
        // Both need "View Setup and Configuration" (resources_limits.htm, resources_record_count.htm). [verify] body
        if (!hasUserPermission(profile, 'ViewSetup'))
          return apiError(
            403,
            'INSUFFICIENT_ACCESS',
            'Insufficient privileges: View Setup and Configuration is required',
          );
        if (rest_[0] === 'recordCount') return json(200, recordCountBody(search));
        return json(200, limitsBody());
      case 'sobjects':
        return sobjects(method, rest_, search, body, version);
      case 'query':
      case 'queryAll':
        if (method !== 'GET')
          return apiError(405, 'METHOD_NOT_ALLOWED', `HTTP Method '${method}' not allowed. Allowed are GET,HEAD`);
        return rest_.length === 0
          ? startQuery(search.get('q') ?? '', headers, version, head === 'queryAll')
          : queryMore(rest_[0]!, headers, version);
      case 'composite':
        if (rest_[0] === 'sobjects' && rest_.length === 1 && method === 'PATCH') {
          count('collections');
          return collectionUpdate(body, outerAllOrNone, headers);
        }
        if (rest_[0] === 'sobjects' && rest_.length === 1 && method === 'POST') {
          count('collectionsCreate');
          return collectionCreate(body, outerAllOrNone);
        }
        if (rest_.length === 0 && method === 'POST' && !inComposite) {
          count('composite');
          return composite(body, headers, version);
        }
        break;
      case 'jobs':
        if (rest_[0] === 'ingest') {
          count('bulkIngest');
          return bulk.handleIngest(method, rest_.slice(1), body);
        }
        if (rest_[0] === 'query') {
          count('bulkQuery');
          if (method === 'POST' && rest_.length === 1) count('bulkQueryJobs');
          return bulk.handleQuery(method, rest_.slice(1), body, search);
        }
        break;
      default:
        break;
    }
    return apiError(404, 'NOT_FOUND', 'The requested resource does not exist');
  }

  function limitsBody(): Record<string, unknown> {
    const remaining = Math.max(0, quota.max - quota.used);
    return {
      DailyApiRequests: { Max: quota.max, Remaining: remaining, 'crm-influence': { Max: 0, Remaining: 0 } },
      DailyBulkApiBatches: { Max: 15000, Remaining: 15000 },
      DailyBulkV2QueryJobs: { Max: 10000, Remaining: 10000 },
      DailyBulkV2QueryFileStorageMB: { Max: 1048576, Remaining: 1048576 },
      DataStorageMB: { Max: 1024, Remaining: 1000 },
    };
  }

  /** Approximate counts of every stored record, whoever may see it (deleted ones excluded). */
  function recordCountBody(search: URLSearchParams): Record<string, unknown> {
    const wanted = (search.get('sObjects') ?? 'Contact,Lead').split(',').map((o) => o.trim());
    const sObjects = (['Contact', 'Lead'] as const)
      .filter((o) => wanted.includes(o))
      .map((name) => {
        let count = 0;
        for (const row of org.scan(name, undefined, true)) if (row.IsDeleted !== true) count += 1;
        return { count, name };
      });
    return { sObjects };
  }

  function sobjects(
    method: string,
    parts: string[],
    search: URLSearchParams,
    body: string,
    version: string,
  ): ApiResponse {
    const [type, idOrAction] = parts;
    if (!type) {
      count('describeGlobal');
      return json(200, {
        encoding: 'UTF-8',
        maxBatchSize: 200,
        sobjects: OBJECT_NAMES.filter((name) => org.canRead(name)).map((name) => ({
          name,
          label: name,
          queryable: true,
          updateable: true,
          urls: { describe: `/services/data/v${version}/sobjects/${name}/describe` },
        })),
      });
    }
    const object = OBJECT_NAMES.find((o) => o.toLowerCase() === type.toLowerCase());
    if (!object || !org.canRead(object)) return apiError(404, 'NOT_FOUND', `The requested resource does not exist`);
    if (idOrAction === 'describe' && method === 'GET') {
      count('describe');
      return json(200, describeBody(org.schemas[object], version));
    }
    if (idOrAction === 'deleted' && method === 'GET' && object !== 'Individual') {
      count('deleted');
      return getDeleted(object, search);
    }
    if (!idOrAction) return apiError(405, 'METHOD_NOT_ALLOWED', `HTTP Method '${method}' not allowed.`);
    const found = org.rowById(idOrAction);
    if (method === 'GET') {
      count('retrieve');
      if (!found || found.object !== object) return apiError(404, 'NOT_FOUND', 'The requested resource does not exist');
      const fieldNames = search
        .get('fields')
        ?.split(',')
        .map((f) => f.trim())
        .filter(Boolean);
      stats.recordsRead += 1;
      return json(200, apiRecord(object, found.row, version, fieldNames));
    }
    if (method === 'PATCH') {
      count('update');
      const fields = parseJsonObject(body);
      if (!fields) return apiError(400, 'JSON_PARSER_ERROR', 'The request body is not a JSON object');
      const [result] = writer.save([{ type: object, id: idOrAction, fields }], true, INTEGRATION_USER_ID);
      if (result?.success) return { status: 204 };
      return {
        status: 400,
        json: (result?.errors ?? []).map((e) => ({ message: e.message, errorCode: e.statusCode, fields: e.fields })),
      };
    }
    return apiError(405, 'METHOD_NOT_ALLOWED', `HTTP Method '${method}' not allowed.`);
  }

  /**
   * sObject Get Deleted: `{ deletedRecords: [{id, deletedDate}], earliestDateAvailable, latestDateCovered }` for a
   * window in the last 30 days; seconds are ignored (resources_getdeleted.htm). [verify] the error for an old start.
   */
  function getDeleted(object: 'Contact' | 'Lead', search: URLSearchParams): ApiResponse {
    const parse = (name: string): number | undefined => {
      const text = search.get(name);
      const ms = text === null ? NaN : Date.parse(text.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
      return Number.isNaN(ms) ? undefined : Math.floor(ms / 60_000) * 60_000;
    };
    const start = parse('start');
    const end = parse('end');
    if (start === undefined || end === undefined)
      return apiError(400, 'MALFORMED_QUERY', 'start and end must be dateTimes like 2024-05-01T12:00:00+00:00');
    const earliest = Math.floor((Date.now() - 30 * 86_400_000) / 60_000) * 60_000;
    if (start < earliest)
      return apiError(400, 'INVALID_REPLICATION_DATE', `start date is before the earliest date available`);
    if (end < start) return apiError(400, 'INVALID_REPLICATION_DATE', 'end date is before the start date');
    const deletedRecords = org
      .deletedBetween(object, start, end + 59_999)
      .map((d) => ({ id: d.id, deletedDate: formatDatetime(d.deletedAt) }));
    return json(200, {
      deletedRecords,
      earliestDateAvailable: formatDatetime(earliest),
      latestDateCovered: formatDatetime(end),
    });
  }

  function apiRecord(
    object: ObjectName,
    row: Row,
    version: string,
    only?: string[],
    schemas = org.schemas,
  ): Record<string, unknown> {
    const record: Record<string, unknown> = {
      attributes: { type: object, url: `/services/data/v${version}/sobjects/${object}/${String(row.Id)}` },
    };
    for (const def of schemas[object].fields()) {
      if (only && !only.some((f) => f.toLowerCase() === def.name.toLowerCase())) continue;
      record[def.name] = toApiValue(def, row[def.name]);
    }
    return record;
  }

  function batchSizeOf(headers: IncomingMessage['headers']): number | undefined {
    const header = headers['sforce-query-options'];
    const match = /batchSize\s*=\s*(\d+)/i.exec(Array.isArray(header) ? header.join(',') : (header ?? ''));
    if (!match) return undefined;
    return Math.min(QUERY_BATCH.max, Math.max(QUERY_BATCH.min, Number(match[1])));
  }

  function startQuery(soql: string, headers: IncomingMessage['headers'], version: string, all: boolean): ApiResponse {
    count('query');
    let prepared: PreparedQuery;
    try {
      const opportunityObject = opportunityQueryObject(soql);
      if (opportunityObject !== undefined) return startOpportunityQuery(soql, opportunityObject, headers, version);
      prepared = engine.prepare(soql);
    } catch (err) {
      if (err instanceof SoqlError) return apiError(400, err.errorCode, err.message);
      throw err;
    }
    if (prepared.query.select !== 'count' && engine.wouldTimeOut(prepared, profile.nonSelectiveLimit))
      return apiError(400, 'QUERY_TIMEOUT', 'Your query request was running for too long.');
    const indices = engine.execute(prepared, all);
    if (prepared.query.select === 'count') return json(200, { totalSize: indices.length, done: true, records: [] });
    const locator: Locator = { prepared, indices, batchSize: batchSizeOf(headers) ?? QUERY_BATCH.default, version };
    const id = `01gSB${String(++locatorSeq).padStart(10, '0')}`;
    if (locators.size >= MAX_OPEN_LOCATORS) locators.delete(locators.keys().next().value!);
    locators.set(id, locator);
    return queryPage(id, locator, 0, version);
  }

  /** The opportunity object a query reads, or undefined for the contact objects. */
  function opportunityQueryObject(soql: string): OpportunityObject | undefined {
    const from = /\bfrom\s+(\w+)/i.exec(soql)?.[1]?.toLowerCase();
    return OPPORTUNITY_OBJECTS.find((o) => o.toLowerCase() === from);
  }

  function startOpportunityQuery(
    soql: string,
    object: OpportunityObject,
    headers: IncomingMessage['headers'],
    version: string,
  ): ApiResponse {
    if (!opportunities.canRead(object))
      throw new SoqlError(
        'INVALID_TYPE',
        `\n${soql}\nsObject type '${object}' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name.`,
      );
    const records = opportunities.run(soql, parseSoql(soql), object, version);
    const locator: Locator = {
      prepared: null,
      records,
      indices: records.map((_, k) => k),
      batchSize: batchSizeOf(headers) ?? QUERY_BATCH.default,
      version,
    };
    const id = `01gSB${String(++locatorSeq).padStart(10, '0')}`;
    if (locators.size >= MAX_OPEN_LOCATORS) locators.delete(locators.keys().next().value!);
    locators.set(id, locator);
    return queryPage(id, locator, 0, version);
  }

  function queryMore(token: string, headers: IncomingMessage['headers'], version: string): ApiResponse {
    count('queryMore');
    const dash = token.lastIndexOf('-');
    const id = dash > 0 ? token.slice(0, dash) : token;
    const position = dash > 0 ? Number(token.slice(dash + 1)) : NaN;
    const locator = locators.get(id);
    if (!locator || !Number.isInteger(position) || position < 0 || position > locator.indices.length) {
      return apiError(400, 'INVALID_QUERY_LOCATOR', 'invalid query locator');
    }
    const batch = batchSizeOf(headers);
    if (batch) locator.batchSize = batch;
    return queryPage(id, locator, position, version);
  }

  function queryPage(id: string, locator: Locator, position: number, version: string): ApiResponse {
    const end = Math.min(locator.indices.length, position + locator.batchSize);
    const records: Record<string, unknown>[] = [];
    for (let k = position; k < end; k++)
      records.push(locator.records?.[k] ?? engine.formatRecord(locator.prepared!, locator.indices[k]!, version));
    stats.recordsRead += records.length;
    const done = end >= locator.indices.length;
    if (done) locators.delete(id);
    return json(200, {
      totalSize: locator.indices.length,
      done,
      ...(done ? {} : { nextRecordsUrl: `/services/data/v${version}/query/${id}-${end}` }),
      records,
    });
  }

  function collectionUpdate(body: string, forceAllOrNone: boolean, headers: IncomingMessage['headers']): ApiResponse {
    const request = parseJsonObject(body);
    if (!request || !Array.isArray(request.records))
      return apiError(400, 'JSON_PARSER_ERROR', 'The request body must be {"allOrNone": boolean, "records": [...]}');
    const records = request.records as unknown[];
    if (records.length > COLLECTION_LIMIT) {
      return apiError(
        400,
        'EXCEEDED_ID_LIMIT',
        'record limit reached. cannot submit more than 200 records into this call',
      );
    }
    const inputs: SaveInput[] = records.map((raw) => {
      const record = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
      const { attributes, id, Id, ...fields } = record;
      const type = (attributes as { type?: unknown } | undefined)?.type;
      const recordId = id ?? Id;
      return {
        type: typeof type === 'string' ? type : undefined,
        id: typeof recordId === 'string' ? recordId : undefined,
        fields,
      };
    });
    const allOrNone = forceAllOrNone || request.allOrNone === true;
    const duplicateRule = String(headers['sforce-duplicate-rule-header'] ?? '');
    return json(
      200,
      writer.save(inputs, allOrNone, INTEGRATION_USER_ID, {
        allowDuplicates: /(^|;)\s*allowSave\s*=\s*true/i.test(duplicateRule),
      }),
    );
  }

  /** sObject Collections create (Task records only in this sandbox). */
  function collectionCreate(body: string, forceAllOrNone: boolean): ApiResponse {
    const request = parseJsonObject(body);
    if (!request || !Array.isArray(request.records))
      return apiError(400, 'JSON_PARSER_ERROR', 'The request body must be {"allOrNone": boolean, "records": [...]}');
    const records = request.records as unknown[];
    if (records.length > COLLECTION_LIMIT)
      return apiError(
        400,
        'EXCEEDED_ID_LIMIT',
        'record limit reached. cannot submit more than 200 records into this call',
      );
    const inputs = records.map((raw) => (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>);
    if (inputs.some((r) => r.id !== undefined || r.Id !== undefined))
      return apiError(400, 'INVALID_FIELD', 'Can not specify Id in an insert call');
    return json(200, tasks.create(inputs, forceAllOrNone || request.allOrNone === true, INTEGRATION_USER_ID));
  }

  function composite(body: string, headers: IncomingMessage['headers'], version: string): ApiResponse {
    const request = parseJsonObject(body);
    if (!request || !Array.isArray(request.compositeRequest))
      return apiError(400, 'JSON_PARSER_ERROR', 'The request body must contain compositeRequest');
    const subrequests = request.compositeRequest as {
      method?: unknown;
      url?: unknown;
      referenceId?: unknown;
      body?: unknown;
      httpHeaders?: unknown;
    }[];
    if (subrequests.length > COMPOSITE_LIMIT)
      return apiError(
        400,
        'LIMIT_EXCEEDED',
        `Composite request can have at most ${COMPOSITE_LIMIT} subrequests; found ${subrequests.length}`,
      );
    const heavy = subrequests.filter(
      (s) => typeof s.url === 'string' && /\/(composite\/sobjects|query|queryAll)(\/|\?|$)/.test(s.url),
    ).length;
    if (heavy > COMPOSITE_COLLECTION_LIMIT) {
      return apiError(
        400,
        'LIMIT_EXCEEDED',
        `Composite request can have at most ${COMPOSITE_COLLECTION_LIMIT} sObject Collections or query subrequests; found ${heavy}`,
      );
    }
    const allOrNone = request.allOrNone === true;
    let halted = false;
    const compositeResponse = subrequests.map((sub) => {
      const referenceId = typeof sub.referenceId === 'string' ? sub.referenceId : '';
      if (halted) {
        return {
          body: [
            {
              errorCode: 'PROCESSING_HALTED',
              message: 'The transaction was rolled back since another operation in the same transaction failed.',
            },
          ],
          httpHeaders: {},
          httpStatusCode: 400,
          referenceId,
        };
      }
      const url = new URL(typeof sub.url === 'string' ? sub.url : '/', 'http://composite.invalid');
      const subHeaders: IncomingMessage['headers'] = { ...headers };
      if (sub.httpHeaders && typeof sub.httpHeaders === 'object') {
        for (const [name, value] of Object.entries(sub.httpHeaders))
          if (typeof value === 'string') subHeaders[name.toLowerCase()] = value;
      }
      const match = /^\/services\/data\/v(\d+\.\d)(\/.*)?$/.exec(url.pathname);
      const answer = match
        ? rest(
            (typeof sub.method === 'string' ? sub.method : 'GET').toUpperCase(),
            match[2] ?? '/',
            url.searchParams,
            sub.body === undefined ? '' : JSON.stringify(sub.body),
            subHeaders,
            match[1]!,
            true,
            allOrNone,
          )
        : apiError(404, 'NOT_FOUND', 'The requested resource does not exist');
      const failed =
        answer.status >= 400 ||
        (Array.isArray(answer.json) && answer.json.some((r) => (r as { success?: unknown }).success === false));
      // The sandbox halts the remaining subrequests on failure; saves already made are not rolled back.
      if (allOrNone && failed) halted = true;
      return {
        body: answer.json ?? null,
        httpHeaders: answer.headers ?? {},
        httpStatusCode: answer.status,
        referenceId,
      };
    });
    void version;
    return json(200, { compositeResponse });
  }

  // ---- HTTP server ------------------------------------------------------------------------------------------------
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    stats.requests += 1;
    const url = new URL(req.url ?? '/', 'http://sandbox.invalid');
    const method = (req.method ?? 'GET').toUpperCase();
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const path = url.pathname;

    if (path === '/services/oauth2/token' && method === 'POST') {
      count('token');
      const answer = auth.token(new URLSearchParams(body), baseUrl);
      return send(res, { status: answer.status, json: answer.body }, false);
    }
    if (path === '/services/oauth2/authorize') {
      count('authorize');
      if (method === 'GET') {
        const page = auth.authorizePage(url.searchParams);
        return send(res, { status: page.status, text: page.html, contentType: 'text/html;charset=UTF-8' }, false);
      }
      const location = auth.decide(new URLSearchParams(body));
      if (!location)
        return send(res, { status: 400, text: 'invalid authorization request', contentType: 'text/plain' }, false);
      return send(res, { status: 302, headers: { Location: location } }, false);
    }
    if (path === '/services/oauth2/revoke') return send(res, { status: 200 }, false);
    if (path === `/id/${ORG_ID}/${INTEGRATION_USER_ID}` || path === '/services/oauth2/userinfo') {
      count('identity');
      if (!auth.isValidBearer(req.headers.authorization))
        return send(res, { status: 403, text: 'Bad_OAuth_Token', contentType: 'text/plain' }, false);
      return send(res, json(200, identityBody()), false);
    }
    if (path === '/services/data' || path === '/services/data/') {
      count('versions');
      const versions = [];
      for (let v = MIN_VERSION; v <= MAX_VERSION; v++)
        versions.push({ label: `v${v}.0`, url: `/services/data/v${v}.0`, version: `${v}.0` });
      return send(res, json(200, versions), false);
    }
    const match = /^\/services\/data\/v(\d+\.\d)(\/.*)?$/.exec(path);
    if (!match) return send(res, apiError(404, 'NOT_FOUND', 'The requested resource does not exist'), false);
    const version = match[1]!;
    if (Number(version) < MIN_VERSION || Number(version) > MAX_VERSION) {
      return send(res, apiError(404, 'NOT_FOUND', 'The requested resource does not exist'), true);
    }
    if (faults.latencyMs > 0) await sleep(faults.latencyMs);
    const fault = faults.nextCall(path);
    if (fault === 'drop') {
      stats.dropped += 1;
      req.socket.destroy();
      return;
    }
    if (fault === '429') {
      stats.status429 += 1;
      return send(
        res,
        {
          ...apiError(429, 'REQUEST_LIMIT_EXCEEDED', 'Too many concurrent requests. Try again later.'),
          headers: { 'Retry-After': '1' },
        },
        true,
      );
    }
    if (fault === '5xx') {
      stats.status5xx += 1;
      return send(res, apiError(503, 'SERVER_UNAVAILABLE', 'Server temporarily unavailable. Try again later.'), true);
    }
    if (!auth.isValidBearer(req.headers.authorization)) {
      return send(res, apiError(401, 'INVALID_SESSION_ID', 'Session expired or invalid'), false);
    }
    if (quota.used >= quota.max) {
      return send(res, apiError(403, 'REQUEST_LIMIT_EXCEEDED', 'TotalRequests Limit exceeded.'), true);
    }
    quota.used += 1;
    const answer = rest(method, match[2] ?? '/', url.searchParams, body, req.headers, version, false);
    return send(res, answer, true);
  }

  function identityBody(): Record<string, unknown> {
    return {
      id: `${baseUrl}/id/${ORG_ID}/${INTEGRATION_USER_ID}`,
      asserted_user: true,
      user_id: INTEGRATION_USER_ID,
      organization_id: ORG_ID,
      username: 'integration@crm-influence.sandbox',
      nick_name: 'integration',
      display_name: 'Integration User',
      email: 'integration@crm-influence.sandbox',
      active: true,
      user_type: 'STANDARD',
      urls: {
        rest: `${baseUrl}/services/data/v{version}/`,
        sobjects: `${baseUrl}/services/data/v{version}/sobjects/`,
        query: `${baseUrl}/services/data/v{version}/query/`,
      },
    };
  }

  function send(res: ServerResponse, answer: ApiResponse, withLimitInfo: boolean): void {
    const headers: Record<string, string> = { ...answer.headers };
    if (withLimitInfo) headers['Sforce-Limit-Info'] = `api-usage=${quota.used}/${quota.max}`;
    let payload = '';
    if (answer.json !== undefined) {
      payload = JSON.stringify(answer.json);
      headers['Content-Type'] = 'application/json;charset=UTF-8';
    } else if (answer.text !== undefined) {
      payload = answer.text;
      headers['Content-Type'] = answer.contentType ?? 'text/plain;charset=UTF-8';
    }
    headers['Content-Length'] = String(Buffer.byteLength(payload));
    res.writeHead(answer.status, headers);
    res.end(payload);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent)
        send(
          res,
          apiError(
            500,
            'UNKNOWN_EXCEPTION',
            `An unexpected error occurred: ${err instanceof Error ? err.message : String(err)}`,
          ),
          true,
        );
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const initial = auth.issueInitial();

  const counters: SalesforceCounters = {
    get requests() {
      return stats.requests;
    },
    get apiCalls() {
      return quota.used - (options.apiUsage ?? 0);
    },
    get calls() {
      return stats.calls;
    },
    get recordsRead() {
      return stats.recordsRead + bulk.recordsRead;
    },
    get recordsWritten() {
      return writer.recordsWritten;
    },
    get writesById() {
      return writer.writesById;
    },
    get largestBatch() {
      return writer.largestBatch;
    },
    get status429() {
      return stats.status429;
    },
    get status5xx() {
      return stats.status5xx;
    },
    get dropped() {
      return stats.dropped;
    },
    get refreshGrants() {
      return auth.refreshGrants;
    },
    get failedGrants() {
      return auth.failedGrants;
    },
  };

  const field = (object: ObjectName, name: string): FieldDef => {
    const def = org.schemas[object].field(name);
    if (!def) throw new Error(`sandbox: ${object} has no field ${name}`);
    return def;
  };

  const person = (id: string): { object: 'Contact' | 'Lead'; index: number; row: Row } => {
    const found = org.rowById(id);
    if (!found || found.object === 'Individual') throw new Error(`sandbox: no contact or lead ${id}`);
    return { object: found.object, index: found.index, row: found.row };
  };

  const control: SalesforceSandboxControl = {
    deleteField(object, name) {
      field(object, name);
      org.schemas[object].remove(name);
    },
    setFieldUpdateable(object, name, updateable) {
      org.schemas[object].add({ ...field(object, name), updateable });
    },
    editRecord(id, fields) {
      const found = org.rowById(id);
      if (!found) throw new Error(`sandbox: no record ${id}`);
      const values: Row = {};
      for (const [name, value] of Object.entries(fields)) {
        // A person edits through the UI: every field of the org, whatever the integration user may see.
        const def = org.fullSchemas[found.object].field(name) ?? field(found.object, name);
        values[def.name] = def.type === 'datetime' && typeof value === 'string' ? Date.parse(value) : value;
      }
      org.applyUpdate(found.object, found.index, values, PERSON_USER_ID, org.nextWriteStamp());
    },
    convertLead(id, contactId) {
      const found = org.rowById(id);
      if (found?.object !== 'Lead') throw new Error(`sandbox: ${id} is not a lead`);
      const stamp = org.nextWriteStamp();
      if (contactId !== undefined) {
        const contact = org.rowById(contactId);
        if (contact?.object !== 'Contact') throw new Error(`sandbox: ${contactId} is not a contact`);
        org.applyUpdate('Contact', contact.index, {}, PERSON_USER_ID, stamp);
      }
      org.applyUpdate(
        'Lead',
        found.index,
        { IsConverted: true, ConvertedContactId: contactId ?? null, ConvertedDate: stamp },
        PERSON_USER_ID,
        stamp,
      );
    },
    deleteRecord(id) {
      const found = person(id);
      org.deleteRecord(found.object, found.index, org.nextWriteStamp());
    },
    undeleteRecord(id) {
      const found = person(id);
      if (found.row.IsDeleted !== true) throw new Error(`sandbox: ${id} is not deleted`);
      org.undeleteRecord(found.object, found.index, org.nextWriteStamp());
    },
    mergeRecords(masterId, otherIds) {
      const master = person(masterId);
      const stamp = org.nextWriteStamp();
      for (const otherId of otherIds) {
        const other = person(otherId);
        if (other.object !== master.object) throw new Error(`sandbox: cannot merge ${otherId} into ${masterId}`);
        org.deleteRecord(other.object, other.index, stamp, masterId);
      }
      org.applyUpdate(master.object, master.index, {}, PERSON_USER_ID, stamp);
    },
    expireTokens: () => auth.expireAccessTokens(),
    revokeRefreshTokens: () => auth.revokeRefreshTokens(),
    refreshTokens: () => auth.currentRefreshTokens,
    setApiUsage(used, max) {
      quota.used = used;
      if (max !== undefined) quota.max = max;
    },
    record(id) {
      const found = org.rowById(id);
      return found ? apiRecord(found.object, found.row, LATEST_VERSION, undefined, org.fullSchemas) : undefined;
    },
    tasksOf: (id) => tasks.ofRecord(id),
    deals: () => opportunities.allDeals(),
    editOpportunity: (id, fields) => opportunities.edit(id, fields, org.nextWriteStamp()),
    faults,
    org,
  };

  return {
    url: baseUrl,
    env: {
      SALESFORCE_INSTANCE_URL: baseUrl,
      SALESFORCE_LOGIN_URL: baseUrl,
      SALESFORCE_CLIENT_ID: clientId,
      SALESFORCE_CLIENT_SECRET: clientSecret,
      SALESFORCE_REFRESH_TOKEN: initial.refreshToken,
      SALESFORCE_ACCESS_TOKEN: initial.accessToken,
    },
    counters,
    control,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

function parseJsonObject(body: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(body);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
