// The CrmConnector contract: what every CRM (Salesforce, HubSpot) offers the sync engine.
import { z } from 'zod';

import type { Tier } from '../scoring/types.ts';
import { ConfidenceSchema, NetworkSchema, TierSchema, TrendSchema } from '../scoring/types.ts';
import type { OutcomePage } from './outcomes.ts';

export const CrmNameSchema = z.enum(['salesforce', 'hubspot']);
export type CrmName = z.infer<typeof CrmNameSchema>;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** A quick scan: most text has no surrogate at all (the exact check only runs on text that has one). */
const SURROGATE = /[\uD800-\uDFFF]/;

const TOP_LEVEL_TEXT = ['objectType', 'id', 'email', 'name'] as const;

/** Why a CRM's text cannot be stored, or null. */
function unstorableText(text: string): string | null {
  if (text.includes('\u0000')) return 'contains a NUL byte (U+0000); remove it in the CRM';
  if (SURROGATE.test(text) && LONE_SURROGATE.test(text))
    return 'contains a broken character (a lone UTF-16 surrogate); retype the value in the CRM';
  return null;
}

/** Text a CRM sent that we only show (an error message, an unreadable id): NUL and lone surrogates made visible. */
export function printableCrmText(text: string): string {
  return text.replaceAll('\u0000', '\\0').replace(new RegExp(LONE_SURROGATE.source, 'g'), '\uFFFD');
}

/** The influence fields as we write them onto a record (CRM-neutral names; connectors map them). */
export const InfluenceFieldsSchema = z.object({
  score: z.number().int().min(0).max(100).nullable(),
  tier: TierSchema.nullable(),
  confidence: ConfidenceSchema.nullable(),
  scoredAt: z.iso.datetime({ offset: true }).nullable(),
  /** One factor per line, e.g. "+12 Bluesky: 42 weighted reactions on a typical post (20 posts, 90 days)". */
  topFactors: z.string().nullable(),
  reasonCodes: z.array(z.string()),
  trend: TrendSchema.nullable(),
  orgPercentile: z.number().int().min(0).max(100).nullable(),
});
export type InfluenceFields = z.infer<typeof InfluenceFieldsSchema>;
export type InfluenceFieldName = keyof InfluenceFields;
export const INFLUENCE_FIELD_NAMES = Object.keys(InfluenceFieldsSchema.shape) as InfluenceFieldName[];
/** The fields' labels, as the Salesforce package deploys them (a test holds the two equal). */
export const INFLUENCE_FIELD_LABELS: Record<InfluenceFieldName, string> = {
  score: 'Influence Score',
  tier: 'Influence Tier',
  confidence: 'Influence Confidence',
  scoredAt: 'Influence Scored At',
  topFactors: 'Influence Top Factors',
  reasonCodes: 'Influence Reason Codes',
  trend: 'Influence Trend',
  orgPercentile: 'Influence Org Percentile',
};

/** What an opted-out contact gets: every influence field cleared. */
export const CLEARED_FIELDS: InfluenceFields = {
  score: null,
  tier: null,
  confidence: null,
  scoredAt: null,
  topFactors: null,
  reasonCodes: [],
  trend: null,
  orgPercentile: null,
};

/** A raw handle value from a mapped CRM field; `network` is the mapping's hint (`any` = detect from the value). */
export const RawHandleSchema = z.object({
  field: z.string(),
  network: z.union([NetworkSchema, z.literal('any')]),
  value: z.string(),
});
export type RawHandle = z.infer<typeof RawHandleSchema>;

/**
 * A contact as a CRM sends it. Its text must be storable: a NUL byte fails every PostgreSQL write it reaches ("invalid
 * byte sequence for encoding UTF8: 0x00") and a lone UTF-16 surrogate turns into U+FFFD on the way to either store.
 * Both are refused here, naming the field, so the record fails alone instead of failing the page that carries it.
 * (One check over the record's text: a check per string field would cost more than the rest of the parse.)
 */
export const CrmContactSchema = z
  .object({
    crm: CrmNameSchema,
    /** `Contact` / `Lead` (Salesforce), `contact` (HubSpot). */
    objectType: z.string().min(1),
    id: z.string().min(1),
    email: z.string().optional(),
    name: z.string().optional(),
    handles: z.array(RawHandleSchema),
    /** The influence fields as they are on the record now (a person may have edited them). */
    current: InfluenceFieldsSchema.partial(),
    modifiedAt: z.iso.datetime({ offset: true }),
    doNotProfile: z.boolean(),
  })
  .check((ctx) => {
    // Runs for every record read: the path of an issue is built only for a bad value.
    const contact = ctx.value;
    const add = (message: string, path: PropertyKey[], input: string): void => {
      ctx.issues.push({ code: 'custom', path, message, input });
    };
    let problem: string | null;
    for (const key of TOP_LEVEL_TEXT) {
      const text = contact[key];
      if (text !== undefined && (problem = unstorableText(text)) !== null) add(problem, [key], text);
    }
    contact.handles.forEach(({ field, value }, i) => {
      if ((problem = unstorableText(field)) !== null) add(problem, ['handles', i, 'field'], field);
      if ((problem = unstorableText(value)) !== null) add(problem, ['handles', i, 'value'], value);
    });
    const { topFactors, reasonCodes } = contact.current;
    if (typeof topFactors === 'string' && (problem = unstorableText(topFactors)) !== null)
      add(problem, ['current', 'topFactors'], topFactors);
    reasonCodes?.forEach((code, i) => {
      if ((problem = unstorableText(code)) !== null) add(problem, ['current', 'reasonCodes', i], code);
    });
  });
export type CrmContact = z.infer<typeof CrmContactSchema>;

export interface ScoreUpdate {
  objectType: string;
  id: string;
  fields: InfluenceFields;
}

/**
 * A record the CRM no longer has under its id (deleted, merged into another, erased for privacy): the engine deletes
 * everything it holds about it. `mergedInto` is the surviving record, which the CRM returns in its place.
 */
export const GoneRecordSchema = z.object({
  id: z.string().min(1),
  reason: z.enum(['deleted', 'merged', 'privacy_deletion']),
  mergedInto: z.string().min(1).optional(),
});
export type GoneRecord = z.infer<typeof GoneRecordSchema>;

export type WriteResult =
  /**
   * `modifiedAt`: the record's modification stamp right after this write, where the CRM answers with it (HubSpot's
   * `updatedAt`). A later read of the record with the same stamp is our own write coming back, and is skipped.
   */
  | { id: string; ok: true; modifiedAt?: string }
  | { id: string; ok: false; code: string; message: string; retryable: boolean; gone?: GoneRecord };

export interface ContactPage {
  contacts: CrmContact[];
  /** Opaque; pass back to `readContacts` to resume after this page. */
  cursor: string;
  /** Records the connector learned are gone while reading this page. */
  gone?: GoneRecord[];
}

export interface ReadOptions {
  /** Ignore the cursor and read every contact (first run, `sync --full`). */
  full: boolean;
  /** Also read contacts whose influence date is older than this (or empty). */
  staleBefore: Date;
  /** Specific records to (re)read, e.g. queued by a webhook or failed last run. */
  ids?: readonly string[];
}

export interface ApiUsage {
  calls: { read: number; write: number; other: number };
  /** The CRM's shared quota as last reported by the CRM; undefined when it does not report one. */
  budget?: { limit: number; remaining: number };
}

export interface FieldCheck {
  objectType: string;
  field: InfluenceFieldName;
  /** The CRM's own name for it (`Influence_Score__c`, `influence_score`). */
  crmField: string;
  exists: boolean;
  writable: boolean;
  problem?: string;
}

export interface SetupReport {
  ok: boolean;
  fields: FieldCheck[];
  missingScopes: string[];
  budget?: { limit: number; remaining: number };
  /** Each problem says what is wrong and the command or step that fixes it. */
  problems: { code: string; message: string; fix: string }[];
  /** Worth knowing but not in the way of a run (e.g. a fallback in use), with the step that changes it. */
  notes?: { code: string; message: string; fix?: string }[];
  /** Records of each object the integration user can see, and how many there are when the CRM says. */
  visibility?: { objectType: string; visible: number; total?: number }[];
}

/**
 * A task for the owner of a contact or lead (the tier-change alert). Plain text: the connector puts it into the CRM's
 * format (HubSpot's task body is HTML) and assigns it to the record's owner as the CRM knows it at that moment.
 */
export interface OwnerTask {
  objectType: string;
  recordId: string;
  subject: string;
  body: string;
}

/**
 * One per task, in the same order. `retryable: false` failures are final for this rise (no owner to assign it to,
 * the record is gone, the CRM refused the task for good).
 */
export type OwnerTaskResult =
  | { recordId: string; ok: true; taskId: string }
  | { recordId: string; ok: false; code: string; message: string; retryable: boolean };

export interface CrmConnector {
  readonly crm: CrmName;
  /** Most updates `writeScores` sends in one API call (it chunks larger arrays itself). */
  readonly writeBatchSize: number;
  checkSetup(): Promise<SetupReport>;
  /** Creates the influence fields where the CRM's API allows it (HubSpot properties). */
  installFields?(): Promise<SetupReport>;
  readContacts(cursor: string | null, options: ReadOptions): AsyncIterable<ContactPage>;
  /** One result per update, in the same order. Throws only when the whole CRM is unusable. */
  writeScores(updates: readonly ScoreUpdate[]): Promise<WriteResult[]>;
  /**
   * Makes the tier field show the admin's tier labels. Its stored values stay A–D and Unscored, so reports and
   * filters keep working. Returns whether anything changed. Absent where labels are metadata the integration user
   * may not edit (Salesforce picklists: the settings page says where to rename them).
   */
  applyTierLabels?(labels: Readonly<Record<Tier, string>>): Promise<boolean>;
  /**
   * Creates one task per item for the record's owner, associated with the record, in the CRM's batches. Its calls
   * count in `apiUsage` like any write. Throws only when the whole CRM is unusable.
   */
  createOwnerTasks?(tasks: readonly OwnerTask[]): Promise<OwnerTaskResult[]>;
  /**
   * Deal outcomes changed since the checkpoint (all of them for null), in pages, for the lift analytics. Read-only;
   * its calls count in `apiUsage` and stop at the budget floor like any read.
   */
  readOutcomes?(checkpoint: string | null): AsyncIterable<OutcomePage>;
  apiUsage(): ApiUsage;
}
