// How commands print: results on stdout (tables, or exactly one JSON document with --json), everything else on stderr.
import type { RecordError, RunReport } from '../store/run-report.ts';
import { countsInWords, READ_ALL_WORDS, unscoredBreakdown } from '../store/run-report.ts';

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** A run report in words, for a person at a terminal. */
export function describeRun(report: RunReport): string {
  const c = report.counts;
  const providerCalls =
    Object.entries(report.apiCalls.providers)
      .map(([n, calls]) => `${n} ${calls}`)
      .join(', ') || 'none';
  const lines = [
    `${report.dryRun ? 'Dry run' : 'Run'} ${report.runId} (${report.crm}, connection ${report.connection}): ${report.status}`,
    `  ${countsInWords(report)}`,
    ...(report.readAll === undefined ? [] : [`  read ${READ_ALL_WORDS[report.readAll]}`]),
    `  CRM API calls: read ${report.apiCalls.crm.read}, write ${report.apiCalls.crm.write}, other ${report.apiCalls.crm.other} · provider calls: ${providerCalls}`,
    ...(report.apiCalls.refused
      ? [`  outbound requests refused (hosts from CRM data aimed inward): ${report.apiCalls.refused}`]
      : []),
    ...Object.entries(report.apiCalls.estimatedSpendUsd ?? {}).map(
      ([network, usd]) => `  estimated ${network} spend: $${usd.toFixed(2)}`,
    ),
  ];
  const unscored = unscoredBreakdown(report);
  if (unscored.length > 0) {
    lines.push('  not scored, by why:');
    for (const row of unscored) lines.push(`    ${row.count} ${row.why}${row.fix === '' ? '' : ` → ${row.fix}`}`);
  }
  if (report.message !== undefined) lines.push(`  ${report.message}`);
  const tasks = report.tierTasks;
  if (tasks !== undefined) {
    lines.push(
      `  tier-change tasks: created ${tasks.created} · not created ${tasks.failed} · waiting for the next run ${tasks.waiting}`,
    );
    for (const p of tasks.problems) lines.push(`    ${p.count} × ${p.code}: ${p.message}`);
  }
  lines.push(...describeErrors(report));
  if (c.failed > report.errors.length)
    lines.push(`  (the run report lists the first ${report.errors.length} of ${c.failed} failed records by id)`);
  return lines.join('\n');
}

const ERROR_GROUPS_SHOWN = 10;
const IDS_SHOWN = 3;

/**
 * Per-record errors, one line per distinct problem (a rate limit fails hundreds of records with the same words):
 * the problem, how many records (all of them, from `errorGroups`, when the report has it), and the first few ids.
 */
export function describeErrors(report: Pick<RunReport, 'errors' | 'errorGroups'>): string[] {
  const keyOf = (e: { stage: string; code: string; message: string; retryable: boolean }): string =>
    `${e.stage}\u0000${e.code}\u0000${e.message}\u0000${e.retryable}`;
  // `counted`: the report counted this problem's records (errorGroups); otherwise count the listed ids.
  const groups = new Map<
    string,
    { error: Omit<RecordError, 'recordId'>; count: number; counted: boolean; ids: string[] }
  >();
  for (const group of report.errorGroups ?? [])
    groups.set(keyOf(group), { error: group, count: group.count, counted: true, ids: [] });
  for (const error of report.errors) {
    const key = keyOf(error);
    const group = groups.get(key) ?? { error, count: 0, counted: false, ids: [] };
    groups.set(key, group);
    group.ids.push(error.recordId);
    if (!group.counted) group.count += 1;
  }
  const lines: string[] = [];
  for (const { error, count, ids } of [...groups.values()].slice(0, ERROR_GROUPS_SHOWN)) {
    const problem = `[${error.stage}] ${error.code}: ${error.message}${error.retryable ? ' (will retry)' : ''}`;
    if (count === 1 && ids.length === 1) {
      lines.push(`  ✗ ${ids[0]} ${problem}`);
      continue;
    }
    lines.push(`  ✗ ${count.toLocaleString('en')} records ${problem}`);
    if (ids.length > 0)
      lines.push(
        `      ${ids.slice(0, IDS_SHOWN).join(', ')}${count > IDS_SHOWN ? `, … ${(count - Math.min(IDS_SHOWN, ids.length)).toLocaleString('en')} more` : ''}`,
      );
  }
  if (groups.size > ERROR_GROUPS_SHOWN) {
    lines.push(`  … ${groups.size - ERROR_GROUPS_SHOWN} more kinds of error (crm-influence runs --json)`);
  }
  return lines;
}
