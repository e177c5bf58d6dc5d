// One sync run for one connection (ARCHITECTURE.md "One contact through a run"): lease → retries + pages from the cursor → identities → metrics →
// score → diff against what we last wrote → batched writes → record results → checkpoint → next page.
import { hash, randomUUID } from 'node:crypto';

import type { z } from 'zod';

import type { CrmConnector, CrmContact, GoneRecord, InfluenceFields, ScoreUpdate } from '../crm/contract.ts';
import { CrmContactSchema, GoneRecordSchema, printableCrmText } from '../crm/contract.ts';
import { BudgetReachedError, NeedsReauthError, SetupError } from '../crm/errors.ts';
import type { WritePlan } from '../crm/policy.ts';
import { planClear, planWrite } from '../crm/policy.ts';
import type { Identity, RejectedHandle } from '../identity/types.ts';
import type { ProviderAdapter } from '../providers/contract.ts';
import type { Network, ScoredNetworkInput, ScoreFunction, ScoreHistoryPoint, Tier } from '../scoring/types.ts';
import { percentileBucket } from '../store/codec.ts';
import type { ContactSyncState, Store, TierRise } from '../store/contract.ts';
import type { ErrorGroup, RecordError, RunReport, RunStatus } from '../store/run-report.ts';
import { describeIssues } from '../zod-issues.ts';
import type { PercentileTable } from './fields.ts';
import {
  inputFingerprint,
  NO_IDENTITY_REASON,
  percentileTable,
  toInfluenceFields,
  unscoredFields,
  withPercentile,
} from './fields.ts';
import { Lease, LeaseLostError, markAbandonedRuns } from './lease.ts';
import type { SyncLogger } from './logger.ts';
import type { MetricsOutcome } from './metrics.ts';
import { fetchPageMetrics, identityKey, NetworkLanes } from './metrics.ts';
import type { SyncOptions, SyncOptionsInput } from './options.ts';
import { parseSyncOptions } from './options.ts';
import { readAhead } from './read-ahead.ts';
import { SPEND_CAP_REASON, SpendCaps } from './spend-cap.ts';
import { createTierTasks, tierChange, tierRise } from './tier-tasks.ts';
import { WriteBuffer } from './write-buffer.ts';

/** Distinct problems counted per run (a bound on the report's size; past it, failures are still counted in total). */
const MAX_ERROR_GROUPS = 100;

export interface SyncDeps {
  store: Store;
  connector: CrmConnector;
  providers: readonly ProviderAdapter[];
  resolveIdentities: (contact: CrmContact) => { identities: Identity[]; rejected: RejectedHandle[] };
  score: ScoreFunction;
  /**
   * Names the injected model and what else decides a result (see scoringKeyOf). When given, a contact whose inputs
   * (identities + metrics) and scoring key are unchanged since our last write is not re-scored; a new version or a
   * settings change re-scores everyone.
   */
  scoringKey?: string;
  /** The admin's tier labels: shown on the CRM's tier field at the start of each run, where the connector can. */
  tierLabels?: Readonly<Record<Tier, string>>;
  logger?: SyncLogger;
  now?: () => Date;
  onProgress?: (progress: SyncProgress) => void;
  /**
   * Stops the run early (Ctrl-C, SIGTERM, a server shutting down): the write call in flight finishes and is recorded,
   * a page still waiting on the networks is abandoned, the checkpoint stays at the last finished page, the lease is
   * released and the run ends `interrupted` with its counts. The abort reason (e.g. "SIGTERM") is named in the report.
   */
  signal?: AbortSignal;
}

export interface SyncProgress {
  phase: 'retries' | 'pages';
  pages: number;
  counts: RunReport['counts'];
}

/** Another run of this connection holds the lease; nothing was done. */
export class SyncAlreadyRunningError extends Error {
  override readonly name = 'SyncAlreadyRunningError';
  readonly connectionId: string;

  constructor(connectionId: string) {
    super(
      `a sync of connection "${connectionId}" is already running; this run was not started (runs of one connection never overlap)`,
    );
    this.connectionId = connectionId;
  }
}

/** The run was asked to stop (see SyncDeps.signal). */
class RunInterruptedError extends Error {
  override readonly name = 'RunInterruptedError';
}

/** What one page's steps share: its clock and the per-record errors recorded with it. */
interface PageContext {
  now: Date;
  nowIso: string;
  staleBefore: Date;
  errors: PendingError[];
  /** Why each contact of the page would be Unscored (an UnscoredReason key), counted if it is. */
  unscoredWhy?: Map<string, string>;
}

/** A contact to score, with the identities found on it. */
interface Identified {
  contact: CrmContact;
  identities: Identity[];
  /** Values in the mapped fields that are not handles. */
  rejected: number;
}

/** A contact with its scoring inputs; `desired` is already known (null: the model must answer) when they did not change. */
interface Candidate {
  contact: CrmContact;
  state: ContactSyncState | undefined;
  inputs: ScoredNetworkInput[];
  /** The inputs' identity keys (`network:handle`): what the answer is computed from. */
  scoredWith: string[];
  fingerprint: string | null;
  desired: InfluenceFields | null;
}

/** A contact with the fields it should show. */
interface Decided {
  contact: CrmContact;
  state: ContactSyncState | undefined;
  scoredWith: string[];
  fingerprint: string | null;
  desired: InfluenceFields;
}

/** Per-record outcome inside one page. */
interface RecordWork {
  contact: CrmContact;
  state: ContactSyncState | undefined;
  /** What the desired fields are computed from (see ContactSyncState.scoredWith). */
  scoredWith: string[];
  plan: WritePlan;
  fingerprint: string | null;
  optedOut: boolean;
}
type WriteWork = RecordWork & { plan: Extract<WritePlan, { action: 'write' }> };

/** A record's error, recorded with its page (for the retries of later runs). */
type PendingError = RecordError & { objectType?: string };

const MONTH_MS = 30.44 * 24 * 3600 * 1000;
const HISTORY_FOR_MODEL = 12;

/** "interrupted (SIGTERM)": the abort reason when it is a word, as the CLI and the server give it. */
function interruptedBy(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  return typeof reason === 'string' ? `interrupted (${reason})` : 'interrupted';
}

/** "handles.0.value (CRM field Twitter__c): contains a NUL byte…; email: …": each problem with the CRM's field name. */
function describeRecordIssues(raw: unknown, issues: readonly z.core.$ZodIssue[]): string {
  const handles = (raw as { handles?: unknown } | null)?.handles;
  return describeIssues(issues, {
    root: 'record',
    field: (path) => {
      const [first, index] = path;
      const field =
        first === 'handles' && typeof index === 'number' && Array.isArray(handles)
          ? (handles[index] as { field?: unknown } | undefined)?.field
          : undefined;
      const named = typeof field === 'string' ? ` (CRM field ${field})` : '';
      return `${path.map(String).join('.') || 'record'}${named}`;
    },
  });
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function fractionLeft(budget: { limit: number; remaining: number } | undefined): number | null {
  if (budget === undefined || budget.limit <= 0) return null;
  return budget.remaining / budget.limit;
}

const REJECTED_MARK = '|rejected:';

/** The value's identity for "rejected before": neither the date nor the org percentile moving makes it a new value. */
function fieldsDigest(fields: InfluenceFields): string {
  const { scoredAt: _scoredAt, orgPercentile: _orgPercentile, ...rest } = fields;
  return hash('sha256', JSON.stringify(rest), 'base64url').slice(0, 22);
}

/** Why a contact would be Unscored: a key of UNSCORED_WORDS (`network_off:<network>` names the network). */
function unscoredReason(
  identities: readonly Identity[],
  rejected: number,
  outcomes: ReadonlyMap<string, MetricsOutcome>,
): string {
  if (identities.length === 0) return rejected > 0 ? 'not_a_handle' : 'no_handle';
  const answers = identities.map((identity) => ({
    network: identity.network,
    outcome: outcomes.get(identityKey(identity.network, identity.handle)),
  }));
  if (answers.some((a) => a.outcome?.kind === 'metrics')) return 'no_usable_metrics';
  const off = answers.find((a) => a.outcome?.kind === 'absent' && a.outcome.status === 'no_provider');
  if (off !== undefined) return `network_off:${off.network}`;
  return 'not_found';
}

/** A sync-state fingerprint that also says "the CRM permanently rejected these fields on this record version". */
/** Requests the outbound guard refused so far, over every network (the adapters count since they were made). */
function refusedOf(providers: readonly ProviderAdapter[]): number {
  return providers.reduce((sum, adapter) => sum + (adapter.usage().refused ?? 0), 0);
}

function rejectedFingerprint(fingerprint: string | null, contact: CrmContact, fields: InfluenceFields): string {
  return `${fingerprint ?? ''}${REJECTED_MARK}${contact.modifiedAt}:${fieldsDigest(fields)}`;
}

/** Non-retryable failures are not retried forever: same record version + same value = do not resend. */
function wasRejectedBefore(state: ContactSyncState | undefined, contact: CrmContact, fields: InfluenceFields): boolean {
  const mark = state?.fingerprint?.indexOf(REJECTED_MARK) ?? -1;
  if (mark < 0 || state?.fingerprint == null) return false;
  return state.fingerprint.slice(mark + REJECTED_MARK.length) === `${contact.modifiedAt}:${fieldsDigest(fields)}`;
}

/**
 * The fingerprint to remember, or null when "same inputs" must not skip re-scoring next time: when a person's value
 * was kept, what we remember as written is not the model's answer.
 */
function reusableFingerprint(work: RecordWork): string | null {
  if (work.optedOut || work.plan.action === 'skipped') return null;
  if (work.plan.action === 'write' && work.plan.kept.length > 0) return null;
  return work.fingerprint;
}

/** The last written fields were computed from an identity the new answer no longer has (its data is gone). */
function droppedData(state: ContactSyncState | undefined, scoredWith: readonly string[]): boolean {
  return state?.scoredWith?.some((key) => !scoredWith.includes(key)) === true;
}

/**
 * What the fields on the record were computed from when we do not write them: the new inputs, when data was dropped
 * (then any difference was written, see `plan`), else those and the earlier ones (a small move left unwritten).
 */
function unwrittenScoredWith(work: RecordWork): string[] {
  if (droppedData(work.state, work.scoredWith)) return work.scoredWith;
  return [...new Set([...(work.state?.scoredWith ?? []), ...work.scoredWith])];
}

/** Runs one sync; always resolves with the saved run report, except when another run holds the lease. */
export async function runSync(deps: SyncDeps, options: SyncOptionsInput): Promise<RunReport> {
  return new SyncRun(deps, parseSyncOptions(options)).run();
}

class SyncRun {
  private readonly now: () => Date;
  private readonly runId = randomUUID();
  private readonly providers: Map<Network, ProviderAdapter>;
  private readonly report: RunReport;
  private readonly startCrmCalls: { read: number; write: number; other: number };
  private readonly startProviderCalls = new Map<Network, number>();
  private readonly startRefused: number;
  private readonly startProviderSpend = new Map<Network, number>();
  private readonly retriedIds = new Set<string>();
  /** Failed records by problem (see RunReport.errorGroups). */
  private readonly errorGroups = new Map<string, ErrorGroup>();
  private pages = 0;
  /** Writes waiting to fill a whole write call, across pages. */
  private readonly writes: WriteBuffer<WriteWork>;
  /** Network batch calls in flight, shared by the run's pages (see NetworkLanes). */
  private readonly lanes: NetworkLanes;
  /** Paid networks' monthly caps (see spend-cap.ts). */
  private readonly spendCaps: SpendCaps;
  /** Contacts not scored this run because a network's monthly cap held their look-up back. */
  private waitingOnSpendCap = 0;
  /** Org percentile per whole score, from the distribution at the start of the run (see rankedThisRun). */
  private percentiles: PercentileTable = [];
  /**
   * The org's first run (no ranked contact yet): the distribution of the scores this run has ranked so far, from
   * which each page's percentiles are estimated, so the field is not left empty until each record's next write.
   * Rough on the first page (±4 points with 200 ranked contacts, ±7 with 50), closer with every page; exact from
   * the next refresh on.
   */
  private rankedThisRun: number[] | null = null;

  private readonly deps: SyncDeps;
  private readonly options: SyncOptions;

  constructor(deps: SyncDeps, options: SyncOptions) {
    this.deps = deps;
    this.options = options;
    this.now = deps.now ?? (() => new Date());
    this.providers = new Map(deps.providers.map((adapter) => [adapter.network, adapter]));
    this.lanes = new NetworkLanes(options.concurrency);
    this.writes = new WriteBuffer(Math.max(1, deps.connector.writeBatchSize));
    for (const adapter of deps.providers) {
      const usage = adapter.usage();
      this.startProviderCalls.set(adapter.network, usage.calls);
      if (usage.estimatedCostUsd !== undefined) this.startProviderSpend.set(adapter.network, usage.estimatedCostUsd);
    }
    this.startRefused = refusedOf(deps.providers);
    this.spendCaps = new SpendCaps(options.monthlySpendCapUsd, this.providers, this.startProviderSpend);
    this.startCrmCalls = { ...deps.connector.apiUsage().calls };
    this.report = {
      runId: this.runId,
      connection: options.connectionId,
      crm: deps.connector.crm,
      dryRun: options.dryRun,
      startedAt: this.now().toISOString(),
      finishedAt: null,
      status: 'running',
      counts: {
        read: 0,
        scored: 0,
        unscored: 0,
        written: 0,
        ...(options.dryRun ? { wouldWrite: 0 } : {}),
        unchanged: 0,
        optedOut: 0,
        failed: 0,
      },
      apiCalls: { crm: { read: 0, write: 0, other: 0 }, providers: {} },
      errors: [],
      ...(options.worker !== undefined ? { worker: options.worker } : {}),
      ...(options.jobId !== undefined ? { jobId: options.jobId } : {}),
    };
  }

  private get store(): Store {
    return this.deps.store;
  }

  private get connectionId(): string {
    return this.options.connectionId;
  }

  async run(): Promise<RunReport> {
    const { store, options } = this;
    const lease = await Lease.acquire({
      store,
      connectionId: this.connectionId,
      owner: this.runId,
      ttlSeconds: options.leaseTtlSeconds,
      logger: this.deps.logger,
    });
    if (lease === null) {
      this.deps.logger?.warn({ connection: this.connectionId }, 'sync skipped: another run holds the lease');
      throw new SyncAlreadyRunningError(this.connectionId);
    }
    try {
      await store.saveRun(this.report);
      this.deps.logger?.info(
        { runId: this.runId, connection: this.connectionId, dryRun: options.dryRun, full: options.full },
        'sync started',
      );
      const abandoned = await markAbandonedRuns(store, this.connectionId, this.runId, this.now());
      if (abandoned > 0)
        this.deps.logger?.warn(
          { connection: this.connectionId, runs: abandoned },
          'runs left running by a stopped process marked abandoned',
        );
      const { status, message } = await this.runPages(lease);
      if (status === 'ok' || status === 'partial') await this.createTierTasks();
      this.report.status = status;
      if (message !== undefined) this.report.message = message;
    } finally {
      await this.finish(lease);
    }
    return this.report;
  }

  /** The body of the run; a thrown connector error becomes the run's status. */
  private async runPages(lease: Lease): Promise<{ status: RunStatus; message?: string }> {
    const staleBefore = new Date(this.now().getTime() - this.options.refreshDays * 24 * 3600 * 1000);
    try {
      this.stopIfInterrupted();
      const early = this.budgetStop();
      if (early !== null) return early;
      await this.showTierLabels();
      const histogram = await this.store.getScoreHistogram(this.connectionId);
      this.percentiles = percentileTable(histogram);
      if (histogram.every((count) => count === 0)) this.rankedThisRun = histogram;
      await this.spendCaps.refresh(this.store, this.now());
      await this.retryFailedRecords(staleBefore);
      const targeted = this.options.ids?.filter((id) => !this.retriedIds.has(id));
      const startOver = targeted === undefined ? await this.startOverForNewScoringKey() : 'no';
      const checkpoint =
        targeted !== undefined || startOver !== 'no' ? null : await this.store.getCursor(this.connectionId);
      const cursor = this.options.full ? null : checkpoint;
      if (targeted === undefined && cursor === null) {
        this.report.readAll =
          startOver === 'scoring-changed'
            ? 'scoring-changed'
            : startOver === 'first-run' || checkpoint === null
              ? 'first-run'
              : 'requested';
      }
      if (this.report.readAll === 'first-run') await this.checkFieldsBeforeFirstRun();
      const readOptions =
        targeted !== undefined ? { full: false, staleBefore, ids: targeted } : { full: this.options.full, staleBefore };
      if (targeted?.length === 0) {
        await this.sendWrites(true);
        return { status: this.report.counts.failed > 0 ? 'partial' : 'ok' };
      }
      this.stopIfInterrupted();
      for await (const page of readAhead(this.deps.connector.readContacts(cursor, readOptions))) {
        // Already handled in this run's retry phase.
        const fresh = page.contacts.filter((c) => !this.retriedIds.has((c as { id?: string }).id ?? ''));
        // A targeted run has no checkpoint.
        await this.processPage(fresh, staleBefore, targeted === undefined ? page.cursor : null);
        await this.forget(page.gone ?? []);
        await this.sendWrites(false);
        await this.saveCheckpoint();
        this.pages += 1;
        // Counts so far, also for a run whose process dies before it ends (see markAbandonedRuns).
        await this.saveProgress();
        this.progress('pages');
        await lease.confirm();
        const stop = this.budgetStop();
        if (stop !== null) return stop;
        this.stopIfInterrupted();
      }
      const writtenBefore = this.report.counts.written;
      await this.sendWrites(true);
      await this.saveCheckpoint();
      // The last writes went out after the last page's progress line.
      if (this.report.counts.written !== writtenBefore) this.progress('pages');
      return this.spendCapStop() ?? { status: this.report.counts.failed > 0 ? 'partial' : 'ok' };
    } catch (error) {
      return this.stopFor(error);
    }
  }

  /** Named step after the pages: tier-change tasks for the rises to tier A waiting for one (opt-in). */
  private async createTierTasks(): Promise<void> {
    const { tierTasks, dryRun } = this.options;
    if (!tierTasks.enabled || dryRun || this.budgetStop() !== null) return;
    try {
      this.report.tierTasks = await createTierTasks({
        store: this.store,
        connector: this.deps.connector,
        connectionId: this.connectionId,
        maxPerRun: tierTasks.maxPerRun,
        now: this.now(),
      });
    } catch (error) {
      this.deps.logger?.error({ runId: this.runId, err: describeError(error) }, 'tier-change tasks failed');
    }
  }

  private async stopFor(error: unknown): Promise<{ status: RunStatus; message: string }> {
    if (error instanceof RunInterruptedError) {
      this.deps.logger?.warn({ runId: this.runId, reason: error.message }, 'sync interrupted');
      return {
        status: 'interrupted',
        message: `${error.message} after ${this.pages} page(s); the checkpoint is kept and the next run resumes from it`,
      };
    }
    if (error instanceof BudgetReachedError) {
      return {
        status: 'budget_reached',
        message: `${error.message}; the checkpoint is kept and the next run resumes from it`,
      };
    }
    if (error instanceof NeedsReauthError) {
      await this.store.setConnectionStatus(this.connectionId, 'needs_reauth', error.message).catch((e: unknown) => {
        this.deps.logger?.error({ err: describeError(e) }, 'could not mark the connection needs_reauth');
      });
      return {
        status: 'needs_reauth',
        message: `${error.message}; reconnect the CRM (admin UI → Connections) to resume`,
      };
    }
    const message =
      error instanceof SetupError || error instanceof LeaseLostError
        ? error.message
        : `run failed: ${describeError(error)}`;
    this.deps.logger?.error({ runId: this.runId, err: describeError(error) }, 'sync failed');
    return { status: 'failed', message };
  }

  /**
   * A new model version or new scoring options (tiers, weights…) must reach every contact, not only those whose
   * metrics move: the read starts over, as on a first run, and unchanged inputs are re-scored (their fingerprint
   * includes the key). The key is saved with a cleared cursor first, so a run that stops midway resumes the pass.
   */
  /** A new scoring key resets the checkpoint: 'first-run' when the connection had none yet, else 'scoring-changed'. */
  private async startOverForNewScoringKey(): Promise<'no' | 'first-run' | 'scoring-changed'> {
    const key = this.deps.scoringKey;
    if (key === undefined || (await this.store.getScoringKey(this.connectionId)) === key) return 'no';
    // Read before the reset: a connection from before scoring keys has a checkpoint but no key.
    const hadCheckpoint = (await this.store.getCursor(this.connectionId)) !== null;
    if (!this.options.dryRun) await this.store.startScoringKey(this.connectionId, key);
    if (!hadCheckpoint) return 'first-run';
    this.deps.logger?.info(
      { runId: this.runId, connection: this.connectionId },
      'new model version, fields format or scoring options: reading every contact to re-score it',
    );
    return 'scoring-changed';
  }

  /**
   * A connection's first run checks that the score can be written before it reads anyone: otherwise it would spend
   * the networks' budgets (X's is paid) and fail at its first write.
   */
  private async checkFieldsBeforeFirstRun(): Promise<void> {
    const setup = await this.deps.connector.checkSetup();
    const unwritable = setup.fields.filter((f) => f.field === 'score' && !f.writable);
    if (unwritable.length === 0) return;
    const problems =
      setup.problems.length > 0
        ? setup.problems
        : unwritable.map((f) => ({
            message: f.problem ?? `${f.objectType}.${f.crmField} cannot be written.`,
            fix: `run \`crm-influence fields check --crm ${this.deps.connector.crm}\``,
          }));
    const shown = problems
      .slice(0, 2)
      .map((p) => p.message)
      .join(' ');
    const more =
      problems.length > 2
        ? ` (and ${problems.length - 2} more: \`crm-influence fields check --crm ${this.deps.connector.crm}\` lists them)`
        : '';
    throw new SetupError(
      `${unwritable.map((f) => `${f.objectType}.${f.crmField}`).join(', ')} cannot be written, so no score can be: ${shown}${more}`,
      [...new Set(problems.map((p) => p.fix))].join('; '),
    );
  }

  /** The admin's tier labels onto the CRM's tier field (a dry run changes nothing). A failure costs the labels, not the run. */
  private async showTierLabels(): Promise<void> {
    const { connector, tierLabels, logger } = this.deps;
    if (this.options.dryRun || tierLabels === undefined || connector.applyTierLabels === undefined) return;
    try {
      if (await connector.applyTierLabels(tierLabels))
        logger?.info({ runId: this.runId, tierLabels }, 'tier labels updated in the CRM');
    } catch (error) {
      if (error instanceof NeedsReauthError || error instanceof BudgetReachedError) throw error;
      logger?.warn(
        { runId: this.runId, err: describeError(error) },
        'could not update the tier labels in the CRM; scores are written as usual',
      );
    }
  }

  /**
   * The run's report with its API calls and spend so far, saved (every page): a killed run's row keeps what it used,
   * and runs of other connections and workers count its spend against the monthly caps from then on.
   */
  private async saveProgress(): Promise<void> {
    this.tallyApiCalls();
    this.spendCaps.noteSaved();
    await this.store.saveRun(this.report);
    await this.spendCaps.refresh(this.store, this.now());
  }

  /** Each paid network's estimated spend since the run started, into the report. */
  private recordSpend(): void {
    for (const adapter of this.deps.providers) {
      const cost = adapter.usage().estimatedCostUsd;
      if (cost === undefined) continue;
      const spent = cost - (this.startProviderSpend.get(adapter.network) ?? 0);
      this.report.apiCalls.estimatedSpendUsd = {
        ...this.report.apiCalls.estimatedSpendUsd,
        [adapter.network]: Math.round(Math.max(0, spent) * 1000) / 1000,
      };
    }
    if (this.spendCaps.reached.size > 0) this.report.apiCalls.spendCapReached = [...this.spendCaps.reached];
  }

  /** A paid network's monthly cap held look-ups back: the run ends `budget_reached`, naming it. */
  private spendCapStop(): { status: RunStatus; message: string } | null {
    if (this.spendCaps.reached.size === 0) return null;
    const networks = [...this.spendCaps.reached].map((network) => {
      const cap = this.spendCaps.cap(network) ?? 0;
      return `${network} (about $${this.spendCaps.spent(network).toFixed(2)} of its $${cap.toFixed(2)} monthly cap spent)`;
    });
    const waiting = this.waitingOnSpendCap;
    return {
      status: 'budget_reached',
      message:
        `monthly spend cap reached for ${networks.join(', ')}: look-ups past it were not sent; ` +
        `${waiting} contact(s) waiting on it are retried by a later run (next month, or once the cap is raised), the others were written`,
    };
  }

  /** Budget left below the floor → stop cleanly (the checkpoint is already saved). */
  private budgetStop(): { status: RunStatus; message: string } | null {
    const budget = this.deps.connector.apiUsage().budget;
    const left = fractionLeft(budget);
    if (left === null || budget === undefined || left >= this.options.budgetFloor) return null;
    const percent = (this.options.budgetFloor * 100).toFixed(0);
    return {
      status: 'budget_reached',
      message:
        `CRM API budget below the ${percent}% floor (${budget.remaining} of ${budget.limit} calls left); ` +
        'stopped cleanly, the next run resumes from the checkpoint',
    };
  }

  private async retryFailedRecords(staleBefore: Date): Promise<void> {
    if (this.options.retryLimit === 0) return;
    const pending = (await this.store.pendingRetries(this.connectionId, this.options.retryLimit)).filter(
      (p) => p.lastError.retryable && p.attempts < this.options.maxAttempts,
    );
    if (pending.length === 0) return;
    const ids = pending.map((p) => p.recordId);
    this.deps.logger?.info({ count: ids.length }, 'retrying records that failed on earlier runs');
    for await (const page of this.deps.connector.readContacts(null, { full: false, staleBefore, ids })) {
      await this.processPage(page.contacts, staleBefore, null);
      await this.forget(page.gone ?? []);
      await this.sendWrites(false);
      for (const contact of page.contacts) this.retriedIds.add((contact as { id?: string }).id ?? '');
      this.progress('retries');
      this.stopIfInterrupted();
    }
    // Records the CRM no longer returns (deleted, merged, no longer readable) have nothing left to retry.
    const gone = ids.filter((id) => !this.retriedIds.has(id));
    if (gone.length > 0 && !this.options.dryRun) {
      this.deps.logger?.info({ count: gone.length }, 'failed records no longer in the CRM; their errors are cleared');
      await this.store.clearErrors(this.connectionId, gone);
    }
  }

  /**
   * Records the CRM says are gone (deleted, merged away, erased for privacy): everything we hold about them is
   * deleted now, so no score, history or e-mail of a person who is gone outlives the run that learned it.
   */
  private async forget(reported: readonly GoneRecord[]): Promise<void> {
    if (reported.length === 0 || this.options.dryRun) return;
    const gone = reported.filter((g) => GoneRecordSchema.safeParse(g).success);
    if (gone.length === 0) return;
    await this.store.forgetContacts(
      this.connectionId,
      gone.map((g) => g.id),
    );
    this.deps.logger?.info(
      { runId: this.runId, count: gone.length, reasons: [...new Set(gone.map((g) => g.reason))] },
      'records gone from the CRM: forgotten',
    );
  }

  /** Between steps: ends the run here when it was asked to stop. */
  private stopIfInterrupted(): void {
    const signal = this.deps.signal;
    if (signal?.aborted === true) throw new RunInterruptedError(interruptedBy(signal));
  }

  /**
   * Waits for `work` unless the run is asked to stop first; then `work` is abandoned (it may still finish in the
   * background: a network answer is then cached for the next run, a failure is ignored).
   */
  private async unlessInterrupted<T>(work: Promise<T>): Promise<T> {
    const signal = this.deps.signal;
    if (signal === undefined) return work;
    let onAbort = (): void => undefined;
    const aborted = new Promise<never>((_resolve, reject) => {
      onAbort = () => reject(new RunInterruptedError(interruptedBy(signal)));
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([work, aborted]);
    } catch (error) {
      if (error instanceof RunInterruptedError) work.catch(() => undefined);
      throw error;
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  private progress(phase: SyncProgress['phase']): void {
    this.deps.onProgress?.({ phase, pages: this.pages, counts: { ...this.report.counts } });
  }

  private addError(raw: PendingError, pending: PendingError[]): void {
    // Ids and messages can carry the CRM's bytes (an id with a NUL, a validation message quoting a value).
    const error = { ...raw, recordId: printableCrmText(raw.recordId), message: printableCrmText(raw.message) };
    this.report.counts.failed += 1;
    const key = `${error.stage}\u0000${error.code}\u0000${error.message}\u0000${error.retryable}`;
    const group = this.errorGroups.get(key);
    if (group) group.count += 1;
    else if (this.errorGroups.size < MAX_ERROR_GROUPS) {
      this.errorGroups.set(key, {
        stage: error.stage,
        code: error.code,
        message: error.message,
        retryable: error.retryable,
        count: 1,
      });
    }
    if (this.report.errors.length < this.options.maxReportedErrors) {
      const { objectType: _objectType, ...reported } = error;
      this.report.errors.push(reported);
    }
    pending.push(error);
  }

  /**
   * Everything for one page, in named steps; returns when every record of it is written and recorded.
   * valid records → identities → network metrics → candidates (unchanged inputs need no model) → score → rank
   * (org percentile) → plan each write → write and record.
   */
  private async processPage(rawContacts: readonly unknown[], staleBefore: Date, cursor: string | null): Promise<void> {
    const now = this.now();
    const page: PageContext = { now, nowIso: now.toISOString(), staleBefore, errors: [] };
    const valid = this.validRecords(rawContacts, page);
    const states = await this.store.getSyncStates(
      this.connectionId,
      valid.map((c) => c.id),
    );
    const contacts = this.withoutOwnWrites(valid, states, staleBefore);
    const { optedOut, identified } = this.identities(contacts, states, page);
    // A page waiting on the networks (a rate limit's reset) is abandoned when the run is asked to stop.
    const outcomes = await this.unlessInterrupted(this.networkMetrics(identified, now));
    this.stopIfInterrupted();
    const candidates = this.candidates(identified, states, outcomes, page);
    const decided = await this.score(candidates, page);
    this.rank(decided);
    const work = [...optedOut, ...this.plan(decided, page)];
    await this.recordPage(work, page.errors, cursor);
  }

  /**
   * Contacts other than our own writes coming back: a record whose modification stamp is still the one the CRM gave
   * it at our last write has not changed since (HubSpot finds it again because the write moved lastmodifieddate). It
   * is left alone unless it is due for a refresh, or this run reads everyone (first run, new scoring, `--full`).
   */
  private withoutOwnWrites(
    contacts: CrmContact[],
    states: ReadonlyMap<string, ContactSyncState>,
    staleBefore: Date,
  ): CrmContact[] {
    if (this.report.readAll !== undefined) return contacts;
    const kept = contacts.filter((contact) => {
      const state = states.get(contact.id);
      const stamp = state?.crmModifiedAt;
      const scoredAt = state?.lastWritten?.scoredAt;
      const echo =
        stamp != null &&
        Date.parse(stamp) === Date.parse(contact.modifiedAt) &&
        scoredAt != null &&
        Date.parse(scoredAt) >= staleBefore.getTime();
      return !echo;
    });
    const skipped = contacts.length - kept.length;
    if (skipped > 0) {
      this.report.counts.read -= skipped;
      this.report.ownWritesSkipped = (this.report.ownWritesSkipped ?? 0) + skipped;
    }
    return kept;
  }

  /** Records the CRM sent that match the contract; each other one is a `read` error naming its field. */
  private validRecords(rawContacts: readonly unknown[], page: PageContext): CrmContact[] {
    const contacts: CrmContact[] = [];
    for (const raw of rawContacts) {
      const parsed = CrmContactSchema.safeParse(raw);
      if (parsed.success) {
        contacts.push(parsed.data);
        continue;
      }
      const id = (raw as { id?: unknown } | null)?.id;
      this.addError(
        {
          recordId: typeof id === 'string' && id !== '' ? id : '(no id)',
          stage: 'read',
          code: 'invalid_record',
          message: `record from the CRM is malformed: ${describeRecordIssues(raw, parsed.error.issues)}`,
          retryable: false,
        },
        page.errors,
      );
    }
    this.report.counts.read += rawContacts.length;
    return contacts;
  }

  /** Opted-out contacts (their fields to clear) apart; each other contact with the identities found on it. */
  private identities(
    contacts: readonly CrmContact[],
    states: ReadonlyMap<string, ContactSyncState>,
    page: PageContext,
  ): { optedOut: RecordWork[]; identified: Identified[] } {
    const optedOut: RecordWork[] = [];
    const identified: Identified[] = [];
    for (const contact of contacts) {
      if (contact.doNotProfile) {
        this.report.counts.optedOut += 1;
        const state = states.get(contact.id);
        optedOut.push({
          contact,
          state,
          scoredWith: [],
          plan: planClear(contact.current, state?.lastWritten ?? null),
          fingerprint: null,
          optedOut: true,
        });
        continue;
      }
      try {
        const { identities, rejected } = this.deps.resolveIdentities(contact);
        identified.push({ contact, identities, rejected: rejected.length });
      } catch (error) {
        this.addError(
          {
            recordId: contact.id,
            objectType: contact.objectType,
            stage: 'identity',
            code: 'identity_failed',
            message: describeError(error),
            retryable: false,
          },
          page.errors,
        );
      }
    }
    return { optedOut, identified };
  }

  /** Each network's answer for every handle of the page (cache first, then batched look-ups). */
  private async networkMetrics(identified: readonly Identified[], now: Date): Promise<Map<string, MetricsOutcome>> {
    const wanted = new Map<Network, Set<string>>();
    for (const { identities } of identified) {
      for (const identity of identities) {
        const set = wanted.get(identity.network) ?? new Set<string>();
        set.add(identity.handle);
        wanted.set(identity.network, set);
      }
    }
    if (wanted.size === 0) return new Map();
    return fetchPageMetrics({
      store: this.store,
      providers: this.providers,
      wanted,
      now,
      lanes: this.lanes,
      waitMs: this.options.networkWaitSeconds * 1000,
      spendGate: this.spendCaps,
      ...(this.deps.signal !== undefined ? { signal: this.deps.signal } : {}),
      ttlSeconds: (network) => this.options.providerTtlSeconds[network] ?? this.options.defaultProviderTtlSeconds,
      negativeTtlSeconds: this.options.negativeTtlSeconds,
      lastGoodMaxAgeMs: this.options.lastGoodMaxAgeDays * 24 * 3600 * 1000,
      concurrency: this.options.concurrency,
      ...(this.deps.logger !== undefined ? { logger: this.deps.logger } : {}),
    });
  }

  /**
   * Each contact's scoring inputs and fingerprint. A contact whose inputs did not change since our last write needs
   * no model (nor its history): its answer is what we wrote, with today's date.
   */
  private candidates(
    identified: readonly Identified[],
    states: ReadonlyMap<string, ContactSyncState>,
    outcomes: ReadonlyMap<string, MetricsOutcome>,
    page: PageContext,
  ): Candidate[] {
    const candidates: Candidate[] = [];
    const why = (page.unscoredWhy ??= new Map<string, string>());
    for (const { contact, identities, rejected } of identified) {
      const state = states.get(contact.id);
      const lastWritten = state?.lastWritten ?? null;
      why.set(contact.id, unscoredReason(identities, rejected, outcomes));
      if (identities.length === 0) {
        candidates.push({
          contact,
          state,
          inputs: [],
          scoredWith: [],
          fingerprint: inputFingerprint(NO_IDENTITY_REASON, []),
          desired: unscoredFields(page.now, NO_IDENTITY_REASON),
        });
        continue;
      }
      const inputs: ScoredNetworkInput[] = [];
      const scoredWith: string[] = [];
      const unavailable: string[] = [];
      const capped: string[] = [];
      let waiting = false;
      for (const identity of identities) {
        const key = identityKey(identity.network, identity.handle);
        const outcome = outcomes.get(key);
        if (outcome?.kind === 'metrics') {
          inputs.push({ metrics: outcome.metrics, provenance: identity.provenance, stale: outcome.stale });
          scoredWith.push(key);
        } else if (outcome?.kind === 'unavailable') {
          unavailable.push(`${identity.network} (${outcome.reason})`);
          if (outcome.reason === SPEND_CAP_REASON) capped.push(identity.network);
          waiting ||= outcome.waiting === true;
        }
      }
      if (capped.length > 0) {
        this.waitingOnSpendCap += 1;
        this.addError(
          {
            recordId: contact.id,
            objectType: contact.objectType,
            stage: 'provider',
            code: 'spend_cap_reached',
            message: `waiting on ${capped.join(', ')}: its monthly spend cap is reached; retried by a later run`,
            retryable: true,
          },
          page.errors,
        );
        continue;
      }
      // A network is down and has no recent last-good data. Scoring without it would swap a fair score for a
      // lower one (and back, next run): keep the current score and retry later. A contact never scored gets a
      // score from the networks that answered, unless none did, or one is only slow (it answers next run).
      if (unavailable.length > 0 && (inputs.length === 0 || lastWritten !== null || waiting)) {
        this.addError(
          {
            recordId: contact.id,
            objectType: contact.objectType,
            stage: 'provider',
            code: 'provider_unavailable',
            message: `no metrics from ${unavailable.join(', ')} and no last-good data from the past ${this.options.lastGoodMaxAgeDays} days; retried next run`,
            retryable: true,
          },
          page.errors,
        );
        continue;
      }
      const key = this.deps.scoringKey;
      const fingerprint = key === undefined ? null : inputFingerprint(key, inputs);
      // Same inputs, same model and options: the answer is what we wrote; only the date moves on.
      const unchanged = fingerprint !== null && lastWritten !== null && state?.fingerprint === fingerprint;
      candidates.push({
        contact,
        state,
        inputs,
        scoredWith,
        fingerprint,
        desired: unchanged ? { ...lastWritten, scoredAt: page.nowIso } : null,
      });
    }
    return candidates;
  }

  /** The model's answer for each candidate that needs one (with the contact's score history). */
  private async score(candidates: readonly Candidate[], page: PageContext): Promise<Decided[]> {
    const toScore = candidates.filter((c) => c.desired === null).map((c) => c.contact.id);
    const histories =
      toScore.length === 0
        ? new Map<string, ScoreHistoryPoint[]>()
        : await this.store.getHistories(this.connectionId, toScore, HISTORY_FOR_MODEL);
    const decided: Decided[] = [];
    for (const candidate of candidates) {
      const { contact, state, inputs } = candidate;
      let { desired, fingerprint } = candidate;
      if (desired === null) {
        try {
          const result = this.deps.score({ networks: inputs, history: histories.get(contact.id) ?? [], now: page.now });
          desired = toInfluenceFields(result, page.nowIso, this.options.topFactorCount);
          fingerprint ??= inputFingerprint(result.modelVersion, inputs);
        } catch (error) {
          this.addError(
            {
              recordId: contact.id,
              objectType: contact.objectType,
              stage: 'score',
              code: 'score_failed',
              message: describeError(error),
              retryable: false,
            },
            page.errors,
          );
          continue;
        }
      }
      decided.push({ contact, state, scoredWith: candidate.scoredWith, fingerprint, desired });
    }
    return decided;
  }

  /** On the org's first run, this page's scores join the distribution the percentiles are estimated from. */
  private rank(decided: readonly Decided[]): void {
    if (this.rankedThisRun === null) return;
    for (const { desired } of decided) {
      const bucket = percentileBucket(desired);
      if (bucket !== null) this.rankedThisRun[bucket]! += 1;
    }
    this.percentiles = percentileTable(this.rankedThisRun);
  }

  /** What to do with each record: write (the changed fields), or leave it (unchanged, a person's value kept). */
  private plan(decided: readonly Decided[], page: PageContext): RecordWork[] {
    const work: RecordWork[] = [];
    for (const { contact, state, scoredWith, fingerprint, desired: scored } of decided) {
      const lastWritten = state?.lastWritten ?? null;
      const desired = withPercentile(scored, this.percentiles);
      if (desired.score === null || desired.tier === 'Unscored') {
        this.report.counts.unscored += 1;
        const why = page.unscoredWhy?.get(contact.id) ?? 'no_usable_metrics';
        const by = (this.report.unscoredBy ??= {});
        by[why] = (by[why] ?? 0) + 1;
      } else this.report.counts.scored += 1;
      const plan = planWrite({
        desired,
        current: contact.current,
        lastWritten,
        policy: this.options.overwritePolicy,
        // Data we no longer hold (X compliance forgot it) leaves the CRM however little the score moves.
        scoreDeltaThreshold: droppedData(state, scoredWith) ? 0 : this.options.scoreDeltaThreshold,
        refreshBefore: page.staleBefore,
      });
      if (plan.action === 'write' && wasRejectedBefore(state, contact, plan.fields)) {
        // Non-retryable rejection of this very value on this version of the record: reported then, not resent.
        this.report.counts.unchanged += 1;
        continue;
      }
      work.push({ contact, state, scoredWith, plan, fingerprint, optedOut: false });
    }
    return work;
  }

  /**
   * The page's writes join the write buffer (sent when they fill a call, see sendWrites); what needed no write, the
   * opt-outs and the page's errors are recorded now.
   */
  private async recordPage(work: readonly RecordWork[], errors: PendingError[], cursor: string | null): Promise<void> {
    const writes = work.filter((w): w is WriteWork => w.plan.action === 'write');
    if (this.options.dryRun) this.report.counts.wouldWrite = (this.report.counts.wouldWrite ?? 0) + writes.length;
    else this.writes.addPage(writes, cursor);
    // Opt-out: forget what we hold about the contact (even when the clearing write fails; it is retried).
    const purged = work.filter(
      (w) => w.optedOut && !this.options.dryRun && (w.state?.fingerprint != null || w.plan.action === 'write'),
    );
    await this.saveEach(
      purged.map((w) => ({ recordId: w.contact.id, objectType: w.contact.objectType })),
      async ([one]) => {
        if (one !== undefined) await this.store.purgeContact(this.connectionId, one.recordId);
      },
      'opt-out (forgetting its history)',
      errors,
      1,
    );
    const succeeded = await this.recordUnwritten(work, errors);
    const failed = new Set(errors.map((e) => e.recordId));
    await this.recordErrors(
      errors,
      succeeded.filter((id) => !failed.has(id)),
    );
  }

  /**
   * Sends the buffered writes that fill whole calls (at the end of the run, all of them), recording each call's
   * outcome before the next: a crash after a call never writes its records again. A run asked to stop sends no more.
   */
  private async sendWrites(all: boolean): Promise<void> {
    for (let call = this.writes.nextCall(all); call.length > 0; call = this.writes.nextCall(all)) {
      this.stopIfInterrupted();
      const errors: PendingError[] = [];
      const written = await this.writeBatch(call, errors, this.now().toISOString());
      this.writes.acknowledge(call.length);
      await this.recordErrors(errors, written);
    }
  }

  /** Saves the checkpoint past every page whose writes were all acknowledged (see WriteBuffer). */
  private async saveCheckpoint(): Promise<void> {
    const cursor = this.writes.checkpoint();
    if (cursor !== undefined && !this.options.dryRun) await this.store.setCursor(this.connectionId, cursor);
  }

  /** The page's failures, retried by later runs; the records that succeeded have nothing left to retry. */
  private async recordErrors(errors: readonly PendingError[], succeeded: readonly string[]): Promise<void> {
    if (this.options.dryRun) return;
    // A record whose error cannot be saved either is still in the run report: say so in the log, keep going.
    const unsaved: PendingError[] = [];
    await this.saveEach(errors, (some) => this.store.recordErrors(this.connectionId, this.runId, some), null, unsaved);
    await this.saveEach(
      succeeded.map((recordId) => ({ recordId })),
      (some) =>
        this.store.clearErrors(
          this.connectionId,
          some.map((s) => s.recordId),
        ),
      null,
      unsaved,
    );
    if (unsaved.length > 0)
      this.deps.logger?.error(
        { runId: this.runId, records: unsaved.map((e) => e.recordId).slice(0, 20), err: unsaved[0]?.message },
        'could not save the errors of some records (they are in the run report)',
      );
  }

  /**
   * One store call for the page's records; when it fails, one call per record, so a record the store refuses fails
   * alone (a retryable `write` error naming what could not be saved) instead of failing its page. `what` null: the
   * failures are only collected. A store that is down fails the run at the checkpoint that follows.
   */
  private async saveEach<T extends { recordId: string; objectType?: string }>(
    items: readonly T[],
    save: (items: readonly T[]) => Promise<void>,
    what: string | null,
    errors: PendingError[],
    batchSize = Number.POSITIVE_INFINITY,
  ): Promise<void> {
    if (items.length === 0) return;
    if (batchSize > 1) {
      try {
        await save(items);
        return;
      } catch {
        // One record's bytes, or the store: find out record by record.
      }
    }
    for (const item of items) {
      try {
        await save([item]);
      } catch (error) {
        const failure: PendingError = {
          recordId: item.recordId,
          ...(item.objectType !== undefined ? { objectType: item.objectType } : {}),
          stage: 'write',
          code: 'store_failed',
          message: `could not save its ${what ?? 'error'}: ${describeError(error)}; retried next run`,
          retryable: true,
        };
        if (what === null) errors.push(failure);
        else this.addError(failure, errors);
      }
    }
  }

  /** One write call and its recorded outcome; returns the ids written. */
  private async writeBatch(batch: readonly WriteWork[], errors: PendingError[], nowIso: string): Promise<string[]> {
    const updates: ScoreUpdate[] = batch.map((w) => ({
      objectType: w.contact.objectType,
      id: w.contact.id,
      fields: w.plan.fields,
    }));
    const results = await this.deps.connector.writeScores(updates);
    const written: string[] = [];
    const states: ContactSyncState[] = [];
    const gone: GoneRecord[] = [];
    const history: (ScoreHistoryPoint & { recordId: string })[] = [];
    const rises: TierRise[] = [];
    const riseEnds: string[] = [];
    batch.forEach((w, index) => {
      const result = results[index];
      const { plan } = w;
      if (result === undefined || result.id !== w.contact.id) {
        this.addError(
          {
            recordId: w.contact.id,
            objectType: w.contact.objectType,
            stage: 'write',
            code: 'no_write_result',
            message: 'the CRM returned no result for this record',
            retryable: true,
          },
          errors,
        );
        return;
      }
      if (!result.ok && result.gone !== undefined) {
        // Deleted or merged away since it was read: nothing to retry, nothing to keep.
        gone.push(result.gone);
        return;
      }
      if (!result.ok) {
        this.addError(
          {
            recordId: w.contact.id,
            objectType: w.contact.objectType,
            stage: 'write',
            code: result.code,
            message: result.message,
            retryable: result.retryable,
          },
          errors,
        );
        if (!result.retryable) {
          // Remember the rejected value so the next runs do not send it again (see `wasRejectedBefore`).
          states.push({
            recordId: w.contact.id,
            objectType: w.contact.objectType,
            lastWritten: w.state?.lastWritten ?? null,
            writtenAt: w.state?.writtenAt ?? null,
            crmModifiedAt: w.state?.crmModifiedAt ?? null,
            fingerprint: rejectedFingerprint(w.fingerprint, w.contact, plan.fields),
            email: w.optedOut ? null : (w.contact.email ?? null),
            name: w.optedOut ? null : (w.contact.name ?? null),
          });
        }
        return;
      }
      this.report.counts.written += 1;
      written.push(w.contact.id);
      // The e-mail lets the admin server find the contact; never kept for one who opted out.
      states.push({
        recordId: w.contact.id,
        objectType: w.contact.objectType,
        lastWritten: plan.lastWritten,
        writtenAt: nowIso,
        crmModifiedAt: result.modifiedAt ?? null,
        fingerprint: reusableFingerprint(w),
        email: w.optedOut ? null : (w.contact.email ?? null),
        name: w.optedOut ? null : (w.contact.name ?? null),
        scoredWith: w.scoredWith,
      });
      if (w.optedOut) return;
      if (this.options.tierTasks.enabled) {
        const change = tierChange(w.state?.lastWritten?.tier, plan.lastWritten.tier);
        // A connection's first run sets the baseline: contacts already at A have not just risen.
        if (change === 'rose' && this.report.readAll !== 'first-run')
          rises.push(tierRise(w.contact, plan.lastWritten, nowIso, this.deps.tierLabels?.A));
        else if (change === 'ended') riseEnds.push(w.contact.id);
      }
      if (plan.changed.includes('score') || plan.changed.includes('tier') || w.state?.lastWritten == null) {
        history.push({
          recordId: w.contact.id,
          at: nowIso,
          score: plan.lastWritten.score,
          tier: plan.lastWritten.tier ?? 'Unscored',
        });
      }
    });
    // Rises first: a crash before the states are saved re-detects the same rise next run (remembered once).
    if (rises.length > 0) await this.store.tierRises?.remember(this.connectionId, rises);
    if (riseEnds.length > 0) await this.store.tierRises?.end(this.connectionId, riseEnds);
    await this.saveEach(states, (some) => this.store.putSyncStates(this.connectionId, some), 'sync state', errors);
    await this.saveEach(history, (some) => this.store.appendHistory(this.connectionId, some), 'score history', errors);
    await this.forget(gone);
    const failed = new Set(errors.map((e) => e.recordId));
    return written.filter((id) => !failed.has(id));
  }

  /** Records that needed no write: counted unchanged, their fingerprint kept current; returns their ids. */
  private async recordUnwritten(work: readonly RecordWork[], errors: PendingError[]): Promise<string[]> {
    const done: string[] = [];
    const states: ContactSyncState[] = [];
    for (const w of work) {
      if (w.plan.action === 'write') continue;
      if (w.plan.action === 'skipped')
        this.deps.logger?.debug(
          { recordId: w.contact.id, kept: w.plan.kept },
          'kept values a person edited (overwrite policy)',
        );
      this.report.counts.unchanged += 1;
      done.push(w.contact.id);
      if (this.options.dryRun || w.optedOut) continue;
      const fingerprint = reusableFingerprint(w);
      if ((w.state?.fingerprint ?? null) !== fingerprint) {
        states.push({
          recordId: w.contact.id,
          objectType: w.contact.objectType,
          lastWritten: w.state?.lastWritten ?? null,
          writtenAt: w.state?.writtenAt ?? null,
          crmModifiedAt: w.state?.crmModifiedAt ?? null,
          fingerprint,
          email: w.contact.email ?? null,
          name: w.contact.name ?? null,
          scoredWith: unwrittenScoredWith(w),
        });
      }
    }
    await this.saveEach(states, (some) => this.store.putSyncStates(this.connectionId, some), 'sync state', errors);
    return done;
  }

  /**
   * The run's API calls so far (CRM, networks, refused requests, spend) into the report: at the end and after each
   * page, so a run whose process is killed keeps what it used (an abandoned run's row shows it).
   */
  private tallyApiCalls(): void {
    const { report } = this;
    const { calls, budget } = this.deps.connector.apiUsage();
    report.apiCalls.crm = {
      read: calls.read - this.startCrmCalls.read,
      write: calls.write - this.startCrmCalls.write,
      other: calls.other - this.startCrmCalls.other,
    };
    if (budget !== undefined) report.crmBudget = { limit: budget.limit, remaining: budget.remaining };
    for (const adapter of this.deps.providers) {
      const usage = adapter.usage();
      report.apiCalls.providers[adapter.network] = usage.calls - (this.startProviderCalls.get(adapter.network) ?? 0);
    }
    this.recordSpend();
    report.apiCalls.refused = refusedOf(this.deps.providers) - this.startRefused;
  }

  private async finish(lease: Lease): Promise<void> {
    const { store, report } = this;
    this.tallyApiCalls();
    if (report.status === 'running') {
      report.status = 'failed';
      report.message ??= 'the run stopped unexpectedly';
    }
    if (!this.options.dryRun) {
      const cutoff = new Date(this.now().getTime() - this.options.historyMonths * MONTH_MS);
      try {
        const pruned = await store.pruneHistory(cutoff);
        if (pruned > 0) this.deps.logger?.info({ pruned }, 'score history older than the retention pruned');
      } catch (error) {
        this.deps.logger?.error({ err: describeError(error) }, 'history pruning failed');
      }
    }
    if (this.errorGroups.size > 0) report.errorGroups = [...this.errorGroups.values()];
    report.finishedAt = this.now().toISOString();
    try {
      await store.saveRun(report);
    } finally {
      await lease.release();
    }
    // The counts are the run report's (the CLI's summary, the runs page): a log line repeating them prints them twice.
    this.deps.logger?.info(
      { runId: this.runId, connection: this.connectionId, status: report.status },
      'sync finished',
    );
  }
}
