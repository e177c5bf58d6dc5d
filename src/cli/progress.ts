// Run progress on stderr: a live line (cli-progress) on a terminal, plain lines otherwise (CI, pipes, log files).
import cliProgress from 'cli-progress';

import type { SyncProgress } from '../sync/engine.ts';

export interface ProgressReporter {
  update(progress: SyncProgress): void;
  stop(): void;
}

const FORMAT =
  'sync {phase} | pages {pages} | read {read} | written {written} | unchanged {unchanged} | failed {failed}';

function payload(progress: SyncProgress) {
  return { phase: progress.phase, pages: progress.pages, ...progress.counts };
}

export function createProgress(stream: NodeJS.WriteStream = process.stderr, quiet = false): ProgressReporter {
  if (quiet) return { update: () => undefined, stop: () => undefined };
  if (stream.isTTY !== true) {
    return {
      update: (progress) => {
        const p = payload(progress);
        stream.write(`${FORMAT.replace(/\{(\w+)\}/g, (_, key: string) => String(p[key as keyof typeof p]))}\n`);
      },
      stop: () => undefined,
    };
  }
  // The total is unknown (incremental reads), so the bar is a live counter line rather than a percentage.
  const bar = new cliProgress.SingleBar(
    { format: FORMAT, stream, hideCursor: true, clearOnComplete: false },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update: (progress) => {
      if (!started) {
        bar.start(0, 0, payload(progress));
        started = true;
      }
      bar.update(progress.counts.read, payload(progress));
    },
    stop: () => {
      if (started) bar.stop();
    },
  };
}
