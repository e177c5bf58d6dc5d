// The sandbox org's data model: which fields Contact, Lead and Individual have, their types, picklists and
// whether the integration user may update them (field-level security). Describe, SOQL and writes all read it.

export type FieldType =
  | 'id'
  | 'reference'
  | 'string'
  | 'email'
  | 'textarea'
  | 'double'
  | 'boolean'
  | 'datetime'
  | 'picklist'
  | 'multipicklist';

export interface FieldDef {
  name: string;
  label: string;
  type: FieldType;
  custom: boolean;
  updateable: boolean;
  nillable: boolean;
  length?: number;
  precision?: number;
  scale?: number;
  picklist?: readonly string[];
  restricted?: boolean;
  /** For references: the relationship name usable in SOQL (`Individual`) and the object it points to. */
  relationshipName?: string;
  referenceTo?: string;
}

export type ObjectName = 'Contact' | 'Lead' | 'Individual';
export const OBJECT_NAMES: readonly ObjectName[] = ['Contact', 'Lead', 'Individual'];
export const KEY_PREFIX: Record<ObjectName, string> = { Contact: '003', Lead: '00Q', Individual: '0PK' };

const system = (name: string, type: FieldType, extra: Partial<FieldDef> = {}): FieldDef => ({
  name,
  label: name,
  type,
  custom: false,
  updateable: false,
  nillable: type !== 'id' && type !== 'boolean',
  ...extra,
});
const text = (name: string, length = 255, custom = false): FieldDef => ({
  name,
  label: name.replace(/__c$/, '').replaceAll('_', ' '),
  type: 'string',
  custom,
  updateable: true,
  nillable: true,
  length,
});

export const TIER_VALUES = ['A', 'B', 'C', 'D', 'Unscored'] as const;

/** Our influence fields (names fixed by SANDBOX.md; the manifests are their source of truth). */
export const INFLUENCE_FIELDS: readonly FieldDef[] = [
  {
    name: 'Influence_Score__c',
    label: 'Influence Score',
    type: 'double',
    custom: true,
    updateable: true,
    nillable: true,
    precision: 3,
    scale: 0,
  },
  {
    name: 'Influence_Tier__c',
    label: 'Influence Tier',
    type: 'picklist',
    custom: true,
    updateable: true,
    nillable: true,
    picklist: TIER_VALUES,
    restricted: true,
  },
  {
    name: 'Influence_Confidence__c',
    label: 'Influence Confidence',
    type: 'picklist',
    custom: true,
    updateable: true,
    nillable: true,
    picklist: ['High', 'Medium', 'Low'],
    restricted: true,
  },
  {
    name: 'Influence_Scored_At__c',
    label: 'Influence Scored At',
    type: 'datetime',
    custom: true,
    updateable: true,
    nillable: true,
  },
  {
    name: 'Influence_Top_Factors__c',
    label: 'Influence Top Factors',
    type: 'textarea',
    custom: true,
    updateable: true,
    nillable: true,
    length: 32768,
  },
  // Reason codes are owned by the scoring model; the sandbox accepts any value so it never drifts from it.
  {
    name: 'Influence_Reason_Codes__c',
    label: 'Influence Reason Codes',
    type: 'multipicklist',
    custom: true,
    updateable: true,
    nillable: true,
    picklist: [],
  },
  {
    name: 'Influence_Trend__c',
    label: 'Influence Trend',
    type: 'picklist',
    custom: true,
    updateable: true,
    nillable: true,
    picklist: ['Rising', 'Stable', 'Falling', 'New'],
    restricted: true,
  },
  {
    name: 'Influence_Org_Percentile__c',
    label: 'Influence Org Percentile',
    type: 'double',
    custom: true,
    updateable: true,
    nillable: true,
    precision: 3,
    scale: 0,
  },
  {
    name: 'Influence_Do_Not_Profile__c',
    label: 'Influence Do Not Profile',
    type: 'boolean',
    custom: true,
    updateable: true,
    nillable: false,
  },
];

/** The org's own handle fields (not ours: they exist with or without our package). */
const HANDLE_FIELDS: readonly FieldDef[] = [
  text('X_Handle__c', 255, true),
  text('GitHub_Handle__c', 255, true),
  text('Mastodon_Handle__c', 255, true),
  text('Bluesky_Handle__c', 255, true),
  text('YouTube_Channel__c', 255, true),
  text('Social_Profile_URL__c', 255, true),
];

const PERSON_FIELDS: readonly FieldDef[] = [
  system('Id', 'id'),
  system('IsDeleted', 'boolean'),
  // Set on the records a merge deleted: the surviving record's id (queryAll shows it).
  system('MasterRecordId', 'reference'),
  { ...system('OwnerId', 'reference'), updateable: true, nillable: false },
  text('FirstName', 40),
  { ...text('LastName', 80), nillable: false },
  system('Name', 'string'),
  { ...text('Email', 80), type: 'email' },
  text('Title', 128),
  {
    name: 'IndividualId',
    label: 'Individual ID',
    type: 'reference',
    custom: false,
    updateable: true,
    nillable: true,
    relationshipName: 'Individual',
    referenceTo: 'Individual',
  },
  system('CreatedDate', 'datetime'),
  system('CreatedById', 'reference'),
  system('LastModifiedDate', 'datetime'),
  system('LastModifiedById', 'reference'),
  system('SystemModstamp', 'datetime'),
  ...HANDLE_FIELDS,
];

const INDIVIDUAL_FIELDS: readonly FieldDef[] = [
  system('Id', 'id'),
  system('IsDeleted', 'boolean'),
  text('FirstName', 40),
  { ...text('LastName', 80), nillable: false },
  system('Name', 'string'),
  {
    name: 'HasOptedOutProfiling',
    label: "Don't Profile",
    type: 'boolean',
    custom: false,
    updateable: true,
    nillable: false,
  },
  {
    name: 'HasOptedOutTracking',
    label: "Don't Track",
    type: 'boolean',
    custom: false,
    updateable: true,
    nillable: false,
  },
  system('CreatedDate', 'datetime'),
  system('LastModifiedDate', 'datetime'),
  system('LastModifiedById', 'reference'),
  system('SystemModstamp', 'datetime'),
];

/**
 * Fields field-level security cannot hide: ids, audit fields, the name fields, required fields (Company) and the
 * system fields of merges and conversions; everything else needs a field permission on a minimum-access user
 * (Salesforce Help, "Field-Level Security": required and system fields cannot be hidden). [verify] that
 * ConvertedContactId/ConvertedDate are not FLS-controlled: `doctor` checks them through describe on a real org.
 */
export const ALWAYS_VISIBLE = new Set([
  'Id',
  'IsDeleted',
  'MasterRecordId',
  'OwnerId',
  'FirstName',
  'LastName',
  'Name',
  'Company',
  'IsConverted',
  'ConvertedContactId',
  'ConvertedDate',
  'CreatedDate',
  'CreatedById',
  'LastModifiedDate',
  'LastModifiedById',
  'SystemModstamp',
]);

/**
 * Fields Salesforce indexes out of the box: the record id, Name, CreatedDate, SystemModstamp, Email (contacts and
 * leads) and lookups (https://developer.salesforce.com/docs/platform/salesforce-large-data-volumes-bp/guide/ldv-deployments-infrastructure-indexes.html).
 * Our custom fields are not indexed (a custom index is a Support request or a custom index deployment).
 */
export const INDEXED_FIELDS = new Set([
  'Id',
  'Name',
  'OwnerId',
  'CreatedDate',
  'SystemModstamp',
  'Email',
  'IndividualId',
  'MasterRecordId',
  'CreatedById',
  'LastModifiedById',
  'ConvertedContactId',
]);

export function baseFields(object: ObjectName, withCustomFields: boolean, withIndividual = true): FieldDef[] {
  const person = withIndividual ? PERSON_FIELDS : PERSON_FIELDS.filter((f) => f.name !== 'IndividualId');
  switch (object) {
    case 'Contact':
      return [...person, ...(withCustomFields ? INFLUENCE_FIELDS : [])];
    case 'Lead':
      return [
        ...person,
        text('Company', 255),
        system('IsConverted', 'boolean'),
        system('ConvertedContactId', 'reference'),
        system('ConvertedDate', 'datetime'),
        ...(withCustomFields ? INFLUENCE_FIELDS : []),
      ];
    case 'Individual':
      return [...INDIVIDUAL_FIELDS];
  }
}

/** The fields of one object as the running integration user sees them; mutable so tests can drift the schema. */
export class ObjectSchema {
  private readonly byLowerName = new Map<string, FieldDef>();
  private readonly relationships = new Map<string, FieldDef>();

  readonly name: ObjectName;

  constructor(name: ObjectName, fields: readonly FieldDef[]) {
    this.name = name;
    for (const field of fields) this.add(field);
  }

  add(field: FieldDef): void {
    this.byLowerName.set(field.name.toLowerCase(), { ...field });
    if (field.relationshipName) this.relationships.set(field.relationshipName.toLowerCase(), field);
  }

  remove(name: string): boolean {
    return this.byLowerName.delete(name.toLowerCase());
  }

  field(name: string): FieldDef | undefined {
    return this.byLowerName.get(name.toLowerCase());
  }

  relationship(name: string): FieldDef | undefined {
    const ref = this.relationships.get(name.toLowerCase());
    return ref && this.byLowerName.has(ref.name.toLowerCase()) ? ref : undefined;
  }

  fields(): FieldDef[] {
    return [...this.byLowerName.values()];
  }
}

/** The describe body for one object, shaped like Salesforce's `GET /sobjects/{T}/describe`. */
export function describeBody(schema: ObjectSchema, version: string): Record<string, unknown> {
  const base = `/services/data/v${version}/sobjects/${schema.name}`;
  return {
    name: schema.name,
    label: schema.name,
    labelPlural: `${schema.name}s`,
    keyPrefix: KEY_PREFIX[schema.name],
    custom: false,
    createable: true,
    updateable: true,
    queryable: true,
    urls: { sobject: base, describe: `${base}/describe`, rowTemplate: `${base}/{ID}` },
    fields: schema.fields().map((f) => ({
      name: f.name,
      label: f.label,
      type: f.type,
      custom: f.custom,
      updateable: f.updateable,
      createable: f.updateable,
      nillable: f.nillable,
      length: f.length ?? 0,
      precision: f.precision ?? 0,
      scale: f.scale ?? 0,
      restrictedPicklist: f.restricted ?? false,
      picklistValues: (f.picklist ?? []).map((value, i) => ({
        value,
        label: value,
        active: true,
        defaultValue: false,
        validFor: null,
        index: i,
      })),
      relationshipName: f.relationshipName ?? null,
      referenceTo: f.referenceTo ? [f.referenceTo] : [],
      soapType: soapType(f.type),
    })),
  };
}

function soapType(type: FieldType): string {
  switch (type) {
    case 'id':
    case 'reference':
      return 'tns:ID';
    case 'double':
      return 'xsd:double';
    case 'boolean':
      return 'xsd:boolean';
    case 'datetime':
      return 'xsd:dateTime';
    default:
      return 'xsd:string';
  }
}
