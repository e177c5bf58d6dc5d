// The one way a zod error becomes a message: each issue as `field: what is wrong`, the field named by its path (or by
// the caller's own names: a CLI flag, a CSV column, a record's CRM field), joined into one line.
import type { z } from 'zod';

type Issues = z.ZodError | readonly z.core.$ZodIssue[];

export interface DescribeIssuesOptions {
  /** The name of an issue about the whole value (an empty path); default `value`. */
  root?: string;
  /** Names the field at `path` (default: its segments joined with dots); an empty string falls back to `root`. */
  field?: (path: readonly PropertyKey[]) => string;
  /** Put before every field name, e.g. `scoring.` for options nested in a larger record. */
  prefix?: string;
  /** At most this many issues are described (the rest are counted); default: all. */
  limit?: number;
}

/** Each issue as `field: message`, in zod's order. */
export function issueLines(issues: Issues, options: DescribeIssuesOptions = {}): string[] {
  const list = 'issues' in issues ? issues.issues : issues;
  const shown = options.limit === undefined ? list : list.slice(0, options.limit);
  const lines = shown.map((issue) => {
    const field = options.field ? options.field(issue.path) : issue.path.map(String).join('.');
    return `${options.prefix ?? ''}${field || (options.root ?? 'value')}: ${issue.message}`;
  });
  if (shown.length < list.length) lines.push(`and ${list.length - shown.length} more`);
  return lines;
}

/** Every issue on one line: `field: message; field: message` (see issueLines). */
export function describeIssues(issues: Issues, options: DescribeIssuesOptions = {}): string {
  return issueLines(issues, options).join('; ');
}
