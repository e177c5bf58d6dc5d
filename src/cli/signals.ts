// Ctrl-C and SIGTERM (`timeout`, `docker stop`, systemd) for the commands that run syncs: the first signal asks the
// work in flight to stop cleanly (the run saves its checkpoint, releases its lease and ends `interrupted`), a second
// one exits at once.
import { constants } from 'node:os';

import { stderrTerminal } from './terminal.ts';

const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const;
type StopSignal = (typeof STOP_SIGNALS)[number];

export interface StopRequest {
  /** Aborted by the first signal; its reason is the signal's name (the run report says "interrupted (SIGTERM)"). */
  readonly signal: AbortSignal;
  /** Resolves with the first signal. */
  readonly received: Promise<StopSignal>;
  /** The shell's status for a process stopped by the signal received (130 Ctrl-C, 143 SIGTERM); null before one. */
  exitCode(): number | null;
  /** Stops listening (the handlers are the process's own while the command runs). */
  dispose(): void;
}

export interface StopListenerOptions {
  /** Where the "stopping…" lines go. */
  write?: (line: string) => void;
  /** Ends the process at once (a second signal). */
  exit?: (code: number) => never;
}

const statusOf = (signal: StopSignal): number => 128 + constants.signals[signal];

export function listenForStop(options: StopListenerOptions = {}): StopRequest {
  const write = options.write ?? ((line: string) => stderrTerminal.writeLine(line));
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const controller = new AbortController();
  let first: StopSignal | null = null;
  let resolveReceived: (signal: StopSignal) => void = () => undefined;
  const received = new Promise<StopSignal>((resolve) => {
    resolveReceived = resolve;
  });
  const handler = (signal: StopSignal): void => {
    if (first !== null) {
      write(`${signal} again: exiting now (a run in flight is marked abandoned once its lease expires)\n`);
      exit(statusOf(signal));
      return;
    }
    first = signal;
    write(`${signal}: stopping after the step in flight (the checkpoint is kept); send it again to exit at once\n`);
    controller.abort(signal);
    resolveReceived(signal);
  };
  for (const signal of STOP_SIGNALS) process.on(signal, handler);
  return {
    signal: controller.signal,
    received,
    exitCode: () => (first === null ? null : statusOf(first)),
    dispose: () => {
      for (const signal of STOP_SIGNALS) process.off(signal, handler);
    },
  };
}
