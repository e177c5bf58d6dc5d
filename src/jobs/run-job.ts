// What a run job asks for: one run of one connection. The job's payload crosses the database between processes, so
// it is read back through this schema, never trusted as typed.
import { z } from 'zod';

import { describeIssues } from '../zod-issues.ts';

export const RunTriggerSchema = z.enum(['schedule', 'manual', 'webhook']);
export type RunTrigger = z.infer<typeof RunTriggerSchema>;

export const RunJobSchema = z.strictObject({
  connectionId: z.string().min(1, 'must name the connection'),
  /** What queued it: a webhook job reads exactly the contacts its connection's webhooks queued. */
  trigger: RunTriggerSchema,
  dryRun: z.boolean().default(false),
  full: z.boolean().default(false),
});
export type RunJob = z.output<typeof RunJobSchema>;
export type RunJobInput = z.input<typeof RunJobSchema>;

/** Parses a job's payload; a bad one names the job and the field. */
export function parseRunJob(jobId: string, data: unknown): RunJob {
  const parsed = RunJobSchema.safeParse(data);
  if (parsed.success) return parsed.data;
  throw new Error(`run job ${jobId} is not valid: ${describeIssues(parsed.error, { root: 'data' })}`);
}
