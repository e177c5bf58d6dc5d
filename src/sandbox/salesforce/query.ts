// Runs parsed SOQL against the sandbox org: binds field names to the schema (INVALID_FIELD like Salesforce),
// type-checks filter values, plans a keyset scan from a SystemModstamp lower bound, and formats records the way
// the REST API returns them. Shared by query/queryMore and the Bulk 2.0 query jobs.
import type { Row } from './org.ts';
import { INDEX_FIELDS, SandboxOrg } from './org.ts';
import type { FieldDef, ObjectName, ObjectSchema } from './schema.ts';
import { INDEXED_FIELDS, OBJECT_NAMES } from './schema.ts';
import type { Condition, FieldRef, Literal, SoqlQuery } from './soql.ts';
import { likeToRegExp, parseSoql, plainString, SoqlError } from './soql.ts';

export interface BoundField {
  /** Canonical path, e.g. ['Individual', 'HasOptedOutProfiling']. */
  path: string[];
  def: FieldDef;
  relationship?: { name: string; refField: string; object: ObjectName };
}

export interface PreparedQuery {
  soql: string;
  object: ObjectName;
  query: SoqlQuery;
  fields: BoundField[];
  predicate: (row: Row) => boolean;
  /** Rows come out of the org already in this order when true (no sort needed). */
  naturalOrder: boolean;
  /** WHERE and ORDER BY touch only fields the org derives from the index (no person to generate per row). */
  cheapRows: boolean;
  lowerStamp?: number;
}

export function formatDatetime(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}

export class QueryEngine {
  private readonly org: SandboxOrg;

  constructor(org: SandboxOrg) {
    this.org = org;
  }

  prepare(soql: string): PreparedQuery {
    const query = parseSoql(soql);
    const object = OBJECT_NAMES.find((o) => o.toLowerCase() === query.from.toLowerCase());
    if (!object || !this.org.canRead(object))
      throw new SoqlError(
        'INVALID_TYPE',
        `\n${soql}\nsObject type '${query.from}' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name.`,
      );
    const schema = this.org.schemas[object];
    const fields = query.select === 'count' ? [] : query.select.map((ref) => this.bind(schema, ref, soql));
    const predicate = query.where ? this.compile(schema, query.where, soql) : () => true;
    const order = query.orderBy.map((o) => ({ ...o, bound: this.bind(schema, o.field, soql) }));
    const naturalOrder =
      object !== 'Individual' &&
      order.every(
        (o, i) =>
          !o.descending &&
          ((i === 0 && o.bound.path.join('.') === 'SystemModstamp') ||
            (i === 1 && o.bound.path.join('.') === 'Id' && order[0]!.bound.path.join('.') === 'SystemModstamp')),
      );
    const lowerStamp = query.where ? stampLowerBound(query.where) : undefined;
    const referenced = [...(query.where ? conditionFields(query.where) : []), ...query.orderBy.map((o) => o.field)];
    const cheapRows = referenced.every(
      (ref) => ref.path.length === 1 && INDEX_FIELDS.has(schema.field(ref.path[0]!)?.name ?? ''),
    );
    return {
      soql,
      object,
      query,
      fields,
      predicate,
      naturalOrder,
      cheapRows,
      ...(lowerStamp !== undefined ? { lowerStamp } : {}),
    };
  }

  /**
   * Indices of matching records in result order, after OFFSET and LIMIT. Records the user cannot see (sharing) are
   * never there; deleted ones only for queryAll.
   */
  execute(prepared: PreparedQuery, includeDeleted = false): number[] {
    const { query, object } = prepared;
    const offset = query.offset ?? 0;
    const wanted = query.limit === undefined ? Infinity : query.limit + offset;
    const matches: { index: number; row: Row }[] = [];
    const sortLater = !prepared.naturalOrder;
    for (const row of this.org.scan(object, prepared.lowerStamp, prepared.cheapRows)) {
      if ((row.IsDeleted === true && !includeDeleted) || !this.org.isVisible(object, row)) continue;
      if (!prepared.predicate(row)) continue;
      const index = SandboxOrg.parseId(row.Id as string)!.index;
      // Keep rows only when they are needed for sorting; otherwise the index is enough.
      matches.push({ index, row: sortLater ? row : EMPTY_ROW });
      if (!sortLater && matches.length >= wanted) break;
    }
    if (sortLater && query.orderBy.length > 0) {
      const schema = this.org.schemas[object];
      const keys = query.orderBy.map((o) => ({ ...o, get: this.getter(this.bind(schema, o.field, prepared.soql)) }));
      matches.sort((a, b) => {
        for (const key of keys) {
          const c = compareForSort(key.get(a.row), key.get(b.row), key.nullsLast);
          if (c !== 0) return key.descending ? -c : c;
        }
        return 0;
      });
    }
    const end = query.limit === undefined ? matches.length : offset + query.limit;
    return matches.slice(offset, end).map((m) => m.index);
  }

  /**
   * A query on an object with more than `limit` records that the query optimizer cannot drive from an index: no
   * AND-ed filter on an indexed field (or OR whose every branch is one) matching under the standard-index threshold,
   * 30% of the first million records and 15% of the rest (Lightning Platform Query Optimizer,
   * ldv-deployments-infrastructure-salesforce-query-optimizer). `!=`, `NOT`, `= null` and LIKE never use an index.
   */
  wouldTimeOut(prepared: PreparedQuery, limit: number): boolean {
    if (this.org.size <= limit) return false;
    const { where } = prepared.query;
    const schema = this.org.schemas[prepared.object];
    let total = 0;
    const rows: Row[] = [];
    for (const row of this.org.scan(prepared.object, undefined, true)) {
      if (row.IsDeleted === true || !this.org.isVisible(prepared.object, row)) continue;
      total += 1;
      rows.push(row);
    }
    if (total <= limit) return false;
    const threshold = Math.min(total, 1_000_000) * 0.3 + Math.max(0, total - 1_000_000) * 0.15;
    const indexed = where ? this.indexedFilter(schema, where, prepared.soql) : undefined;
    return !indexed || rows.filter(indexed).length >= threshold;
  }

  /** The part of a condition an index can answer, as a predicate; undefined when none can. */
  private indexedFilter(schema: ObjectSchema, cond: Condition, soql: string): ((row: Row) => boolean) | undefined {
    switch (cond.op) {
      case 'and': {
        const parts = cond.items.map((c) => this.indexedFilter(schema, c, soql)).filter((p) => p !== undefined);
        return parts.length === 0 ? undefined : (row) => parts.every((p) => p(row));
      }
      case 'or': {
        const parts = cond.items.map((c) => this.indexedFilter(schema, c, soql));
        if (parts.some((p) => p === undefined)) return undefined;
        return (row) => parts.some((p) => p!(row));
      }
      case 'cmp':
        if (cond.cmp === '!=' || cond.value.kind === 'null') return undefined;
        return cond.field.path.length === 1 && INDEXED_FIELDS.has(schema.field(cond.field.path[0]!)?.name ?? '')
          ? this.compile(schema, cond, soql)
          : undefined;
      case 'in':
        return !cond.negate &&
          cond.field.path.length === 1 &&
          INDEXED_FIELDS.has(schema.field(cond.field.path[0]!)?.name ?? '')
          ? this.compile(schema, cond, soql)
          : undefined;
      default:
        return undefined;
    }
  }

  /** One record shaped like the REST query result (`attributes`, relationships as nested objects). */
  formatRecord(prepared: PreparedQuery, index: number, version: string): Record<string, unknown> {
    const row = this.org.row(prepared.object, index);
    if (!row) return {};
    const record: Record<string, unknown> = { attributes: attributes(prepared.object, row.Id as string, version) };
    for (const field of prepared.fields) {
      if (!field.relationship) {
        record[field.def.name] = toApiValue(field.def, row[field.def.name]);
        continue;
      }
      const { name, refField, object } = field.relationship;
      const refId = row[refField] as string | null;
      if (!refId) {
        record[name] = null;
        continue;
      }
      const related = this.org.rowById(refId);
      if (!related) {
        record[name] = null;
        continue;
      }
      const nested = (record[name] as Record<string, unknown> | undefined) ?? {
        attributes: attributes(object, refId, version),
      };
      nested[field.def.name] = toApiValue(field.def, related.row[field.def.name]);
      record[name] = nested;
    }
    return record;
  }

  /** One record as a flat map of column name → CSV cell text (Bulk 2.0 query results). */
  csvCells(prepared: PreparedQuery, index: number): string[] {
    const row = this.org.row(prepared.object, index);
    if (!row) return prepared.fields.map(() => '');
    return prepared.fields.map((field) => {
      const value = this.getter(field)(row);
      if (value === null || value === undefined) return '';
      if (field.def.type === 'datetime') return formatDatetime(value as number);
      return typeof value === 'string' ? value : JSON.stringify(value);
    });
  }

  private bind(schema: ObjectSchema, ref: FieldRef, soql: string): BoundField {
    if (ref.path.length === 1) {
      const def = schema.field(ref.path[0]!);
      if (!def) throw invalidField(soql, ref.path[0]!, schema.name);
      return { path: [def.name], def };
    }
    if (ref.path.length === 2) {
      const refDef = schema.relationship(ref.path[0]!);
      // A relationship to an object the user cannot read (or that the org does not have) is not understood either.
      if (!refDef?.referenceTo || !this.org.canRead(refDef.referenceTo as ObjectName)) {
        throw new SoqlError(
          'INVALID_FIELD',
          `\n${soql}\nDidn't understand relationship '${ref.path[0]!}' in field path. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names.`,
        );
      }
      const target = refDef.referenceTo as ObjectName;
      const def = this.org.schemas[target].field(ref.path[1]!);
      if (!def) throw invalidField(soql, ref.path[1]!, target);
      return {
        path: [refDef.relationshipName!, def.name],
        def,
        relationship: { name: refDef.relationshipName!, refField: refDef.name, object: target },
      };
    }
    throw new SoqlError(
      'MALFORMED_QUERY',
      `\n${soql}\nrelationship paths deeper than one level are not supported by the sandbox: ${ref.path.join('.')}`,
    );
  }

  private getter(field: BoundField): (row: Row) => unknown {
    const name = field.def.name;
    if (!field.relationship) return (row) => row[name];
    const refField = field.relationship.refField;
    return (row) => {
      const refId = row[refField] as string | null;
      return refId ? (this.org.rowById(refId)?.row[name] ?? null) : null;
    };
  }

  private compile(schema: ObjectSchema, cond: Condition, soql: string): (row: Row) => boolean {
    switch (cond.op) {
      case 'and': {
        const parts = cond.items.map((c) => this.compile(schema, c, soql));
        return (row) => parts.every((p) => p(row));
      }
      case 'or': {
        const parts = cond.items.map((c) => this.compile(schema, c, soql));
        return (row) => parts.some((p) => p(row));
      }
      case 'not': {
        const inner = this.compile(schema, cond.item, soql);
        return (row) => !inner(row);
      }
      case 'cmp': {
        const field = this.bind(schema, cond.field, soql);
        const value = literalValue(field, cond.value, soql);
        const get = this.getter(field);
        const cmp = cond.cmp;
        if (value === null) {
          if (cmp !== '=' && cmp !== '!=')
            throw new SoqlError('MALFORMED_QUERY', `\n${soql}\nnull can only be compared with = or !=`);
          return cmp === '=' ? (row) => isNull(get(row)) : (row) => !isNull(get(row));
        }
        return (row) => {
          const actual = get(row);
          if (isNull(actual)) return cmp === '!=';
          const c = compareValues(actual, value);
          switch (cmp) {
            case '=':
              return c === 0;
            case '!=':
              return c !== 0;
            case '<':
              return c < 0;
            case '>':
              return c > 0;
            case '<=':
              return c <= 0;
            case '>=':
              return c >= 0;
          }
        };
      }
      case 'in': {
        const field = this.bind(schema, cond.field, soql);
        const values = cond.values.map((v) => literalValue(field, v, soql));
        const get = this.getter(field);
        const keys = new Set(values.map((v) => (typeof v === 'string' ? v.toLowerCase() : v)));
        return (row) => {
          const actual = get(row);
          const key = typeof actual === 'string' ? actual.toLowerCase() : isNull(actual) ? null : actual;
          return keys.has(key as string) !== cond.negate;
        };
      }
      case 'like': {
        const field = this.bind(schema, cond.field, soql);
        if (!['string', 'email', 'picklist', 'id', 'reference', 'textarea'].includes(field.def.type)) {
          throw new SoqlError(
            'INVALID_QUERY_FILTER_OPERATOR',
            `\n${soql}\ninvalid operator on field '${field.def.name}': LIKE`,
          );
        }
        const regexp = likeToRegExp(cond.pattern);
        const get = this.getter(field);
        return (row) => {
          const actual = get(row);
          return typeof actual === 'string' && regexp.test(actual);
        };
      }
    }
  }
}

const EMPTY_ROW: Row = {};

function attributes(type: string, id: string, version: string): { type: string; url: string } {
  return { type, url: `/services/data/v${version}/sobjects/${type}/${id}` };
}

function invalidField(soql: string, name: string, object: string): SoqlError {
  return new SoqlError(
    'INVALID_FIELD',
    `\n${soql}\nNo such column '${name}' on entity '${object}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.`,
  );
}

function isNull(value: unknown): boolean {
  return value === null || value === undefined || value === '';
}

export function toApiValue(def: FieldDef, value: unknown): unknown {
  if (value === undefined || value === null) return def.type === 'boolean' ? false : null;
  if (def.type === 'datetime') return formatDatetime(value as number);
  return value;
}

/** The literal as the field's stored value; throws like Salesforce when the type does not fit the field. */
function literalValue(field: BoundField, literal: Literal, soql: string): string | number | boolean | null {
  if (literal.kind === 'null') return null;
  const name = field.def.name;
  switch (field.def.type) {
    case 'datetime':
      if (literal.kind !== 'datetime')
        throw new SoqlError(
          'INVALID_QUERY_FILTER_OPERATOR',
          `\n${soql}\nvalue of filter criterion for field '${name}' must be of type dateTime and should not be enclosed in quotes`,
        );
      return literal.value;
    case 'boolean':
      if (literal.kind !== 'boolean')
        throw new SoqlError(
          'INVALID_QUERY_FILTER_OPERATOR',
          `\n${soql}\nvalue of filter criterion for field '${name}' must be of type boolean and should not be enclosed in quotes`,
        );
      return literal.value;
    case 'double':
      if (literal.kind !== 'number')
        throw new SoqlError(
          'INVALID_QUERY_FILTER_OPERATOR',
          `\n${soql}\nvalue of filter criterion for field '${name}' must be of type double and should not be enclosed in quotes`,
        );
      return literal.value;
    case 'textarea':
      throw new SoqlError('INVALID_FIELD', `\n${soql}\nfield '${name}' can not be filtered in a query call`);
    default:
      if (literal.kind !== 'string')
        throw new SoqlError(
          'INVALID_QUERY_FILTER_OPERATOR',
          `\n${soql}\nvalue of filter criterion for field '${name}' must be of type string and should be enclosed in quotes`,
        );
      return plainString(literal.value);
  }
}

function compareValues(a: unknown, b: unknown): number {
  if (typeof a === 'string' && typeof b === 'string') {
    const x = a.toLowerCase();
    const y = b.toLowerCase();
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
}

function compareForSort(a: unknown, b: unknown, nullsLast: boolean): number {
  const an = isNull(a);
  const bn = isNull(b);
  if (an || bn) return an && bn ? 0 : (an ? -1 : 1) * (nullsLast ? -1 : 1);
  return compareValues(a, b);
}

function conditionFields(cond: Condition): FieldRef[] {
  switch (cond.op) {
    case 'and':
    case 'or':
      return cond.items.flatMap(conditionFields);
    case 'not':
      return conditionFields(cond.item);
    default:
      return [cond.field];
  }
}

/** The smallest SystemModstamp a matching row can have, when the WHERE clause implies one. */
function stampLowerBound(cond: Condition): number | undefined {
  switch (cond.op) {
    case 'cmp':
      return cond.field.path.length === 1 &&
        cond.field.path[0]!.toLowerCase() === 'systemmodstamp' &&
        cond.value.kind === 'datetime' &&
        ['>', '>=', '='].includes(cond.cmp)
        ? cond.value.value
        : undefined;
    case 'and': {
      const bounds = cond.items.map(stampLowerBound).filter((b): b is number => b !== undefined);
      return bounds.length ? Math.max(...bounds) : undefined;
    }
    case 'or': {
      const bounds = cond.items.map(stampLowerBound);
      return bounds.every((b) => b !== undefined) ? Math.min(...bounds) : undefined;
    }
    default:
      return undefined;
  }
}
