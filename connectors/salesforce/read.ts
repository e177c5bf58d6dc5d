// Incremental read of Contacts and Leads in selective steps (Salesforce's advice for OR across fields: "Decompose
// the query", ldv-deployments-best-practices-soql-and-sosl): per object, the records others changed since the
// watermark (SystemModstamp is indexed: an index seek) and then the records due for a refresh (stale or never
// scored: our fields are not indexed, so this step scans; past the org's timeout it goes through a Bulk 2.0 job,
// which chunks by primary key). Our own writes (LastModifiedById = the integration user) never come back as
// "changed". First pages of every step, the deletions (Get Deleted) and the lead conversions since the last pass
// arrive in one Composite call; later pages from queryMore. The cursor after each page says where to resume.
import { z } from 'zod';

import type { ContactPage, CrmContact, GoneRecord, ReadOptions } from '../../src/crm/contract.ts';
import { describeIssues } from '../../src/zod-issues.ts';
import type { QueryPage, SalesforceApi } from './api.ts';
import { errorCodeOf, setupErrorFor } from './api.ts';
import type { BulkQuery } from './bulk-read.ts';
import { isExpiredJob, recordFromCsv } from './bulk-read.ts';
import type { SalesforceObject } from './field-map.ts';
import {
  fromSalesforceValues,
  handlesOf,
  InfluenceValuesSchema,
  isoFromSalesforce,
  SALESFORCE_FIELDS,
} from './field-map.ts';
import type { SalesforceOptions } from './options.ts';
import { soqlDatetime, soqlField, soqlId, soqlString } from './soql.ts';

const KeySchema = z.object({ stamp: z.iso.datetime(), id: z.string().min(15) });
type Key = z.infer<typeof KeySchema>;

const ObjectSchema = z.enum(['Contact', 'Lead']);
/** `changed`: others' edits since the watermark; `refresh`: stale or never scored. A full pass has no phase. */
const PhaseSchema = z.enum(['changed', 'refresh']);
type Phase = z.infer<typeof PhaseSchema>;

export const CursorSchema = z.object({
  v: z.literal(1),
  /** The integration user's id: records it modified last are our own writes. */
  user: z.string().optional(),
  watermarks: z.partialRecord(ObjectSchema, KeySchema).default({}),
  /** Whether the org answered for Individual (Data Protection and Privacy, readable) when last asked. */
  individual: z.object({ available: z.boolean(), checkedAt: z.iso.datetime() }).optional(),
  /** Deletions and lead conversions are reconciled up to here (the `until` of the last pass that checked them). */
  removalsUntil: z.iso.datetime().optional(),
  /** A pass in progress: which step, and the last record fully handed over. */
  pass: z
    .object({
      mode: z.enum(['full', 'incremental']),
      object: ObjectSchema,
      /** Incremental passes only (absent in cursors from before the split: `changed`). */
      phase: PhaseSchema.optional(),
      /** When the pass started: later changes (including our own writes) belong to the next pass. */
      until: z.iso.datetime(),
      position: KeySchema.optional(),
      /** A Bulk 2.0 query job reading this step: the download at `locator`, of which `skip` rows are handed over. */
      bulk: z
        .object({
          job: z.string().min(1),
          locator: z.string().optional(),
          skip: z.number().int().min(0).default(0),
          /** The highest key handed over so far (Bulk results carry no order guarantee). */
          max: KeySchema.optional(),
        })
        .optional(),
    })
    .optional(),
});
export type Cursor = z.infer<typeof CursorSchema>;
type Pass = NonNullable<Cursor['pass']>;

interface Step {
  object: SalesforceObject;
  phase?: Phase;
}

export function parseCursor(text: string | null): Cursor {
  if (text === null || text === '') return { v: 1, watermarks: {} };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(
      'the stored Salesforce cursor is not JSON; run `crm-influence sync --crm salesforce --full` once to rebuild it',
    );
  }
  const parsed = CursorSchema.safeParse(value);
  if (!parsed.success)
    throw new Error(
      `the stored Salesforce cursor is not understood (${describeIssues(parsed.error)}); run once with --full to rebuild it`,
    );
  return parsed.data;
}

function compareKeys(a: Key, b: Key): number {
  return Date.parse(a.stamp) - Date.parse(b.stamp) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

function maxKey(a: Key | undefined, b: Key | undefined): Key | undefined {
  if (!a) return b;
  if (!b) return a;
  return compareKeys(a, b) >= 0 ? a : b;
}

const BaseRecordSchema = z
  .looseObject({
    Id: z.string().min(15),
    SystemModstamp: z.string(),
    Email: z.string().nullish(),
    FirstName: z.string().nullish(),
    LastName: z.string().nullish(),
    Individual: z.looseObject({ HasOptedOutProfiling: z.boolean().nullish() }).nullish(),
  })
  .and(InfluenceValuesSchema);

const DeletedSchema = z.object({
  deletedRecords: z.array(z.object({ id: z.string().min(15), deletedDate: z.string() })),
});

const IDS_PER_QUERY = 200;
/** How long "this org has no readable Individual" is believed before asking again. */
const INDIVIDUAL_RECHECK_MS = 24 * 3600 * 1000;
/** Get Deleted reaches 30 days back (resources_getdeleted.htm); a day's margin for clocks. */
const DELETED_WINDOW_MS = 29 * 24 * 3600 * 1000;

/** `Didn't understand relationship 'Individual'` / `No such column 'IndividualId'`: no (readable) Individual. */
function isIndividualMissing(error: unknown): boolean {
  return (
    errorCodeOf(error) === 'INVALID_FIELD' &&
    error instanceof Error &&
    /relationship 'Individual'|column 'IndividualId'|column 'HasOptedOutProfiling'/.test(error.message)
  );
}

/** The deletions one run learned of (with when), handed over with the pass's last page. */
interface Removals {
  pending: Map<string, { record: GoneRecord; at: number }>;
  /** Whether this run asked for the deletions since the last check (so the cursor may say they are known). */
  checked: boolean;
}

const ConvertedLeadSchema = z.looseObject({
  Id: z.string().min(15),
  SystemModstamp: z.string(),
  IsConverted: z.literal(true),
  ConvertedContactId: z.string().nullish(),
});
/** The lowest id: a watermark at a pass's `until` sits before any record stamped that second. */
const LOWEST_ID = '000000000000000';

/** What reading contacts needs: the connector's API wrapper and options, the integration user, the Bulk 2.0 query. */
export interface ReadContext {
  readonly api: SalesforceApi;
  readonly options: SalesforceOptions;
  readonly userId: () => Promise<string>;
  readonly bulk: BulkQuery;
}

/** Whether to ask for Individual: configured, and not known to be missing (re-asked once a day). */
function usesIndividual(ctx: ReadContext, state: Cursor): boolean {
  if (!ctx.options.optOut.individual) return false;
  const known = state.individual;
  return !known || known.available || Date.now() - Date.parse(known.checkedAt) > INDIVIDUAL_RECHECK_MS;
}

function selectList(ctx: ReadContext, individual: boolean, conversions = false): string {
  const fields = new Set([
    'Id',
    'FirstName',
    'LastName',
    'Email',
    'SystemModstamp',
    ...ctx.options.handleFields.map((h) => h.field),
    ...Object.values(SALESFORCE_FIELDS),
  ]);
  if (ctx.options.optOut.field) fields.add(ctx.options.optOut.field);
  if (individual) fields.add('Individual.HasOptedOutProfiling');
  if (conversions) fields.add('IsConverted').add('ConvertedContactId');
  return [...fields].map(soqlField).join(', ');
}

/**
 * "Not opted out", written so a record without an Individual is kept by documented semantics: a filter on a
 * relationship field never matches when the parent is missing, so `IndividualId = null` is said explicitly
 * (never `NOT (… OR Individual.X = true)`, whose treatment of a missing parent is undocumented).
 */
function notOptedOut(ctx: ReadContext, individual: boolean): string[] {
  const parts: string[] = [];
  if (ctx.options.optOut.field) parts.push(`${soqlField(ctx.options.optOut.field)} = false`);
  if (individual) parts.push('(IndividualId = null OR Individual.HasOptedOutProfiling = false)');
  return parts;
}

/** The steps of a pass, in order. */
function steps(ctx: ReadContext, mode: Pass['mode']): Step[] {
  return ctx.options.objects.flatMap((object): Step[] =>
    mode === 'full'
      ? [{ object }]
      : [
          { object, phase: 'changed' },
          { object, phase: 'refresh' },
        ],
  );
}

function stepIndex(ctx: ReadContext, pass: Pass): number {
  const phase = pass.mode === 'full' ? undefined : (pass.phase ?? 'changed');
  return steps(ctx, pass.mode).findIndex((s) => s.object === pass.object && s.phase === phase);
}

/** The pass moved on to the step after `pass`'s, or undefined when it was the last. */
function nextPass(ctx: ReadContext, pass: Pass): Pass | undefined {
  const next = steps(ctx, pass.mode)[stepIndex(ctx, pass) + 1];
  if (!next) return undefined;
  return { mode: pass.mode, object: next.object, until: pass.until, ...(next.phase ? { phase: next.phase } : {}) };
}

/** The SOQL for one step of a pass, resuming after `position`; Bulk queries go without ORDER BY. */
function buildSoql(
  ctx: ReadContext,
  step: Step,
  pass: Pass,
  state: Cursor,
  position: Key | undefined,
  staleBefore: Date,
  ordered = true,
): string {
  const individual = usesIndividual(ctx, state);
  const where: string[] = [`SystemModstamp <= ${soqlDatetime(pass.until)}`];
  // Leads converted since the last check come back (as removals) from the changed step, or from a full pass of
  // an org we already know; otherwise converted leads are not read at all.
  const convertedSince = step.object === 'Lead' ? removalsSince(ctx, state) : undefined;
  const conversions = convertedSince !== undefined && step.phase !== 'refresh';
  if (step.object === 'Lead' && !conversions) where.push('IsConverted = false');
  if (conversions && step.phase === undefined)
    where.push(`(IsConverted = false OR SystemModstamp >= ${soqlDatetime(convertedSince)})`);
  const watermark = state.watermarks[step.object];
  if (step.phase === 'changed' && watermark) {
    const since = new Date(Date.parse(watermark.stamp) - ctx.options.overlapSeconds * 1000);
    where.push(`SystemModstamp >= ${soqlDatetime(since)}`, `LastModifiedById != ${soqlId(state.user!)}`);
  }
  if (step.phase === 'refresh') {
    const scoredAt = soqlField(SALESFORCE_FIELDS.scoredAt);
    // Never-scored opted-out records need nothing (already clear); an old score of an opted-out one is cleared once.
    const neverScored = [`${scoredAt} = null`, ...notOptedOut(ctx, individual)].join(' AND ');
    where.push(`(${scoredAt} < ${soqlDatetime(staleBefore)} OR (${neverScored}))`);
  }
  if (position) {
    const stamp = soqlDatetime(position.stamp);
    where.push(`(SystemModstamp > ${stamp} OR (SystemModstamp = ${stamp} AND Id > ${soqlId(position.id)}))`);
  }
  // ORDER BY turns off PK chunking in Bulk 2.0 and times out on large objects (bulk_api_2_0_troubleshoot_query_timeouts).
  const order = ordered ? ' ORDER BY SystemModstamp, Id' : '';
  return `SELECT ${selectList(ctx, individual, conversions)} FROM ${step.object} WHERE ${where.join(' AND ')}${order}`;
}

export async function* readContacts(
  ctx: ReadContext,
  cursorText: string | null,
  options: ReadOptions,
): AsyncGenerator<ContactPage> {
  if (options.ids) {
    yield* readIds(ctx, options.ids, cursorText);
    return;
  }
  const state = options.full ? { ...parseCursor(cursorText), pass: undefined } : parseCursor(cursorText);
  state.user ??= await ctx.userId();
  const objects = ctx.options.objects;
  if (!state.pass || !objects.includes(state.pass.object) || stepIndex(ctx, state.pass) < 0) {
    const mode = options.full || Object.keys(state.watermarks).length === 0 ? 'full' : 'incremental';
    const until = new Date(Math.floor(Date.now() / 1000) * 1000).toISOString();
    state.pass = { mode, object: objects[0]!, until, ...(mode === 'incremental' ? { phase: 'changed' } : {}) };
  }
  const until = state.pass.until;
  let lastYielded: string | null = cursorText;
  const removals: Removals = { pending: new Map(), checked: false };
  /** Ids handed over by a `changed` step, so the `refresh` step does not hand them over twice. */
  const changedIds = new Set<string>();

  if (state.pass.bulk) {
    for await (const page of readBulk(ctx, state, options.staleBefore, removals)) {
      lastYielded = page.cursor;
      yield page;
    }
  }
  if (state.pass) {
    const pass: Pass = state.pass;
    const remaining = steps(ctx, pass.mode).slice(stepIndex(ctx, pass));
    const first = await firstPages(ctx, state, remaining, pass, options.staleBefore, removals);
    for (const [k, step] of remaining.entries()) {
      const stepPass: Pass = {
        mode: pass.mode,
        object: step.object,
        until,
        ...(step.phase ? { phase: step.phase } : {}),
      };
      if (k === 0 && pass.position) stepPass.position = pass.position;
      const answer = first.pages[k]!;
      // The first page's totalSize is the object's count: a large first full pass goes through Bulk 2.0 instead.
      const tooLarge =
        !(answer instanceof Error) &&
        pass.mode === 'full' &&
        !stepPass.position &&
        answer.totalSize > ctx.options.bulkQueryThreshold;
      // A step that scans (the refresh step: our fields are not indexed; a full pass) can time out on a large
      // object: Bulk 2.0 chunks it by primary key instead.
      const timedOut = answer instanceof Error && errorCodeOf(answer) === 'QUERY_TIMEOUT';
      if (tooLarge || timedOut) {
        const { position: _restart, ...fresh } = stepPass;
        state.pass = fresh;
        for await (const page of readBulk(ctx, state, options.staleBefore, removals)) {
          lastYielded = page.cursor;
          yield page;
        }
        continue;
      }
      if (answer instanceof Error) throw setupErrorFor(answer) ?? answer;
      for await (const page of readRest(ctx, state, stepPass, answer, options.staleBefore, changedIds, removals)) {
        lastYielded = page.cursor;
        yield page;
      }
    }
  }
  if (removals.checked) state.removalsUntil = until;
  // Hand over the final cursor (and the deletions) even when the last pages were empty.
  const gone = [...removals.pending.values()].map((p) => p.record);
  const final = JSON.stringify(state);
  if (final !== lastYielded || gone.length > 0)
    yield { contacts: [], cursor: final, ...(gone.length > 0 ? { gone } : {}) };
}

/**
 * The first page of every remaining step and the deletions and conversions since the last pass, in one Composite
 * call. An org without a readable Individual answers INVALID_FIELD for every query: that is
 * remembered in the cursor and the call is made again without it.
 */
async function firstPages(
  ctx: ReadContext,
  state: Cursor,
  steps: Step[],
  pass: Pass,
  staleBefore: Date,
  removals: Removals,
): Promise<{ pages: (QueryPage<Record<string, unknown>> | Error)[] }> {
  for (;;) {
    const urls = steps.map((step, k) =>
      ctx.api.queryUrl(buildSoql(ctx, step, pass, state, k === 0 ? pass.position : undefined, staleBefore)),
    );
    const deleted = deletedUrls(ctx, state, pass.until);
    const answers = await ctx.api.getMany<unknown>([...urls, ...deleted]);
    const pages = answers.slice(0, urls.length) as (QueryPage<Record<string, unknown>> | Error)[];
    if (usesIndividual(ctx, state) && pages.some(isIndividualMissing)) {
      state.individual = { available: false, checkedAt: new Date().toISOString() };
      continue;
    }
    if (usesIndividual(ctx, state)) state.individual = { available: true, checkedAt: new Date().toISOString() };
    noteDeleted(ctx, removals, answers.slice(urls.length));
    return { pages };
  }
}

/** Where the last check for deletions and conversions ended (less the overlap), or undefined before a first pass. */
function removalsSince(ctx: ReadContext, state: Cursor): Date | undefined {
  const stamps = Object.values(state.watermarks).map((w) => Date.parse(w.stamp));
  const from = state.removalsUntil ? Date.parse(state.removalsUntil) : stamps.length ? Math.min(...stamps) : undefined;
  if (from === undefined) return undefined;
  return new Date(Math.max(from - ctx.options.overlapSeconds * 1000, Date.now() - DELETED_WINDOW_MS));
}

/** sObject Get Deleted for each object since the last check (nothing to check before a first pass ends). */
function deletedUrls(ctx: ReadContext, state: Cursor, until: string): string[] {
  const since = removalsSince(ctx, state);
  if (since === undefined) return [];
  const end = new Date(Math.max(Date.parse(until), since.getTime()));
  // `YYYY-MM-DDTHH:mm:ss+00:00` as jsforce formats it; the API ignores the seconds.
  const date = (d: Date): string => encodeURIComponent(d.toISOString().replace(/\.\d{3}Z$/, '+00:00'));
  return ctx.options.objects.map(
    (object) => `/services/data/v${ctx.api.version}/sobjects/${object}/deleted/?start=${date(since)}&end=${date(end)}`,
  );
}

function noteDeleted(ctx: ReadContext, removals: Removals, answers: unknown[]): void {
  removals.checked = true;
  ctx.options.objects.forEach((_object, k) => {
    const answer = answers[k];
    if (answer === undefined) return;
    if (answer instanceof Error) throw setupErrorFor(answer) ?? answer;
    for (const { id, deletedDate } of DeletedSchema.parse(answer).deletedRecords) {
      const at = Date.parse(isoFromSalesforce(deletedDate));
      removals.pending.set(id, { record: { id, reason: 'deleted' }, at });
    }
  });
}

/**
 * Records of one page → contacts, and converted leads → removals (handed over with the page, so a crash after it
 * loses none); a record read after its deletion was restored stays. `last` is the key of the page's last record,
 * converted ones included: they hold a place in the order.
 */
function fromRecords(
  ctx: ReadContext,
  records: Record<string, unknown>[],
  object: SalesforceObject,
  removals: Removals,
): { contacts: CrmContact[]; converted: GoneRecord[]; last: Key | undefined } {
  const contacts: CrmContact[] = [];
  const converted: GoneRecord[] = [];
  let last: Key | undefined;
  for (const raw of records) {
    const conversion = object === 'Lead' && raw.IsConverted === true ? ConvertedLeadSchema.safeParse(raw) : undefined;
    if (conversion?.success) {
      const lead = conversion.data;
      // A converted lead lives on as its contact: gone as a lead, merged into the contact.
      converted.push({
        id: lead.Id,
        reason: 'merged',
        ...(lead.ConvertedContactId ? { mergedInto: lead.ConvertedContactId } : {}),
      });
      last = maxKey(last, { stamp: isoFromSalesforce(lead.SystemModstamp), id: lead.Id });
      continue;
    }
    const contact = toContact(raw, object, ctx.options);
    const pending = removals.pending.get(contact.id);
    if (pending && Date.parse(contact.modifiedAt) > pending.at) removals.pending.delete(contact.id);
    contacts.push(contact);
    last = maxKey(last, { stamp: contact.modifiedAt, id: contact.id });
  }
  return { contacts, converted, last };
}

/** After a changed step (or a full pass) every change up to the pass's start is read: the watermark moves there. */
function finishStep(ctx: ReadContext, state: Cursor, pass: Pass, last: Key | undefined): void {
  if (pass.phase !== 'refresh') {
    const watermark = maxKey(maxKey(state.watermarks[pass.object], last), { stamp: pass.until, id: LOWEST_ID });
    if (watermark) state.watermarks[pass.object] = watermark;
  }
  const { bulk: _done, position: _position, ...step } = pass;
  state.pass = nextPass(ctx, step);
}

/** One step through REST pages, from its first page; leaves `state.pass` on the next step when done. */
async function* readRest(
  ctx: ReadContext,
  state: Cursor,
  pass: Pass,
  first: QueryPage<Record<string, unknown>>,
  staleBefore: Date,
  changedIds: Set<string>,
  removals: Removals,
): AsyncGenerator<ContactPage> {
  let page = first;
  let position = pass.position;
  for (;;) {
    const { contacts: read, converted, last } = fromRecords(ctx, page.records, pass.object, removals);
    if (last) position = last;
    const contacts = pass.phase === 'refresh' ? read.filter((c) => !changedIds.has(c.id)) : read;
    if (pass.phase === 'changed') for (const c of read) changedIds.add(c.id);
    const more = !page.done && page.nextRecordsUrl !== undefined;
    if (more) state.pass = { ...pass, ...(position ? { position } : {}) };
    else finishStep(ctx, state, pass, position);
    if (contacts.length > 0 || converted.length > 0)
      yield { contacts, cursor: JSON.stringify(state), ...(converted.length > 0 ? { gone: converted } : {}) };
    if (!more) return;
    page = await next(ctx, page.nextRecordsUrl!, pass, state, position, staleBefore);
  }
}

/**
 * The current step through a Bulk 2.0 query job, resuming at the cursor's job and locator (an expired job
 * restarts the step: records may be read twice, never lost). Leaves `state.pass` on the next step, or undefined
 * after the last one, and the watermark where the REST pass would leave it.
 */
async function* readBulk(
  ctx: ReadContext,
  state: Cursor,
  staleBefore: Date,
  removals: Removals,
): AsyncGenerator<ContactPage> {
  const pass = state.pass!;
  const object = pass.object;
  const step: Step = { object, ...(pass.phase && pass.mode === 'incremental' ? { phase: pass.phase } : {}) };
  const soql = buildSoql(ctx, step, pass, state, undefined, staleBefore, false);
  const booleans = new Set([
    'Individual.HasOptedOutProfiling',
    'IsConverted',
    ...(ctx.options.optOut.field ? [ctx.options.optOut.field] : []),
  ]);
  let bulk = pass.bulk ?? { job: await ctx.bulk.start(soql), skip: 0 };
  for (;;) {
    let download;
    try {
      download = await ctx.bulk.page(bulk.job, bulk.locator);
    } catch (error) {
      if (!isExpiredJob(error)) throw error;
      bulk = { job: await ctx.bulk.start(soql), skip: 0, ...(bulk.max ? { max: bulk.max } : {}) };
      continue;
    }
    const rows = download.rows;
    let start = bulk.skip;
    do {
      const end = Math.min(rows.length, start + ctx.options.queryBatchSize);
      const { contacts, converted, last } = fromRecords(
        ctx,
        rows.slice(start, end).map((row) => recordFromCsv(row, booleans)),
        object,
        removals,
      );
      const max = maxKey(bulk.max, last);
      bulk = { ...bulk, skip: end, ...(max ? { max } : {}) };
      if (end < rows.length || download.next !== null) {
        state.pass = {
          ...pass,
          bulk: end < rows.length ? bulk : { job: bulk.job, locator: download.next!, skip: 0, ...(max ? { max } : {}) },
        };
      } else {
        finishStep(ctx, state, pass, max);
      }
      if (contacts.length > 0 || converted.length > 0)
        yield { contacts, cursor: JSON.stringify(state), ...(converted.length > 0 ? { gone: converted } : {}) };
      start = end;
    } while (start < rows.length);
    if (download.next === null) return;
    bulk = { job: bulk.job, locator: download.next, skip: 0, ...(bulk.max ? { max: bulk.max } : {}) };
  }
}

/** The next page; an expired query locator is replaced by a fresh keyset query from the position. */
async function next(
  ctx: ReadContext,
  url: string,
  pass: Pass,
  state: Cursor,
  position: Key | undefined,
  staleBefore: Date,
): Promise<QueryPage<Record<string, unknown>>> {
  try {
    return await ctx.api.queryMore<Record<string, unknown>>(url);
  } catch (error) {
    if (errorCodeOf(error) !== 'INVALID_QUERY_LOCATOR') throw error;
    const step: Step = { object: pass.object, ...(pass.phase ? { phase: pass.phase } : {}) };
    return ctx.api.query<Record<string, unknown>>(buildSoql(ctx, step, pass, state, position, staleBefore));
  }
}

/** One query's first page, asked again without Individual where the org has none readable. */
async function firstPage(
  ctx: ReadContext,
  state: Cursor,
  soql: (individual: boolean) => string,
): Promise<QueryPage<Record<string, unknown>>> {
  for (;;) {
    const individual = usesIndividual(ctx, state);
    const [answer] = await ctx.api.getMany<QueryPage<Record<string, unknown>>>([ctx.api.queryUrl(soql(individual))]);
    if (!(answer instanceof Error)) return answer!;
    if (!individual || !isIndividualMissing(answer)) throw setupErrorFor(answer) ?? answer;
    state.individual = { available: false, checkedAt: new Date().toISOString() };
  }
}

async function* readIds(
  ctx: ReadContext,
  ids: readonly string[],
  cursorText: string | null,
): AsyncGenerator<ContactPage> {
  const cursor = cursorText ?? JSON.stringify({ v: 1, watermarks: {} });
  const state = parseCursor(cursorText);
  const byObject: Record<SalesforceObject, string[]> = { Contact: [], Lead: [] };
  for (const id of ids) {
    if (id.startsWith('003')) byObject.Contact.push(id);
    else if (id.startsWith('00Q')) byObject.Lead.push(id);
  }
  for (const object of ctx.options.objects) {
    const list = byObject[object];
    for (let i = 0; i < list.length; i += IDS_PER_QUERY) {
      const chunk = list.slice(i, i + IDS_PER_QUERY);
      const converted = object === 'Lead' ? ' AND IsConverted = false' : '';
      let page = await firstPage(
        ctx,
        state,
        (individual) =>
          `SELECT ${selectList(ctx, individual)} FROM ${object} WHERE Id IN (${chunk.map(soqlId).join(', ')})${converted} ORDER BY SystemModstamp, Id`,
      );
      for (;;) {
        const contacts = page.records.map((record) => toContact(record, object, ctx.options));
        if (contacts.length > 0) yield { contacts, cursor };
        if (page.done || !page.nextRecordsUrl) break;
        page = await ctx.api.queryMore<Record<string, unknown>>(page.nextRecordsUrl);
      }
    }
  }
}

/** A Salesforce record → CrmContact, validated; a bad record names itself and the field. */
export function toContact(
  raw: Record<string, unknown>,
  object: SalesforceObject,
  options: Pick<SalesforceOptions, 'handleFields' | 'optOut'>,
): CrmContact {
  const parsed = BaseRecordSchema.safeParse(raw);
  if (!parsed.success) {
    const fields = describeIssues(parsed.error, {
      field: (path) => (path.length > 0 ? `field ${path.join('.')}` : ''),
    });
    throw new Error(`Salesforce ${object} ${typeof raw.Id === 'string' ? raw.Id : '(no Id)'}: ${fields}`);
  }
  const record = parsed.data;
  const name = [record.FirstName, record.LastName].filter(Boolean).join(' ');
  const optOutField = options.optOut.field ? raw[options.optOut.field] === true : false;
  const optOutIndividual = options.optOut.individual && record.Individual?.HasOptedOutProfiling === true;
  return {
    crm: 'salesforce',
    objectType: object,
    id: record.Id,
    ...(record.Email ? { email: record.Email } : {}),
    ...(name ? { name } : {}),
    handles: handlesOf(raw, options.handleFields),
    current: fromSalesforceValues(record),
    modifiedAt: isoFromSalesforce(record.SystemModstamp),
    doNotProfile: optOutField || optOutIndividual,
  };
}

export { soqlString };
