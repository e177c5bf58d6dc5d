// Offline validation of the Salesforce DX project with the real tooling: SDR (source → metadata format, package.xml
// ↔ source), fast-xml-parser well-formedness, the WSDL-derived schema from @salesforce/types, cross-references.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';

import { ComponentSet, ForceIgnore, MetadataConverter } from '@salesforce/source-deploy-retrieve';
import { Ajv } from 'ajv';
import { expect } from 'chai';
import { XMLValidator } from 'fast-xml-parser';

import { SALESFORCE_FIELDS } from '../../connectors/salesforce/field-map.ts';
import { INFLUENCE_FIELD_LABELS, INFLUENCE_FIELD_NAMES } from '../../src/crm/contract.ts';
import { REASON_CODES } from '../../src/scoring/index.ts';
import { checkMetadataXml, children, metadataRoot, parseMetadataXml, texts, type XmlNode } from './metadata-schema.ts';
import { PERMISSION_SET_FILES } from './permission-sets.ts';

const SF = path.resolve(import.meta.dirname, '../../manifests/salesforce');
const PROJECT = JSON.parse(fs.readFileSync(path.join(SF, 'sfdx-project.json'), 'utf8')) as {
  packageDirectories: { path: string }[];
  sourceApiVersion: string;
};
const PACKAGE_DIRS = PROJECT.packageDirectories.map((d) => path.join(SF, d.path));

function walk(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}
const read = (rel: string): string => fs.readFileSync(path.join(SF, rel), 'utf8');
const DEFAULT = 'force-app/main/default';

const root = (rel: string): XmlNode => metadataRoot(read(rel));

// What SANDBOX.md fixes: names and types of our fields (the connectors and the sandbox use the same names).
const INFLUENCE_FIELDS: Record<
  string,
  { type: string; precision?: string; scale?: string; length?: string; values?: readonly string[]; restricted?: string }
> = {
  Influence_Score__c: { type: 'Number', precision: '3', scale: '0' },
  Influence_Tier__c: { type: 'Picklist', values: ['A', 'B', 'C', 'D', 'Unscored'], restricted: 'true' },
  Influence_Confidence__c: { type: 'Picklist', values: ['High', 'Medium', 'Low'] },
  Influence_Scored_At__c: { type: 'DateTime' },
  Influence_Top_Factors__c: { type: 'LongTextArea', length: '32768' },
  Influence_Reason_Codes__c: { type: 'MultiselectPicklist', values: REASON_CODES },
  Influence_Trend__c: { type: 'Picklist', values: ['Rising', 'Stable', 'Falling', 'New'] },
  Influence_Org_Percentile__c: { type: 'Number', precision: '3', scale: '0' },
  Influence_Do_Not_Profile__c: { type: 'Checkbox' },
};
const WRITTEN_FIELDS = Object.keys(INFLUENCE_FIELDS).filter((f) => f !== 'Influence_Do_Not_Profile__c');
const HANDLE_FIELDS = [
  'X_Handle__c',
  'GitHub_Handle__c',
  'Mastodon_Handle__c',
  'Bluesky_Handle__c',
  'YouTube_Channel__c',
  'Social_Profile_URL__c',
];
const OUR_FIELDS = [...Object.keys(INFLUENCE_FIELDS), ...HANDLE_FIELDS];
const OBJECTS = ['Contact', 'Lead'] as const;

const EXPECTED_COMPONENTS = [
  ...OBJECTS.flatMap((o) => OUR_FIELDS.map((f) => `CustomField:${o}.${f}`)),
  'Dashboard:Social_Influence/Social_Influence_Overview',
  'DashboardFolder:Social_Influence',
  'ExternalClientApplication:Social_Influence',
  'ExtlClntAppGlobalOauthSettings:Social_Influence_glbloauth',
  'ExtlClntAppOauthSettings:Social_Influence_oauth',
  'FlexiPage:Social_Influence_Contact_Record_Page',
  'FlexiPage:Social_Influence_Lead_Record_Page',
  'Layout:Contact-Social Influence Contact Layout',
  'Layout:Lead-Social Influence Lead Layout',
  'LightningComponentBundle:socialInfluenceCard',
  'PermissionSet:Social_Influence_Individual',
  'PermissionSet:Social_Influence_Integration',
  'PermissionSet:Social_Influence_Viewer',
  'CustomField:Opportunity.Influence_Days_To_Close__c',
  'Report:Social_Influence/Contacts_by_Influence_Tier',
  'Report:Social_Influence/Cycle_Time_by_Primary_Contact_Tier',
  'Report:Social_Influence/Leads_by_Influence_Tier',
  'Report:Social_Influence/Pipeline_by_Primary_Contact_Tier',
  'Report:Social_Influence/Score_Distribution',
  'Report:Social_Influence/Win_Rate_by_Primary_Contact_Tier',
  'Report:Social_Influence/Top_Influencers_by_Account',
  'ReportFolder:Social_Influence',
  'ReportType:Accounts_with_Influence_Contacts',
  'ReportType:Contacts_with_Influence',
  'ReportType:Leads_with_Influence',
  'ReportType:Opportunities_with_Influence_Contacts',
].sort();

// Standard fields our layouts and report types reference (checked here because SDR never looks inside).
const STANDARD_FIELDS: Record<string, string[]> = {
  Contact: ['Name', 'AccountId', 'Title', 'Email', 'OwnerId', 'Phone', 'MobilePhone', 'IndividualId'],
  Lead: ['Name', 'Company', 'Title', 'Email', 'OwnerId', 'Status', 'Phone', 'LeadSource', 'IndividualId'],
  Account: ['Name', 'Industry', 'Type'],
  Individual: ['HasOptedOutProfiling'],
  Opportunity: ['Name', 'StageName', 'Amount', 'CloseDate', 'CreatedDate', 'IsClosed', 'IsWon'],
  OpportunityContactRole: ['IsPrimary', 'Role'],
};
/** Lookups report types reach fields through (`Contact.Influence_Tier__c` on a contact role). */
const LOOKUPS: Record<string, Record<string, string>> = { OpportunityContactRole: { Contact: 'Contact' } };
const fieldExists = (object: string, field: string): boolean => {
  const [lookup, target] = field.split('.') as [string, string | undefined];
  if (target !== undefined) {
    const to = LOOKUPS[object]?.[lookup];
    return to !== undefined && fieldExists(to, target);
  }
  return (
    (STANDARD_FIELDS[object] ?? []).includes(field) ||
    fs.existsSync(path.join(SF, DEFAULT, 'objects', object, 'fields', `${field}.field-meta.xml`))
  );
};

const componentNames = (cs: ComponentSet): string[] =>
  cs
    .getSourceComponents()
    .toArray()
    .map((c) => `${c.type.name}:${c.fullName}`)
    .sort();

function sourceSet(): ComponentSet {
  const cs = ComponentSet.fromSource(PACKAGE_DIRS);
  // Without it SDR asks a Salesforce server for the current API version.
  cs.sourceApiVersion = PROJECT.sourceApiVersion;
  return cs;
}

describe('manifests/salesforce', () => {
  describe('project file', () => {
    it('sfdx-project.json matches the published schema and names a current API version', () => {
      const require = createRequire(import.meta.url);
      const schema = JSON.parse(
        fs.readFileSync(require.resolve('@salesforce/schemas/sfdx-project.schema.json'), 'utf8'),
      ) as object;
      const ajv = new Ajv({ allErrors: true, strict: false });
      const valid = ajv.validate(schema, PROJECT);
      expect(ajv.errors ?? [], JSON.stringify(ajv.errors)).to.deep.equal([]);
      expect(valid).to.equal(true);
      expect(PROJECT.sourceApiVersion).to.match(/^\d{2}\.0$/);
      // External Client App metadata needs API ≥ 61; Winter '27 is 68.0.
      expect(Number(PROJECT.sourceApiVersion)).to.be.at.least(68);
      for (const dir of PACKAGE_DIRS) expect(fs.existsSync(dir), dir).to.equal(true);
    });
  });

  describe('source-deploy-retrieve', () => {
    it('resolves exactly the expected components (a misnamed file would be silently dropped)', () => {
      expect(componentNames(sourceSet())).to.deep.equal(EXPECTED_COMPONENTS);
    });

    it('a misnamed file really is dropped silently by SDR, so the explicit list above is what catches it', () => {
      const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-misnamed-'));
      try {
        fs.cpSync(path.join(SF, 'force-app'), path.join(copy, 'force-app'), { recursive: true });
        const fields = path.join(copy, 'force-app', DEFAULT.replace('force-app/', ''), 'objects', 'Contact', 'fields');
        fs.renameSync(
          path.join(fields, 'Influence_Score__c.field-meta.xml'),
          path.join(fields, 'Influence_Score__c.field.xml'),
        );
        const names = componentNames(ComponentSet.fromSource(path.join(copy, 'force-app')));
        expect(names).not.to.include('CustomField:Contact.Influence_Score__c');
        expect(names).to.include('CustomField:Lead.Influence_Score__c');
      } finally {
        fs.rmSync(copy, { recursive: true, force: true });
      }
    });

    it('every file under the package directories belongs to a resolved component, or is one .forceignore keeps out (the LWC jest tests)', () => {
      const cs = sourceSet();
      const claimed = new Set(
        cs
          .getSourceComponents()
          .toArray()
          .flatMap((c) =>
            [c.xml, ...c.walkContent()].filter((p): p is string => p !== undefined).map((p) => path.resolve(p)),
          ),
      );
      const ignore = ForceIgnore.findAndCreate(SF);
      const files = PACKAGE_DIRS.flatMap(walk).map((p) => path.resolve(p));
      const ignored = files.filter((f) => ignore.denies(f));
      expect(files.filter((f) => !claimed.has(f) && !ignored.includes(f))).to.deep.equal([]);
      // What is kept out is exactly the card's tests: a deploy never sends them, and nothing else is dropped.
      expect(ignored.length).to.be.greaterThan(0);
      for (const f of ignored) expect(path.relative(SF, f), f).to.match(/\/lwc\/socialInfluenceCard\/__tests__\//);
    });

    it('converts to metadata format (what a deploy sends) with the fields merged into the object files', async () => {
      const out = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-mdapi-'));
      try {
        const result = await new MetadataConverter().convert(sourceSet(), 'metadata', {
          type: 'directory',
          outputDirectory: out,
          genUniqueDir: false,
        });
        expect(result.converted?.length).to.be.greaterThan(0);
        for (const object of OBJECTS) {
          const objectXml = fs.readFileSync(path.join(out, 'objects', `${object}.object`), 'utf8');
          expect(XMLValidator.validate(objectXml)).to.equal(true);
          const fields = children(parseMetadataXml(objectXml).CustomObject![0], 'fields').flatMap((f) =>
            texts(f, 'fullName'),
          );
          expect(fields.sort()).to.deep.equal([...OUR_FIELDS].sort());
        }
        const pkg = fs.readFileSync(path.join(out, 'package.xml'), 'utf8');
        expect(pkg).to.include(`<version>${PROJECT.sourceApiVersion}</version>`);
        expect(fs.existsSync(path.join(out, 'reports', 'Social_Influence', 'Score_Distribution.report'))).to.equal(
          true,
        );
      } finally {
        fs.rmSync(out, { recursive: true, force: true });
      }
    });

    it('each manifest lists exactly its package directory (both ways) and equals the generated one; none names the global OAuth settings', async () => {
      const manifests: [string, string, (type: string) => boolean][] = [
        ['package.xml', 'force-app', () => true],
        ['individual.xml', 'individual-app', () => true],
        // A retrieve of ExtlClntAppGlobalOauthSettings pulls the consumer key and secret into the repository.
        ['oauth-app.xml', 'oauth-app', (type) => type !== 'ExtlClntAppGlobalOauthSettings'],
      ];
      const covered: string[] = [];
      for (const [file, dir, keep] of manifests) {
        const manifestPath = path.join(SF, 'manifest', file);
        const fromManifest = await ComponentSet.fromManifest({
          manifestPath,
          resolveSourcePaths: [path.join(SF, dir)],
        });
        const listed = fromManifest
          .toArray()
          .map((c) => `${c.type.name}:${c.fullName}`)
          .sort();
        // A manifest lists folders and members; sources of every listed member must resolve.
        const source = ComponentSet.fromSource(path.join(SF, dir))
          .getSourceComponents()
          .toArray()
          .filter((c) => keep(c.type.name));
        const expected = source.map((c) => `${c.type.name}:${c.fullName}`).sort();
        expect(componentNames(fromManifest), file).to.deep.equal(expected);
        expect(listed, file).to.deep.equal(expected);
        const generated = new ComponentSet(source);
        generated.sourceApiVersion = PROJECT.sourceApiVersion;
        expect(fs.readFileSync(manifestPath, 'utf8'), file).to.equal(await generated.getPackageXml());
        expect(fs.readFileSync(manifestPath, 'utf8'), file).not.to.include('ExtlClntAppGlobalOauthSettings');
        covered.push(...expected);
      }
      expect([...covered, 'ExtlClntAppGlobalOauthSettings:Social_Influence_glbloauth'].sort()).to.deep.equal(
        EXPECTED_COMPONENTS,
      );
    });
  });

  describe('XML', () => {
    const xmlFiles = [...PACKAGE_DIRS.flatMap(walk), ...walk(path.join(SF, 'manifest'))].filter((f) =>
      f.endsWith('.xml'),
    );

    it('every file is well-formed and starts with the XML prolog', () => {
      expect(xmlFiles.length).to.equal(EXPECTED_COMPONENTS.length + 3);
      for (const file of xmlFiles) {
        const xml = fs.readFileSync(file, 'utf8');
        expect(XMLValidator.validate(xml), file).to.equal(true);
        expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n'), file).to.equal(true);
      }
    });

    it('every metadata file matches the Metadata API schema (element names, enums, booleans, required children)', () => {
      for (const file of xmlFiles.filter((f) => f.endsWith('-meta.xml'))) {
        expect(checkMetadataXml(fs.readFileSync(file, 'utf8')), path.relative(SF, file)).to.deep.equal([]);
      }
    });

    it('the schema check catches the faults SDR lets through', () => {
      const field = read(`${DEFAULT}/objects/Contact/fields/Influence_Score__c.field-meta.xml`);
      expect(checkMetadataXml(field.replace(/precision>/g, 'precisionn>')).join()).to.include(
        '<precisionn> is not an element of CustomField',
      );
      expect(checkMetadataXml(field.replace('<type>Number</type>', '<type>Numbr</type>')).join()).to.include(
        '"Numbr" is not a FieldType',
      );
      expect(
        checkMetadataXml(field.replace('<required>false</required>', '<required>no</required>')).join(),
      ).to.include('is not true/false');
      const oauth = read('oauth-app/main/default/extlClntAppOauthSettings/Social_Influence_oauth.ecaOauth-meta.xml');
      expect(checkMetadataXml(oauth.replace('RefreshToken', 'refresh_token')).join()).to.include(
        '"refresh_token" is not a ConnectedAppOauthAccessScope',
      );
      const eca = read('oauth-app/main/default/externalClientApps/Social_Influence.eca-meta.xml');
      expect(checkMetadataXml(eca.replace('>Local<', '>local<')).join()).to.include('is not a ExtlClntAppDistState');
      const perm = read(`${DEFAULT}/permissionsets/Social_Influence_Viewer.permissionset-meta.xml`);
      expect(checkMetadataXml(perm.replace('<editable>false</editable>', '')).join()).to.include('needs <editable>');
      const report = read(`${DEFAULT}/reports/Social_Influence/Score_Distribution.report-meta.xml`);
      expect(checkMetadataXml(report.replace('<format>Summary</format>', '<format>Sumary</format>')).join()).to.include(
        '"Sumary" is not a ReportFormat',
      );
    });
  });

  describe('fields', () => {
    for (const object of OBJECTS) {
      it(`${object}: each field has the name, type and values fixed in SANDBOX.md and help text a rep can read`, () => {
        for (const [name, spec] of Object.entries(INFLUENCE_FIELDS)) {
          const field = root(`${DEFAULT}/objects/${object}/fields/${name}.field-meta.xml`);
          expect(texts(field, 'fullName'), name).to.deep.equal([name]);
          expect(texts(field, 'type'), name).to.deep.equal([spec.type]);
          if (spec.precision)
            expect([...texts(field, 'precision'), ...texts(field, 'scale')], name).to.deep.equal([
              spec.precision,
              spec.scale,
            ]);
          if (spec.length) expect(texts(field, 'length'), name).to.deep.equal([spec.length]);
          if (spec.values) {
            const valueSet = children(field, 'valueSet')[0];
            const values = children(children(valueSet, 'valueSetDefinition')[0], 'value').flatMap((v) =>
              texts(v, 'fullName'),
            );
            expect(values, name).to.deep.equal([...spec.values]);
            if (spec.restricted) expect(texts(valueSet, 'restricted'), name).to.deep.equal([spec.restricted]);
          }
        }
        for (const name of OUR_FIELDS) {
          const field = root(`${DEFAULT}/objects/${object}/fields/${name}.field-meta.xml`);
          const help = texts(field, 'inlineHelpText')[0] ?? '';
          expect(help.length, `${name} help text`).to.be.within(40, 510);
          expect(texts(field, 'label')[0], name).to.match(/^[A-Z][A-Za-z ]+$/);
        }
      });
    }

    it('the admin UI names each field by the label the package deploys', () => {
      for (const field of INFLUENCE_FIELD_NAMES) {
        const xml = root(`${DEFAULT}/objects/Contact/fields/${SALESFORCE_FIELDS[field]}.field-meta.xml`);
        expect(texts(xml, 'label')[0], field).to.equal(INFLUENCE_FIELD_LABELS[field]);
      }
    });

    it('Contact and Lead carry identical field definitions', () => {
      for (const name of OUR_FIELDS) {
        expect(read(`${DEFAULT}/objects/Lead/fields/${name}.field-meta.xml`), name).to.equal(
          read(`${DEFAULT}/objects/Contact/fields/${name}.field-meta.xml`),
        );
      }
    });
  });

  describe('permission sets', () => {
    const fieldPerms = (name: string): Map<string, { editable: string; readable: string }> =>
      new Map(
        children(root(PERMISSION_SET_FILES[name]!), 'fieldPermissions').map((p) => [
          texts(p, 'field')[0]!,
          { editable: texts(p, 'editable')[0]!, readable: texts(p, 'readable')[0]! },
        ]),
      );

    it('integration user: API Enabled, Edit Tasks (tier-change tasks), edit on every influence field, read on the inputs it reads (e-mail too), View All', () => {
      const ps = root(`${DEFAULT}/permissionsets/Social_Influence_Integration.permissionset-meta.xml`);
      const userPerms = children(ps, 'userPermissions').map((p) => `${texts(p, 'name')[0]}=${texts(p, 'enabled')[0]}`);
      expect(userPerms).to.deep.equal(['ApiEnabled=true', 'EditTask=true']);
      const perms = fieldPerms('Social_Influence_Integration');
      for (const object of OBJECTS) {
        for (const f of WRITTEN_FIELDS)
          expect(perms.get(`${object}.${f}`), f).to.deep.equal({ editable: 'true', readable: 'true' });
        for (const f of [...HANDLE_FIELDS, 'Influence_Do_Not_Profile__c', 'Email']) {
          expect(perms.get(`${object}.${f}`), f).to.deep.equal({ editable: 'false', readable: 'true' });
        }
      }
      // View All: with Private sharing a run would otherwise score a fraction of the org without an error. No
      // Modify All (it also grants delete): edits follow sharing, and refused ones are reported per record.
      const objects = children(ps, 'objectPermissions').map(
        (p) =>
          `${texts(p, 'object')[0]}:read=${texts(p, 'allowRead')[0]},edit=${texts(p, 'allowEdit')[0]},viewAll=${texts(p, 'viewAllRecords')[0]},modifyAll=${texts(p, 'modifyAllRecords')[0]},delete=${texts(p, 'allowDelete')[0]}`,
      );
      expect(objects).to.deep.equal([
        'Contact:read=true,edit=true,viewAll=true,modifyAll=false,delete=false',
        'Lead:read=true,edit=true,viewAll=true,modifyAll=false,delete=false',
        // The revenue lift reads every opportunity (a sharing-limited sample would bias it silently), never edits one.
        'Opportunity:read=true,edit=false,viewAll=true,modifyAll=false,delete=false',
      ]);
      expect(perms.get('Opportunity.Amount')).to.deep.equal({ editable: 'false', readable: 'true' });
      // Nothing about Individual: this set must deploy where Data Protection and Privacy is off.
      expect([...perms.keys()].filter((f) => /Individual/.test(f))).to.deep.equal([]);
    });

    it('the optional Individual set (its own package directory): read on Individual and the fields the opt-out needs, nothing editable', () => {
      const ps = root(PERMISSION_SET_FILES.Social_Influence_Individual!);
      expect(
        children(ps, 'objectPermissions').map(
          (p) => `${texts(p, 'object')[0]}:read=${texts(p, 'allowRead')[0]},edit=${texts(p, 'allowEdit')[0]}`,
        ),
      ).to.deep.equal(['Individual:read=true,edit=false']);
      expect(Object.fromEntries(fieldPerms('Social_Influence_Individual'))).to.deep.equal({
        'Contact.IndividualId': { editable: 'false', readable: 'true' },
        'Individual.HasOptedOutProfiling': { editable: 'false', readable: 'true' },
        'Lead.IndividualId': { editable: 'false', readable: 'true' },
      });
      expect(PROJECT.packageDirectories.map((d) => d.path)).to.include('individual-app');
    });

    it('viewers read the influence fields and cannot edit them', () => {
      const perms = fieldPerms('Social_Influence_Viewer');
      for (const object of OBJECTS) {
        for (const f of WRITTEN_FIELDS)
          expect(perms.get(`${object}.${f}`), f).to.deep.equal({ editable: 'false', readable: 'true' });
      }
      const ps = root(`${DEFAULT}/permissionsets/Social_Influence_Viewer.permissionset-meta.xml`);
      expect(children(ps, 'userPermissions')).to.deep.equal([]);
    });

    it('every field permission names a field we ship or a standard field', () => {
      for (const name of Object.keys(PERMISSION_SET_FILES)) {
        for (const field of fieldPerms(name).keys()) {
          const [object, api] = field.split('.') as [string, string];
          expect(fieldExists(object, api), `${name}: ${field}`).to.equal(true);
        }
      }
      // Viewers also read the opportunity's days to close; the integration reads the opportunity's amount.
      expect(fieldPerms('Social_Influence_Viewer').size).to.equal(OBJECTS.length * OUR_FIELDS.length + 1);
      expect(fieldPerms('Social_Influence_Integration').size).to.equal(OBJECTS.length * (OUR_FIELDS.length + 1) + 1);
    });
  });

  describe('layouts, report types, reports, dashboard', () => {
    it('both layouts show every shipped field, read-only for the ones the integration writes', () => {
      for (const [object, file] of [
        ['Contact', 'Contact-Social Influence Contact Layout'],
        ['Lead', 'Lead-Social Influence Lead Layout'],
      ] as const) {
        const items = children(root(`${DEFAULT}/layouts/${file}.layout-meta.xml`), 'layoutSections')
          .flatMap((s) => children(s, 'layoutColumns'))
          .flatMap((c) => children(c, 'layoutItems'))
          .map((i) => ({ field: texts(i, 'field')[0]!, behavior: texts(i, 'behavior')[0]! }));
        for (const { field } of items) expect(fieldExists(object, field), `${file}: ${field}`).to.equal(true);
        const byField = new Map(items.map((i) => [i.field, i.behavior]));
        for (const f of OUR_FIELDS) expect(byField.has(f), `${file} shows ${f}`).to.equal(true);
        for (const f of WRITTEN_FIELDS) expect(byField.get(f), `${file}: ${f}`).to.equal('Readonly');
      }
    });

    const reportTypeColumns = (name: string): Set<string> => {
      const rt = root(`${DEFAULT}/reportTypes/${name}.reportType-meta.xml`);
      const base = texts(rt, 'baseObject')[0]!;
      const joins = children(rt, 'join').flatMap((j) => texts(j, 'relationship'));
      const tableObject = new Map<string, string>([
        [base, base],
        ...joins.map((r): [string, string] => [`${base}.${r}`, r.replace(/ies$/, 'y').replace(/s$/, '')]),
      ]);
      const columns = new Set<string>();
      for (const section of children(rt, 'sections')) {
        for (const column of children(section, 'columns')) {
          const table = texts(column, 'table')[0]!;
          const field = texts(column, 'field')[0]!;
          expect(tableObject.has(table), `${name}: table ${table}`).to.equal(true);
          expect(fieldExists(tableObject.get(table)!, field), `${name}: ${table}.${field}`).to.equal(true);
          columns.add(`${table}$${field}`);
        }
      }
      return columns;
    };

    it("report types reference existing fields; reports use only their report type's columns", () => {
      const reportsDir = path.join(SF, DEFAULT, 'reports', 'Social_Influence');
      const reports = fs.readdirSync(reportsDir);
      expect(reports.sort()).to.deep.equal([
        'Contacts_by_Influence_Tier.report-meta.xml',
        'Cycle_Time_by_Primary_Contact_Tier.report-meta.xml',
        'Leads_by_Influence_Tier.report-meta.xml',
        'Pipeline_by_Primary_Contact_Tier.report-meta.xml',
        'Score_Distribution.report-meta.xml',
        'Top_Influencers_by_Account.report-meta.xml',
        'Win_Rate_by_Primary_Contact_Tier.report-meta.xml',
      ]);
      for (const file of reports) {
        const report = root(`${DEFAULT}/reports/Social_Influence/${file}`);
        const reportType = texts(report, 'reportType')[0]!;
        expect(reportType, file).to.match(/__c$/);
        const columns = reportTypeColumns(reportType.replace(/__c$/, ''));
        const buckets = new Set(children(report, 'buckets').flatMap((b) => texts(b, 'developerName')));
        for (const b of children(report, 'buckets'))
          expect(columns.has(texts(b, 'sourceColumnName')[0]!), file).to.equal(true);
        const used = [
          ...children(report, 'columns').flatMap((c) => texts(c, 'field')),
          ...children(report, 'groupingsDown').flatMap((g) => texts(g, 'field')),
          ...children(children(report, 'filter')[0], 'criteriaItems').flatMap((c) => texts(c, 'column')),
          ...texts(report, 'sortColumn'),
        ];
        for (const column of used)
          expect(columns.has(column) || buckets.has(column), `${file}: ${column}`).to.equal(true);
      }
    });

    it("the opportunity reports count each opportunity once, by its primary contact, grouped by that contact's tier", () => {
      for (const name of [
        'Win_Rate_by_Primary_Contact_Tier',
        'Pipeline_by_Primary_Contact_Tier',
        'Cycle_Time_by_Primary_Contact_Tier',
      ]) {
        const report = root(`${DEFAULT}/reports/Social_Influence/${name}.report-meta.xml`);
        const criteria = children(children(report, 'filter')[0], 'criteriaItems').map(
          (c) => `${texts(c, 'column')[0]} ${texts(c, 'operator')[0]} ${texts(c, 'value')[0]}`,
        );
        expect(criteria, name).to.include('Opportunity.OpportunityContactRoles$IsPrimary equals 1');
        expect(children(report, 'groupingsDown').flatMap((g) => texts(g, 'field'))[0], name).to.equal(
          'Opportunity.OpportunityContactRoles$Contact.Influence_Tier__c',
        );
        expect(texts(report, 'description')[0], name).to.match(/Observational/);
      }
      const field = root(`${DEFAULT}/objects/Opportunity/fields/Influence_Days_To_Close__c.field-meta.xml`);
      expect(texts(field, 'formula')).to.deep.equal(['IF(IsClosed, CloseDate - DATEVALUE(CreatedDate), NULL)']);
    });

    it('the dashboard shows the shipped reports', () => {
      const dashboard = root(`${DEFAULT}/dashboards/Social_Influence/Social_Influence_Overview.dashboard-meta.xml`);
      const reports = children(children(dashboard, 'dashboardGridLayout')[0], 'dashboardGridComponents')
        .flatMap((c) => children(c, 'dashboardComponent'))
        .flatMap((c) => texts(c, 'report'));
      expect(reports.sort()).to.deep.equal([
        'Social_Influence/Contacts_by_Influence_Tier',
        'Social_Influence/Cycle_Time_by_Primary_Contact_Tier',
        'Social_Influence/Pipeline_by_Primary_Contact_Tier',
        'Social_Influence/Score_Distribution',
        'Social_Influence/Top_Influencers_by_Account',
        'Social_Influence/Win_Rate_by_Primary_Contact_Tier',
      ]);
      // Dynamic: each viewer sees the scores of the records they may see, not the deploying admin's view of the org
      // (profiling data with an opt-out). No running user is committed.
      expect(texts(dashboard, 'dashboardType')).to.deep.equal(['LoggedInUser']);
      expect(texts(dashboard, 'runningUser')).to.deep.equal([]);
    });
  });

  describe('acceptance checklist', () => {
    it('names the doctor check of each setup problem it describes, each one checkSetup really reports', () => {
      const checklist = read('README.md');
      const setup = fs.readFileSync(path.resolve(SF, '../../connectors/salesforce/setup.ts'), 'utf8');
      const codes = new Set([...setup.matchAll(/code: '(\w+)'/g)].map((m) => m[1]!));
      for (const code of [
        'api_version_unsupported',
        'field_not_readable',
        'individual_unavailable',
        'records_hidden',
      ]) {
        expect(codes, code).to.include(code);
        expect(checklist, code).to.include(`salesforce: ${code}`);
      }
    });
  });

  describe('scratch org definition', () => {
    it('lets the OAuth settings deploy (consumer secrets via Metadata API) with documented settings only', () => {
      const def = JSON.parse(read('config/project-scratch-def.json')) as {
        settings: { externalClientAppSettings: Record<string, unknown> };
      };
      const settings = def.settings.externalClientAppSettings;
      expect(settings.enableConsumerSecretApiAccess).to.equal(true);
      // ExternalClientAppSettings as @salesforce/types has it, plus enableExternalClientApps (meta_externalclientappsettings, API 58.0).
      const metadata = fs.readFileSync(
        createRequire(import.meta.url)
          .resolve('@salesforce/types/metadata')
          .replace(/\.js$/, '.d.ts'),
        'utf8',
      );
      const type = /export type ExternalClientAppSettings = Metadata & \{([^}]*)\}/.exec(metadata)![1]!;
      const known = [...type.matchAll(/(\w+)\?:/g)].map((m) => m[1]!);
      for (const key of Object.keys(settings)) expect([...known, 'enableExternalClientApps'], key).to.include(key);
    });
  });

  describe('External Client App', () => {
    it('asks for the Api and RefreshToken scopes and commits no secret', () => {
      const settings = root('oauth-app/main/default/extlClntAppOauthSettings/Social_Influence_oauth.ecaOauth-meta.xml');
      expect(
        texts(settings, 'commaSeparatedOauthScopes')[0]!
          .split(',')
          .map((s) => s.trim())
          .sort(),
      ).to.deep.equal(['Api', 'RefreshToken']);
      const global = root(
        'oauth-app/main/default/extlClntAppGlobalOauthSets/Social_Influence_glbloauth.ecaGlblOauth-meta.xml',
      );
      expect(texts(global, 'consumerKey')).to.deep.equal([]);
      expect(texts(global, 'consumerSecret')).to.deep.equal([]);
      expect(texts(global, 'externalClientApplication')).to.deep.equal(['Social_Influence']);
      // The placeholder the README tells admins to replace.
      expect(texts(global, 'callbackUrl')).to.deep.equal([
        'https://crm-influence.example.com/oauth/salesforce/callback',
      ]);
      for (const file of walk(SF))
        expect(fs.readFileSync(file, 'utf8'), file).not.to.match(/consumerSecret>|BEGIN (RSA )?PRIVATE KEY/);
    });
  });
});
