// The portal's contacts: generated lazily from the population (person i ↦ contact id i+1), with the writes made
// through the API kept as overlays, so 1,000,000 contacts cost memory only for the records actually written.
// A contact's life as HubSpot runs it: archived (deleted, kept 90 days in the recycle bin and listed with
// `archived=true`), restored, merged (the absorbed id answers reads and writes as the surviving contact, whose
// `hs_merged_object_ids` names it), or erased by a GDPR delete (gone for good, listed nowhere).
import type { SandboxPerson } from '../population.ts';
import type { PropertyRegistry } from './properties.ts';
import { sandboxOwnerOf } from './tasks.ts';

/** The part of the population (src/sandbox/population.ts) a HubSpot portal needs. */
export interface HubSpotPopulation {
  readonly size: number;
  person(
    index: number,
  ): Pick<
    SandboxPerson,
    'firstName' | 'lastName' | 'email' | 'company' | 'title' | 'objectType' | 'handles' | 'optedOut' | 'createdAt'
  >;
  /** What deal outcomes are planted on (../deals.ts); 0 for everyone when absent. */
  latentInfluence?(index: number): number;
}

type Person = ReturnType<HubSpotPopulation['person']>;

interface Overlay {
  values: Map<string, string | null>;
  modifiedMs?: number;
  /** Earlier versions the search index may still show (kept only while the index lags). */
  past?: IndexedVersion[];
}

/** A record as it was until `until` (ms): what a lagging search index still answers with. */
interface IndexedVersion {
  until: number;
  values: ReadonlyMap<string, string | null> | undefined;
  modifiedMs: number | undefined;
  /** Not created yet at that time. */
  absent: boolean;
}

/** What a list/search/read returns for one contact. */
export interface ContactView {
  id: string;
  properties: Record<string, string | null>;
  createdAt: string;
  updatedAt: string;
  archived: boolean;
  archivedAt?: string;
}

export const DEFAULT_PROPERTIES = ['createdate', 'email', 'firstname', 'hs_object_id', 'lastmodifieddate', 'lastname'];

const PERSON_CACHE_LIMIT = 20_000;

export class ContactStore {
  private readonly overlays = new Map<number, Overlay>();
  /** Deleted (in the recycle bin): index → when. */
  private readonly archived = new Map<number, number>();
  /** GDPR-deleted: gone for good. */
  private readonly erased = new Set<number>();
  /** Merged away: absorbed index → surviving index. */
  private readonly mergedInto = new Map<number, number>();
  private readonly personCache = new Map<number, Person>();
  private created = 0;
  /** lastmodifieddate of every record nobody has touched (the portal's import). */
  private baseModifiedMs: number;

  private readonly population: HubSpotPopulation;
  private readonly registry: PropertyRegistry;
  /** How long a write takes to reach the search index (HubSpot: seconds; developers.hubspot.com/docs/api/crm/search). */
  readonly indexLagMs: number;

  constructor(population: HubSpotPopulation, registry: PropertyRegistry, importedAt: Date, indexLagMs = 0) {
    this.population = population;
    this.registry = registry;
    this.indexLagMs = indexLagMs;
    this.baseModifiedMs = importedAt.getTime();
  }

  /** The record as the search index has it at `at` (undefined = now, no lag). */
  private version(index: number, at: number | undefined): IndexedVersion | undefined {
    if (at === undefined) return undefined;
    return this.overlays.get(index)?.past?.find((v) => v.until > at);
  }

  /** Whether the search index knows the record at `at` yet (a contact created moments ago is not found). */
  indexed(index: number, at: number | undefined): boolean {
    return this.version(index, at)?.absent !== true;
  }

  private remember(overlay: Overlay, nowMs: number, absent: boolean): void {
    if (this.indexLagMs <= 0) return;
    const kept = (overlay.past ?? []).filter((v) => v.until > nowMs - this.indexLagMs);
    kept.push({
      until: nowMs,
      values: absent ? undefined : new Map(overlay.values),
      modifiedMs: overlay.modifiedMs,
      absent,
    });
    overlay.past = kept;
  }

  /** Highest index + 1 (population plus contacts created since). */
  get size(): number {
    return this.population.size + this.created;
  }

  indexOf(id: string): number | undefined {
    if (!/^[1-9]\d{0,9}$/.test(id)) return undefined;
    const index = Number(id) - 1;
    return this.exists(index) ? index : undefined;
  }

  /** The live contact an id names now: itself, or the contact it was merged into (reads and writes follow merges). */
  resolve(id: string): number | undefined {
    if (!/^[1-9]\d{0,9}$/.test(id)) return undefined;
    let index = Number(id) - 1;
    for (let hops = 0; hops < 100; hops++) {
      const next = this.mergedInto.get(index);
      if (next === undefined) break;
      index = next;
    }
    return this.exists(index) ? index : undefined;
  }

  exists(index: number): boolean {
    return (
      index >= 0 &&
      index < this.size &&
      !this.archived.has(index) &&
      !this.erased.has(index) &&
      !this.mergedInto.has(index)
    );
  }

  private person(index: number): Person | undefined {
    if (index >= this.population.size) return undefined;
    let p = this.personCache.get(index);
    if (p === undefined) {
      if (this.personCache.size >= PERSON_CACHE_LIMIT) this.personCache.clear();
      p = this.population.person(index);
      this.personCache.set(index, p);
    }
    return p;
  }

  modifiedMs(index: number, at?: number): number {
    const version = this.version(index, at);
    if (version !== undefined) return version.modifiedMs ?? this.baseModifiedMs;
    return this.overlays.get(index)?.modifiedMs ?? this.baseModifiedMs;
  }

  createdMs(index: number): number {
    const p = this.person(index);
    const created =
      p === undefined
        ? Number(this.overlays.get(index)?.values.get('createdate') ?? this.baseModifiedMs)
        : Date.parse(p.createdAt);
    return Math.min(created, this.modifiedMs(index));
  }

  /** The stored value (datetimes as ms epoch strings) or null. */
  stored(index: number, name: string, at?: number): string | null {
    if (name === 'hs_object_id') return String(index + 1);
    if (name === 'lastmodifieddate') return String(this.modifiedMs(index, at));
    if (name === 'createdate') return String(this.createdMs(index));
    const version = this.version(index, at);
    const values = version === undefined ? this.overlays.get(index)?.values : version.values;
    if (values?.has(name) === true) return values.get(name) ?? null;
    return this.baseValue(index, name);
  }

  private baseValue(index: number, name: string): string | null {
    // Our influence fields start empty: no person lookup needed (keeps stale-contact searches cheap).
    if (name.startsWith('influence_') && name !== 'influence_do_not_profile') return null;
    const p = this.person(index);
    if (p === undefined) return null;
    switch (name) {
      case 'email':
        return p.email;
      case 'firstname':
        return p.firstName;
      case 'lastname':
        return p.lastName;
      case 'company':
        return p.company;
      case 'jobtitle':
        return p.title;
      case 'lifecyclestage':
        return p.objectType === 'Lead' ? 'lead' : 'customer';
      case 'twitterhandle':
        return p.handles.x ?? null;
      case 'github_handle':
        return p.handles.github ?? null;
      case 'mastodon_handle':
        return p.handles.mastodon ?? null;
      case 'bluesky_handle':
        return p.handles.bluesky ?? null;
      case 'youtube_channel':
        return p.handles.youtube ?? null;
      case 'social_profile_url':
        return p.handles.website ?? null;
      case 'influence_do_not_profile':
        return p.optedOut ? 'true' : null;
      case 'hubspot_owner_id':
        return sandboxOwnerOf(index);
      default:
        return null;
    }
  }

  /**
   * Applies validated values (stored form) as one write; bumps lastmodifieddate, whoever writes (an integration too),
   * to the time the batch answer gives as updatedAt (developers.hubspot.com/docs/api-reference/legacy/crm/objects/
   * contacts/batch/update-contacts).
   */
  write(index: number, values: ReadonlyMap<string, string | null>, nowMs = Date.now()): void {
    let overlay = this.overlays.get(index);
    if (overlay === undefined) {
      overlay = { values: new Map() };
      this.overlays.set(index, overlay);
    }
    this.remember(overlay, nowMs, false);
    for (const [name, value] of values) overlay.values.set(name, value);
    overlay.modifiedMs = nowMs;
  }

  create(values: ReadonlyMap<string, string | null>, nowMs = Date.now()): number {
    const index = this.size;
    this.created += 1;
    const overlay: Overlay = { values: new Map([...values, ['createdate', String(nowMs)]]), modifiedMs: nowMs };
    this.remember(overlay, nowMs, true);
    this.overlays.set(index, overlay);
    return index;
  }

  archive(index: number, nowMs = Date.now()): void {
    this.archived.set(index, nowMs);
  }

  restore(index: number, nowMs = Date.now()): void {
    if (!this.archived.delete(index)) throw new Error(`sandbox: contact ${index + 1} is not in the recycle bin`);
    this.write(index, new Map(), nowMs);
  }

  /** A GDPR delete: the record and its values are gone, from the recycle bin too. */
  erase(index: number): void {
    this.archived.delete(index);
    this.overlays.delete(index);
    this.erased.add(index);
  }

  /** `absorbed` is merged into `survivor`, which keeps its id, records the absorbed id and is modified now. */
  merge(survivor: number, absorbed: number, nowMs = Date.now()): void {
    const previous = this.stored(survivor, 'hs_merged_object_ids');
    const ids = [...(previous === null ? [] : previous.split(';')), String(absorbed + 1)];
    const carried = this.stored(absorbed, 'hs_merged_object_ids');
    if (carried !== null) ids.push(...carried.split(';'));
    this.mergedInto.set(absorbed, survivor);
    this.write(survivor, new Map([['hs_merged_object_ids', ids.join(';')]]), nowMs);
  }

  /** Recycle-bin contacts, ascending by index. */
  archivedIndices(): number[] {
    return [...this.archived.keys()].sort((a, b) => a - b);
  }

  /** Tests: every record (touched or not) now carries this lastmodifieddate. */
  setAllModifiedAt(at: Date): void {
    this.baseModifiedMs = at.getTime();
    for (const overlay of this.overlays.values()) overlay.modifiedMs = at.getTime();
  }

  /** `at`: as the search index shows it then (search answers with indexed values). */
  view(index: number, properties: readonly string[], at?: number): ContactView {
    const archivedAt = this.archived.get(index);
    const props: Record<string, string | null> = {};
    for (const name of properties) {
      // Unknown (or deleted) properties are silently left out of reads, as HubSpot does.
      if (!this.registry.has(name)) continue;
      props[name] = this.registry.present(name, this.stored(index, name, at));
    }
    return {
      id: String(index + 1),
      properties: props,
      createdAt: new Date(this.createdMs(index)).toISOString(),
      updatedAt: new Date(this.modifiedMs(index, at)).toISOString(),
      archived: archivedAt !== undefined,
      ...(archivedAt === undefined ? {} : { archivedAt: new Date(archivedAt).toISOString() }),
    };
  }

  /** Indices of records with an overlay whose lastmodifieddate is after `ms` (cheap candidates for searches). */
  touchedSince(ms: number): number[] {
    const out: number[] = [];
    for (const [index, overlay] of this.overlays) {
      if ((overlay.modifiedMs ?? this.baseModifiedMs) > ms && this.exists(index)) out.push(index);
    }
    return out.sort((a, b) => a - b);
  }

  get untouchedModifiedMs(): number {
    return this.baseModifiedMs;
  }
}
