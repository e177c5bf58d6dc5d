// Deterministic fault injection for the sandbox servers: which call gets a 429, a 5xx, a dropped connection or
// extra latency, and which record write fails with which error. Same schedule + same calls = same faults, so a
// failing test replays exactly. Every emulator (Salesforce, HubSpot, the networks) reuses this one helper.
import { z } from 'zod';

const everyNth = z.number().int().positive();

export const RecordFaultSchema = z.object({
  /** The CRM's error code, e.g. `UNABLE_TO_LOCK_ROW`, `FIELD_CUSTOM_VALIDATION_EXCEPTION`. */
  code: z.string().min(1),
  message: z.string().optional(),
  /** Fields the error names (Salesforce `fields[]`). */
  fields: z.array(z.string()).optional(),
  /** Fraction of records hit (0–1), chosen by a hash of (seed, code, record id): stable across runs. */
  rate: z.number().min(0).max(1).optional(),
  /** Exactly these record ids are hit (in addition to `rate`). */
  ids: z.array(z.string()).optional(),
  /** How many write attempts of a hit record fail before it succeeds; omitted = every attempt fails. */
  times: z.number().int().positive().optional(),
});
export type RecordFault = z.infer<typeof RecordFaultSchema>;

export const FaultScheduleSchema = z.object({
  seed: z.union([z.string(), z.number()]).default('faults'),
  /** Every Nth counted call answers 429. */
  status429: everyNth.optional(),
  /** Every Nth counted call answers 503. */
  status5xx: everyNth.optional(),
  /** Every Nth counted call has its connection destroyed without an answer. */
  dropConnection: everyNth.optional(),
  /**
   * Every Nth counted call is never answered: the emulator holds the connection for `holdMs`, then closes it (a
   * server or proxy that hangs; RFC 9110 §15.6.5 names the gateway timeout, a client sees only silence). Soak.
   */
  timeout: everyNth.optional(),
  /** How long a `timeout` call is held before its connection is closed (default 60 s). */
  holdMs: z.number().int().positive().default(60_000),
  /** Added to every call. */
  latencyMs: z.number().int().nonnegative().optional(),
  /** Only calls whose path matches take part in the schedule (default: all). */
  pathPattern: z.instanceof(RegExp).optional(),
  /** The first N matching calls are always served normally (lets a run start before faults begin). */
  after: z.number().int().nonnegative().default(0),
  recordErrors: z.array(RecordFaultSchema).default([]),
});
export type FaultSchedule = z.input<typeof FaultScheduleSchema>;

export type CallFault = 'none' | '429' | '5xx' | 'drop' | 'timeout';

/** FNV-1a over a string, mapped to [0, 1): cheap, stable, good enough to spread faults. */
export function unitHash(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) / 0x1_0000_0000;
}

/** A `timeout` call: the connection is held silent for `holdMs`, then closed without an answer. */
export function holdSilently(
  socket: { destroy(): void; once(event: 'close', listener: () => void): unknown },
  holdMs: number,
): void {
  const timer = setTimeout(() => socket.destroy(), holdMs);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}

export class FaultInjector {
  private readonly schedule: z.output<typeof FaultScheduleSchema>;
  private readonly extraRecordFaults: RecordFault[] = [];
  private readonly attempts = new Map<string, number>();
  private matchingCalls = 0;

  constructor(schedule: FaultSchedule = {}) {
    this.schedule = FaultScheduleSchema.parse(schedule);
  }

  get latencyMs(): number {
    return this.schedule.latencyMs ?? 0;
  }

  /** How long a `timeout` call is held before its connection is closed. */
  get holdMs(): number {
    return this.schedule.holdMs;
  }

  /** Decides the fate of one incoming call. Call once per request. */
  nextCall(path: string): CallFault {
    const { pathPattern, after, status429, status5xx, dropConnection, timeout } = this.schedule;
    if (pathPattern && !pathPattern.test(path)) return 'none';
    this.matchingCalls += 1;
    const n = this.matchingCalls - after;
    if (n <= 0) return 'none';
    if (dropConnection && n % dropConnection === 0) return 'drop';
    if (timeout && n % timeout === 0) return 'timeout';
    if (status429 && n % status429 === 0) return '429';
    if (status5xx && n % status5xx === 0) return '5xx';
    return 'none';
  }

  /** Adds record faults at run time (tests: "this record is locked for the next 2 attempts"). */
  addRecordFault(fault: RecordFault): void {
    this.extraRecordFaults.push(RecordFaultSchema.parse(fault));
  }

  clearRecordFaults(): void {
    this.extraRecordFaults.length = 0;
    this.schedule.recordErrors = [];
  }

  /** The error one write attempt of `recordId` must fail with, or undefined. Counts the attempt. */
  recordError(recordId: string): RecordFault | undefined {
    for (const fault of [...this.schedule.recordErrors, ...this.extraRecordFaults]) {
      const hit =
        (fault.ids?.includes(recordId) ?? false) ||
        (fault.rate !== undefined && unitHash(`${String(this.schedule.seed)}|${fault.code}|${recordId}`) < fault.rate);
      if (!hit) continue;
      const key = `${fault.code}|${recordId}`;
      const attempt = (this.attempts.get(key) ?? 0) + 1;
      this.attempts.set(key, attempt);
      if (fault.times === undefined || attempt <= fault.times) return fault;
    }
    return undefined;
  }
}
