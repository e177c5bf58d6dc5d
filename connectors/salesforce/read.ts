// Incremental read of Contacts and Leads: SOQL keyset on (SystemModstamp, Id) from a per-object watermark (with a
// small overlap), skipping our own writes (LastModifiedById = the integration user) so they never come back as
// "changed", plus records whose influence date is older than the refresh interval. Pages come from
// query/queryMore; the first page of every object arrives in one Composite call. The cursor after each page says
// exactly where to resume.
import { z } from 'zod';

import type { ContactPage, CrmContact, ReadOptions } from '../../src/crm/contract.ts';
import type { QueryPage, SalesforceApi } from './api.ts';
import { errorCodeOf, setupErrorFor } from './api.ts';
import { BulkQuery, isExpiredJob, recordFromCsv } from './bulk-read.ts';
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
export const CursorSchema = z.object({
  v: z.literal(1),
  /** The integration user's id: records it modified last are our own writes. */
  user: z.string().optional(),
  watermarks: z.partialRecord(ObjectSchema, KeySchema).default({}),
  /** A pass in progress: which object, and the last record fully handed over. */
  pass: z
    .object({
      mode: z.enum(['full', 'incremental']),
      object: ObjectSchema,
      /** When the pass started: later changes (including our own writes) belong to the next pass. */
      until: z.iso.datetime(),
      position: KeySchema.optional(),
      /** A Bulk 2.0 query job reading this object: the download at `locator`, of which `skip` rows are handed over. */
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
      `the stored Salesforce cursor is not understood (${parsed.error.issues[0]?.message ?? 'invalid'}); run once with --full to rebuild it`,
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

const IDS_PER_QUERY = 200;

export class ContactReader {
  private readonly bulk: BulkQuery;

  constructor(
    private readonly api: SalesforceApi,
    private readonly options: SalesforceOptions,
    private readonly userId: () => Promise<string>,
  ) {
    this.bulk = new BulkQuery(api, options);
  }

  private selectList(): string {
    const fields = new Set([
      'Id',
      'FirstName',
      'LastName',
      'Email',
      'SystemModstamp',
      ...this.options.handleFields.map((h) => h.field),
      ...Object.values(SALESFORCE_FIELDS),
    ]);
    if (this.options.optOut.field) fields.add(this.options.optOut.field);
    if (this.options.optOut.individual) fields.add('Individual.HasOptedOutProfiling');
    return [...fields].map(soqlField).join(', ');
  }

  /** Conditions meaning "this person opted out of profiling". */
  private optedOutCondition(): string | undefined {
    const parts: string[] = [];
    if (this.options.optOut.field) parts.push(`${soqlField(this.options.optOut.field)} = true`);
    if (this.options.optOut.individual) parts.push('Individual.HasOptedOutProfiling = true');
    return parts.length === 0 ? undefined : `(${parts.join(' OR ')})`;
  }

  /** The SOQL for one object's pass, resuming after `position`. */
  buildSoql(
    object: SalesforceObject,
    pass: Pass,
    watermark: Key | undefined,
    position: Key | undefined,
    staleBefore: Date,
    userId: string,
  ): string {
    const { mode } = pass;
    const where: string[] = [`SystemModstamp <= ${soqlDatetime(pass.until)}`];
    if (object === 'Lead') where.push('IsConverted = false');
    if (mode === 'incremental' && watermark) {
      const since = new Date(Date.parse(watermark.stamp) - this.options.overlapSeconds * 1000);
      const changed = `(SystemModstamp >= ${soqlDatetime(since)} AND LastModifiedById != ${soqlId(userId)})`;
      const scoredAt = soqlField(SALESFORCE_FIELDS.scoredAt);
      const optedOut = this.optedOutCondition();
      // Never-scored opted-out records need nothing (already clear); an old score of an opted-out one is cleared once.
      const neverScored = optedOut ? `(${scoredAt} = null AND (NOT ${optedOut}))` : `${scoredAt} = null`;
      where.push(`(${changed} OR ${scoredAt} < ${soqlDatetime(staleBefore)} OR ${neverScored})`);
    }
    if (position) {
      const stamp = soqlDatetime(position.stamp);
      where.push(`(SystemModstamp > ${stamp} OR (SystemModstamp = ${stamp} AND Id > ${soqlId(position.id)}))`);
    }
    return `SELECT ${this.selectList()} FROM ${object}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY SystemModstamp, Id`;
  }

  async *read(cursorText: string | null, options: ReadOptions): AsyncGenerator<ContactPage> {
    if (options.ids) {
      yield* this.readIds(options.ids, cursorText);
      return;
    }
    const state = options.full ? { ...parseCursor(cursorText), pass: undefined } : parseCursor(cursorText);
    state.user ??= await this.userId();
    const objects = this.options.objects;
    if (!state.pass || !objects.includes(state.pass.object)) {
      const mode = options.full || Object.keys(state.watermarks).length === 0 ? 'full' : 'incremental';
      state.pass = { mode, object: objects[0]!, until: new Date(Math.floor(Date.now() / 1000) * 1000).toISOString() };
    }
    let lastYielded: string | null = cursorText;
    if (state.pass.bulk) {
      for await (const page of this.readBulk(state, options.staleBefore)) {
        lastYielded = page.cursor;
        yield page;
      }
    }
    if (!state.pass) {
      const final = JSON.stringify(state);
      if (final !== lastYielded) yield { contacts: [], cursor: final };
      return;
    }
    const pass = state.pass;
    const remaining = objects.slice(objects.indexOf(pass.object));
    const soqls = remaining.map((object, k) =>
      this.buildSoql(
        object,
        pass,
        state.watermarks[object],
        k === 0 ? pass.position : undefined,
        options.staleBefore,
        state.user!,
      ),
    );
    const firstPages = await this.api.queries<Record<string, unknown>>(soqls);

    for (const [k, object] of remaining.entries()) {
      const first = firstPages[k]!;
      if (first instanceof Error) throw setupErrorFor(first) ?? first;
      // The first page's totalSize is the object's count: a large first full pass goes through Bulk 2.0 instead.
      if (pass.mode === 'full' && (k > 0 || !pass.position) && first.totalSize > this.options.bulkQueryThreshold) {
        state.pass = { mode: pass.mode, object, until: pass.until };
        for await (const page of this.readBulk(state, options.staleBefore)) {
          lastYielded = page.cursor;
          yield page;
        }
        continue;
      }
      let page: QueryPage<Record<string, unknown>> = first;
      let position = k === 0 ? pass.position : undefined;
      for (;;) {
        const contacts = page.records.map((record) => toContact(record, object, this.options));
        const last = contacts.at(-1);
        if (last) position = { stamp: last.modifiedAt, id: last.id };
        const more = !page.done && page.nextRecordsUrl !== undefined;
        if (more) {
          state.pass = { ...pass, object, ...(position ? { position } : {}) };
        } else {
          const watermark = maxKey(state.watermarks[object], position);
          if (watermark) state.watermarks[object] = watermark;
          const next = remaining[k + 1];
          state.pass = next ? { mode: pass.mode, object: next, until: pass.until } : undefined;
        }
        const cursor = JSON.stringify(state);
        if (contacts.length > 0) {
          lastYielded = cursor;
          yield { contacts, cursor };
        }
        if (!more) break;
        page = await this.next(
          page.nextRecordsUrl!,
          object,
          pass,
          state.watermarks[object],
          position,
          options.staleBefore,
          state.user,
        );
      }
    }
    // Hand over the final cursor even when the last pages were empty, so the next run starts a new pass.
    const final = JSON.stringify(state);
    if (final !== lastYielded) yield { contacts: [], cursor: final };
  }

  /**
   * The current object's full pass through a Bulk 2.0 query job, resuming at the cursor's job and locator (an
   * expired job restarts the object's pass: records may be read twice, never lost). Leaves `state.pass` on the next
   * object, or undefined after the last one, and the watermark where the REST pass would leave it.
   */
  private async *readBulk(state: Cursor, staleBefore: Date): AsyncGenerator<ContactPage> {
    const pass = state.pass!;
    const object = pass.object;
    const soql = this.buildSoql(object, pass, undefined, undefined, staleBefore, state.user!);
    const booleans = new Set([
      'Individual.HasOptedOutProfiling',
      ...(this.options.optOut.field ? [this.options.optOut.field] : []),
    ]);
    let bulk = pass.bulk ?? { job: await this.bulk.start(soql), skip: 0 };
    for (;;) {
      let download;
      try {
        download = await this.bulk.page(bulk.job, bulk.locator);
      } catch (error) {
        if (!isExpiredJob(error)) throw error;
        bulk = { job: await this.bulk.start(soql), skip: 0, ...(bulk.max ? { max: bulk.max } : {}) };
        continue;
      }
      const rows = download.rows;
      let start = bulk.skip;
      do {
        const end = Math.min(rows.length, start + this.options.queryBatchSize);
        const contacts = rows
          .slice(start, end)
          .map((row) => toContact(recordFromCsv(row, booleans), object, this.options));
        let max = bulk.max;
        for (const c of contacts) max = maxKey(max, { stamp: c.modifiedAt, id: c.id });
        bulk = { ...bulk, skip: end, ...(max ? { max } : {}) };
        if (end < rows.length || download.next !== null) {
          state.pass = {
            ...pass,
            bulk:
              end < rows.length ? bulk : { job: bulk.job, locator: download.next!, skip: 0, ...(max ? { max } : {}) },
          };
        } else {
          const watermark = maxKey(state.watermarks[object], max);
          if (watermark) state.watermarks[object] = watermark;
          const objects = this.options.objects;
          const next = objects[objects.indexOf(object) + 1];
          state.pass = next ? { mode: pass.mode, object: next, until: pass.until } : undefined;
        }
        if (contacts.length > 0) yield { contacts, cursor: JSON.stringify(state) };
        start = end;
      } while (start < rows.length);
      if (download.next === null) return;
      bulk = { job: bulk.job, locator: download.next, skip: 0, ...(bulk.max ? { max: bulk.max } : {}) };
    }
  }

  /** The next page; an expired query locator is replaced by a fresh keyset query from the position. */
  private async next(
    url: string,
    object: SalesforceObject,
    pass: Pass,
    watermark: Key | undefined,
    position: Key | undefined,
    staleBefore: Date,
    userId: string,
  ): Promise<QueryPage<Record<string, unknown>>> {
    try {
      return await this.api.queryMore<Record<string, unknown>>(url);
    } catch (error) {
      if (errorCodeOf(error) !== 'INVALID_QUERY_LOCATOR') throw error;
      return this.api.query<Record<string, unknown>>(
        this.buildSoql(object, pass, watermark, position, staleBefore, userId),
      );
    }
  }

  private async *readIds(ids: readonly string[], cursorText: string | null): AsyncGenerator<ContactPage> {
    const cursor = cursorText ?? JSON.stringify({ v: 1, watermarks: {} });
    const byObject: Record<SalesforceObject, string[]> = { Contact: [], Lead: [] };
    for (const id of ids) {
      if (id.startsWith('003')) byObject.Contact.push(id);
      else if (id.startsWith('00Q')) byObject.Lead.push(id);
    }
    for (const object of this.options.objects) {
      const list = byObject[object];
      for (let i = 0; i < list.length; i += IDS_PER_QUERY) {
        const chunk = list.slice(i, i + IDS_PER_QUERY);
        const converted = object === 'Lead' ? ' AND IsConverted = false' : '';
        let page = await this.api.query<Record<string, unknown>>(
          `SELECT ${this.selectList()} FROM ${object} WHERE Id IN (${chunk.map(soqlId).join(', ')})${converted} ORDER BY SystemModstamp, Id`,
        );
        for (;;) {
          const contacts = page.records.map((record) => toContact(record, object, this.options));
          if (contacts.length > 0) yield { contacts, cursor };
          if (page.done || !page.nextRecordsUrl) break;
          page = await this.api.queryMore<Record<string, unknown>>(page.nextRecordsUrl);
        }
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
    const issue = parsed.error.issues[0];
    throw new Error(
      `Salesforce ${object} ${typeof raw.Id === 'string' ? raw.Id : '(no Id)'}: field ${issue?.path.join('.') ?? '?'} ${issue?.message ?? 'is invalid'}`,
    );
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
