// What the server needs from the composition root (src/cli/commands/serve.ts): "run this connection once". The
// server never opens connectors or providers itself, so it depends only on the sync room below it.
import type { Connection } from '../store/contract.ts';
import type { RunReport } from '../store/run-report.ts';

export interface RunRequest {
  dryRun: boolean;
  full?: boolean;
  /** Settings to run with instead of the stored ones (the settings page's dry-run preview). */
  settings?: Record<string, unknown>;
  /** Read only these records (the contacts a connection's webhooks queued), leaving the checkpoint where it is. */
  ids?: readonly string[];
  /** Stops this run early (a queue job taken back), besides the process's own stop. */
  signal?: AbortSignal;
  /** The run-queue job that asked for it, recorded on the run. */
  jobId?: string;
}

export interface RunOutcome {
  report: RunReport;
}

export interface SyncRuntime {
  run(connection: Connection, request: RunRequest): Promise<RunOutcome>;
}
