// Our influence fields ↔ HubSpot contact property values (strings, as HubSpot stores them): numbers without
// separators, enumeration values exactly as defined, datetimes as ms epoch, multi-checkbox values joined by ';'.
import { z } from 'zod';

import type { CrmContact, GoneRecord, InfluenceFieldName, InfluenceFields } from '../../src/crm/contract.ts';
import { CrmContactSchema, InfluenceFieldsSchema, RawHandleSchema } from '../../src/crm/contract.ts';

// Connectors depend on src/crm only: the enumerations come through the contract's schemas.
const TierSchema = InfluenceFieldsSchema.shape.tier.unwrap();
const ConfidenceSchema = InfluenceFieldsSchema.shape.confidence.unwrap();
const TrendSchema = InfluenceFieldsSchema.shape.trend.unwrap();

export const INFLUENCE_PROPERTIES: Record<InfluenceFieldName, string> = {
  score: 'influence_score',
  tier: 'influence_tier',
  confidence: 'influence_confidence',
  scoredAt: 'influence_scored_at',
  topFactors: 'influence_top_factors',
  reasonCodes: 'influence_reason_codes',
  trend: 'influence_trend',
  orgPercentile: 'influence_org_percentile',
};

/** Contact property → network hint (`any`: detect from the value). SANDBOX.md / the README name these. */
export const HandlePropertiesSchema = z.record(z.string().min(1), RawHandleSchema.shape.network);
export type HandleProperties = z.infer<typeof HandlePropertiesSchema>;

export const DEFAULT_HANDLE_PROPERTIES: HandleProperties = {
  twitterhandle: 'x',
  github_handle: 'github',
  mastodon_handle: 'mastodon',
  bluesky_handle: 'bluesky',
  youtube_channel: 'youtube',
  social_profile_url: 'any',
};

export interface ContactMapping {
  handleProperties: HandleProperties;
  doNotProfileProperty: string;
}

/** HubSpot's `;`-separated ids of the contacts merged into a contact. */
export const MERGED_IDS_PROPERTY = 'hs_merged_object_ids';

/** The ids a read contact absorbed by merges (they no longer exist on their own), as gone records. */
export function mergedAway(record: { id: string; properties?: Record<string, string | null> }): GoneRecord[] {
  const merged = record.properties?.[MERGED_IDS_PROPERTY] ?? null;
  if (merged === null) return [];
  return merged
    .split(';')
    .map((id) => id.trim())
    .filter((id) => /^\d+$/.test(id) && id !== record.id)
    .map((id) => ({ id, reason: 'merged' as const, mergedInto: record.id }));
}

export function readProperties(mapping: ContactMapping): string[] {
  return [
    ...new Set([
      'hs_object_id',
      'email',
      'firstname',
      'lastname',
      'lastmodifieddate',
      // Contacts merged into this one: their ids are gone (HubSpot answers them as this contact).
      MERGED_IDS_PROPERTY,
      ...Object.keys(mapping.handleProperties),
      mapping.doNotProfileProperty,
      ...Object.values(INFLUENCE_PROPERTIES),
    ]),
  ];
}

/** Values that mean "empty" in HubSpot. */
function present(value: string | null | undefined): value is string {
  return value !== null && value !== undefined && value.trim() !== '';
}

function isoOrNull(value: string): string | null {
  const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : null;
}

function intOrNull(value: string): number | null {
  const n = Number(value);
  return Number.isFinite(n) ? Math.min(100, Math.max(0, Math.round(n))) : null;
}

/** The influence fields as they are on the record; a property missing from the response is left out. */
export function currentFields(props: Record<string, string | null | undefined>): Partial<InfluenceFields> {
  const current: Partial<InfluenceFields> = {};
  const get = (field: InfluenceFieldName) => props[INFLUENCE_PROPERTIES[field]];
  const has = (field: InfluenceFieldName) => INFLUENCE_PROPERTIES[field] in props;
  if (has('score')) current.score = present(get('score')) ? intOrNull(get('score') ?? '') : null;
  if (has('orgPercentile'))
    current.orgPercentile = present(get('orgPercentile')) ? intOrNull(get('orgPercentile') ?? '') : null;
  if (has('tier')) current.tier = TierSchema.safeParse(get('tier')).data ?? null;
  if (has('confidence')) current.confidence = ConfidenceSchema.safeParse(get('confidence')).data ?? null;
  if (has('trend')) current.trend = TrendSchema.safeParse(get('trend')).data ?? null;
  if (has('scoredAt')) current.scoredAt = present(get('scoredAt')) ? isoOrNull(get('scoredAt') ?? '') : null;
  if (has('topFactors')) current.topFactors = present(get('topFactors')) ? (get('topFactors') ?? null) : null;
  if (has('reasonCodes'))
    current.reasonCodes = (get('reasonCodes') ?? '')
      .split(';')
      .map((v) => v.trim())
      .filter((v) => v !== '');
  return current;
}

export interface HubSpotRecord {
  id: string;
  properties: Record<string, string | null | undefined>;
  updatedAt?: Date | string;
}

export function toCrmContact(record: HubSpotRecord, mapping: ContactMapping): CrmContact {
  const p = record.properties;
  const handles = Object.entries(mapping.handleProperties)
    .filter(([field]) => present(p[field]))
    .map(([field, network]) => ({ field, network, value: (p[field] ?? '').trim() }));
  const name = [p.firstname, p.lastname].filter(present).join(' ');
  const modified = present(p.lastmodifieddate) ? isoOrNull(p.lastmodifieddate) : null;
  const updatedAt = record.updatedAt instanceof Date ? record.updatedAt.toISOString() : record.updatedAt;
  const contact = {
    crm: 'hubspot' as const,
    objectType: 'contact',
    id: record.id,
    ...(present(p.email) ? { email: p.email } : {}),
    ...(name !== '' ? { name } : {}),
    handles,
    current: currentFields(p),
    modifiedAt: modified ?? updatedAt ?? new Date(0).toISOString(),
    doNotProfile: (p[mapping.doNotProfileProperty] ?? '').trim().toLowerCase() === 'true',
  };
  const parsed = CrmContactSchema.safeParse(contact);
  // Passed on as read: the engine validates every record again and fails this one alone, naming the field (a throw
  // here would fail the whole page for one bad value, e.g. a NUL byte).
  return parsed.success ? parsed.data : contact;
}

/**
 * The property values to send for one update. `allowedReasonCodes` (the property's options) drops codes the
 * portal does not define: one unknown option would make HubSpot reject the whole batch of 100.
 */
export function toPropertyValues(
  fields: InfluenceFields,
  allowedReasonCodes?: ReadonlySet<string>,
): Record<string, string> {
  const text = (v: string | null) => v ?? '';
  const num = (v: number | null) => (v === null ? '' : String(Math.round(v)));
  const codes =
    allowedReasonCodes === undefined ? fields.reasonCodes : fields.reasonCodes.filter((c) => allowedReasonCodes.has(c));
  return {
    [INFLUENCE_PROPERTIES.score]: num(fields.score),
    [INFLUENCE_PROPERTIES.tier]: text(fields.tier),
    [INFLUENCE_PROPERTIES.confidence]: text(fields.confidence),
    [INFLUENCE_PROPERTIES.scoredAt]: fields.scoredAt === null ? '' : String(Date.parse(fields.scoredAt)),
    [INFLUENCE_PROPERTIES.topFactors]: text(fields.topFactors),
    [INFLUENCE_PROPERTIES.reasonCodes]: [...new Set(codes)].join(';'),
    [INFLUENCE_PROPERTIES.trend]: text(fields.trend),
    [INFLUENCE_PROPERTIES.orgPercentile]: num(fields.orgPercentile),
  };
}
