// Deal outcomes as a CRM reports them (Salesforce opportunities through their primary contact role, HubSpot deals
// through their contact associations): what the lift analytics join with the tiers we wrote. Read-only.
import { z } from 'zod';

/** `YYYY-MM-DD` (Salesforce `CloseDate` is a date; HubSpot `closedate` a datetime, cut to its UTC day). */
const DaySchema = z.iso.date();

export const OutcomeSchema = z.object({
  /** Opportunity id (Salesforce) or deal id (HubSpot). */
  id: z.string().min(1),
  /** The contacts the deal is credited to: the primary contact role (Salesforce), every associated contact (HubSpot). */
  contactIds: z.array(z.string().min(1)),
  /** HubSpot's pipeline id; null on Salesforce (one set of opportunity stages). */
  pipeline: z.string().min(1).nullable(),
  stage: z.string(),
  isClosed: z.boolean(),
  isWon: z.boolean(),
  amount: z.number().finite().nullable(),
  createdAt: z.iso.datetime({ offset: true }),
  closeDate: DaySchema.nullable(),
  modifiedAt: z.iso.datetime({ offset: true }),
});
export type Outcome = z.infer<typeof OutcomeSchema>;

export interface OutcomePage {
  outcomes: Outcome[];
  /** Opaque; pass back to `readOutcomes` to read only what changed after this page. */
  checkpoint: string;
  /** Records that are not valid outcomes, each left out alone: the message names the record and the field. */
  invalid: { id: string; message: string }[];
}

export type ParsedOutcome = { ok: true; outcome: Outcome } | { ok: false; id: string; message: string };

/** The outcome, or why it is not one: the message names the record (`what`) and the field. */
export function parseOutcome<S extends z.ZodType>(
  schema: S,
  input: unknown,
  id: string,
  what: string,
  toOutcome: (valid: z.output<S>) => unknown,
): ParsedOutcome {
  const raw = schema.safeParse(input);
  const parsed = raw.success ? OutcomeSchema.safeParse(toOutcome(raw.data)) : raw;
  if (parsed.success) return { ok: true, outcome: parsed.data };
  const issue = parsed.error.issues[0]!;
  return { ok: false, id, message: `${what}: field ${issue.path.join('.') || '(record)'}: ${issue.message}` };
}
