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
  for (const error of report.errors.slice(0, 10)) {
    lines.push(`  ✗ ${error.recordId} [${error.stage}] ${error.code}: ${error.message}${error.retryable ? ' (will retry)' : ''}`);
  }
  if (report.errors.length > 10) lines.push(`  … ${report.errors.length - 10} more errors (crm-influence runs --json)`);
  return lines.join('\n');
}
