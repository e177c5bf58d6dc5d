// `POST /crm/v3/objects/contacts/search`: filter groups (OR of ANDs), one sort, pages of ≤ 200 and the 10,000-result
// cap (crm-apis.md §2.2). Scans lazily; records nobody touched are skipped when every group rules them out.
import { z } from 'zod';
import type { ContactStore, ContactView } from './contacts.ts';
import { DEFAULT_PROPERTIES } from './contacts.ts';
import { validationError } from './errors.ts';
import type { PropertyRegistry } from './properties.ts';

export const SEARCH_MAX_LIMIT = 200;
export const SEARCH_RESULT_CAP = 10_000;
export const MAX_FILTER_GROUPS = 5;
export const MAX_FILTERS_PER_GROUP = 10;
export const MAX_FILTERS_TOTAL = 25;

const OPERATORS = ['EQ', 'NEQ', 'LT', 'LTE', 'GT', 'GTE', 'BETWEEN', 'IN', 'NOT_IN', 'HAS_PROPERTY', 'NOT_HAS_PROPERTY', 'CONTAINS_TOKEN', 'NOT_CONTAINS_TOKEN'] as const;

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
  z.string().min(1).transform((s) => (s.startsWith('-') ? { propertyName: s.slice(1), direction: 'DESCENDING' as const } : { propertyName: s, direction: 'ASCENDING' as const })),
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
    throw validationError(`Invalid input JSON on line 1: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  const req = parsed.data;
  if (req.limit > SEARCH_MAX_LIMIT) throw validationError(`limit must be less than or equal to ${SEARCH_MAX_LIMIT}, but was ${req.limit}`);
  if (req.filterGroups.length > MAX_FILTER_GROUPS) {
    throw validationError(`Too many filter groups (${req.filterGroups.length}). The maximum number of filter groups is ${MAX_FILTER_GROUPS}.`);
  }
  const total = req.filterGroups.reduce((n, g) => n + g.filters.length, 0);
  for (const g of req.filterGroups) {
    if (g.filters.length > MAX_FILTERS_PER_GROUP) {
      throw validationError(`Too many filters in a filter group (${g.filters.length}). The maximum number of filters per group is ${MAX_FILTERS_PER_GROUP}.`);
    }
  }
  if (total > MAX_FILTERS_TOTAL) throw validationError(`Too many filters (${total}). The maximum number of filters across all groups is ${MAX_FILTERS_TOTAL}.`);
  if (req.sorts.length > 1) throw validationError('Only one sort is supported per search request.');
  const after = req.after === undefined || req.after === '' ? 0 : Number(req.after);
  if (!Number.isInteger(after) || after < 0) throw validationError(`after must be a non-negative integer offset, got ${String(req.after)}`);
  return { ...req, after };
}

export class ContactSearch {
  constructor(private readonly contacts: ContactStore, private readonly registry: PropertyRegistry) {}

  run(body: unknown, baseUrl: string): SearchResponse {
    const req = parseSearchRequest(body);
    if (req.after >= SEARCH_RESULT_CAP) {
      throw validationError(
        `Search results are limited to ${SEARCH_RESULT_CAP} per query; after=${req.after} pages past that limit. Narrow the query (for example by lastmodifieddate) instead of paging further.`,
        { context: { after: [String(req.after)] } },
      );
    }
    for (const f of req.filterGroups.flatMap((g) => g.filters)) {
      if (!this.registry.has(f.propertyName)) throw validationError(`Property "${f.propertyName}" does not exist on object type contacts (used in a filter).`);
    }
    const sort = req.sorts[0];
    if (sort !== undefined && !this.registry.has(sort.propertyName)) throw validationError(`Property "${sort.propertyName}" does not exist on object type contacts (used in a sort).`);
    const properties = req.properties ?? DEFAULT_PROPERTIES;

    const matches = (index: number) => req.filterGroups.length === 0 || req.filterGroups.some((g) => g.filters.every((f) => this.test(index, f)));
    const candidates = this.candidates(req.filterGroups.map((g) => g.filters));
    const end = Math.min(req.after + req.limit, SEARCH_RESULT_CAP);
    let total = 0;
    let page: number[];
    if (sort === undefined || (sort.propertyName === 'hs_object_id' && sort.direction === 'ASCENDING')) {
      page = [];
      for (const index of candidates) {
        if (!matches(index)) continue;
        if (total >= req.after && total < end) page.push(index);
        total += 1;
      }
    } else {
      const numeric = this.registry.isNumeric(sort.propertyName);
      const keyed: { index: number; key: number | string | null }[] = [];
      for (const index of candidates) {
        if (!matches(index)) continue;
        const raw = this.contacts.stored(index, sort.propertyName);
        keyed.push({ index, key: raw === null ? null : numeric ? Number(raw) : raw.toLowerCase() });
      }
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
    const response: SearchResponse = { total, results: page.map((i) => this.contacts.view(i, properties)) };
    const next = req.after + req.limit;
    if (req.limit > 0 && next < total) {
      response.paging = { next: { after: String(next), link: `${baseUrl}/crm/v3/objects/contacts/search?after=${next}` } };
    }
    return response;
  }

  /** Record indices worth testing, ascending. */
  private *candidates(groups: Filter[][]): Generator<number> {
    const base = String(this.contacts.untouchedModifiedMs);
    const groupsExcludeUntouched = groups.length > 0
      && groups.every((filters) => filters.some((f) => f.propertyName === 'lastmodifieddate' && !this.testValue(f, base, true)));
    if (groupsExcludeUntouched) {
      yield* this.contacts.touchedSince(-Infinity).filter((i) => this.contacts.modifiedMs(i) !== this.contacts.untouchedModifiedMs);
      return;
    }
    const start = groups.length === 0 ? 0 : Math.min(...groups.map((filters) => this.lowestIndex(filters)));
    for (let index = start; index < this.contacts.size; index++) {
      if (this.contacts.exists(index)) yield index;
    }
  }

  /** The smallest record index a group can match, from its hs_object_id lower bounds. */
  private lowestIndex(filters: Filter[]): number {
    let low = 0;
    for (const f of filters) {
      if (f.propertyName !== 'hs_object_id' || f.value === undefined) continue;
      const id = Number(f.value);
      if (!Number.isFinite(id)) continue;
      if (f.operator === 'GT') low = Math.max(low, Math.floor(id));
      else if (f.operator === 'GTE' || f.operator === 'EQ') low = Math.max(low, Math.ceil(id) - 1);
    }
    return low;
  }

  private test(index: number, f: Filter): boolean {
    return this.testValue(f, this.contacts.stored(index, f.propertyName), this.registry.isNumeric(f.propertyName));
  }

  private testValue(f: Filter, stored: string | null, numeric: boolean): boolean {
    if (f.operator === 'HAS_PROPERTY') return stored !== null;
    if (f.operator === 'NOT_HAS_PROPERTY') return stored === null;
    if (stored === null) return f.operator === 'NEQ' || f.operator === 'NOT_IN' || f.operator === 'NOT_CONTAINS_TOKEN';
    const cmp = (given: string | undefined): number => {
      if (given === undefined) throw validationError(`Filter on ${f.propertyName} with operator ${f.operator} needs a value.`);
      if (numeric) {
        const b = /^-?\d+(\.\d+)?$/.test(given) ? Number(given) : Date.parse(given);
        if (!Number.isFinite(b)) throw validationError(`${given} is not a valid value for ${f.propertyName}.`);
        return Math.sign(Number(stored) - b);
      }
      const a = stored.toLowerCase();
      const b = given.toLowerCase();
      return a === b ? 0 : a < b ? -1 : 1;
    };
    switch (f.operator) {
      case 'EQ': return cmp(f.value) === 0;
      case 'NEQ': return cmp(f.value) !== 0;
      case 'LT': return cmp(f.value) < 0;
      case 'LTE': return cmp(f.value) <= 0;
      case 'GT': return cmp(f.value) > 0;
      case 'GTE': return cmp(f.value) >= 0;
      case 'BETWEEN': return cmp(f.value) >= 0 && cmp(f.highValue) <= 0;
      case 'IN': return (f.values ?? []).some((v) => cmp(v) === 0);
      case 'NOT_IN': return !(f.values ?? []).some((v) => cmp(v) === 0);
      case 'CONTAINS_TOKEN': return stored.toLowerCase().split(/[\s;@.]+/).includes((f.value ?? '').toLowerCase().replace(/\*/g, ''));
      case 'NOT_CONTAINS_TOKEN': return !stored.toLowerCase().split(/[\s;@.]+/).includes((f.value ?? '').toLowerCase());
    }
  }
}
