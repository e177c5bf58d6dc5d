// The org's shared daily API quota as Salesforce reports it (the `Sforce-Limit-Info` header on every response,
// `/limits` at setup) and the calls this connector made, by kind. Below the floor the connector stops cleanly.
import type { ApiUsage } from '../../src/crm/contract.ts';
import { BudgetReachedError } from '../../src/crm/errors.ts';

export type CallKind = 'read' | 'write' | 'other';

export class ApiBudget {
  readonly calls = { read: 0, write: 0, other: 0 };
  private limit: number | undefined;
  private used: number | undefined;

  private readonly floor: number;

  constructor(floor: number) {
    this.floor = floor;
  }

  count(kind: CallKind, n = 1): void {
    this.calls[kind] += n;
  }

  /** jsforce's parsed `Sforce-Limit-Info` (`conn.limitInfo`). */
  observeHeader(limitInfo: { apiUsage?: { used: number; limit: number } } | undefined): void {
    if (!limitInfo?.apiUsage) return;
    this.used = limitInfo.apiUsage.used;
    this.limit = limitInfo.apiUsage.limit;
  }

  /** The `/limits` body. */
  observeLimits(body: unknown): void {
    const daily = (body as { DailyApiRequests?: { Max?: unknown; Remaining?: unknown } } | null)?.DailyApiRequests;
    if (typeof daily?.Max === 'number' && typeof daily.Remaining === 'number') {
      this.limit = daily.Max;
      this.used = daily.Max - daily.Remaining;
    }
  }

  get budget(): ApiUsage['budget'] {
    if (this.limit === undefined || this.used === undefined) return undefined;
    return { limit: this.limit, remaining: Math.max(0, this.limit - this.used) };
  }

  /** Throws when the quota left is below the floor: better to stop than to starve the org's other integrations. */
  checkFloor(): void {
    const budget = this.budget;
    if (!budget || budget.limit <= 0) return;
    if (budget.remaining / budget.limit < this.floor) {
      throw new BudgetReachedError(
        `Salesforce daily API quota at the floor: ${budget.remaining} of ${budget.limit} requests left (floor ${Math.round(this.floor * 100)}%)`,
      );
    }
  }

  usage(): ApiUsage {
    const budget = this.budget;
    return { calls: { ...this.calls }, ...(budget ? { budget } : {}) };
  }
}
