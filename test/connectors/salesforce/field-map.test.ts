// The connector's field names and value shapes against manifests/salesforce (one source of truth), the sandbox's
// schema against the same files, and SOQL escaping against the sandbox's SOQL parser.
import fs from 'node:fs';
import path from 'node:path';

import { expect } from 'chai';
import fc from 'fast-check';
import { XMLParser } from 'fast-xml-parser';

import {
  DEFAULT_HANDLE_MAPPING,
  DO_NOT_PROFILE_FIELD,
  fromSalesforceValues,
  SALESFORCE_FIELDS,
  toSalesforceValues,
} from '../../../connectors/salesforce/field-map.ts';
import { soqlDatetime, soqlField, soqlId, soqlString } from '../../../connectors/salesforce/soql.ts';
import { CLEARED_FIELDS } from '../../../src/crm/contract.ts';
import { INFLUENCE_FIELDS } from '../../../src/sandbox/salesforce/schema.ts';
import type { Condition } from '../../../src/sandbox/salesforce/soql.ts';
import { parseSoql } from '../../../src/sandbox/salesforce/soql.ts';
import { plainString } from '../../../src/sandbox/salesforce/soql.ts';
import { TierSchema, TrendSchema } from '../../../src/scoring/types.ts';

const DEFAULT = path.resolve(import.meta.dirname, '../../../manifests/salesforce/force-app/main/default');
const parser = new XMLParser({ isArray: (name) => ['value', 'fieldPermissions'].includes(name) });

interface FieldXml {
  fullName: string;
  type: string;
  precision?: number;
  scale?: number;
  length?: number;
  valueSet?: { restricted?: boolean; valueSetDefinition?: { value: { fullName: string }[] } };
}

function fieldXml(object: string, field: string): FieldXml {
  const file = path.join(DEFAULT, 'objects', object, 'fields', `${field}.field-meta.xml`);
  expect(fs.existsSync(file), `${object}/${field} is in manifests/salesforce`).to.equal(true);
  return (parser.parse(fs.readFileSync(file, 'utf8')) as { CustomField: FieldXml }).CustomField;
}

function values(xml: FieldXml): string[] {
  return (xml.valueSet?.valueSetDefinition?.value ?? []).map((v) => String(v.fullName));
}

describe('Salesforce field map vs manifests/salesforce', () => {
  const EXPECTED_TYPE: Record<string, string> = {
    Influence_Score__c: 'Number',
    Influence_Tier__c: 'Picklist',
    Influence_Confidence__c: 'Picklist',
    Influence_Scored_At__c: 'DateTime',
    Influence_Top_Factors__c: 'LongTextArea',
    Influence_Reason_Codes__c: 'MultiselectPicklist',
    Influence_Trend__c: 'Picklist',
    Influence_Org_Percentile__c: 'Number',
    Influence_Do_Not_Profile__c: 'Checkbox',
  };

  for (const object of ['Contact', 'Lead']) {
    it(`${object}: every field the connector writes or reads exists with the type and values the connector sends`, () => {
      for (const field of [...Object.values(SALESFORCE_FIELDS), DO_NOT_PROFILE_FIELD]) {
        const xml = fieldXml(object, field);
        expect(xml.fullName).to.equal(field);
        expect(xml.type, field).to.equal(EXPECTED_TYPE[field]);
      }
      expect(values(fieldXml(object, SALESFORCE_FIELDS.tier))).to.deep.equal([...TierSchema.options]);
      expect(fieldXml(object, SALESFORCE_FIELDS.tier).valueSet?.restricted).to.equal(true);
      expect(values(fieldXml(object, SALESFORCE_FIELDS.confidence))).to.have.members(['High', 'Medium', 'Low']);
      expect(values(fieldXml(object, SALESFORCE_FIELDS.trend))).to.have.members([...TrendSchema.options]);
      expect(fieldXml(object, SALESFORCE_FIELDS.reasonCodes).valueSet?.restricted).to.not.equal(true);
      expect(fieldXml(object, SALESFORCE_FIELDS.score)).to.include({ precision: 3, scale: 0 });
      expect(fieldXml(object, SALESFORCE_FIELDS.topFactors).length).to.equal(32_768);
      for (const { field } of DEFAULT_HANDLE_MAPPING) fieldXml(object, field);
    });
  }

  it('the integration permission set can edit every influence field (the fix checkSetup names)', () => {
    const file = path.join(DEFAULT, 'permissionsets', 'Social_Influence_Integration.permissionset-meta.xml');
    const set = (
      parser.parse(fs.readFileSync(file, 'utf8')) as {
        PermissionSet: { fieldPermissions: { field: string; editable: boolean }[] };
      }
    ).PermissionSet;
    const editable = new Set(set.fieldPermissions.filter((p) => p.editable === true).map((p) => p.field));
    for (const object of ['Contact', 'Lead']) {
      for (const field of Object.values(SALESFORCE_FIELDS))
        expect(editable.has(`${object}.${field}`), `${object}.${field}`).to.equal(true);
    }
  });

  it('the sandbox org deploys the same fields with the same types and picklists', () => {
    const sandboxType: Record<string, string> = {
      double: 'Number',
      picklist: 'Picklist',
      datetime: 'DateTime',
      textarea: 'LongTextArea',
      multipicklist: 'MultiselectPicklist',
      boolean: 'Checkbox',
    };
    expect(INFLUENCE_FIELDS.map((f) => f.name).sort()).to.deep.equal(
      [...Object.values(SALESFORCE_FIELDS), DO_NOT_PROFILE_FIELD].sort(),
    );
    for (const field of INFLUENCE_FIELDS) {
      const xml = fieldXml('Contact', field.name);
      expect(sandboxType[field.type], field.name).to.equal(xml.type);
      if (field.type === 'picklist') expect([...(field.picklist ?? [])], field.name).to.have.members(values(xml));
      if (field.type === 'picklist')
        expect(Boolean(field.restricted), field.name).to.equal(xml.valueSet?.restricted === true);
    }
  });

  it('round-trips influence values through the Salesforce shapes', () => {
    const fields = {
      score: 87,
      tier: 'A' as const,
      confidence: 'high' as const,
      scoredAt: '2026-05-01T12:00:00.000Z',
      topFactors: '+12 X: reach\n+3 GitHub: stars',
      reasonCodes: ['LARGE_REACH', 'YOUNG_ACCOUNT'],
      trend: 'Rising' as const,
      orgPercentile: 99,
    };
    const sent = toSalesforceValues(fields);
    expect(sent).to.include({
      Influence_Confidence__c: 'High',
      Influence_Reason_Codes__c: 'LARGE_REACH;YOUNG_ACCOUNT',
    });
    const back = fromSalesforceValues({ ...sent, Influence_Scored_At__c: '2026-05-01T12:00:00.000+0000' });
    expect(back).to.deep.equal(fields);
    expect(toSalesforceValues(CLEARED_FIELDS)).to.deep.equal(
      Object.fromEntries(Object.values(SALESFORCE_FIELDS).map((f) => [f, null])),
    );
    expect(fromSalesforceValues({ Influence_Score__c: 512, Influence_Tier__c: 'Gold' }).score).to.equal(100);
  });
});

describe('SOQL escaping', () => {
  function whereValue(soql: string): unknown {
    const where = parseSoql(soql).where as Extract<Condition, { op: 'cmp' }>;
    return where.value.kind === 'string' ? plainString(where.value.value) : where.value;
  }

  it('any text placed with soqlString is one string literal with exactly that value (no injection)', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary' }).filter((s) => !/[\uE000\uE001]/.test(s)),
        (text) => {
          expect(whereValue(`SELECT Id FROM Contact WHERE X_Handle__c = ${soqlString(text)}`)).to.equal(text);
        },
      ),
      { numRuns: 500 },
    );
    for (const evil of ["' OR '1'='1", "\\' OR Id != null --", 'x\\', "'; DELETE", '\n\r\t"']) {
      expect(whereValue(`SELECT Id FROM Contact WHERE X_Handle__c = ${soqlString(evil)}`)).to.equal(evil);
    }
  });

  it('datetimes are unquoted UTC literals; ids and field names are checked by shape', () => {
    expect(soqlDatetime(new Date('2026-05-01T12:00:00.123Z'))).to.equal('2026-05-01T12:00:00Z');
    expect(soqlDatetime('2026-05-01T14:00:00+02:00')).to.equal('2026-05-01T12:00:00Z');
    expect(() => soqlDatetime('yesterday')).to.throw(/not a date/);
    expect(soqlId('003SB0000000000001')).to.equal("'003SB0000000000001'");
    expect(() => soqlId("003' OR Id != '")).to.throw(/not a Salesforce record id/);
    expect(soqlField('Individual.HasOptedOutProfiling')).to.equal('Individual.HasOptedOutProfiling');
    expect(() => soqlField('Name FROM Contact')).to.throw(/field API name/);
  });
});
