// The sandbox org's records: generated lazily from the population (person i ↦ Contact or Lead i, Individual i)
// with an overlay holding every write, so a 1,000,000-contact org costs memory only for what was written.
// Iteration order is the keyset order the connector relies on: (SystemModstamp, Id).
import type { SandboxPerson } from '../population.ts';
import type { OrgProfile } from './profile.ts';
import { canReadObject, PERMISSIVE_PROFILE, picked } from './profile.ts';
import type { FieldDef, ObjectName } from './schema.ts';
import { ALWAYS_VISIBLE, baseFields, KEY_PREFIX, ObjectSchema } from './schema.ts';

/** The slice of the population (src/sandbox/population.ts) the org reads. */
export type PersonLike = Pick<
  SandboxPerson,
  'index' | 'firstName' | 'lastName' | 'email' | 'company' | 'title' | 'objectType' | 'handles' | 'optedOut'
>;
export interface PersonSource {
  readonly size: number;
  person(index: number): PersonLike;
}

/** A record as stored: datetimes are epoch milliseconds, everything else as its JSON value. */
export type Row = Record<string, unknown>;

export const PERSON_USER_ID = '005SB0000000000001';
export const INTEGRATION_USER_ID = '005SB0000000000002';
export const ORG_ID = '00DSB0000000000001';
const ID_PATTERN = /^(003|00Q|0PK)SB(\d{13})$/;
const PEOPLE_PER_SECOND = 3;
const PERSON_CACHE = 20_000;
const WARM_SLICE = 2_000;
/** Fields of a Contact/Lead that come from the index alone (see `indexRow`). */
export const INDEX_FIELDS = new Set([
  'Id',
  'IsDeleted',
  'MasterRecordId',
  'OwnerId',
  'ConvertedContactId',
  'ConvertedDate',
  'CreatedDate',
  'CreatedById',
  'LastModifiedDate',
  'LastModifiedById',
  'SystemModstamp',
  'IndividualId',
  'IsConverted',
  'Influence_Score__c',
  'Influence_Tier__c',
  'Influence_Confidence__c',
  'Influence_Scored_At__c',
  'Influence_Top_Factors__c',
  'Influence_Reason_Codes__c',
  'Influence_Trend__c',
  'Influence_Org_Percentile__c',
]);

interface Modification {
  stamp: number;
  index: number;
}

type Person = 'Contact' | 'Lead';

export class SandboxOrg {
  /** The fields as the integration user sees them (field-level security applied): describe, SOQL and writes. */
  readonly schemas: Record<ObjectName, ObjectSchema>;
  /** Every field the org has, whoever may see it: what a person edits in the UI. */
  readonly fullSchemas: Record<ObjectName, ObjectSchema>;
  /** Deleted records in the recycle bin, with when they were deleted (Get Deleted, queryAll). */
  private readonly deleted: Record<Person, Map<number, number>> = { Contact: new Map(), Lead: new Map() };
  /** Base SystemModstamp of person 0; person i was last touched at base + ⌊i/3⌋ s (so stamps collide). */
  private readonly epochBase: number;
  private readonly objectTypes: Uint8Array;
  private readonly overlays: Record<ObjectName, Map<number, Row>> = {
    Contact: new Map(),
    Lead: new Map(),
    Individual: new Map(),
  };
  private readonly modifications: Record<
    'Contact' | 'Lead',
    { list: Modification[]; sorted: boolean; latest: Map<number, number> }
  > = {
    Contact: { list: [], sorted: true, latest: new Map() },
    Lead: { list: [], sorted: true, latest: new Map() },
  };
  private lastWriteStamp = 0;
  /** Recently generated people (a record is usually formatted, filtered and saved within moments). */
  private readonly people = new Map<number, PersonLike>();

  readonly population: PersonSource;
  readonly profile: OrgProfile;

  constructor(
    population: PersonSource,
    withCustomFields: boolean,
    now = Date.now(),
    profile: OrgProfile = PERMISSIVE_PROFILE,
  ) {
    this.population = population;
    this.profile = profile;
    const fields = (object: ObjectName): FieldDef[] =>
      object === 'Individual' && !profile.individual ? [] : baseFields(object, withCustomFields, profile.individual);
    this.fullSchemas = {
      Contact: new ObjectSchema('Contact', fields('Contact')),
      Lead: new ObjectSchema('Lead', fields('Lead')),
      Individual: new ObjectSchema('Individual', fields('Individual')),
    };
    this.schemas = {
      Contact: new ObjectSchema('Contact', this.visibleFields('Contact', fields('Contact'))),
      Lead: new ObjectSchema('Lead', this.visibleFields('Lead', fields('Lead'))),
      Individual: new ObjectSchema('Individual', this.visibleFields('Individual', fields('Individual'))),
    };
    const seconds = Math.ceil(population.size / PEOPLE_PER_SECOND) + 86_400;
    this.epochBase = Math.floor(now / 1000) * 1000 - seconds * 1000;
    this.objectTypes = new Uint8Array(population.size);
    setTimeout(() => this.warmObjectTypes(0), 0).unref();
  }

  get size(): number {
    return this.population.size;
  }

  /** Field-level security: a minimum-access user sees a field only with a field permission (or when FLS cannot hide it). */
  private visibleFields(object: ObjectName, fields: FieldDef[]): FieldDef[] {
    const permissions = this.profile.permissions;
    if (!permissions) return fields;
    return fields.flatMap((def) => {
      if (ALWAYS_VISIBLE.has(def.name)) return [{ ...def, updateable: def.updateable && def.name !== 'OwnerId' }];
      const grant = permissions.fields[`${object}.${def.name}`];
      if (!grant?.readable) return [];
      return [{ ...def, updateable: def.updateable && grant.editable }];
    });
  }

  /** Whether the integration user may query/describe/save this object at all. */
  canRead(object: ObjectName): boolean {
    return canReadObject(this.profile, object);
  }

  /** Sharing: Public Read/Write, or View All / Modify All, or the user owns the record. */
  isVisible(object: ObjectName, row: Row): boolean {
    if (object === 'Individual' || this.profile.owned >= 1) return true;
    const grant = this.profile.permissions?.objects[object];
    return grant?.viewAll === true || grant?.modifyAll === true || row.OwnerId === INTEGRATION_USER_ID;
  }

  isEditable(object: ObjectName, row: Row): boolean {
    if (object === 'Individual' || this.profile.owned >= 1) return true;
    const grant = this.profile.permissions?.objects[object];
    if (grant?.edit !== true) return false;
    return grant.modifyAll || row.OwnerId === INTEGRATION_USER_ID;
  }

  private ownerOf(object: Person, index: number): string {
    return this.profile.owned >= 1 || picked(this.profile, 'owner', SandboxOrg.idOf(object, index), this.profile.owned)
      ? INTEGRATION_USER_ID
      : PERSON_USER_ID;
  }

  /** Most people have no Individual record, even where Data Protection and Privacy is on. */
  private individualIdOf(index: number): string | null {
    const id = SandboxOrg.idOf('Individual', index);
    if (!this.profile.individual) return null;
    return this.profile.individualLinked >= 1 || picked(this.profile, 'individual', id, this.profile.individualLinked)
      ? id
      : null;
  }

  static idOf(object: ObjectName, index: number): string {
    return `${KEY_PREFIX[object]}SB${String(index).padStart(13, '0')}`;
  }

  /** The object and index an id names, when it is a well-formed sandbox id. */
  static parseId(id: string): { object: ObjectName; index: number } | undefined {
    const match = ID_PATTERN.exec(id);
    if (!match) return undefined;
    const object: ObjectName = match[1] === '003' ? 'Contact' : match[1] === '00Q' ? 'Lead' : 'Individual';
    return { object, index: Number(match[2]) };
  }

  objectTypeOf(index: number): 'Contact' | 'Lead' {
    let code = this.objectTypes[index];
    if (!code) {
      code = this.person(index).objectType === 'Contact' ? 1 : 2;
      this.objectTypes[index] = code;
    }
    return code === 1 ? 'Contact' : 'Lead';
  }

  /**
   * The current record, or undefined when no such record exists. `cheap` leaves out every field that needs the
   * person generated (names, email, handles, opt-outs): enough for filters on stamps, ids and our fields.
   */
  row(object: ObjectName, index: number, cheap = false): Row | undefined {
    if (!Number.isInteger(index) || index < 0 || index >= this.size) return undefined;
    if (object === 'Individual' && this.individualIdOf(index) === null) return undefined;
    if (object !== 'Individual' && this.objectTypeOf(index) !== object) return undefined;
    const overlay = this.overlays[object].get(index);
    const base = cheap && object !== 'Individual' ? this.indexRow(object, index) : this.baseRow(object, index);
    return overlay ? Object.assign(base, overlay) : base;
  }

  /** Warms the Contact/Lead split in the background, a slice per tick, so the first query of a big org is quick. */
  private warmObjectTypes(from: number): void {
    const end = Math.min(this.size, from + WARM_SLICE);
    for (let i = from; i < end; i++)
      if (!this.objectTypes[i]) this.objectTypes[i] = this.population.person(i).objectType === 'Contact' ? 1 : 2;
    if (end < this.size) setTimeout(() => this.warmObjectTypes(end), 0).unref();
  }

  private indexRow(object: 'Contact' | 'Lead', index: number): Row {
    const stamp = this.epochBase + Math.floor(index / PEOPLE_PER_SECOND) * 1000;
    const row: Row = {
      Id: SandboxOrg.idOf(object, index),
      IsDeleted: false,
      MasterRecordId: null,
      OwnerId: this.ownerOf(object, index),
      CreatedDate: stamp,
      CreatedById: PERSON_USER_ID,
      LastModifiedDate: stamp,
      LastModifiedById: PERSON_USER_ID,
      SystemModstamp: stamp,
      IndividualId: this.individualIdOf(index),
      Influence_Score__c: null,
      Influence_Tier__c: null,
      Influence_Confidence__c: null,
      Influence_Scored_At__c: null,
      Influence_Top_Factors__c: null,
      Influence_Reason_Codes__c: null,
      Influence_Trend__c: null,
      Influence_Org_Percentile__c: null,
    };
    if (object === 'Lead') Object.assign(row, { IsConverted: false, ConvertedContactId: null, ConvertedDate: null });
    return row;
  }

  rowById(id: string): { object: ObjectName; index: number; row: Row } | undefined {
    const parsed = SandboxOrg.parseId(id);
    if (!parsed) return undefined;
    const row = this.row(parsed.object, parsed.index);
    return row ? { ...parsed, row } : undefined;
  }

  private person(index: number): PersonLike {
    let person = this.people.get(index);
    if (!person) {
      person = this.population.person(index);
      if (this.people.size >= PERSON_CACHE) this.people.delete(this.people.keys().next().value!);
      this.people.set(index, person);
    }
    return person;
  }

  private baseRow(object: ObjectName, index: number): Row {
    const person = this.person(index);
    const stamp = this.epochBase + Math.floor(index / PEOPLE_PER_SECOND) * 1000;
    const common: Row = {
      Id: SandboxOrg.idOf(object, index),
      IsDeleted: false,
      FirstName: person.firstName,
      LastName: person.lastName,
      Name: `${person.firstName} ${person.lastName}`,
      CreatedDate: stamp,
      CreatedById: PERSON_USER_ID,
      LastModifiedDate: stamp,
      LastModifiedById: PERSON_USER_ID,
      SystemModstamp: stamp,
    };
    if (object === 'Individual') {
      // Opted-out people alternate between the two opt-out mechanisms so both are exercised.
      return { ...common, HasOptedOutProfiling: person.optedOut && index % 2 === 0, HasOptedOutTracking: false };
    }
    const row: Row = {
      ...common,
      MasterRecordId: null,
      OwnerId: this.ownerOf(object, index),
      Email: person.email,
      Title: person.title,
      IndividualId: this.individualIdOf(index),
      X_Handle__c: person.handles.x ?? null,
      GitHub_Handle__c: person.handles.github ?? null,
      Mastodon_Handle__c: person.handles.mastodon ?? null,
      Bluesky_Handle__c: person.handles.bluesky ?? null,
      YouTube_Channel__c: person.handles.youtube ?? null,
      Social_Profile_URL__c: person.handles.website ?? null,
      Influence_Score__c: null,
      Influence_Tier__c: null,
      Influence_Confidence__c: null,
      Influence_Scored_At__c: null,
      Influence_Top_Factors__c: null,
      Influence_Reason_Codes__c: null,
      Influence_Trend__c: null,
      Influence_Org_Percentile__c: null,
      Influence_Do_Not_Profile__c: person.optedOut && index % 2 === 1,
    };
    if (object === 'Lead') {
      Object.assign(row, {
        Company: person.company,
        IsConverted: false,
        ConvertedContactId: null,
        ConvertedDate: null,
      });
    }
    return row;
  }

  /** A stamp for a write happening now: second precision, never earlier than the previous write. */
  nextWriteStamp(): number {
    this.lastWriteStamp = Math.max(Math.floor(Date.now() / 1000) * 1000, this.lastWriteStamp);
    return this.lastWriteStamp;
  }

  /** Stores already-validated values and bumps the audit fields, as Salesforce does on every save. */
  applyUpdate(object: ObjectName, index: number, values: Row, userId: string, stamp: number): void {
    const overlay = this.overlays[object].get(index) ?? {};
    Object.assign(overlay, values, { LastModifiedDate: stamp, LastModifiedById: userId, SystemModstamp: stamp });
    this.overlays[object].set(index, overlay);
    if (object === 'Individual') return;
    const mods = this.modifications[object];
    const last = mods.list.at(-1);
    if (last && (last.stamp > stamp || (last.stamp === stamp && last.index > index))) mods.sorted = false;
    mods.list.push({ stamp, index });
    mods.latest.set(index, stamp);
  }

  /**
   * Records of one object in (SystemModstamp, Id) order, starting at the first with SystemModstamp ≥ `fromStamp`.
   * Untouched records come first (their stamps are all older than any write), then written ones.
   */
  *scan(object: ObjectName, fromStamp?: number, cheap = false): Generator<Row> {
    if (object === 'Individual') {
      for (let i = 0; i < this.size; i++) {
        const row = this.row('Individual', i);
        if (row) yield row;
      }
      return;
    }
    const mods = this.modifications[object];
    const first =
      fromStamp === undefined ? 0 : Math.max(0, Math.ceil((fromStamp - this.epochBase) / 1000) * PEOPLE_PER_SECOND);
    for (let i = first; i < this.size; i++) {
      if (mods.latest.has(i) || this.objectTypeOf(i) !== object) continue;
      yield this.row(object, i, cheap)!;
    }
    this.sortModifications(mods);
    let start = 0;
    if (fromStamp !== undefined) {
      let lo = 0;
      let hi = mods.list.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (mods.list[mid]!.stamp < fromStamp) lo = mid + 1;
        else hi = mid;
      }
      start = lo;
    }
    for (let k = start; k < mods.list.length; k++) {
      const mod = mods.list[k]!;
      if (mods.latest.get(mod.index) !== mod.stamp) continue;
      // The same (stamp, index) may appear twice when a record is written twice in one second.
      const prev = k > start ? mods.list[k - 1] : undefined;
      if (prev && prev.stamp === mod.stamp && prev.index === mod.index) continue;
      yield this.row(object, mod.index)!;
    }
  }

  private sortModifications(mods: { list: Modification[]; sorted: boolean; latest: Map<number, number> }): void {
    if (mods.sorted) return;
    // Drop superseded entries, then order by (stamp, index) — index order is Id order within one object.
    const live = mods.list.filter((m) => mods.latest.get(m.index) === m.stamp);
    live.sort((a, b) => a.stamp - b.stamp || a.index - b.index);
    mods.list = live;
    mods.sorted = true;
  }

  /** A delete (or the losing side of a merge): the record moves to the recycle bin; SystemModstamp moves. */
  deleteRecord(object: Person, index: number, stamp: number, masterId: string | null = null): void {
    this.applyUpdate(object, index, { IsDeleted: true, MasterRecordId: masterId }, PERSON_USER_ID, stamp);
    this.deleted[object].set(index, stamp);
  }

  /** Restored from the recycle bin: the record is back, with a new SystemModstamp. */
  undeleteRecord(object: Person, index: number, stamp: number): void {
    this.applyUpdate(object, index, { IsDeleted: false, MasterRecordId: null }, PERSON_USER_ID, stamp);
    this.deleted[object].delete(index);
  }

  /** Records of `object` in the recycle bin that were deleted between the two times (Get Deleted). */
  deletedBetween(object: Person, start: number, end: number): { id: string; deletedAt: number }[] {
    return [...this.deleted[object]]
      .filter(([, at]) => at >= start && at <= end)
      .sort((a, b) => a[1] - b[1])
      .map(([index, deletedAt]) => ({ id: SandboxOrg.idOf(object, index), deletedAt }));
  }

  /** Number of records written at least once (for counters). */
  get overlaySize(): number {
    return this.overlays.Contact.size + this.overlays.Lead.size + this.overlays.Individual.size;
  }
}
