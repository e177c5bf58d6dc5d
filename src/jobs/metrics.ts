// The run queue and the shared network budgets in the Prometheus text format: served by `serve`'s /metrics and by
// each worker's (`worker --metrics-port`), which adds the runs it has in hand.
import type { NetworkBudget } from './network-budgets.ts';
import type { ConnectionJobCounts } from './queue.ts';

type Sample = [Record<string, string>, number];

function label(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function family(name: string, help: string, samples: readonly Sample[]): string[] {
  const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} gauge`];
  for (const [labels, value] of samples) {
    const ls = Object.entries(labels)
      .map(([k, v]) => `${k}="${label(v)}"`)
      .join(',');
    lines.push(`${name}${ls === '' ? '' : `{${ls}}`} ${Number.isFinite(value) ? value : 0}`);
  }
  return lines;
}

export interface QueueMetricsInput {
  counts: readonly ConnectionJobCounts[];
  budgets: readonly NetworkBudget[];
  /** This worker's runs in hand, by connection (a worker's /metrics only). */
  running?: ReadonlyMap<string, number>;
  now: number;
}

export function renderQueueMetrics(input: QueueMetricsInput): string {
  const { counts, budgets, running, now } = input;
  const lines = [
    ...family(
      'crm_influence_jobs',
      'Run jobs in the PostgreSQL queue by connection and state (queued, active, retrying, dead: failed every retry).',
      counts.flatMap((c) =>
        (['queued', 'active', 'retrying', 'dead'] as const).map((state): Sample => [
          { connection: c.connectionId, state },
          c[state],
        ]),
      ),
    ),
    ...family(
      'crm_influence_network_budget_remaining',
      'Calls left in a network rate-limit window, shared by every worker (as the network last reported it, less calls since).',
      budgets
        .filter((b) => b.remaining !== null && b.resetAt > now)
        .map((b): Sample => [{ window: b.window }, b.remaining ?? 0]),
    ),
    ...family(
      'crm_influence_network_budget_limit',
      'The size of that window, as the network reports it.',
      budgets
        .filter((b) => b.limit !== null && b.resetAt > now)
        .map((b): Sample => [{ window: b.window }, b.limit ?? 0]),
    ),
  ];
  if (running !== undefined)
    lines.push(
      ...family(
        'crm_influence_worker_jobs_running',
        'Runs this worker has in hand, by connection.',
        [...running].map(([connection, n]): Sample => [{ connection }, n]),
      ),
    );
  return `${lines.join('\n')}\n`;
}
