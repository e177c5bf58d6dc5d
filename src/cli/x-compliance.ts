// The X compliance step (src/sync/x-compliance.ts) as `sync` and `serve` run it: only with X on; a check that fails
// is logged and left to the next one (it never fails a sync), since each covers everything held.
import { XComplianceClient } from '../providers/x-compliance.ts';
import {
  applyXCompliance,
  type Rescore,
  X_COMPLIANCE_INTERVAL_MS,
  type XComplianceOutcome,
} from '../sync/x-compliance.ts';
import type { CliContext } from './context.ts';

/**
 * One check now; null when X is off or the check could not finish (logged). `rescore` takes the contacts whose
 * written fields used X data just forgotten (a targeted run in `sync`, the server's queue in `serve`).
 */
export async function runXCompliance(
  ctx: CliContext,
  options: { maxWaitMs?: number; rescore?: Rescore } = {},
): Promise<XComplianceOutcome | null> {
  const { config, store, logger } = ctx;
  if (!config.X_ENABLED || !config.X_BEARER_TOKEN) return null;
  const client = new XComplianceClient({
    baseUrl: config.X_API_BASE_URL,
    bearerToken: config.X_BEARER_TOKEN,
    http: { logger },
    ...(options.maxWaitMs !== undefined ? { maxWaitMs: options.maxWaitMs } : {}),
  });
  try {
    return await applyXCompliance(store, client, { logger, rescore: options.rescore });
  } catch (error) {
    logger.warn(
      { err: error instanceof Error ? error.message : String(error) },
      'X compliance check did not finish; the next one covers the same accounts',
    );
    return null;
  }
}

/** `serve`: a check at start and then every 20 hours (X wants the data gone within 24), until `signal`. */
export function scheduleXCompliance(ctx: CliContext, signal: AbortSignal, rescore: Rescore): void {
  if (!ctx.config.X_ENABLED || !ctx.config.X_BEARER_TOKEN) return;
  let timer: NodeJS.Timeout | undefined;
  const tick = async () => {
    await runXCompliance(ctx, { rescore });
    if (!signal.aborted) timer = setTimeout(() => void tick(), X_COMPLIANCE_INTERVAL_MS).unref();
  };
  signal.addEventListener('abort', () => clearTimeout(timer), { once: true });
  timer = setTimeout(() => void tick(), 0).unref();
}
