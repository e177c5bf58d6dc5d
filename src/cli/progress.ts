// Run progress on stderr: a live line on a terminal (redrawn in place, cleared when the run ends, so its counts are
// printed once, in the summary), one plain line per page otherwise (CI, pipes, log files).
import { writesOf } from '../store/run-report.ts';
import type { SyncProgress } from '../sync/engine.ts';
import type { StderrTerminal } from './terminal.ts';
import { stderrTerminal } from './terminal.ts';

export interface ProgressReporter {
  update(progress: SyncProgress): void;
  stop(): void;
}

/** `sync page 3 · read 600 · written 120 · unchanged 470 · failed 10` (`would write` in a dry run). */
export function progressLine(progress: SyncProgress, dryRun: boolean): string {
  const c = progress.counts;
  const writes = writesOf({ dryRun, counts: c });
  const step = progress.phase === 'retries' ? 'retrying earlier failures' : `page ${progress.pages}`;
  return `sync ${step} · read ${c.read} · ${writes.label} ${writes.count} · unchanged ${c.unchanged} · failed ${c.failed}`;
}

export function createProgress(
  options: { dryRun?: boolean; quiet?: boolean; terminal?: StderrTerminal } = {},
): ProgressReporter {
  const terminal = options.terminal ?? stderrTerminal;
  if (options.quiet === true) return { update: () => undefined, stop: () => undefined };
  return {
    update: (progress) => terminal.showStatus(progressLine(progress, options.dryRun === true)),
    stop: () => terminal.clearStatus(),
  };
}
