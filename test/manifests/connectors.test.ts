// The connectors write the fields the manifests install — same names, same picklist values, same scopes.
import fs from 'node:fs';
import path from 'node:path';

import { expect } from 'chai';

import { DEFAULT_HANDLE_PROPERTIES, INFLUENCE_PROPERTIES } from '../../connectors/hubspot/mapping.ts';
import { REQUIRED_SCOPES } from '../../connectors/hubspot/setup.ts';
import {
  DEFAULT_HANDLE_MAPPING,
  DO_NOT_PROFILE_FIELD,
  OBJECT_TYPES,
  REQUIRED_PICKLIST_VALUES,
  SALESFORCE_FIELDS,
} from '../../connectors/salesforce/field-map.ts';
import { INFLUENCE_FIELD_NAMES } from '../../src/crm/contract.ts';

const MANIFESTS = path.resolve(import.meta.dirname, '../../manifests');
const sfFieldFile = (object: string, field: string): string =>
  path.join(MANIFESTS, 'salesforce/force-app/main/default/objects', object, 'fields', `${field}.field-meta.xml`);
const picklistValues = (xml: string): string[] =>
  [...xml.matchAll(/<value>\s*<fullName>([^<]+)<\/fullName>/g)].map((m) => m[1]!);

describe('manifests ↔ connectors', () => {
  it('the Salesforce connector writes, reads and checks exactly the fields manifests/salesforce deploys', () => {
    const shipped = (object: string): string[] =>
      fs
        .readdirSync(path.dirname(sfFieldFile(object, 'x')))
        .map((f) => f.replace('.field-meta.xml', ''))
        .sort();
    const used = [
      ...Object.values(SALESFORCE_FIELDS),
      DO_NOT_PROFILE_FIELD,
      ...DEFAULT_HANDLE_MAPPING.map((m) => m.field),
    ].sort();
    expect(Object.keys(SALESFORCE_FIELDS).sort()).to.deep.equal([...INFLUENCE_FIELD_NAMES].sort());
    expect([...OBJECT_TYPES]).to.deep.equal(['Contact', 'Lead']);
    for (const object of OBJECT_TYPES) expect(shipped(object), object).to.deep.equal(used);
  });

  it('every picklist value the Salesforce connector writes is a value of the deployed picklist', () => {
    for (const [field, values] of Object.entries(REQUIRED_PICKLIST_VALUES)) {
      const name = SALESFORCE_FIELDS[field as keyof typeof SALESFORCE_FIELDS];
      for (const object of OBJECT_TYPES) {
        expect(
          picklistValues(fs.readFileSync(sfFieldFile(object, name), 'utf8')),
          `${object}.${name}`,
        ).to.include.members([...values]);
      }
    }
  });

  it("the HubSpot connector maps to the properties manifests/hubspot defines, with the app's scopes", () => {
    const definitions = JSON.parse(
      fs.readFileSync(path.join(MANIFESTS, 'hubspot/properties/influence-properties.json'), 'utf8'),
    ) as {
      properties: { name: string }[];
    };
    const defined = new Set(definitions.properties.map((p) => p.name));
    for (const name of Object.values(INFLUENCE_PROPERTIES)) expect(defined.has(name), name).to.equal(true);
    // twitterhandle is HubSpot's own property; the other handle properties are ours.
    for (const name of Object.keys(DEFAULT_HANDLE_PROPERTIES).filter((n) => n !== 'twitterhandle'))
      expect(defined.has(name), name).to.equal(true);
    const app = JSON.parse(fs.readFileSync(path.join(MANIFESTS, 'hubspot/src/app/app-hsmeta.json'), 'utf8')) as {
      config: { auth: { requiredScopes: string[] } };
    };
    expect(app.config.auth.requiredScopes).to.include.members([...REQUIRED_SCOPES]);
  });
});
