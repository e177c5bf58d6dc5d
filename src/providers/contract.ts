import type { Network, NetworkMetrics } from '../scoring/types.ts';

export type ProviderResult =
  | { status: 'ok'; metrics: NetworkMetrics }
  | { status: 'not_found' }
  | { status: 'suspended' }
  | { status: 'protected' }
  /** Transient: rate-limited, 5xx, timeout. `retryAfterSeconds` when the network said so. */
  | { status: 'unavailable'; retryAfterSeconds?: number; reason?: string };

export type ProviderStatus = ProviderResult['status'];

/**
 * One social network. Never throws for one bad handle; throws only when the whole provider is unusable
 * (bad credentials), with a message that says how to fix it.
 */
export interface ProviderAdapter {
  readonly network: Network;
  /** Most handles one `fetchProfiles` call should be given (the network's batch endpoint size). */
  readonly maxBatch: number;
  /**
   * Answers from this machine's own data (imported counts): the engine neither caches them nor trusts them as fresh,
   * judging each by its `fetchedAt` instead.
   */
  readonly local?: true;
  /**
   * One result per input handle, keyed by the handle exactly as given. `lastGood`: the handles' last good metrics,
   * given when `reusesLastGood` is set, so a network paid per read re-reads only what changed.
   */
  fetchProfiles(
    handles: readonly string[],
    lastGood?: ReadonlyMap<string, NetworkMetrics>,
  ): Promise<Map<string, ProviderResult>>;
  /** The engine passes each handle's last good metrics to `fetchProfiles` (X: posts already read are not paid twice). */
  readonly reusesLastGood?: boolean;
  /** Paid networks: the most one handle's look-up can cost (US dollars), so a monthly cap is never overshot. */
  readonly maxCostPerHandleUsd?: number;
  /**
   * API calls (and, for paid APIs, estimated cost; for quota APIs such as YouTube, quota units) since creation; for
   * networks whose hosts come from CRM data, the requests the outbound guard refused to send.
   */
  usage(): { calls: number; estimatedCostUsd?: number; quotaUnits?: number; refused?: number };
}
