// A stored run report as the admin UI shows it: CRM texts redacted, and the figures the tables add up.
import { redact } from '../log.ts';
import type { RunReport } from '../store/run-report.ts';

/** CRM error texts can quote a token back (`Bearer 00D…` inside a validation message): shown as the logs show them. */
export function redactedReport(report: RunReport): RunReport {
  return {
    ...report,
    ...(report.message === undefined ? {} : { message: redact(report.message) }),
    errors: report.errors.map((e) => ({ ...e, message: redact(e.message) })),
    ...(report.errorGroups === undefined
      ? {}
      : { errorGroups: report.errorGroups.map((g) => ({ ...g, message: redact(g.message) })) }),
  };
}

export function durationMs(report: RunReport): number | null {
  return report.finishedAt === null ? null : Date.parse(report.finishedAt) - Date.parse(report.startedAt);
}

export function crmCalls(report: RunReport): number {
  return report.apiCalls.crm.read + report.apiCalls.crm.write + report.apiCalls.crm.other;
}

export function providerCalls(report: RunReport): number {
  return Object.values(report.apiCalls.providers).reduce((a, b) => a + b, 0);
}
