// The Social Influence card on Contact and Lead record pages: what crm-influence wrote on the record, in a rep's
// words. Every field is read as an optional field, so one the user may not read (field-level security) is absent from
// the record, never an error: the card shows what it may and says what it cannot.
import { getPicklistValues } from 'lightning/uiObjectInfoApi';
import { getRecord } from 'lightning/uiRecordApi';
import { api, LightningElement, wire } from 'lwc';

/** The influence fields the package deploys on Contact and Lead (same API names on both). */
const FIELDS = {
  score: 'Influence_Score__c',
  tier: 'Influence_Tier__c',
  confidence: 'Influence_Confidence__c',
  trend: 'Influence_Trend__c',
  topFactors: 'Influence_Top_Factors__c',
  reasonCodes: 'Influence_Reason_Codes__c',
  scoredAt: 'Influence_Scored_At__c',
  orgPercentile: 'Influence_Org_Percentile__c',
  doNotProfile: 'Influence_Do_Not_Profile__c',
};
/** The Individual record's Don't Profile, where Data Protection and Privacy is on (absent elsewhere [verify]). */
const INDIVIDUAL_OPT_OUT = ['Individual', 'HasOptedOutProfiling'];

const TREND_ARROWS = { Rising: '↑', Stable: '→', Falling: '↓', New: '•' };
const TIER_CLASSES = { A: 'tier tier_a', B: 'tier tier_b', C: 'tier tier_c', D: 'tier tier_d' };
const CONFIDENCE_HINTS = {
  High: 'several active accounts with plenty of data',
  Medium: 'some public data',
  Low: 'little data or unverified accounts: a hint only',
};

/** A field's value and label as the record carries them; undefined when the user may not read it. */
function field(record, name) {
  const entry = record.fields[name];
  if (entry === undefined) return undefined;
  return { value: entry.value, label: entry.displayValue ?? (entry.value === null ? null : String(entry.value)) };
}

/** A spanning field (Individual.HasOptedOutProfiling): the related record's value, undefined when absent. */
function spanningValue(record, path) {
  let current = record;
  for (const name of path) {
    const entry = current?.fields?.[name];
    if (entry === undefined || entry.value === null) return undefined;
    current = entry.value;
  }
  return current;
}

/** "+12 Bluesky: 42 weighted reactions…" → { points: '+12', text: 'Bluesky: …', sign }. */
function parseFactor(line, index) {
  const match = /^([+\-−]\d+(?:\.\d+)?)\s+(.*)$/.exec(line);
  const points = match ? match[1].replace('-', '−') : '';
  const text = match ? match[2] : line;
  const negative = points.startsWith('−');
  return {
    key: `factor-${index}`,
    points,
    text,
    pointsClass: negative ? 'points points_negative' : 'points points_positive',
  };
}

export default class SocialInfluenceCard extends LightningElement {
  @api recordId;
  @api objectApiName;

  record;
  error;
  reasonLabels;

  get optionalFields() {
    if (!this.objectApiName) return undefined;
    return [
      ...Object.values(FIELDS).map((name) => `${this.objectApiName}.${name}`),
      `${this.objectApiName}.${INDIVIDUAL_OPT_OUT.join('.')}`,
    ];
  }

  @wire(getRecord, { recordId: '$recordId', optionalFields: '$optionalFields' })
  wiredRecord({ data, error }) {
    this.record = data;
    this.error = data ? undefined : error;
  }

  get reasonCodesField() {
    return this.record && this.record.fields[FIELDS.reasonCodes] !== undefined
      ? `${this.objectApiName}.${FIELDS.reasonCodes}`
      : undefined;
  }

  get recordTypeId() {
    return this.record?.recordTypeId;
  }

  /** The picklist's labels ("Large reach" for LARGE_REACH), as the admin sees them in Setup. */
  @wire(getPicklistValues, { recordTypeId: '$recordTypeId', fieldApiName: '$reasonCodesField' })
  wiredReasonLabels({ data }) {
    this.reasonLabels = data ? new Map(data.values.map((v) => [v.value, v.label])) : undefined;
  }

  get isLoading() {
    return !this.record && !this.error;
  }

  get errorMessage() {
    if (!this.error) return undefined;
    const body = Array.isArray(this.error.body) ? this.error.body[0] : this.error.body;
    return body?.message ?? this.error.statusText ?? 'The record could not be read.';
  }

  get view() {
    const record = this.record;
    if (!record) return undefined;
    const score = field(record, FIELDS.score);
    const tier = field(record, FIELDS.tier);
    const doNotProfile = field(record, FIELDS.doNotProfile);
    if (doNotProfile?.value === true || spanningValue(record, INDIVIDUAL_OPT_OUT) === true) {
      return { state: 'optedOut' };
    }
    if (score === undefined && tier === undefined) return { state: 'noAccess' };
    const reasons = this.reasons(field(record, FIELDS.reasonCodes));
    const scoredAt = field(record, FIELDS.scoredAt);
    if (score === undefined || score.value === null) {
      const noProfile = reasons.some((r) => r.code === 'NO_IDENTITY');
      return {
        state: 'notScored',
        message:
          tier?.value === 'Unscored'
            ? noProfile
              ? 'No public social profile was found for this person. Add a social handle and the next sync scores it.'
              : 'Not enough public social data to score this person.'
            : 'The score appears after the next sync.',
        reasons,
        scoredAt: scoredAt?.label ?? null,
      };
    }
    const confidence = field(record, FIELDS.confidence);
    const trend = field(record, FIELDS.trend);
    const percentile = field(record, FIELDS.orgPercentile);
    const factors = (field(record, FIELDS.topFactors)?.value ?? '')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '')
      .map(parseFactor);
    return {
      state: 'scored',
      score: Math.round(score.value),
      // "Tier A" while the picklist keeps its letters; a label the admin gave it (e.g. "Champion") as it is.
      tier: tier?.value
        ? {
            label: tier.label === tier.value ? `Tier ${tier.value}` : tier.label,
            className: TIER_CLASSES[tier.value] ?? 'tier',
          }
        : null,
      confidence: confidence?.value
        ? {
            label: `${confidence.label} confidence`,
            hint: CONFIDENCE_HINTS[confidence.value] ?? '',
            className: confidence.value === 'Low' ? 'slds-text-body_small confidence_low' : 'slds-text-body_small',
          }
        : null,
      trend: trend?.value ? { arrow: TREND_ARROWS[trend.value] ?? '', label: trend.label } : null,
      trendClass: `trend trend_${(trend?.value ?? 'none').toLowerCase()}`,
      percentile:
        percentile?.value === null || percentile?.value === undefined
          ? null
          : `Higher than ${percentile.value}% of the people scored in your org`,
      factors,
      hasFactors: factors.length > 0,
      reasons,
      hasReasons: reasons.length > 0,
      scoredAt: scoredAt?.label ?? null,
    };
  }

  reasons(reasonCodes) {
    if (!reasonCodes?.value) return [];
    return reasonCodes.value
      .split(';')
      .filter((code) => code !== '')
      .map((code) => ({ code, label: this.reasonLabels?.get(code) ?? code }));
  }

  get isScored() {
    return this.view?.state === 'scored';
  }
  get isNotScored() {
    return this.view?.state === 'notScored';
  }
  get isOptedOut() {
    return this.view?.state === 'optedOut';
  }
  get isNoAccess() {
    return this.view?.state === 'noAccess';
  }
}
