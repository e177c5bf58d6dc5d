// How commands print: results on stdout (tables, or exactly one JSON document with --json), everything else on stderr.
import type { RunReport } from '../store/run-report.ts';

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd()).join('\n');
}

/** A run report in words, for a person at a terminal. */
export function describeRun(report: RunReport): string {
  const c = report.counts;
  const providerCalls = Object.entries(report.apiCalls.providers).map(([n, calls]) => `${n} ${calls}`).join(', ') || 'none';
  const lines = [
    `${report.dryRun ? 'Dry run' : 'Run'} ${report.runId} (${report.crm}, connection ${report.connection}): ${report.status}`,
    `  read ${c.read} · scored ${c.scored} · unscored ${c.unscored} · written ${c.written} · unchanged ${c.unchanged} · opted out ${c.optedOut} · failed ${c.failed}`,
    `  CRM API calls: read ${report.apiCalls.crm.read}, write ${report.apiCalls.crm.write}, other ${report.apiCalls.crm.other} · provider calls: ${providerCalls}`,
  ];
  if (report.message !== undefined) lines.push(`  ${report.message}`);
  lines.push(...describeErrors(report.errors));
  if (c.failed > report.errors.length) lines.push(`  (the run report keeps the first ${report.errors.length} of ${c.failed} failed records)`);
  return lines.join('\n');
}

const ERROR_GROUPS_SHOWN = 10;
const IDS_SHOWN = 3;

/**
 * Per-record errors, one line per distinct problem (a rate limit fails hundreds of records with the same words):
 * the problem, how many records, and the first few ids.
 */
export function describeErrors(errors: RunReport['errors']): string[] {
  const groups = new Map<string, { error: RunReport['errors'][number]; ids: string[] }>();
  for (const error of errors) {
    const key = `${error.stage}\u0000${error.code}\u0000${error.message}\u0000${error.retryable}`;
    const group = groups.get(key);
    if (group) group.ids.push(error.recordId);
    else groups.set(key, { error, ids: [error.recordId] });
  }
  const lines: string[] = [];
  for (const { error, ids } of [...groups.values()].slice(0, ERROR_GROUPS_SHOWN)) {
    const problem = `[${error.stage}] ${error.code}: ${error.message}${error.retryable ? ' (will retry)' : ''}`;
    if (ids.length === 1) {
      lines.push(`  ✗ ${ids[0]} ${problem}`);
      continue;
    }
    const more = ids.length > IDS_SHOWN ? `, … ${ids.length - IDS_SHOWN} more` : '';
    lines.push(`  ✗ ${ids.length} records ${problem}`, `      ${ids.slice(0, IDS_SHOWN).join(', ')}${more}`);
  }
  if (groups.size > ERROR_GROUPS_SHOWN) {
    lines.push(`  … ${groups.size - ERROR_GROUPS_SHOWN} more kinds of error (crm-influence runs --json lists every record)`);
  }
  return lines;
}
