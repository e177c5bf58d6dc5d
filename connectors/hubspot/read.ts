// Reading contacts. First pass: the list API, 100 per page, in id order. Later runs: one search window
// (since, until] on lastmodifieddate plus stale contacts, walked by a keyset on hs_object_id (`id > last id`,
// always from offset 0), so the 10,000-result cap and thousands of contacts sharing one timestamp can neither
// loop nor drop a record. Contacts changed while a window is read fall after `until` and open the next window.
// Records that are gone ride along with the pages: ids merged into a contact read (`hs_merged_object_ids`), ids a
// batch read no longer finds, and once a day the recycle bin (`archived=true`: contacts deleted since the last look).
import type { FilterOperatorEnum } from '@hubspot/api-client/lib/codegen/crm/contacts/models/Filter.js';
import { z } from 'zod';

import type { ContactPage, GoneRecord, ReadOptions } from '../../src/crm/contract.ts';
import { SetupError } from '../../src/crm/errors.ts';
import type { HubSpotApi } from './api.ts';
import { HubSpotApiError } from './api.ts';
import type { ContactMapping } from './mapping.ts';
import { INFLUENCE_PROPERTIES, mergedAway, readProperties, toCrmContact } from './mapping.ts';

export const LIST_PAGE_SIZE = 100;
/** How often a run looks into the recycle bin for contacts deleted without a webhook reaching us. */
export const ARCHIVE_SWEEP_INTERVAL_MS = 24 * 3600_000;
/** Archive times are compared with this much overlap, so a deletion at the moment of the last look is not missed. */
const ARCHIVE_SWEEP_OVERLAP_MS = 3600_000;
export const SEARCH_PAGE_SIZE = 200;
export const BATCH_READ_SIZE = 100;

const ListCursorSchema = z.object({
  v: z.literal(1),
  phase: z.literal('list'),
  /** The list API's `after` for the next page; null = first page. */
  after: z.string().nullable(),
  /** When the full pass began (minus the index lag): the next search window starts here. */
  startedAt: z.number().int(),
});

const SearchCursorSchema = z.object({
  v: z.literal(1),
  phase: z.literal('search'),
  /** Window start (exclusive) on lastmodifieddate, ms. */
  since: z.number().int(),
  /** Window end (inclusive); null = idle, the next run opens a window (since, now − lag]. */
  until: z.number().int().nullable(),
  /** Keyset: the last hs_object_id returned in this window. */
  lastId: z.string().nullable(),
  /** Stale = influence date before this (fixed for the window so a resumed window asks the same question). */
  staleBefore: z.number().int().nullable(),
  /** When the recycle bin was last read (contacts archived after it are reported gone); absent = never. */
  archivedSweptAt: z.number().int().nullable().optional(),
});

export const ReadCursorSchema = z.discriminatedUnion('phase', [ListCursorSchema, SearchCursorSchema]);
export type ReadCursor = z.infer<typeof ReadCursorSchema>;

export function encodeCursor(cursor: ReadCursor): string {
  return JSON.stringify(cursor);
}

export function decodeCursor(cursor: string | null): ReadCursor | null {
  if (cursor === null || cursor.trim() === '') return null;
  let raw: unknown;
  try {
    raw = JSON.parse(cursor);
  } catch {
    throw new Error(
      `the stored HubSpot cursor is not JSON; run once with --full to start over (cursor: ${cursor.slice(0, 80)})`,
    );
  }
  const parsed = ReadCursorSchema.safeParse(raw);
  if (!parsed.success)
    throw new Error(`the stored HubSpot cursor is not one this connector wrote; run once with --full to start over`);
  return parsed.data;
}

export interface ReaderSettings {
  mapping: ContactMapping;
  /** HubSpot's search index trails writes by seconds: a window ends this far in the past. */
  searchIndexLagMs: number;
  now: () => number;
}

type Op = `${FilterOperatorEnum}`;

function filter(propertyName: string, operator: Op, value?: string) {
  return { propertyName, operator: operator as FilterOperatorEnum, ...(value === undefined ? {} : { value }) };
}

export async function* readContacts(
  api: HubSpotApi,
  settings: ReaderSettings,
  cursor: string | null,
  options: ReadOptions,
): AsyncGenerator<ContactPage> {
  const properties = readProperties(settings.mapping);
  if (options.ids !== undefined) {
    yield* readByIds(api, settings, properties, options.ids, cursor ?? '');
    return;
  }
  let state = options.full ? null : decodeCursor(cursor);
  if (state === null)
    state = { v: 1, phase: 'list', after: null, startedAt: settings.now() - settings.searchIndexLagMs };

  if (state.phase === 'list') {
    const list = state;
    const pages = readAhead(
      list.after,
      (after) =>
        api.call('read', 'api', 'contacts list', () =>
          api.contacts.basicApi.getPage(LIST_PAGE_SIZE, after ?? undefined, properties),
        ),
      (page) => page.paging?.next?.after ?? null,
    );
    for await (const { page, next } of pages) {
      const contacts = page.results.map((r) => toCrmContact(r, settings.mapping));
      // After the last page the full pass is done: the next run reads what changed since it began.
      yield {
        contacts,
        ...goneOf(page.results),
        cursor: encodeCursor(
          next === null
            ? { v: 1, phase: 'search', since: list.startedAt, until: null, lastId: null, staleBefore: null }
            : { ...list, after: next },
        ),
      };
    }
    return;
  }

  let window = state;
  if (window.until === null) {
    // Opening a window: first, once a day, the contacts deleted since the last look (a crash re-reads the bin).
    const swept = window.archivedSweptAt ?? null;
    if (swept === null || settings.now() - swept >= ARCHIVE_SWEEP_INTERVAL_MS) {
      const sweptAt = settings.now();
      for await (const gone of deletedSince(api, swept === null ? null : swept - ARCHIVE_SWEEP_OVERLAP_MS))
        yield { contacts: [], cursor: encodeCursor(window), gone };
      window = { ...window, archivedSweptAt: sweptAt };
    }
    window = {
      ...window,
      until: Math.max(window.since, settings.now() - settings.searchIndexLagMs),
      lastId: null,
      staleBefore: options.staleBefore.getTime(),
    };
  }
  const { since, until } = window as { since: number; until: number };
  const archivedSweptAt = window.archivedSweptAt ?? null;
  const staleBefore = window.staleBefore ?? options.staleBefore.getTime();
  // "Not opted out" is two filter groups: an empty opt-out property, or one that is not "true". Whether NEQ alone
  // matches records without a value is undocumented (list filters leave them out), and most contacts have none.
  const notOptedOut = [
    filter(settings.mapping.doNotProfileProperty, 'NOT_HAS_PROPERTY'),
    filter(settings.mapping.doNotProfileProperty, 'NEQ', 'true'),
  ];
  const inWindow = filter('lastmodifieddate', 'LTE', String(until));
  const stale = filter(INFLUENCE_PROPERTIES.scoredAt, 'LT', String(staleBefore));
  const neverScored = filter(INFLUENCE_PROPERTIES.scoredAt, 'NOT_HAS_PROPERTY');
  const request = (lastId: string | null) => {
    const keyset = lastId === null ? [] : [filter('hs_object_id', 'GT', lastId)];
    return {
      // 5 groups and 19 filters: within HubSpot's 5 groups, 10 per group, 25 in all (developers.hubspot.com/docs/api/crm/search).
      filterGroups: [
        // changed in the window
        { filters: [filter('lastmodifieddate', 'GT', String(since)), inWindow, ...keyset] },
        // scored before the refresh interval, or never scored; in either case not opted out
        ...[stale, neverScored].flatMap((due) =>
          notOptedOut.map((optIn) => ({ filters: [due, inWindow, optIn, ...keyset] })),
        ),
      ],
      sorts: ['hs_object_id'],
      properties,
      limit: SEARCH_PAGE_SIZE,
      after: '0',
    };
  };
  const lastIdOf = (page: { results: { id: string }[] }) =>
    page.results.length < SEARCH_PAGE_SIZE ? null : (page.results.at(-1)?.id ?? null);
  for await (const { page, next } of readAhead(
    window.lastId,
    (lastId) => searchOrExplain(api, request(lastId)),
    lastIdOf,
  )) {
    const contacts = page.results.map((r) => toCrmContact(r, settings.mapping));
    yield {
      contacts,
      ...goneOf(page.results),
      cursor: encodeCursor(
        next === null
          ? { v: 1, phase: 'search', since: until, until: null, lastId: null, staleBefore: null, archivedSweptAt }
          : { v: 1, phase: 'search', since, until, lastId: next, staleBefore, archivedSweptAt },
      ),
    };
  }
}

/**
 * Pages in order, fetching page k+1 while the caller works on page k (the next request needs only page k's key),
 * so network time overlaps the caller's scoring and writing. A caller that stops early leaves one fetch unused.
 */
async function* readAhead<K, P>(
  first: K,
  fetchPage: (key: K) => Promise<P>,
  nextKey: (page: P) => K | null,
): AsyncGenerator<{ page: P; next: K | null }> {
  let pending: Promise<P> | null = fetchPage(first);
  while (pending !== null) {
    const page: P = await pending;
    const next = nextKey(page);
    pending = next === null ? null : fetchPage(next);
    // Awaited on the next turn; if the caller stops first, its failure must not become an unhandled rejection.
    pending?.catch(() => undefined);
    yield { page, next };
  }
}

/** A filter on a property the portal lacks is schema drift: say which property and how to fix it. */
async function searchOrExplain(
  api: HubSpotApi,
  request: Parameters<HubSpotApi['contacts']['searchApi']['doSearch']>[0],
) {
  try {
    return await api.call('read', 'search', 'contacts search', () => api.contacts.searchApi.doSearch(request));
  } catch (error) {
    const missing =
      error instanceof HubSpotApiError && error.status === 400
        ? /Property "([^"]+)" does not exist/.exec(error.hubspotMessage)?.[1]
        : undefined;
    if (missing === undefined) throw error;
    throw new SetupError(
      `the HubSpot contact property "${missing}" does not exist, so changed and stale contacts cannot be searched.`,
      "run `crm-influence fields install --crm hubspot` (or fix the connection's property mapping), then sync again",
    );
  }
}

async function* readByIds(
  api: HubSpotApi,
  settings: ReaderSettings,
  properties: string[],
  ids: readonly string[],
  cursor: string,
): AsyncGenerator<ContactPage> {
  const unique = [...new Set(ids)];
  for (let i = 0; i < unique.length; i += BATCH_READ_SIZE) {
    const inputs = unique.slice(i, i + BATCH_READ_SIZE).map((id) => ({ id }));
    // 207 (some ids gone) resolves normally: deleted contacts are not returned, and HubSpot names them in
    // `errors[].context.ids`; a merged-away id comes back as the contact it was merged into.
    const page = await api.call('read', 'api', 'contacts batch read', () =>
      api.contacts.batchApi.read({ inputs, properties, propertiesWithHistory: [] }),
    );
    const merged = page.results.flatMap(mergedAway);
    const found = new Set([...page.results.map((r) => r.id), ...merged.map((g) => g.id)]);
    const missing = notFoundIds(page).filter((id) => !found.has(id));
    yield {
      contacts: page.results.map((r) => toCrmContact(r, settings.mapping)),
      cursor,
      ...goneOf(page.results, missing),
    };
  }
}

/** `gone` for a page: ids merged into its contacts, plus ids HubSpot said do not exist. */
function goneOf(
  results: readonly { id: string; properties?: Record<string, string | null> }[],
  deleted: readonly string[] = [],
): { gone?: GoneRecord[] } {
  const gone = [...results.flatMap(mergedAway), ...deleted.map((id) => ({ id, reason: 'deleted' as const }))];
  return gone.length === 0 ? {} : { gone };
}

const BatchErrorsSchema = z.looseObject({
  errors: z
    .array(
      z.looseObject({
        category: z.string().optional(),
        context: z.looseObject({ ids: z.array(z.string()).optional() }).optional(),
      }),
    )
    .optional(),
});

/** The ids a 207 batch answer reports as OBJECT_NOT_FOUND. */
export function notFoundIds(response: unknown): string[] {
  const parsed = BatchErrorsSchema.safeParse(response);
  if (!parsed.success) return [];
  return (parsed.data.errors ?? [])
    .filter((e) => e.category === 'OBJECT_NOT_FOUND')
    .flatMap((e) => e.context?.ids ?? []);
}

/** Pages of contacts in the recycle bin archived after `after` (all of them when null), as gone records. */
async function* deletedSince(api: HubSpotApi, after: number | null): AsyncGenerator<GoneRecord[]> {
  let cursor: string | undefined;
  do {
    const page = await api.call('read', 'api', 'archived contacts list', () =>
      api.contacts.basicApi.getPage(LIST_PAGE_SIZE, cursor, ['hs_object_id'], undefined, undefined, true),
    );
    const gone = page.results
      .filter((r) => after === null || r.archivedAt === undefined || r.archivedAt.getTime() > after)
      .map((r) => ({ id: r.id, reason: 'deleted' as const }));
    if (gone.length > 0) yield gone;
    cursor = page.paging?.next?.after;
  } while (cursor !== undefined);
}
