// In-memory test doubles of a CRM and of social networks, with faults on demand. Test code only.
import type {
  ApiUsage,
  ContactPage,
  CrmConnector,
  CrmContact,
  InfluenceFields,
  ReadOptions,
  ScoreUpdate,
  SetupReport,
  WriteResult,
} from '../../src/crm/contract.ts';
import { CLEARED_FIELDS } from '../../src/crm/contract.ts';
import { BudgetReachedError, NeedsReauthError } from '../../src/crm/errors.ts';
import type { Identity, RejectedHandle } from '../../src/identity/types.ts';
import type { ProviderAdapter, ProviderResult } from '../../src/providers/contract.ts';
import type { Network, NetworkMetrics, ScoreFunction, ScoreInput, ScoreResult, Tier } from '../../src/scoring/types.ts';

export interface MemoryRecord {
  id: string;
  handles: { network: Network; value: string }[];
  fields: Partial<InfluenceFields>;
  doNotProfile: boolean;
  /** Modification sequence: bumped by every write and every edit, like SystemModstamp. */
  seq: number;
}

interface Cursor {
  since: number;
  after: string | null;
  watermark: number;
}

export interface RecordFault {
  code: string;
  message: string;
  retryable: boolean;
  /** How many more write attempts fail. */
  times: number;
}

/** A CRM in memory: incremental reads by modification sequence, paged by id; every call counted. */
export class MemoryCrm implements CrmConnector {
  readonly crm = 'salesforce' as const;
  readonly records = new Map<string, MemoryRecord>();
  /** Every update the CRM accepted, in order. */
  readonly accepted: ScoreUpdate[] = [];
  readonly calls = { read: 0, write: 0, other: 0 };
  budget: { limit: number; remaining: number } | undefined;
  /** Throw (a crash) when asked for a page after this many pages were served in the current read. */
  crashAfterPages: number | null = null;
  /** Throw (a crash) on this write call number (1-based, counted across the CRM's life). */
  crashOnWriteCall: number | null = null;
  /** Make the next call throw this error (budget exhausted, re-auth). */
  failNextCallWith: Error | null = null;
  readonly recordFaults = new Map<string, RecordFault>();
  /** The tier labels the tier field shows (as a HubSpot enumeration's option labels would). */
  tierLabels: Record<string, string> = { A: 'A', B: 'B', C: 'C', D: 'D', Unscored: 'Unscored' };
  tierLabelUpdates = 0;
  /** Make applyTierLabels throw this (e.g. a missing scope). */
  tierLabelsError: Error | null = null;
  private seq = 0;

  applyTierLabels(labels: Readonly<Record<string, string>>): Promise<boolean> {
    if (this.tierLabelsError !== null) return Promise.reject(this.tierLabelsError);
    if (Object.entries(labels).every(([tier, label]) => this.tierLabels[tier] === label)) return Promise.resolve(false);
    this.tierLabels = { ...labels };
    this.tierLabelUpdates += 1;
    return Promise.resolve(true);
  }

  readonly writeBatchSize: number;
  readonly pageSize: number;

  constructor(writeBatchSize = 200, pageSize = 50) {
    this.writeBatchSize = writeBatchSize;
    this.pageSize = pageSize;
  }

  add(
    id: string,
    handles: { network: Network; value: string }[],
    extra: Partial<Pick<MemoryRecord, 'doNotProfile' | 'fields'>> = {},
  ): void {
    this.records.set(id, {
      id,
      handles,
      fields: extra.fields ?? {},
      doNotProfile: extra.doNotProfile ?? false,
      seq: ++this.seq,
    });
  }

  /** A person edits fields in the CRM UI. */
  edit(id: string, change: Partial<Omit<MemoryRecord, 'id' | 'seq'>>): void {
    const record = this.mustGet(id);
    Object.assign(
      record,
      change,
      change.fields !== undefined ? { fields: { ...record.fields, ...change.fields } } : {},
    );
    record.seq = ++this.seq;
  }

  writesOf(id: string): ScoreUpdate[] {
    return this.accepted.filter((u) => u.id === id);
  }

  private mustGet(id: string): MemoryRecord {
    const record = this.records.get(id);
    if (record === undefined) throw new Error(`no record ${id}`);
    return record;
  }

  private spend(kind: 'read' | 'write' | 'other'): void {
    if (this.failNextCallWith !== null) {
      const error = this.failNextCallWith;
      this.failNextCallWith = null;
      throw error;
    }
    if (this.budget !== undefined) {
      if (this.budget.remaining <= 0) throw new BudgetReachedError('the CRM daily API limit is exhausted');
      this.budget.remaining -= 1;
    }
    this.calls[kind] += 1;
  }

  private toContact(record: MemoryRecord): CrmContact {
    return {
      crm: 'salesforce',
      objectType: 'Contact',
      id: record.id,
      handles: record.handles.map((h) => ({ field: `${h.network}_handle`, network: h.network, value: h.value })),
      current: { ...record.fields },
      modifiedAt: new Date(Date.UTC(2026, 0, 1) + record.seq * 1000).toISOString(),
      doNotProfile: record.doNotProfile,
    };
  }

  private isStale(record: MemoryRecord, staleBefore: Date): boolean {
    const at = record.fields.scoredAt;
    return at === undefined || at === null || Date.parse(at) < staleBefore.getTime();
  }

  checkSetup(): Promise<SetupReport> {
    this.spend('other');
    return Promise.resolve({ ok: true, fields: [], missingScopes: [], problems: [] });
  }

  async *readContacts(cursorText: string | null, options: ReadOptions): AsyncIterable<ContactPage> {
    await Promise.resolve(); // an API call would be awaited here
    if (options.ids !== undefined) {
      this.spend('read');
      const contacts = options.ids.flatMap((id) => {
        const record = this.records.get(id);
        return record === undefined ? [] : [this.toContact(record)];
      });
      yield { contacts, cursor: cursorText ?? '' };
      return;
    }
    const cursor: Cursor =
      cursorText === null || options.full
        ? { since: 0, after: null, watermark: this.seq }
        : (JSON.parse(cursorText) as Cursor);
    // A finished read starts a new one from its watermark.
    if (cursor.after === null) cursor.watermark = this.seq;
    let after = cursor.after;
    let served = 0;
    for (;;) {
      if (this.crashAfterPages !== null && served >= this.crashAfterPages)
        throw new Error('simulated crash while reading');
      this.spend('read');
      const candidates = [...this.records.values()]
        .filter((r) => options.full || r.seq > cursor.since || this.isStale(r, options.staleBefore))
        .filter((r) => after === null || r.id > after)
        .sort((a, b) => (a.id < b.id ? -1 : 1));
      const page = candidates.slice(0, this.pageSize);
      const done = candidates.length <= this.pageSize;
      after = page.at(-1)?.id ?? after;
      const next: Cursor = done
        ? { since: cursor.watermark, after: null, watermark: cursor.watermark }
        : { ...cursor, after };
      served += 1;
      yield { contacts: page.map((r) => this.toContact(r)), cursor: JSON.stringify(next) };
      if (done) return;
    }
  }

  writeScores(updates: readonly ScoreUpdate[]): Promise<WriteResult[]> {
    if (updates.length > this.writeBatchSize)
      throw new Error(`batch of ${updates.length} exceeds ${this.writeBatchSize}`);
    this.spend('write');
    if (this.crashOnWriteCall !== null && this.calls.write === this.crashOnWriteCall) {
      throw new Error('simulated crash while writing');
    }
    return Promise.resolve(
      updates.map((update): WriteResult => {
        const fault = this.recordFaults.get(update.id);
        if (fault !== undefined && fault.times > 0) {
          fault.times -= 1;
          return { id: update.id, ok: false, code: fault.code, message: fault.message, retryable: fault.retryable };
        }
        const record = this.mustGet(update.id);
        record.fields = { ...update.fields };
        record.seq = ++this.seq;
        this.accepted.push(update);
        return { id: update.id, ok: true };
      }),
    );
  }

  apiUsage(): ApiUsage {
    return { calls: { ...this.calls }, ...(this.budget !== undefined ? { budget: { ...this.budget } } : {}) };
  }
}

export function reauthError(): NeedsReauthError {
  return new NeedsReauthError('Salesforce rejected the refresh token (invalid_grant)');
}

export function metricsFor(network: Network, handle: string, followers: number): NetworkMetrics {
  return {
    network,
    handle,
    followers,
    following: 10,
    posts: 100,
    recentPosts: [],
    fetchedAt: '2026-01-01T00:00:00.000Z',
  };
}

/** A social network in memory: a follower count per handle, an outage switch, a call counter. */
export class MemoryProvider implements ProviderAdapter {
  readonly followers = new Map<string, number>();
  readonly statuses = new Map<string, Exclude<ProviderResult['status'], 'ok'>>();
  outage = false;
  /** Throw on every call, as when the credentials are wrong. */
  broken = false;
  calls = 0;
  /** Handles whose host the outbound guard refuses (as Mastodon's adapter: counted, answered not_found). */
  readonly refusedHandles = new Set<string>();
  refused = 0;
  /** Every batch asked for. */
  readonly batches: string[][] = [];

  readonly network: Network;
  readonly maxBatch: number;

  constructor(network: Network, maxBatch = 25) {
    this.network = network;
    this.maxBatch = maxBatch;
  }

  fetchProfiles(handles: readonly string[]): Promise<Map<string, ProviderResult>> {
    this.calls += 1;
    this.batches.push([...handles]);
    if (handles.length > this.maxBatch) throw new Error(`batch of ${handles.length} exceeds ${this.maxBatch}`);
    if (this.broken) throw new Error(`${this.network}: credentials rejected`);
    return Promise.resolve(
      new Map(
        handles.map((handle): [string, ProviderResult] => {
          if (this.outage) return [handle, { status: 'unavailable', reason: '503 from the network' }];
          if (this.refusedHandles.has(handle)) {
            this.refused += 1;
            return [handle, { status: 'not_found' }];
          }
          const status = this.statuses.get(handle);
          if (status !== undefined) return [handle, status === 'unavailable' ? { status } : { status }];
          const followers = this.followers.get(handle);
          if (followers === undefined) return [handle, { status: 'not_found' }];
          return [handle, { status: 'ok', metrics: metricsFor(this.network, handle, followers) }];
        }),
      ),
    );
  }

  usage(): { calls: number; refused: number } {
    return { calls: this.calls, refused: this.refused };
  }
}

/** A network paid per look-up, as X: each handle answered costs `costPerHandleUsd` (at most maxCostPerHandleUsd). */
export class PaidMemoryProvider extends MemoryProvider {
  readonly maxCostPerHandleUsd: number;
  readonly costPerHandleUsd: number;
  private spentUsd = 0;

  constructor(network: Network, maxBatch: number, prices: { max: number; actual: number }) {
    super(network, maxBatch);
    this.maxCostPerHandleUsd = prices.max;
    this.costPerHandleUsd = prices.actual;
  }

  override async fetchProfiles(handles: readonly string[]): Promise<Map<string, ProviderResult>> {
    const results = await super.fetchProfiles(handles);
    this.spentUsd += handles.length * this.costPerHandleUsd;
    return results;
  }

  override usage(): { calls: number; refused: number; estimatedCostUsd: number } {
    return { ...super.usage(), estimatedCostUsd: this.spentUsd };
  }
}

/** Handles as given, lower-cased and without `@`: enough identity logic for engine tests. */
export function resolveTestIdentities(contact: CrmContact): { identities: Identity[]; rejected: RejectedHandle[] } {
  const identities: Identity[] = [];
  const rejected: RejectedHandle[] = [];
  for (const raw of contact.handles) {
    const handle = raw.value.trim().replace(/^@/, '').toLowerCase();
    if (raw.network === 'any' || handle === '')
      rejected.push({ sourceField: raw.field, value: raw.value, reason: 'empty' });
    else identities.push({ network: raw.network, handle, provenance: 'crm-field', sourceField: raw.field });
  }
  return { identities, rejected };
}

function tierOf(score: number): Tier {
  if (score >= 75) return 'A';
  if (score >= 50) return 'B';
  if (score >= 25) return 'C';
  return 'D';
}

/**
 * A deterministic stand-in for the model: 20 points per decade of followers on the best network. Records every
 * input so tests can see what the engine handed over (e.g. stale metrics).
 */
export class TestModel {
  readonly inputs: ScoreInput[] = [];
  readonly version = 'test-model-1';
  readonly score: ScoreFunction = (input) => {
    this.inputs.push(input);
    return this.evaluate(input);
  };

  private evaluate(input: ScoreInput): ScoreResult {
    const base = {
      reasonCodes: [],
      networks: {},
      trend: 'Stable' as const,
      delta30d: null,
      modelVersion: this.version,
    };
    if (input.networks.length === 0) {
      return { ...base, score: null, tier: 'Unscored', confidence: 'low', factors: [], reasonCodes: ['no_metrics'] };
    }
    const best = input.networks
      .map((n) => ({ n, points: Math.min(100, Math.round(Math.log10(n.metrics.followers + 1) * 20)) }))
      .sort((a, b) => b.points - a.points)[0]!;
    return {
      ...base,
      score: best.points,
      tier: tierOf(best.points),
      confidence: best.n.stale ? 'low' : 'high',
      factors: [
        {
          network: best.n.metrics.network,
          text: `${best.n.metrics.network}: ${best.n.metrics.followers} followers`,
          points: best.points,
        },
      ],
    };
  }
}

export const EMPTY_FIELDS = CLEARED_FIELDS;
