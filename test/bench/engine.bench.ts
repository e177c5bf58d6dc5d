// Engine overhead per contact: everything the sync engine does around the CRM, the networks and the model, with
// those three replaced by constant-time in-memory doubles and the real SQLite store underneath. Contacts are
// generated lazily page by page, so any memory growth is the engine's (or the store's), not the double's.
// Two runs per size: a first run (everything new: scored and written) and an unchanged second run (cache hits,
// same inputs: no re-scoring, 0 writes). Target: < 20 µs/contact, memory flat from 10k upwards.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';

import type {
  ApiUsage,
  ContactPage,
  CrmConnector,
  CrmContact,
  ReadOptions,
  ScoreUpdate,
  SetupReport,
  WriteResult,
} from '../../src/crm/contract.ts';
import type { ProviderAdapter, ProviderResult } from '../../src/providers/contract.ts';
import type { Network, ScoreFunction, ScoreHistoryPoint } from '../../src/scoring/types.ts';
import type {
  CachedProviderResult,
  Connection,
  ContactSyncState,
  PendingRetry,
  Store,
} from '../../src/store/contract.ts';
import type { RunReport } from '../../src/store/run-report.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';
import { runSync } from '../../src/sync/engine.ts';

// Retained memory is measured after a forced GC (peak heapUsed alone mostly shows how lazily V8 collects).
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/** Time spent inside Store calls (wall and CPU), to tell the engine's own overhead from SQLite's. */
function timedStore(store: Store): { store: Store; storeNs: () => number; storeCpuUs: () => number } {
  let ns = 0;
  let cpuUs = 0;
  const proxy = new Proxy(store, {
    get(target, key, receiver) {
      const value: unknown = Reflect.get(target, key, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const started = process.hrtime.bigint();
        const cpu = process.cpuUsage();
        const result = (value as (...a: unknown[]) => unknown).apply(target, args);
        // node:sqlite is synchronous: the work is done by the time the promise is returned.
        const used = process.cpuUsage(cpu);
        cpuUs += used.user + used.system;
        ns += Number(process.hrtime.bigint() - started);
        return result;
      };
    },
  });
  return { store: proxy, storeNs: () => ns, storeCpuUs: () => cpuUs };
}

const PAGE_SIZE = 2_000; // a Salesforce query page
const WRITE_BATCH = 200; // sObject Collections
const TIME_BUDGET_MS = 90_000;

class GeneratedCrm implements CrmConnector {
  readonly crm = 'salesforce' as const;
  readonly writeBatchSize = WRITE_BATCH;
  private readonly calls = { read: 0, write: 0, other: 0 };
  private readonly total: number;

  constructor(total: number) {
    this.total = total;
  }

  checkSetup(): Promise<SetupReport> {
    return Promise.resolve({ ok: true, fields: [], missingScopes: [], problems: [] });
  }

  async *readContacts(cursor: string | null, _options: ReadOptions): AsyncIterable<ContactPage> {
    let next = cursor === null ? 0 : Number(cursor);
    if (next >= this.total) next = 0; // a finished read starts over (the bench's "everything changed since")
    while (next < this.total) {
      this.calls.read += 1;
      const end = Math.min(this.total, next + PAGE_SIZE);
      const contacts: CrmContact[] = [];
      for (let i = next; i < end; i++) {
        contacts.push({
          crm: 'salesforce',
          objectType: 'Contact',
          id: `003${String(i).padStart(15, '0')}`,
          handles: [{ field: 'Bluesky__c', network: 'bluesky', value: `user${i}.bsky.social` }],
          current: {},
          modifiedAt: '2026-03-01T00:00:00.000Z',
          doNotProfile: false,
        });
      }
      next = end;
      yield await Promise.resolve({ contacts, cursor: String(next) });
    }
  }

  writeScores(updates: readonly ScoreUpdate[]): Promise<WriteResult[]> {
    this.calls.write += 1;
    return Promise.resolve(updates.map((u) => ({ id: u.id, ok: true as const })));
  }

  apiUsage(): ApiUsage {
    return { calls: { ...this.calls }, budget: { limit: 1_000_000_000, remaining: 1_000_000_000 } };
  }
}

class ConstantProvider implements ProviderAdapter {
  readonly network = 'bluesky' as const;
  readonly maxBatch = 25;
  private calls = 0;
  fetchProfiles(handles: readonly string[]): Promise<Map<string, ProviderResult>> {
    this.calls += 1;
    return Promise.resolve(
      new Map(
        handles.map((handle): [string, ProviderResult] => [
          handle,
          {
            status: 'ok',
            metrics: {
              network: 'bluesky',
              handle,
              followers: handle.length * 100,
              following: 50,
              posts: 300,
              recentPosts: [],
              fetchedAt: '2026-03-01T00:00:00.000Z',
            },
          },
        ]),
      ),
    );
  }
  usage() {
    return { calls: this.calls };
  }
}

/**
 * A store that remembers nothing (every run is a first run: all scored, all written): with it the run's memory is
 * the engine's alone, and a 1M-contact pass fits the time budget (SQLite's own cost is measured above).
 */
class ForgetfulStore implements Store {
  saveConnection(): Promise<void> {
    return Promise.resolve();
  }
  getConnection(): Promise<Connection | null> {
    return Promise.resolve(null);
  }
  listConnections(): Promise<Connection[]> {
    return Promise.resolve([]);
  }
  setConnectionStatus(): Promise<void> {
    return Promise.resolve();
  }
  deleteConnection(): Promise<void> {
    return Promise.resolve();
  }
  renameConnection(): Promise<boolean> {
    return Promise.resolve(false);
  }
  getCursor(): Promise<string | null> {
    return Promise.resolve(null);
  }
  setCursor(): Promise<void> {
    return Promise.resolve();
  }
  getScoringKey(): Promise<string | null> {
    return Promise.resolve('bench-1');
  }
  startScoringKey(): Promise<void> {
    return Promise.resolve();
  }
  getSyncStates(): Promise<Map<string, ContactSyncState>> {
    return Promise.resolve(new Map<string, ContactSyncState>());
  }
  putSyncStates(): Promise<void> {
    return Promise.resolve();
  }
  getScoreHistogram(): Promise<number[]> {
    return Promise.resolve(new Array<number>(101).fill(0));
  }
  appendHistory(): Promise<void> {
    return Promise.resolve();
  }
  getHistory(): Promise<ScoreHistoryPoint[]> {
    return Promise.resolve([]);
  }
  getHistories(): Promise<Map<string, ScoreHistoryPoint[]>> {
    return Promise.resolve(new Map<string, ScoreHistoryPoint[]>());
  }
  purgeContact(): Promise<void> {
    return Promise.resolve();
  }
  contactsScoredOn(): Promise<never[]> {
    return Promise.resolve([]);
  }
  forgetContacts(): Promise<void> {
    return Promise.resolve();
  }
  pruneHistory(): Promise<number> {
    return Promise.resolve(0);
  }
  getCached(_network: Network): Promise<Map<string, CachedProviderResult>> {
    return Promise.resolve(new Map<string, CachedProviderResult>());
  }
  getLastGood(_network: Network): Promise<Map<string, CachedProviderResult>> {
    return Promise.resolve(new Map<string, CachedProviderResult>());
  }
  cachedAccountIds(): Promise<Map<string, string[]>> {
    return Promise.resolve(new Map<string, string[]>());
  }
  forgetCached(): Promise<void> {
    return Promise.resolve();
  }
  putCached(): Promise<void> {
    return Promise.resolve();
  }
  acquireLease(): Promise<boolean> {
    return Promise.resolve(true);
  }
  renewLease(): Promise<boolean> {
    return Promise.resolve(true);
  }
  releaseLease(): Promise<void> {
    return Promise.resolve();
  }
  saveRun(): Promise<void> {
    return Promise.resolve();
  }
  getRun(): Promise<RunReport | null> {
    return Promise.resolve(null);
  }
  listRuns(): Promise<RunReport[]> {
    return Promise.resolve([]);
  }
  monthlySpend(): Promise<[]> {
    return Promise.resolve([]);
  }
  recordErrors(): Promise<void> {
    return Promise.resolve();
  }
  pendingRetries(): Promise<PendingRetry[]> {
    return Promise.resolve([]);
  }
  clearErrors(): Promise<void> {
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

const constantScore: ScoreFunction = (input) => ({
  score: Math.min(100, input.networks.length * 40),
  tier: 'B',
  confidence: 'medium',
  factors: [{ network: 'bluesky', text: 'Bluesky: followers', points: 40 }],
  reasonCodes: ['LARGE_REACH'],
  networks: {},
  trend: 'Stable',
  delta30d: null,
  modelVersion: 'bench-1',
});

interface Measured {
  report: RunReport;
  /** Wall time inside Store calls per contact. */
  storeUsPerContact: number;
  storeCpuUsPerContact: number;
  /** Largest heap still in use after a forced GC, sampled after every page. */
  retainedHeapMb: number;
  usPerContact: number;
  /** CPU time (user + system) per contact: wall time is noisy on a shared machine. */
  cpuUsPerContact: number;
  peakRssMb: number;
  peakHeapMb: number;
}

async function measure(sqlite: Store, total: number): Promise<Measured> {
  const connector = new GeneratedCrm(total);
  const { store, storeNs, storeCpuUs } = timedStore(sqlite);
  let peakRss = 0;
  let peakHeap = 0;
  let retained = 0;
  let pages = 0;
  let gcNs = 0;
  // The bench's own forced GCs are not the engine's: left out of both wall and CPU time.
  let gcCpuUs = 0;
  const sample = () => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
    // Every 10th page (GC is not free): what the engine still holds between pages.
    if (pages++ % 10 === 0) {
      const started = process.hrtime.bigint();
      const cpu = process.cpuUsage();
      gc();
      gcNs += Number(process.hrtime.bigint() - started);
      const used = process.cpuUsage(cpu);
      gcCpuUs += used.user + used.system;
      retained = Math.max(retained, process.memoryUsage().heapUsed);
    }
  };
  const started = process.hrtime.bigint();
  const cpuBefore = process.cpuUsage();
  const report = await runSync(
    {
      store,
      connector,
      providers: [new ConstantProvider()],
      resolveIdentities: (contact) => ({
        identities: contact.handles.map((h) => ({
          network: 'bluesky' as const,
          handle: h.value,
          provenance: 'crm-field' as const,
        })),
        rejected: [],
      }),
      score: constantScore,
      scoringKey: 'bench-1',
      now: () => new Date('2026-03-02T00:00:00.000Z'),
      onProgress: sample,
    },
    { connectionId: 'bench', concurrency: 4 },
  );
  const elapsedNs = Number(process.hrtime.bigint() - started) - gcNs;
  const cpu = process.cpuUsage(cpuBefore);
  sample();
  return {
    report,
    storeUsPerContact: storeNs() / 1000 / total,
    storeCpuUsPerContact: storeCpuUs() / total,
    retainedHeapMb: retained / 2 ** 20,
    usPerContact: elapsedNs / 1000 / total,
    cpuUsPerContact: (cpu.user + cpu.system - gcCpuUs) / total,
    peakRssMb: peakRss / 2 ** 20,
    peakHeapMb: peakHeap / 2 ** 20,
  };
}

function line(label: string, total: number, m: Measured): string {
  const c = m.report.counts;
  const minWrites = Math.ceil(c.written / WRITE_BATCH);
  const minProviderCalls = c.written === 0 ? 0 : Math.ceil(total / 25);
  return (
    `${label.padEnd(10)} ${String(total).padStart(9)} contacts  CPU ${m.cpuUsPerContact.toFixed(1).padStart(5)} µs/contact ` +
    `(engine ${(m.cpuUsPerContact - m.storeCpuUsPerContact).toFixed(1)} + store ${m.storeCpuUsPerContact.toFixed(1)}), wall ${m.usPerContact.toFixed(1)}  ` +
    `heap retained ${m.retainedHeapMb.toFixed(0)} MB (peak ${m.peakHeapMb.toFixed(0)})  peak RSS ${m.peakRssMb.toFixed(0)} MB  ` +
    `written ${c.written}  CRM write calls ${m.report.apiCalls.crm.write}/${minWrites} min  ` +
    `provider calls ${m.report.apiCalls.providers.bluesky ?? 0}/${minProviderCalls} min`
  );
}

export async function run(): Promise<void> {
  const sizes = (process.env.ENGINE_BENCH_SIZES ?? '10000,100000').split(',').map(Number);
  console.log(
    `engine overhead with in-memory CRM/provider/model doubles and the SQLite store (page ${PAGE_SIZE}, write batch ${WRITE_BATCH})`,
  );
  let lastSecondsPerContact = 0;
  const results: { total: number; first: Measured }[] = [];
  for (let index = 0; index < sizes.length || index === sizes.length; index++) {
    let total = sizes[index];
    if (total === undefined) {
      // 1M only if both runs are projected to fit the time budget.
      const projectedMs = 1_000_000 * lastSecondsPerContact * 1000;
      if (projectedMs > TIME_BUDGET_MS) {
        console.log(
          `1,000,000 contacts skipped: projected ${(projectedMs / 1000).toFixed(0)} s > ${TIME_BUDGET_MS / 1000} s budget`,
        );
        break;
      }
      total = 1_000_000;
    }
    const dir = mkdtempSync(path.join(tmpdir(), 'crm-influence-bench-'));
    const store = await SqliteStore.open(path.join(dir, 'bench.db'));
    try {
      gc();
      const first = await measure(store, total);
      console.log(line('first run', total, first));
      const second = await measure(store, total);
      console.log(line('unchanged', total, second));
      lastSecondsPerContact = (first.usPerContact + second.usPerContact) / 1e6;
      results.push({ total, first });
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
    if (total === 1_000_000) break;
  }
  await memoryPass();
  const smallest = results[0];
  const largest = results.at(-1);
  if (smallest !== undefined && largest !== undefined && largest !== smallest) {
    console.log(
      `memory growth ${smallest.total} → ${largest.total} contacts: retained heap ×${(largest.first.retainedHeapMb / smallest.first.retainedHeapMb).toFixed(2)}, ` +
        `peak RSS ×${(largest.first.peakRssMb / smallest.first.peakRssMb).toFixed(2)} (flat ≈ ×1)`,
    );
  }
}

/** Engine-only passes (ForgetfulStore): CPU per contact and retained heap from 10k to 1M contacts. */
async function memoryPass(): Promise<void> {
  const sizes = (process.env.ENGINE_BENCH_MEMORY_SIZES ?? '10000,100000,1000000').split(',').map(Number);
  console.log('engine alone (store that remembers nothing; every contact scored and written each run):');
  const measured: { total: number; m: Measured }[] = [];
  for (const total of sizes) {
    gc();
    const m = await measure(new ForgetfulStore(), total);
    measured.push({ total, m });
    console.log(line('engine', total, m));
  }
  const first = measured[0];
  const last = measured.at(-1);
  if (first !== undefined && last !== undefined && last !== first) {
    console.log(
      `engine memory ${first.total} → ${last.total} contacts: retained heap ${first.m.retainedHeapMb.toFixed(1)} → ${last.m.retainedHeapMb.toFixed(1)} MB ` +
        `(×${(last.m.retainedHeapMb / first.m.retainedHeapMb).toFixed(2)}; flat ≈ ×1), peak RSS ×${(last.m.peakRssMb / first.m.peakRssMb).toFixed(2)}`,
    );
  }
}
