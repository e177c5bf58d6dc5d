// The run summary a person reads at a terminal: one line per distinct problem, not one per record.
import { expect } from 'chai';

import { describeErrors, describeRun } from '../../src/cli/output.ts';
import type { RecordError, RunReport } from '../../src/store/run-report.ts';

const rateLimited = (recordId: string): RecordError => ({
  recordId,
  stage: 'provider',
  code: 'provider_unavailable',
  message: 'no metrics from x (rate_limited)',
  retryable: true,
});

describe('cli: run summary errors', () => {
  it('groups records that failed the same way: the problem once, the count, the first ids', () => {
    const lines = describeErrors({
      errors: [
        rateLimited('003A'),
        rateLimited('003B'),
        {
          recordId: '003C',
          stage: 'write',
          code: 'FIELD_CUSTOM_VALIDATION_EXCEPTION',
          message: 'Influence_Score__c: too high',
          retryable: false,
        },
        rateLimited('003D'),
        rateLimited('003E'),
      ],
    });
    expect(lines).to.deep.equal([
      '  ✗ 4 records [provider] provider_unavailable: no metrics from x (rate_limited) (will retry)',
      '      003A, 003B, 003D, … 1 more',
      '  ✗ 003C [write] FIELD_CUSTOM_VALIDATION_EXCEPTION: Influence_Score__c: too high',
    ]);
  });

  it('shows ten kinds of problem and says how many more there are', () => {
    const errors = Array.from({ length: 12 }, (_, i): RecordError => ({
      recordId: `r${i}`,
      stage: 'score',
      code: `code_${i}`,
      message: 'm',
      retryable: false,
    }));
    const lines = describeErrors({ errors });
    expect(lines).to.have.length(11);
    expect(lines[10]).to.equal('  … 2 more kinds of error (crm-influence runs --json)');
    expect(describeErrors({ errors: [] })).to.deep.equal([]);
  });

  it("counts every failed record from the report's error groups, also past the capped list of ids", () => {
    const lines = describeErrors({
      errors: [rateLimited('003A'), rateLimited('003B')],
      errorGroups: [
        {
          stage: 'provider',
          code: 'provider_unavailable',
          message: 'no metrics from x (rate_limited)',
          retryable: true,
          count: 10_300,
        },
        {
          stage: 'provider',
          code: 'provider_unavailable',
          message: 'no metrics from bluesky (rate_limited)',
          retryable: true,
          count: 2,
        },
      ],
    });
    expect(lines).to.deep.equal([
      '  ✗ 10,300 records [provider] provider_unavailable: no metrics from x (rate_limited) (will retry)',
      '      003A, 003B, … 10,298 more',
      '  ✗ 2 records [provider] provider_unavailable: no metrics from bluesky (rate_limited) (will retry)',
    ]);
  });
});

describe('cli: run summary', () => {
  const report: RunReport = {
    runId: 'r1',
    connection: 'sf',
    crm: 'salesforce',
    dryRun: false,
    startedAt: '2026-11-26T03:00:00.000Z',
    finishedAt: '2026-11-26T03:10:00.000Z',
    status: 'ok',
    counts: { read: 1500, scored: 815, unscored: 655, written: 1470, unchanged: 30, optedOut: 30, failed: 0 },
    apiCalls: { crm: { read: 1, write: 3, other: 1 }, providers: { x: 458 } },
    errors: [],
  };

  it('says the counts in words, and why a run read every contact', () => {
    const lines = describeRun({ ...report, readAll: 'scoring-changed' }).split('\n');
    expect(lines[1]).to.equal(
      '  read 1500 · scored 815 · unscored 655 · written 1470 · unchanged 30 · opted out 30 · failed 0',
    );
    expect(lines[2]).to.equal(
      '  read every contact, each re-scored once: the model, how fields are written, the scoring settings or the imported counts changed since the last run',
    );
    expect(describeRun(report)).to.not.include('read every contact');
  });

  it('says what tier-change tasks did, when the connection has them on', () => {
    expect(describeRun(report)).to.not.include('tier-change tasks');
    const text = describeRun({
      ...report,
      tierTasks: {
        created: 2,
        failed: 1,
        waiting: 4,
        problems: [{ code: 'NO_OWNER', message: 'contact 10 has no contact owner', count: 1 }],
      },
    });
    expect(text).to.include('  tier-change tasks: created 2 · not created 1 · waiting for the next run 4');
    expect(text).to.include('    1 × NO_OWNER: contact 10 has no contact owner');
  });
});
