// JSON Schemas of HubSpot's API responses, from the two published sources (neither copied into this repository):
// - the models @hubspot/api-client generates from HubSpot's OpenAPI specs (always here: an npm dependency): each
//   model's wire names and types from its `attributeTypeMap`, required fields from its declarations (no `?`);
// - the OpenAPI specs themselves (HubSpot/HubSpot-public-api-spec-collection, "not licensed for external use",
//   github.com/HubSpot/HubSpot-public-api-spec-collection), when a local checkout is named by HUBSPOT_OPENAPI_SPECS.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const CODEGEN = path.dirname(require.resolve('@hubspot/api-client/lib/codegen/crm/contacts/models/all.js'));

/** The SDK's model folders, by the API they belong to. */
export const SDK_MODELS = {
  contacts: CODEGEN,
  properties: path.resolve(CODEGEN, '../../properties/models'),
  oauth: path.resolve(CODEGEN, '../../../oauth/models'),
  tasks: path.resolve(CODEGEN, '../../objects/tasks/models'),
} as const;
export type Api = keyof typeof SDK_MODELS;

type Schema = Record<string, unknown>;

/** ISO-8601 date-time, as the SDK's `Date` fields are parsed. */
const DATE_TIME = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?(Z|[+-]\\d{2}:\\d{2})$';

interface Attribute {
  name: string;
  baseName: string;
  type: string;
}

/** JSON Schemas (`definitions`) for the SDK models of one API, built on demand. */
export class SdkSchemas {
  private readonly definitions: Record<string, Schema> = {};

  private readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  /** A schema document whose root is `model`, with every model it uses in `definitions`. */
  schema(model: string): Schema {
    this.define(model);
    return { $ref: `#/definitions/${model}`, definitions: this.definitions };
  }

  private define(model: string): void {
    if (model in this.definitions) return;
    this.definitions[model] = {};
    const module = require(path.join(this.dir, `${model}.js`)) as Record<string, unknown>;
    const declared = fs.readFileSync(path.join(this.dir, `${model}.d.ts`), 'utf8');
    const optional = new Set([...declared.matchAll(/^\s+'(\w+)'\?:/gm)].map((m) => m[1]));
    const attributes = (module[model] as { attributeTypeMap: Attribute[] }).attributeTypeMap;
    const properties: Record<string, Schema> = {};
    for (const a of attributes) properties[a.baseName] = this.typeSchema(a.type, module);
    this.definitions[model] = {
      type: 'object',
      properties,
      required: attributes.filter((a) => !optional.has(a.name)).map((a) => a.baseName),
    };
  }

  private typeSchema(type: string, module: Record<string, unknown>): Schema {
    const t = type.trim();
    if (t === 'string') return { type: 'string' };
    if (t === 'number') return { type: 'number' };
    if (t === 'boolean') return { type: 'boolean' };
    if (t === 'any') return {};
    if (t === 'null') return { type: 'null' };
    if (t === 'Date') return { type: 'string', pattern: DATE_TIME };
    if (t.includes('|') && !t.startsWith('{'))
      return { anyOf: t.split('|').map((part) => this.typeSchema(part, module)) };
    const array = /^Array<(.+)>$/.exec(t);
    if (array?.[1] !== undefined) return { type: 'array', items: this.typeSchema(array[1], module) };
    const map = /^\{ \[key: string\]: (.+); \}$/.exec(t);
    if (map?.[1] !== undefined) return { type: 'object', additionalProperties: this.typeSchema(map[1], module) };
    const enumeration = module[t];
    if (t.endsWith('Enum') && typeof enumeration === 'object' && enumeration !== null)
      return { enum: Object.values(enumeration) };
    this.define(t);
    return { $ref: `#/definitions/${t}` };
  }
}

/** The published OpenAPI specs of the APIs the sandbox emulates, by API, from a local checkout of HubSpot/HubSpot-public-api-spec-collection. */
export const SPEC_FILES: Record<Api, string> = {
  contacts: 'PublicApiSpecs/CRM/Contacts/Rollouts/424/v3/contacts.json',
  properties: 'PublicApiSpecs/CRM/Properties/Rollouts/145899/v3/properties.json',
  oauth: 'PublicApiSpecs/Auth/Oauth/Rollouts/279897/v3/oauth.json',
  tasks: 'PublicApiSpecs/CRM/Tasks/Rollouts/424/v3/tasks.json',
};
/** The v1 OAuth endpoints (token info, and the token endpoint until v1 is retired) have their own spec. */
const OAUTH_V1_SPEC = 'PublicApiSpecs/Auth/Oauth/Rollouts/155908/v1/oauth.json';

type OpenApi = {
  paths: Record<
    string,
    Record<string, { responses: Record<string, { $ref?: string; content?: Record<string, { schema: Schema }> }> }>
  >;
  components: {
    schemas: Record<string, Schema>;
    responses?: Record<string, { content?: Record<string, { schema: Schema }> }>;
  };
};

const specs = new Map<string, OpenApi>();

/**
 * The schema a published spec gives the answer to `method route` with `status` (its own status, else `default`), as a
 * JSON Schema document; undefined when the spec has no such operation. OpenAPI 3.0's schemas are close enough for
 * ajv in non-strict mode. One deliberate deviation, from the SDK's model and the live API: values in a record's
 * `properties` may be null (a requested property without a value), where the spec says string.
 */
export function specResponseSchema(
  specRoot: string,
  api: Api,
  method: string,
  route: string,
  status: number,
): Schema | undefined {
  const file = path.join(specRoot, api === 'oauth' && route.startsWith('/oauth/v1/') ? OAUTH_V1_SPEC : SPEC_FILES[api]);
  let spec = specs.get(file);
  if (spec === undefined) {
    spec = JSON.parse(fs.readFileSync(file, 'utf8').replaceAll('#/components/schemas/', '#/definitions/')) as OpenApi;
    for (const [name, schema] of Object.entries(spec.components.schemas)) {
      const values = (schema.properties as Record<string, Schema> | undefined)?.properties?.additionalProperties as
        Schema | undefined;
      if (name.startsWith('SimplePublicObject') && values?.type === 'string') values.type = ['string', 'null'];
    }
    specs.set(file, spec);
  }
  // Literal paths before templated ones (`/contacts/search` before `/contacts/{contactId}`).
  const templates = Object.keys(spec.paths)
    .filter((t) => new RegExp(`^${t.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(route))
    .sort((a, b) => (a.match(/\{/g)?.length ?? 0) - (b.match(/\{/g)?.length ?? 0));
  const operation = templates.map((t) => spec.paths[t]?.[method.toLowerCase()]).find((o) => o !== undefined);
  if (operation === undefined) return undefined;
  let response = operation.responses[String(status)] ?? operation.responses.default;
  const ref = response?.$ref?.replace('#/components/responses/', '');
  if (ref !== undefined) response = spec.components.responses?.[ref];
  const schema = response?.content?.['application/json']?.schema ?? response?.content?.['*/*']?.schema;
  return schema === undefined ? undefined : { ...schema, definitions: spec.components.schemas };
}
