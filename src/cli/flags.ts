// Flag validation with zod: commander collects the flags, zod checks them and says which flag is wrong and why.
import type { z } from 'zod';

import { describeIssues } from '../zod-issues.ts';
import { UsageError } from './errors.ts';

/** camelCase option key → the flag as typed (`dryRun` → `--dry-run`). */
function flagName(key: PropertyKey | undefined): string {
  if (typeof key !== 'string') return 'options';
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

export function parseFlags<S extends z.ZodType>(command: string, schema: S, raw: unknown): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const problems = describeIssues(parsed.error, { field: (path) => flagName(path[0]) });
  throw new UsageError(`${command}: ${problems} (see \`crm-influence ${command} --help\`)`);
}
