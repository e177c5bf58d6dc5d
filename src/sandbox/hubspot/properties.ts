// The portal's contact property definitions and groups, and HubSpot's validation of values written to them
// (developers.hubspot.com/changelog/upcoming-increased-validation-for-contact-updates-made-through-apis; the
// properties API, developers.hubspot.com/docs/api/crm/properties).
import { z } from 'zod';

import { describeIssues } from '../../zod-issues.ts';
import { hubspotError, validationError } from './errors.ts';

const OptionSchema = z.object({
  label: z.string(),
  value: z.string(),
  description: z.string().optional(),
  displayOrder: z.number().int().optional(),
  hidden: z.boolean().default(false),
});

const TYPES = ['string', 'number', 'date', 'datetime', 'enumeration', 'bool', 'phone_number'] as const;
const FIELD_TYPES = [
  'text',
  'textarea',
  'number',
  'select',
  'radio',
  'checkbox',
  'booleancheckbox',
  'date',
  'file',
  'html',
  'phonenumber',
  'calculation_equation',
] as const;

export const PropertyCreateSchema = z.object({
  name: z.string().regex(/^[a-z][a-z0-9_]*$/, 'must be lowercase letters, digits and underscores'),
  label: z.string().min(1),
  type: z.enum(TYPES),
  fieldType: z.enum(FIELD_TYPES),
  groupName: z.string().min(1),
  description: z.string().optional(),
  options: z.array(OptionSchema).optional(),
  displayOrder: z.number().int().optional(),
  hasUniqueValue: z.boolean().optional(),
  hidden: z.boolean().optional(),
  formField: z.boolean().optional(),
  numberDisplayHint: z.string().optional(),
  externalOptions: z.boolean().optional(),
  calculationFormula: z.string().optional(),
});
export type PropertyCreate = z.infer<typeof PropertyCreateSchema>;

export const PropertyUpdateSchema = PropertyCreateSchema.omit({ name: true }).partial();

export const GroupCreateSchema = z.object({
  name: z.string().regex(/^[a-z][a-z0-9_]*$/, 'must be lowercase letters, digits and underscores'),
  label: z.string().min(1),
  displayOrder: z.number().int().optional(),
});

export interface PropertyDefinition extends PropertyCreate {
  options: z.infer<typeof OptionSchema>[];
  readOnlyValue: boolean;
  hubspotDefined: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface PropertyGroup {
  name: string;
  label: string;
  displayOrder: number;
  archived: boolean;
}

const BOOL_OPTIONS = [
  { label: 'Yes', value: 'true', displayOrder: 0, hidden: false },
  { label: 'No', value: 'false', displayOrder: 1, hidden: false },
];

function standard(
  name: string,
  label: string,
  type: PropertyCreate['type'],
  fieldType: PropertyCreate['fieldType'],
  groupName: string,
  extra: Partial<PropertyDefinition> = {},
): PropertyDefinition {
  const at = '2019-08-06T02:41:08.000Z';
  return {
    name,
    label,
    type,
    fieldType,
    groupName,
    options: [],
    readOnlyValue: false,
    hubspotDefined: true,
    createdAt: at,
    updatedAt: at,
    ...extra,
  };
}

/** The contact properties every sandbox portal starts with (HubSpot's own plus the handle fields the admin made). */
function initialProperties(): PropertyDefinition[] {
  return [
    standard('hs_object_id', 'Record ID', 'number', 'number', 'contactinformation', { readOnlyValue: true }),
    standard('createdate', 'Create Date', 'datetime', 'date', 'contactinformation', { readOnlyValue: true }),
    standard('lastmodifieddate', 'Last Modified Date', 'datetime', 'date', 'contactinformation', {
      readOnlyValue: true,
    }),
    // The ids of contacts merged into this one, `;`-separated (read-only; HubSpot fills it on a merge).
    standard('hs_merged_object_ids', 'Merged Contact IDs', 'enumeration', 'checkbox', 'contactinformation', {
      readOnlyValue: true,
    }),
    standard('email', 'Email', 'string', 'text', 'contactinformation'),
    standard('firstname', 'First Name', 'string', 'text', 'contactinformation'),
    standard('lastname', 'Last Name', 'string', 'text', 'contactinformation'),
    standard('company', 'Company Name', 'string', 'text', 'contactinformation'),
    standard('jobtitle', 'Job Title', 'string', 'text', 'contactinformation'),
    standard('lifecyclestage', 'Lifecycle Stage', 'enumeration', 'radio', 'contactinformation', {
      options: [
        'subscriber',
        'lead',
        'marketingqualifiedlead',
        'salesqualifiedlead',
        'opportunity',
        'customer',
        'evangelist',
        'other',
      ].map((value, displayOrder) => ({ label: value, value, displayOrder, hidden: false })),
    }),
    standard('twitterhandle', 'Twitter Username', 'string', 'text', 'socialmediainformation'),
    // The record's owner (an owner id; HubSpot's "Contact owner").
    standard('hubspot_owner_id', 'Contact owner', 'enumeration', 'select', 'contactinformation'),
    ...(
      [
        ['github_handle', 'GitHub handle'],
        ['mastodon_handle', 'Mastodon handle'],
        ['bluesky_handle', 'Bluesky handle'],
        ['youtube_channel', 'YouTube channel'],
        ['social_profile_url', 'Social profile URL'],
      ] as const
    ).map(([name, label]) =>
      standard(name, label, 'string', 'text', 'socialmediainformation', { hubspotDefined: false }),
    ),
    // The opt-out property holds people's choices, so it exists before our other fields are installed.
    standard(
      'influence_do_not_profile',
      'Do not profile (influence)',
      'bool',
      'booleancheckbox',
      'contactinformation',
      {
        options: BOOL_OPTIONS,
        hubspotDefined: false,
      },
    ),
  ];
}

export class PropertyRegistry {
  private readonly properties = new Map<string, PropertyDefinition>();
  private readonly groups = new Map<string, PropertyGroup>();

  constructor() {
    for (const p of initialProperties()) this.properties.set(p.name, p);
    for (const [name, label, displayOrder] of [
      ['contactinformation', 'Contact information', 0],
      ['socialmediainformation', 'Social media information', 5],
    ] as const) {
      this.groups.set(name, { name, label, displayOrder, archived: false });
    }
  }

  get(name: string): PropertyDefinition | undefined {
    return this.properties.get(name);
  }

  has(name: string): boolean {
    return this.properties.has(name);
  }

  all(): PropertyDefinition[] {
    return [...this.properties.values()];
  }

  create(body: unknown, now = new Date()): PropertyDefinition {
    const parsed = PropertyCreateSchema.safeParse(body);
    if (!parsed.success) throw validationError(`Invalid input JSON: ${describeIssues(parsed.error)}`);
    const input = parsed.data;
    if (this.properties.has(input.name)) {
      throw hubspotError(409, 'CONFLICT', `Property named '${input.name}' already exists.`, {
        subCategory: 'PropertyValidationError.PROPERTY_EXISTS',
        context: { name: [input.name] },
      });
    }
    if (!this.groups.has(input.groupName)) {
      throw validationError(`Property group '${input.groupName}' does not exist.`, {
        subCategory: 'PropertyValidationError.GROUP_DOES_NOT_EXIST',
      });
    }
    if (
      input.type === 'enumeration' &&
      (input.options === undefined || input.options.length === 0) &&
      input.externalOptions !== true
    ) {
      throw validationError(`Enumeration property '${input.name}' needs options.`);
    }
    const at = now.toISOString();
    const def: PropertyDefinition = {
      ...input,
      options: input.type === 'bool' && (input.options?.length ?? 0) === 0 ? BOOL_OPTIONS : (input.options ?? []),
      readOnlyValue: false,
      hubspotDefined: false,
      createdAt: at,
      updatedAt: at,
    };
    this.properties.set(def.name, def);
    return def;
  }

  update(name: string, body: unknown, now = new Date()): PropertyDefinition {
    const existing = this.properties.get(name);
    if (existing === undefined) throw notFound(name);
    const parsed = PropertyUpdateSchema.safeParse(body);
    if (!parsed.success) throw validationError(`Invalid input JSON: ${describeIssues(parsed.error)}`);
    const updated: PropertyDefinition = {
      ...existing,
      ...parsed.data,
      options: parsed.data.options ?? existing.options,
      updatedAt: now.toISOString(),
    };
    this.properties.set(name, updated);
    return updated;
  }

  archive(name: string): void {
    if (!this.properties.delete(name)) throw notFound(name);
  }

  groupList(): PropertyGroup[] {
    return [...this.groups.values()];
  }

  group(name: string): PropertyGroup | undefined {
    return this.groups.get(name);
  }

  createGroup(body: unknown): PropertyGroup {
    const parsed = GroupCreateSchema.safeParse(body);
    if (!parsed.success) throw validationError(`Invalid input JSON: ${describeIssues(parsed.error)}`);
    if (this.groups.has(parsed.data.name)) {
      throw hubspotError(409, 'CONFLICT', `Property group named '${parsed.data.name}' already exists.`, {
        subCategory: 'PropertyGroupError.GROUP_EXISTS',
      });
    }
    const group = {
      name: parsed.data.name,
      label: parsed.data.label,
      displayOrder: parsed.data.displayOrder ?? -1,
      archived: false,
    };
    this.groups.set(group.name, group);
    return group;
  }

  /**
   * HubSpot's validation of one written value; returns the stored form (datetimes as ms epoch strings) or a
   * problem (`{error, message}`) the way HubSpot reports it in "Property values were not valid".
   */
  validateValue(
    name: string,
    value: unknown,
  ): { ok: true; stored: string | null } | { ok: false; error: string; message: string } {
    const def = this.properties.get(name);
    if (def === undefined)
      return { ok: false, error: 'PROPERTY_DOESNT_EXIST', message: `Property "${name}" does not exist` };
    if (def.readOnlyValue)
      return {
        ok: false,
        error: 'READ_ONLY_VALUE',
        message: `"${name}" is a read only property; its value cannot be set.`,
      };
    if (value === null || value === '') return { ok: true, stored: null };
    const text =
      typeof value === 'string'
        ? value
        : typeof value === 'number' || typeof value === 'boolean'
          ? String(value)
          : null;
    if (text === null) return { ok: false, error: 'INVALID_VALUE', message: `Property "${name}" must be a string` };
    switch (def.type) {
      case 'number':
        return /^-?\d+(\.\d+)?$/.test(text)
          ? { ok: true, stored: text }
          : { ok: false, error: 'INVALID_INTEGER', message: `${text} was not a valid number.` };
      case 'bool':
        return text === 'true' || text === 'false'
          ? { ok: true, stored: text }
          : { ok: false, error: 'INVALID_BOOLEAN', message: `${text} was not a valid boolean (true or false).` };
      case 'datetime':
      case 'date': {
        const ms = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
        if (!Number.isFinite(ms))
          return { ok: false, error: 'INVALID_DATE', message: `${text} was not a valid long or ISO 8601 date.` };
        if (def.type === 'date' && ms % 86_400_000 !== 0) {
          return {
            ok: false,
            error: 'INVALID_DATE',
            message: `${text} is not midnight UTC; date properties take a date without a time.`,
          };
        }
        return { ok: true, stored: String(ms) };
      }
      case 'enumeration': {
        const allowed = new Set(def.options.map((o) => o.value));
        const values = def.fieldType === 'checkbox' ? text.split(';') : [text];
        const bad = values.find((v) => !allowed.has(v));
        return bad === undefined
          ? { ok: true, stored: text }
          : {
              ok: false,
              error: 'INVALID_OPTION',
              message: `${bad} was not one of the allowed options: [${[...allowed].join(', ')}]`,
            };
      }
      default:
        return text.length <= 65_536
          ? { ok: true, stored: text }
          : { ok: false, error: 'TOO_LONG', message: `Property "${name}" is longer than 65536 characters.` };
    }
  }

  /** A stored value as the API returns it (datetimes as ISO strings). */
  present(name: string, stored: string | null): string | null {
    if (stored === null) return null;
    const def = this.properties.get(name);
    if (def !== undefined && (def.type === 'datetime' || def.type === 'date'))
      return new Date(Number(stored)).toISOString();
    return stored;
  }

  /** For filters and sorts: numbers and dates compare as numbers, everything else as text. */
  isNumeric(name: string): boolean {
    const type = this.properties.get(name)?.type;
    return type === 'number' || type === 'datetime' || type === 'date';
  }

  publicView(def: PropertyDefinition): Record<string, unknown> {
    return {
      name: def.name,
      label: def.label,
      type: def.type,
      fieldType: def.fieldType,
      groupName: def.groupName,
      description: def.description ?? '',
      options: def.options.map((o, i) => ({ ...o, displayOrder: o.displayOrder ?? i })),
      displayOrder: def.displayOrder ?? -1,
      calculated: def.fieldType === 'calculation_equation',
      externalOptions: def.externalOptions ?? false,
      hasUniqueValue: def.hasUniqueValue ?? false,
      hidden: def.hidden ?? false,
      hubspotDefined: def.hubspotDefined,
      formField: def.formField ?? false,
      archived: false,
      createdAt: def.createdAt,
      updatedAt: def.updatedAt,
      modificationMetadata: {
        archivable: !def.hubspotDefined,
        readOnlyDefinition: def.hubspotDefined,
        readOnlyValue: def.readOnlyValue,
      },
    };
  }
}

function notFound(name: string) {
  return hubspotError(404, 'OBJECT_NOT_FOUND', `Unable to find property ${name} for object type contacts`);
}
