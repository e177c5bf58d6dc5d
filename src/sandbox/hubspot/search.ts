// `POST /crm/v3/objects/contacts/search`: filter groups (OR of ANDs), one sort, pages of ≤ 200 and the 10,000-result
// cap (developers.hubspot.com/docs/api/crm/search). Scans lazily; records nobody touched are skipped when every group rules them out.
import { z } from 'zod';

import { describeIssues } from '../../zod-issues.ts';
import type { ContactStore, ContactView } from './contacts.ts';
import { DEFAULT_PROPERTIES } from './contacts.ts';
import { validationError } from './errors.ts';
import type { PropertyRegistry } from './properties.ts';

export const SEARCH_MAX_LIMIT = 200;
export const SEARCH_RESULT_CAP = 10_000;
export const MAX_FILTER_GROUPS = 5;
export const MAX_FILTERS_PER_GROUP = 10;
export const MAX_FILTERS_TOTAL = 25;

const OPERATORS = [
  'EQ',
  'NEQ',
  'LT',
  'LTE',
  'GT',
  'GTE',
  'BETWEEN',
  'IN',
  'NOT_IN',
  'HAS_PROPERTY',
  'NOT_HAS_PROPERTY',
  'CONTAINS_TOKEN',
  'NOT_CONTAINS_TOKEN',
] as const;

const scalar = z.union([z.string(), z.number(), z.boolean()]).transform(String);

const FilterSchema = z.object({
  propertyName: z.string().min(1),
  operator: z.enum(OPERATORS),
  value: scalar.optional(),
  highValue: scalar.optional(),
  values: z.array(scalar).optional(),
});
type Filter = z.infer<typeof FilterSchema>;

// The spec types sorts as strings ("-createdate"), the docs as objects: accept both.
const SortSchema = z.union([
  z
    .string()
    .min(1)
    .transform((s) =>
      s.startsWith('-')
        ? { propertyName: s.slice(1), direction: 'DESCENDING' as const }
        : { propertyName: s, direction: 'ASCENDING' as const },
    ),
  z.object({ propertyName: z.string().min(1), direction: z.enum(['ASCENDING', 'DESCENDING']).default('ASCENDING') }),
]);

export const SearchRequestSchema = z.object({
  filterGroups: z.array(z.object({ filters: z.array(FilterSchema).default([]) })).default([]),
  sorts: z.array(SortSchema).default([]),
  properties: z.array(z.string()).optional(),
  limit: z.number().int().min(0).default(10),
  after: z.union([z.string(), z.number()]).optional(),
  query: z.string().optional(),
});

export interface SearchResponse {
  total: number;
  results: ContactView[];
  paging?: { next: { after: string; link: string } };
}

export function parseSearchRequest(body: unknown) {
  const parsed = SearchRequestSchema.safeParse(body ?? {});
  if (!parsed.success) {
    throw validationError(`Invalid input JSON on line 1: ${describeIssues(parsed.error)}`);
  }
  const req = parsed.data;
  if (req.limit > SEARCH_MAX_LIMIT)
    throw validationError(`limit must be less than or equal to ${SEARCH_MAX_LIMIT}, but was ${req.limit}`);
  if (req.filterGroups.length > MAX_FILTER_GROUPS) {
    throw validationError(
      `Too many filter groups (${req.filterGroups.length}). The maximum number of filter groups is ${MAX_FILTER_GROUPS}.`,
    );
  }
  const total = req.filterGroups.reduce((n, g) => n + g.filters.length, 0);
  for (const g of req.filterGroups) {
    if (g.filters.length > MAX_FILTERS_PER_GROUP) {
      throw validationError(
        `Too many filters in a filter group (${g.filters.length}). The maximum number of filters per group is ${MAX_FILTERS_PER_GROUP}.`,
      );
    }
  }
  if (total > MAX_FILTERS_TOTAL)
    throw validationError(
      `Too many filters (${total}). The maximum number of filters across all groups is ${MAX_FILTERS_TOTAL}.`,
    );
  if (req.sorts.length > 1) throw validationError('Only one sort is supported per search request.');
  const after = req.after === undefined || req.after === '' ? 0 : Number(req.after);
  if (!Number.isInteger(after) || after < 0)
    throw validationError(`after must be a non-negative integer offset, got ${String(req.after)}`);
  return { ...req, after };
}

export class ContactSearch {
  /** The index time of the request being run (undefined = no lag). */
  private at: number | undefined;

  private readonly contacts: ContactStore;
  private readonly registry: PropertyRegistry;

  constructor(contacts: ContactStore, registry: PropertyRegistry) {
    this.contacts = contacts;
    this.registry = registry;
  }

  run(body: unknown, baseUrl: string): SearchResponse {
    const req = parseSearchRequest(body);
    if (req.after >= SEARCH_RESULT_CAP) {
      throw validationError(
        `Search results are limited to ${SEARCH_RESULT_CAP} per query; after=${req.after} pages past that limit. Narrow the query (for example by lastmodifieddate) instead of paging further.`,
        { context: { after: [String(req.after)] } },
      );
    }
    for (const f of req.filterGroups.flatMap((g) => g.filters)) {
      if (!this.registry.has(f.propertyName))
        throw validationError(
          `Property "${f.propertyName}" does not exist on object type contacts (used in a filter).`,
        );
    }
    const sort = req.sorts[0];
    if (sort !== undefined && !this.registry.has(sort.propertyName))
      throw validationError(`Property "${sort.propertyName}" does not exist on object type contacts (used in a sort).`);
    const properties = req.properties ?? DEFAULT_PROPERTIES;
    // The index trails writes: filters, sorts and results see each record as it was `indexLagMs` ago.
    const at = this.contacts.indexLagMs > 0 ? Date.now() - this.contacts.indexLagMs : undefined;
    this.at = at;

    const groups = req.filterGroups.map((g) => g.filters.map((f) => this.compile(f)));
    const matches = (index: number): boolean => {
      if (!this.contacts.indexed(index, at)) return false;
      if (groups.length === 0) return true;
      for (const group of groups) {
        let all = true;
        for (const f of group) {
          if (!this.test(index, f)) {
            all = false;
            break;
          }
        }
        if (all) return true;
      }
      return false;
    };
    const end = Math.min(req.after + req.limit, SEARCH_RESULT_CAP);
    let total = 0;
    let page: number[];
    if (sort === undefined || (sort.propertyName === 'hs_object_id' && sort.direction === 'ASCENDING')) {
      const hits: number[] = [];
      this.forEachCandidate(groups, (index) => {
        if (!matches(index)) return;
        if (total >= req.after && total < end) hits.push(index);
        total += 1;
      });
      page = hits;
    } else {
      const numeric = this.registry.isNumeric(sort.propertyName);
      const keyed: { index: number; key: number | string | null }[] = [];
      this.forEachCandidate(groups, (index) => {
        if (!matches(index)) return;
        const raw = this.contacts.stored(index, sort.propertyName, at);
        keyed.push({ index, key: raw === null ? null : numeric ? Number(raw) : raw.toLowerCase() });
      });
      const dir = sort.direction === 'DESCENDING' ? -1 : 1;
      keyed.sort((a, b) => {
        if (a.key === b.key) return a.index - b.index;
        if (a.key === null) return 1;
        if (b.key === null) return -1;
        return (a.key < b.key ? -1 : 1) * dir;
      });
      total = keyed.length;
      page = keyed.slice(req.after, end).map((k) => k.index);
    }
    const response: SearchResponse = { total, results: page.map((i) => this.contacts.view(i, properties, at)) };
    const next = req.after + req.limit;
    if (req.limit > 0 && next < total) {
      response.paging = {
        next: { after: String(next), link: `${baseUrl}/crm/v3/objects/contacts/search?after=${next}` },
      };
    }
    return response;
  }

  /** Record indices worth testing, ascending: a list (only touched records can match) or a range. */
  private candidates(groups: CompiledFilter[][]): { list: number[] } | { start: number; end: number } {
    const base = this.contacts.untouchedModifiedMs;
    const groupsExcludeUntouched =
      groups.length > 0 &&
      groups.every((filters) => filters.some((f) => f.propertyName === 'lastmodifieddate' && !testNumber(f, base)));
    if (groupsExcludeUntouched) {
      return { list: this.contacts.touchedSince(-Infinity).filter((i) => this.contacts.modifiedMs(i) !== base) };
    }
    const start = groups.length === 0 ? 0 : Math.min(...groups.map((filters) => this.lowestIndex(filters)));
    return { start, end: this.contacts.size };
  }

  private forEachCandidate(groups: CompiledFilter[][], visit: (index: number) => void): void {
    const c = this.candidates(groups);
    if ('list' in c) {
      for (const index of c.list) visit(index);
      return;
    }
    for (let index = c.start; index < c.end; index++) if (this.contacts.exists(index)) visit(index);
  }

  /** The smallest record index a group can match, from its hs_object_id lower bounds. */
  private lowestIndex(filters: CompiledFilter[]): number {
    let low = 0;
    for (const f of filters) {
      if (f.propertyName !== 'hs_object_id') continue;
      const id = Number(f.value);
      if (!Number.isFinite(id)) continue;
      if (f.operator === 'GT') low = Math.max(low, Math.floor(id));
      else if (f.operator === 'GTE' || f.operator === 'EQ') low = Math.max(low, Math.ceil(id) - 1);
    }
    return low;
  }

  /** Parses each filter's values once per request (the scan then compares numbers or lower-case strings). */
  private compile(f: Filter): CompiledFilter {
    const numeric = this.registry.isNumeric(f.propertyName);
    const parse = (given: string | undefined): number | string => {
      if (given === undefined) {
        if (
          f.operator === 'HAS_PROPERTY' ||
          f.operator === 'NOT_HAS_PROPERTY' ||
          f.operator === 'IN' ||
          f.operator === 'NOT_IN'
        )
          return '';
        throw validationError(`Filter on ${f.propertyName} with operator ${f.operator} needs a value.`);
      }
      if (!numeric) return given.toLowerCase();
      const n = /^-?\d+(\.\d+)?$/.test(given) ? Number(given) : Date.parse(given);
      if (!Number.isFinite(n)) throw validationError(`${given} is not a valid value for ${f.propertyName}.`);
      return n;
    };
    return {
      propertyName: f.propertyName,
      operator: f.operator,
      numeric,
      value: parse(f.value),
      high: f.operator === 'BETWEEN' ? parse(f.highValue) : '',
      values: (f.values ?? []).map(parse),
    };
  }

  private test(index: number, f: CompiledFilter): boolean {
    // Record id and modification date are compared as numbers without building strings (the hot path of scans).
    if (f.numeric && (f.propertyName === 'hs_object_id' || f.propertyName === 'lastmodifieddate')) {
      const n = f.propertyName === 'hs_object_id' ? index + 1 : this.contacts.modifiedMs(index, this.at);
      return testNumber(f, n);
    }
    return testValue(f, this.contacts.stored(index, f.propertyName, this.at));
  }
}

interface CompiledFilter {
  propertyName: string;
  operator: Filter['operator'];
  numeric: boolean;
  value: number | string;
  high: number | string;
  values: (number | string)[];
}

function compare(f: CompiledFilter, stored: string, given: number | string): number {
  if (f.numeric) return Math.sign(Number(stored) - (given as number));
  const a = stored.toLowerCase();
  return a === given ? 0 : a < given ? -1 : 1;
}

function testNumber(f: CompiledFilter, n: number): boolean {
  const v = f.value as number;
  switch (f.operator) {
    case 'HAS_PROPERTY':
      return true;
    case 'NOT_HAS_PROPERTY':
      return false;
    case 'EQ':
      return n === v;
    case 'NEQ':
      return n !== v;
    case 'LT':
      return n < v;
    case 'LTE':
      return n <= v;
    case 'GT':
      return n > v;
    case 'GTE':
      return n >= v;
    case 'BETWEEN':
      return n >= v && n <= (f.high as number);
    default:
      return testValue(f, String(n));
  }
}

function testValue(f: CompiledFilter, stored: string | null): boolean {
  switch (f.operator) {
    case 'HAS_PROPERTY':
      return stored !== null;
    case 'NOT_HAS_PROPERTY':
      return stored === null;
    default:
      break;
  }
  // Whether NEQ / NOT_IN match a record without a value is undocumented for the search API, and HubSpot's list
  // filters leave empty values out of "is not equal to". The sandbox takes that strict reading, so a query that
  // relies on the permissive one misses those records here first (connectors/hubspot/README.md "Reading"; issue 15 item 8) [verify].
  if (stored === null) return false;
  switch (f.operator) {
    case 'EQ':
      return compare(f, stored, f.value) === 0;
    case 'NEQ':
      return compare(f, stored, f.value) !== 0;
    case 'LT':
      return compare(f, stored, f.value) < 0;
    case 'LTE':
      return compare(f, stored, f.value) <= 0;
    case 'GT':
      return compare(f, stored, f.value) > 0;
    case 'GTE':
      return compare(f, stored, f.value) >= 0;
    case 'BETWEEN':
      return compare(f, stored, f.value) >= 0 && compare(f, stored, f.high) <= 0;
    case 'IN':
      return f.values.some((v) => compare(f, stored, v) === 0);
    case 'NOT_IN':
      return !f.values.some((v) => compare(f, stored, v) === 0);
    case 'CONTAINS_TOKEN':
      return stored
        .toLowerCase()
        .split(/[\s;@.]+/)
        .includes(String(f.value).replace(/\*/g, ''));
    case 'NOT_CONTAINS_TOKEN':
      return !stored
        .toLowerCase()
        .split(/[\s;@.]+/)
        .includes(String(f.value));
  }
}
