// Deal outcomes for the lift analytics: each opportunity through its primary contact role, in one SOQL query on
// OpportunityContactRole that reaches the opportunity's fields through the `Opportunity` relationship (Object
// Reference: OpportunityContactRole.IsPrimary, Opportunity.IsWon/IsClosed/Amount/CloseDate/StageName). Incremental:
// only roles or opportunities modified since the checkpoint (less the overlap for late commits), paged by
// queryMore at the connector's batch size, so 10,000 opportunities cost 5 calls at 2,000 a page. Read-only.
import { z } from 'zod';

import { SetupError } from '../../src/crm/errors.ts';
import type { Outcome, OutcomePage, ParsedOutcome } from '../../src/crm/outcomes.ts';
import { parseOutcome } from '../../src/crm/outcomes.ts';
import type { QueryPage, SalesforceApi } from './api.ts';
import { DEPLOY_FIX, errorCodeOf } from './api.ts';
import { isoFromSalesforce } from './field-map.ts';
import { soqlDatetime } from './soql.ts';

const CheckpointSchema = z.object({ v: z.literal(1), since: z.iso.datetime() });

const RoleSchema = z.object({
  Id: z.string(),
  OpportunityId: z.string(),
  ContactId: z.string().nullable(),
  SystemModstamp: z.string(),
  Opportunity: z.object({
    StageName: z.string(),
    IsClosed: z.boolean(),
    IsWon: z.boolean(),
    Amount: z.number().nullable(),
    CloseDate: z.string().nullable(),
    CreatedDate: z.string(),
    SystemModstamp: z.string(),
  }),
});

const FIELDS = [
  'Id',
  'OpportunityId',
  'ContactId',
  'SystemModstamp',
  'Opportunity.StageName',
  'Opportunity.IsClosed',
  'Opportunity.IsWon',
  'Opportunity.Amount',
  'Opportunity.CloseDate',
  'Opportunity.CreatedDate',
  'Opportunity.SystemModstamp',
];

export function outcomesQuery(since: string | null, overlapSeconds: number): string {
  const base = `SELECT ${FIELDS.join(', ')} FROM OpportunityContactRole WHERE IsPrimary = true`;
  if (since === null) return base;
  const from = soqlDatetime(new Date(Date.parse(since) - overlapSeconds * 1000));
  return `${base} AND (SystemModstamp >= ${from} OR Opportunity.SystemModstamp >= ${from})`;
}

function parseCheckpoint(text: string | null): string | null {
  if (text === null) return null;
  const parsed = CheckpointSchema.safeParse(JSON.parse(text));
  if (!parsed.success)
    throw new Error('the stored Salesforce outcomes checkpoint is not valid; run `report lift --full`');
  return parsed.data.since;
}

function iso(value: string): string {
  try {
    return isoFromSalesforce(value);
  } catch {
    return value; // left as it is: the outcome schema then names the field
  }
}

function toOutcome(raw: unknown): ParsedOutcome {
  const id = (raw as { OpportunityId?: unknown } | null)?.OpportunityId;
  const opportunity = typeof id === 'string' ? id : '(no id)';
  return parseOutcome(RoleSchema, raw, opportunity, `OpportunityContactRole of opportunity ${opportunity}`, (r) => ({
    id: r.OpportunityId,
    contactIds: r.ContactId === null ? [] : [r.ContactId],
    pipeline: null,
    stage: r.Opportunity.StageName,
    isClosed: r.Opportunity.IsClosed,
    isWon: r.Opportunity.IsWon,
    amount: r.Opportunity.Amount,
    createdAt: iso(r.Opportunity.CreatedDate),
    closeDate: r.Opportunity.CloseDate,
    modifiedAt: [iso(r.SystemModstamp), iso(r.Opportunity.SystemModstamp)].sort().at(-1)!,
  }));
}

export async function* readOutcomes(
  api: SalesforceApi,
  checkpoint: string | null,
  overlapSeconds: number,
): AsyncIterable<OutcomePage> {
  const since = parseCheckpoint(checkpoint);
  let latest = since;
  let page: QueryPage<unknown>;
  try {
    page = await api.query<unknown>(outcomesQuery(since, overlapSeconds));
  } catch (error) {
    if (errorCodeOf(error) !== 'INVALID_TYPE') throw error;
    throw new SetupError('the Salesforce integration user cannot read Opportunity (INVALID_TYPE).', DEPLOY_FIX);
  }
  for (;;) {
    const outcomes: Outcome[] = [];
    const invalid: OutcomePage['invalid'] = [];
    for (const raw of page.records) {
      const parsed = toOutcome(raw);
      if (!parsed.ok) invalid.push({ id: parsed.id, message: parsed.message });
      else {
        outcomes.push(parsed.outcome);
        if (latest === null || parsed.outcome.modifiedAt > latest) latest = parsed.outcome.modifiedAt;
      }
    }
    // Records come in no promised order: the checkpoint moves only once the whole answer is read.
    const done = page.done || page.nextRecordsUrl === undefined;
    const next = done ? latest : since;
    yield { outcomes, invalid, checkpoint: next === null ? '' : JSON.stringify({ v: 1, since: next }) };
    if (done) return;
    page = await api.queryMore<unknown>(page.nextRecordsUrl!);
  }
}
