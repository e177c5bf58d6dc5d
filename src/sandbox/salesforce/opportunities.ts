// Opportunities and their contact roles in the sandbox org, generated from the population's deals (../deals.ts):
// one Opportunity per deal with one primary OpportunityContactRole naming the Contact. Queried through the same
// SOQL parser as contacts, with the fields and types of the Object Reference
// (https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_opportunity.htm,
// …/sforce_api_objects_opportunitycontactrole.htm): `IsWon`/`IsClosed` follow the stage, `CloseDate` is a date,
// `Amount` a currency (field-level security can hide it), a contact role reaches its opportunity's fields through the
// `Opportunity` relationship. Read-only: the product never writes them.
import type { DealSource, DealWorldOptions, SandboxDeal } from '../deals.ts';
import { generateDeals } from '../deals.ts';
import type { OrgProfile } from './profile.ts';
import { formatDatetime } from './query.ts';
import type { Comparison, Condition, FieldRef, Literal, SoqlQuery } from './soql.ts';
import { plainString, SoqlError } from './soql.ts';

export type OpportunityObject = 'Opportunity' | 'OpportunityContactRole';
export const OPPORTUNITY_OBJECTS: readonly OpportunityObject[] = ['Opportunity', 'OpportunityContactRole'];

type FieldKind = 'id' | 'string' | 'boolean' | 'double' | 'date' | 'datetime';
const FIELDS: Record<OpportunityObject, Record<string, FieldKind>> = {
  Opportunity: {
    Id: 'id',
    IsDeleted: 'boolean',
    Name: 'string',
    StageName: 'string',
    IsClosed: 'boolean',
    IsWon: 'boolean',
    Amount: 'double',
    CloseDate: 'date',
    CreatedDate: 'datetime',
    LastModifiedDate: 'datetime',
    SystemModstamp: 'datetime',
  },
  OpportunityContactRole: {
    Id: 'id',
    IsDeleted: 'boolean',
    OpportunityId: 'id',
    ContactId: 'id',
    Role: 'string',
    IsPrimary: 'boolean',
    CreatedDate: 'datetime',
    LastModifiedDate: 'datetime',
    SystemModstamp: 'datetime',
  },
};
/** Fields field-level security can hide on Opportunity (the rest are required or system fields). */
const FLS_FIELDS = new Set(['Opportunity.Amount']);

type Row = Record<string, unknown>;

export class OpportunityTables {
  private deals: SandboxDeal[] | undefined;
  private opportunities: Row[] = [];
  private roles: Row[] = [];

  private readonly source: DealSource;
  private readonly world: DealWorldOptions;
  private readonly profile: OrgProfile;
  private readonly isContact: (index: number) => boolean;
  private readonly contactId: (index: number) => string;
  private readonly now: number;

  constructor(
    source: DealSource,
    world: DealWorldOptions,
    profile: OrgProfile,
    isContact: (index: number) => boolean,
    contactId: (index: number) => string,
    now: number,
  ) {
    this.source = source;
    this.world = world;
    this.profile = profile;
    this.isContact = isContact;
    this.contactId = contactId;
    this.now = now;
  }

  /** The generated deals (materialised on first use: an org nobody asks about opportunities costs nothing). */
  allDeals(): SandboxDeal[] {
    if (this.deals === undefined) {
      this.deals = generateDeals(this.source, this.world, this.now, this.isContact);
      for (const deal of this.deals) {
        const id = opportunityId(deal.index);
        // An opportunity was last modified when it closed (or, still open, when it was created).
        const stamp = Math.min(this.now, deal.isClosed ? deal.closeAt + 43_200_000 : deal.createdAt);
        this.opportunities.push({
          Id: id,
          IsDeleted: false,
          Name: `Deal ${deal.index + 1}`,
          StageName: deal.isClosed ? (deal.isWon ? 'Closed Won' : 'Closed Lost') : 'Negotiation/Review',
          IsClosed: deal.isClosed,
          IsWon: deal.isWon,
          Amount: deal.amount,
          CloseDate: deal.closeAt,
          CreatedDate: deal.createdAt,
          LastModifiedDate: stamp,
          SystemModstamp: stamp,
        });
        this.roles.push({
          Id: `00KSB${String(deal.index).padStart(13, '0')}`,
          IsDeleted: false,
          OpportunityId: id,
          ContactId: this.contactId(deal.personIndex),
          Role: 'Decision Maker',
          IsPrimary: true,
          CreatedDate: deal.createdAt,
          LastModifiedDate: deal.createdAt,
          SystemModstamp: deal.createdAt,
        });
      }
    }
    return this.deals;
  }

  /** A person changes an opportunity (closes it, changes the amount): SystemModstamp moves. */
  edit(id: string, fields: Row, stamp: number): void {
    this.allDeals();
    const row = this.opportunities[opportunityIndex(id) ?? -1];
    if (row === undefined) throw new Error(`no opportunity ${id}`);
    Object.assign(row, fields, { LastModifiedDate: stamp, SystemModstamp: stamp });
    if (typeof fields.StageName === 'string') {
      row.IsClosed = /^Closed/.test(fields.StageName);
      row.IsWon = fields.StageName === 'Closed Won';
    }
  }

  /** Contact roles have no permissions of their own: they follow the opportunity's. */
  canRead(_object: OpportunityObject): boolean {
    return !this.profile.permissions || this.profile.permissions.objects.Opportunity?.read === true;
  }

  private visible(object: OpportunityObject, field: string): boolean {
    const key = `${object}.${field}`;
    return !this.profile.permissions || !FLS_FIELDS.has(key) || this.profile.permissions.fields[key]?.readable === true;
  }

  /** The matching records, shaped as the REST query result. */
  run(soql: string, query: SoqlQuery, object: OpportunityObject, version: string): Row[] {
    this.allDeals();
    if (query.select === 'count')
      throw new SoqlError('MALFORMED_QUERY', `\n${soql}\nCOUNT() is not supported here by the sandbox`);
    const fields = query.select.map((ref) => this.bind(object, ref, soql));
    const predicate = query.where ? this.compile(object, query.where, soql) : () => true;
    const rows = (object === 'Opportunity' ? this.opportunities : this.roles).filter(
      (row) => row.IsDeleted !== true && predicate(row),
    );
    for (const order of [...query.orderBy].reverse()) {
      const get = this.getter(this.bind(object, order.field, soql));
      rows.sort((a, b) => {
        const x = get(a) as number | string;
        const y = get(b) as number | string;
        return (x < y ? -1 : x > y ? 1 : 0) * (order.descending ? -1 : 1);
      });
    }
    const limited = rows.slice(
      query.offset ?? 0,
      query.limit === undefined ? undefined : (query.offset ?? 0) + query.limit,
    );
    return limited.map((row) => {
      const record: Row = { attributes: attributes(object, row.Id as string, version) };
      for (const field of fields) {
        const value = apiValue(field.kind, this.getter(field)(row));
        if (field.path.length === 1) record[field.path[0]!] = value;
        else {
          const parent = (record.Opportunity ??= {
            attributes: attributes('Opportunity', row.OpportunityId as string, version),
          }) as Row;
          parent[field.path[1]!] = value;
        }
      }
      return record;
    });
  }

  private bind(object: OpportunityObject, ref: FieldRef, soql: string): { path: string[]; kind: FieldKind } {
    const [first, second] = ref.path;
    if (ref.path.length === 2 && object === 'OpportunityContactRole' && first!.toLowerCase() === 'opportunity') {
      const name = canonical('Opportunity', second!, soql);
      if (!this.visible('Opportunity', name)) throw invalidField(soql, name, 'Opportunity');
      return { path: ['Opportunity', name], kind: FIELDS.Opportunity[name]! };
    }
    if (ref.path.length !== 1)
      throw new SoqlError('INVALID_FIELD', `\n${soql}\nDidn't understand relationship '${first}' in field path.`);
    const name = canonical(object, first!, soql);
    if (!this.visible(object, name)) throw invalidField(soql, name, object);
    return { path: [name], kind: FIELDS[object][name]! };
  }

  private getter(field: { path: string[] }): (row: Row) => unknown {
    if (field.path.length === 1) return (row) => row[field.path[0]!];
    return (row) => this.opportunities[opportunityIndex(row.OpportunityId as string) ?? -1]?.[field.path[1]!] ?? null;
  }

  private compile(object: OpportunityObject, cond: Condition, soql: string): (row: Row) => boolean {
    switch (cond.op) {
      case 'and': {
        const parts = cond.items.map((c) => this.compile(object, c, soql));
        return (row) => parts.every((p) => p(row));
      }
      case 'or': {
        const parts = cond.items.map((c) => this.compile(object, c, soql));
        return (row) => parts.some((p) => p(row));
      }
      case 'not': {
        const inner = this.compile(object, cond.item, soql);
        return (row) => !inner(row);
      }
      case 'cmp': {
        const field = this.bind(object, cond.field, soql);
        const get = this.getter(field);
        const value = literal(field.kind, cond.value, field.path.join('.'), soql);
        return (row) => compare(get(row), cond.cmp, value);
      }
      case 'in': {
        const field = this.bind(object, cond.field, soql);
        const get = this.getter(field);
        const values = cond.values.map((v) => literal(field.kind, v, field.path.join('.'), soql));
        return (row) => values.some((v) => compare(get(row), '=', v)) !== cond.negate;
      }
      case 'like':
        throw new SoqlError('MALFORMED_QUERY', `\n${soql}\nLIKE on opportunities is not supported by the sandbox`);
    }
  }
}

export function opportunityId(index: number): string {
  return `006SB${String(index).padStart(13, '0')}`;
}

function opportunityIndex(id: string): number | undefined {
  const match = /^006SB(\d{13})$/.exec(id);
  return match ? Number(match[1]) : undefined;
}

function canonical(object: OpportunityObject, name: string, soql: string): string {
  const found = Object.keys(FIELDS[object]).find((f) => f.toLowerCase() === name.toLowerCase());
  if (found === undefined) throw invalidField(soql, name, object);
  return found;
}

function invalidField(soql: string, name: string, object: string): SoqlError {
  return new SoqlError(
    'INVALID_FIELD',
    `\n${soql}\nNo such column '${name}' on entity '${object}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.`,
  );
}

function attributes(type: string, id: string, version: string): { type: string; url: string } {
  return { type, url: `/services/data/v${version}/sobjects/${type}/${id}` };
}

function apiValue(kind: FieldKind, value: unknown): unknown {
  if (value === null || value === undefined) return kind === 'boolean' ? false : null;
  if (kind === 'datetime') return formatDatetime(value as number);
  if (kind === 'date') return new Date(value as number).toISOString().slice(0, 10);
  return value;
}

/** The literal as a stored value; a type that does not fit the field fails as on Salesforce. */
function literal(kind: FieldKind, value: Literal, name: string, soql: string): unknown {
  if (value.kind === 'null') return null;
  const wrong = (type: string, quoted: boolean) =>
    new SoqlError(
      'INVALID_QUERY_FILTER_OPERATOR',
      `\n${soql}\nvalue of filter criterion for field '${name}' must be of type ${type} and ${quoted ? 'should be enclosed in quotes' : 'should not be enclosed in quotes'}`,
    );
  switch (kind) {
    case 'datetime':
      if (value.kind !== 'datetime' || !value.text.includes('T')) throw wrong('dateTime', false);
      return value.value;
    case 'date':
      if (value.kind !== 'datetime' || value.text.includes('T')) throw wrong('date', false);
      return value.value;
    case 'boolean':
      if (value.kind !== 'boolean') throw wrong('boolean', false);
      return value.value;
    case 'double':
      if (value.kind !== 'number') throw wrong('double', false);
      return value.value;
    default:
      if (value.kind !== 'string') throw wrong('string', true);
      return plainString(value.value);
  }
}

function compare(actual: unknown, cmp: Comparison, value: unknown): boolean {
  if (value === null || actual === null || actual === undefined)
    return cmp === '=' ? actual == value : cmp === '!=' ? actual != value : false;
  const a = typeof actual === 'string' ? actual.toLowerCase() : (actual as number);
  const b = typeof value === 'string' ? value.toLowerCase() : (value as number);
  switch (cmp) {
    case '=':
      return a === b;
    case '!=':
      return a !== b;
    case '<':
      return a < b;
    case '>':
      return a > b;
    case '<=':
      return a <= b;
    case '>=':
      return a >= b;
  }
}
