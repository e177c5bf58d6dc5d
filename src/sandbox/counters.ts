// Counters an emulator keeps so tests and benchmarks can check how the product used it: calls per endpoint,
// records read and written, the largest batch seen, 429s served. Plain numbers; `snapshot()` copies them.

export interface CountersSnapshot {
  /** Calls per endpoint, keyed like `GET /2/users/by`. Includes calls answered with a fault. */
  calls: Record<string, number>;
  totalCalls: number;
  recordsRead: number;
  recordsWritten: number;
  /** Largest number of inputs one call asked for (usernames, actors, ids, records). */
  largestBatch: number;
  /** Largest batch per endpoint. */
  largestBatchByEndpoint: Record<string, number>;
  served429: number;
  served5xx: number;
  droppedConnections: number;
}

export class SandboxCounters {
  private calls = new Map<string, number>();
  private batches = new Map<string, number>();
  private totalCalls = 0;
  private recordsRead = 0;
  private recordsWritten = 0;
  private served429 = 0;
  private served5xx = 0;
  private dropped = 0;

  call(endpoint: string): void {
    this.totalCalls++;
    this.calls.set(endpoint, (this.calls.get(endpoint) ?? 0) + 1);
  }

  batch(endpoint: string, size: number): void {
    if (size > (this.batches.get(endpoint) ?? 0)) this.batches.set(endpoint, size);
  }

  read(records: number): void {
    this.recordsRead += records;
  }
  written(records: number): void {
    this.recordsWritten += records;
  }
  /** Call with the status of every answer; counts 429s and 5xx. */
  status(status: number): void {
    if (status === 429) this.served429++;
    else if (status >= 500) this.served5xx++;
  }
  droppedConnection(): void {
    this.dropped++;
  }

  /** Calls to one endpoint so far. */
  callsTo(endpoint: string): number {
    return this.calls.get(endpoint) ?? 0;
  }

  snapshot(): CountersSnapshot {
    const largestBatchByEndpoint = Object.fromEntries(this.batches);
    return {
      calls: Object.fromEntries(this.calls),
      totalCalls: this.totalCalls,
      recordsRead: this.recordsRead,
      recordsWritten: this.recordsWritten,
      largestBatch: Math.max(0, ...this.batches.values()),
      largestBatchByEndpoint,
      served429: this.served429,
      served5xx: this.served5xx,
      droppedConnections: this.dropped,
    };
  }

  reset(): void {
    this.calls.clear();
    this.batches.clear();
    this.totalCalls = 0;
    this.recordsRead = 0;
    this.recordsWritten = 0;
    this.served429 = 0;
    this.served5xx = 0;
    this.dropped = 0;
  }
}
