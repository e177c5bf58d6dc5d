// Our influence fields ↔ their Salesforce API names and value shapes. The names are the ones deployed by
// `manifests/salesforce` (a test reads the field XML files so the two cannot drift).
import { z } from 'zod';

import type { InfluenceFieldName, InfluenceFields, RawHandle } from '../../src/crm/contract.ts';
import { ConfidenceSchema, TierSchema, TrendSchema } from '../../src/scoring/types.ts';

export const SALESFORCE_FIELDS: Record<InfluenceFieldName, string> = {
  score: 'Influence_Score__c',
  tier: 'Influence_Tier__c',
  confidence: 'Influence_Confidence__c',
  scoredAt: 'Influence_Scored_At__c',
  topFactors: 'Influence_Top_Factors__c',
  reasonCodes: 'Influence_Reason_Codes__c',
  trend: 'Influence_Trend__c',
  orgPercentile: 'Influence_Org_Percentile__c',
};

export const DO_NOT_PROFILE_FIELD = 'Influence_Do_Not_Profile__c';
export const OBJECT_TYPES = ['Contact', 'Lead'] as const;
export type SalesforceObject = (typeof OBJECT_TYPES)[number];

/** Picklist values each picklist field must offer (active) for our writes to succeed. */
export const REQUIRED_PICKLIST_VALUES: Partial<Record<InfluenceFieldName, readonly string[]>> = {
  tier: TierSchema.options,
  confidence: ['High', 'Medium', 'Low'],
  trend: TrendSchema.options,
};

export const HandleMappingSchema = z
  .array(
    z.object({
      field: z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/, 'must be a field API name like X_Handle__c'),
      network: z.enum(['x', 'github', 'mastodon', 'bluesky', 'youtube', 'linkedin', 'any']),
    }),
  )
  .min(1);
export type HandleMapping = z.infer<typeof HandleMappingSchema>;

/** The sandbox's (and our documented default) handle fields. */
export const DEFAULT_HANDLE_MAPPING: HandleMapping = [
  { field: 'X_Handle__c', network: 'x' },
  { field: 'GitHub_Handle__c', network: 'github' },
  { field: 'Mastodon_Handle__c', network: 'mastodon' },
  { field: 'Bluesky_Handle__c', network: 'bluesky' },
  { field: 'YouTube_Channel__c', network: 'youtube' },
  { field: 'Social_Profile_URL__c', network: 'any' },
];

const LONG_TEXT_LIMIT = 32_768;
const CONFIDENCE_TO_SALESFORCE = { high: 'High', medium: 'Medium', low: 'Low' } as const;

/** The record body (without attributes/id) that writes `fields`. */
export function toSalesforceValues(fields: InfluenceFields): Record<string, string | number | null> {
  return {
    [SALESFORCE_FIELDS.score]: fields.score,
    [SALESFORCE_FIELDS.tier]: fields.tier,
    [SALESFORCE_FIELDS.confidence]: fields.confidence === null ? null : CONFIDENCE_TO_SALESFORCE[fields.confidence],
    [SALESFORCE_FIELDS.scoredAt]: fields.scoredAt,
    [SALESFORCE_FIELDS.topFactors]: fields.topFactors === null ? null : fields.topFactors.slice(0, LONG_TEXT_LIMIT),
    [SALESFORCE_FIELDS.reasonCodes]: fields.reasonCodes.length === 0 ? null : fields.reasonCodes.join(';'),
    [SALESFORCE_FIELDS.trend]: fields.trend,
    [SALESFORCE_FIELDS.orgPercentile]: fields.orgPercentile,
  };
}

/** `2024-05-01T12:00:00.000+0000` (Salesforce) → `2024-05-01T12:00:00.000Z`. */
export function isoFromSalesforce(value: string): string {
  const ms = Date.parse(value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
  if (Number.isNaN(ms)) throw new Error(`not a Salesforce datetime: ${value}`);
  return new Date(ms).toISOString();
}

const text = z.string().nullish();
const number = z.number().nullish();

/** The influence fields as read from a record; a value outside our vocabulary (a person's edit) is kept as-is where the type allows. */
export const InfluenceValuesSchema = z.object({
  Influence_Score__c: number,
  Influence_Tier__c: text,
  Influence_Confidence__c: text,
  Influence_Scored_At__c: text,
  Influence_Top_Factors__c: text,
  Influence_Reason_Codes__c: text,
  Influence_Trend__c: text,
  Influence_Org_Percentile__c: number,
});

export function fromSalesforceValues(record: z.infer<typeof InfluenceValuesSchema>): Partial<InfluenceFields> {
  const tier = TierSchema.safeParse(record.Influence_Tier__c);
  const confidence = ConfidenceSchema.safeParse(record.Influence_Confidence__c?.toLowerCase());
  const trend = TrendSchema.safeParse(record.Influence_Trend__c);
  const scoredAt = record.Influence_Scored_At__c;
  const codes = record.Influence_Reason_Codes__c;
  const score = record.Influence_Score__c;
  const percentile = record.Influence_Org_Percentile__c;
  return {
    score: score === null || score === undefined ? null : clampPercent(score),
    tier: tier.success ? tier.data : null,
    confidence: confidence.success ? confidence.data : null,
    scoredAt: scoredAt ? isoFromSalesforce(scoredAt) : null,
    topFactors: record.Influence_Top_Factors__c ?? null,
    reasonCodes: codes ? codes.split(';').filter(Boolean) : [],
    trend: trend.success ? trend.data : null,
    orgPercentile: percentile === null || percentile === undefined ? null : clampPercent(percentile),
  };
}

/** A person may type any 3-digit number; our contract keeps 0–100. */
function clampPercent(value: number): number {
  return Math.min(100, Math.max(0, Math.round(value)));
}

/** Non-empty mapped handle fields of one record. */
export function handlesOf(record: Record<string, unknown>, mapping: HandleMapping): RawHandle[] {
  const handles: RawHandle[] = [];
  for (const { field, network } of mapping) {
    const value = record[field];
    if (typeof value === 'string' && value.trim() !== '') handles.push({ field, network, value });
  }
  return handles;
}
