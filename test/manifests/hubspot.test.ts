// Offline validation of the HubSpot developer project and property definitions with the real tooling:
// @hubspot/project-parsing-lib (project structure), @hubspot/api-client's models (property bodies),
// @hubspot/ui-extensions/testing (the card renders), plus the rules HubSpot only checks online.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

import {
  OptionInput,
  PropertyCreate,
  PropertyCreateFieldTypeEnum,
  PropertyCreateTypeEnum,
  PropertyGroupCreate,
} from '@hubspot/api-client/lib/codegen/crm/properties/index.js';
import {
  getProjectMetadata,
  isKnownPlatformVersion,
  LATEST_SUPPORTED_PLATFORM_VERSION,
  parseProjectConfig,
} from '@hubspot/project-parsing-lib/projects';
import { translate } from '@hubspot/project-parsing-lib/translate';
import { validateUid } from '@hubspot/project-parsing-lib/uid';
import { createAjvInstance } from '@hubspot/project-parsing-lib/validation';
import {
  DescriptionListItem,
  EmptyState,
  ErrorState,
  List,
  LoadingSpinner,
  StatusTag,
  Text,
} from '@hubspot/ui-extensions';
import { createRenderer } from '@hubspot/ui-extensions/testing';
import { expect } from 'chai';
import { createElement } from 'react';
import ts from 'typescript';

import {
  CARD_PROPERTIES,
  formatScoredAt,
  influenceView,
} from '../../manifests/hubspot/src/app/cards/influence-view.ts';
import { InfluenceCard } from '../../manifests/hubspot/src/app/cards/InfluenceCard.tsx';
import { REASON_CODES } from '../../src/scoring/index.ts';
import { ConfidenceSchema, TIERS, TrendSchema } from '../../src/scoring/types.ts';

const HS = path.resolve(import.meta.dirname, '../../manifests/hubspot');
const SRC = path.join(HS, 'src');
const readJson = (rel: string): unknown => JSON.parse(fs.readFileSync(path.join(HS, rel), 'utf8'));

interface PropertyBody {
  name: string;
  label: string;
  groupName: string;
  type: string;
  fieldType: string;
  description?: string;
  options?: { label: string; value: string; displayOrder?: number; hidden: boolean; description?: string }[];
  [key: string]: unknown;
}
const DEFINITIONS = readJson('properties/influence-properties.json') as {
  group: { name: string; label: string; displayOrder: number };
  properties: PropertyBody[];
};
const ALL_PROPERTIES = DEFINITIONS.properties;
// Inputs people type (handles, profile URL); created with the influence properties so the mapping works out of the box.
const HANDLE_PROPERTIES = [
  'github_handle',
  'mastodon_handle',
  'bluesky_handle',
  'youtube_channel',
  'social_profile_url',
];

/** Names of the required (non-`?`) members of an api-client model class, read from its declaration file. */
function requiredMembers(model: string): string[] {
  const require = createRequire(import.meta.url);
  const file = require
    .resolve(`@hubspot/api-client/lib/codegen/crm/properties/models/${model}.js`)
    .replace(/\.js$/, '.d.ts');
  const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const required: string[] = [];
  source.forEachChild((node) => {
    if (!ts.isClassDeclaration(node)) return;
    for (const member of node.members) {
      const isStatic = ts.getCombinedModifierFlags(member) & ts.ModifierFlags.Static;
      if (ts.isPropertyDeclaration(member) && !isStatic && member.questionToken === undefined) {
        required.push(member.name.getText().replace(/^'|'$/g, ''));
      }
    }
  });
  return required;
}
const attributeNames = (model: { getAttributeTypeMap(): { baseName: string }[] }): string[] =>
  model.getAttributeTypeMap().map((a) => a.baseName);

// Which fieldType goes with which type (HubSpot's property docs; the API rejects other pairs).
const FIELD_TYPES_BY_TYPE: Record<string, string[]> = {
  string: ['text', 'textarea', 'file'],
  number: ['number', 'calculation_equation'],
  date: ['date'],
  datetime: ['date'],
  enumeration: ['select', 'radio', 'checkbox'],
  bool: ['booleancheckbox'],
};

describe('manifests/hubspot', () => {
  describe('developer project (project-parsing-lib)', () => {
    it('hsproject.json parses and targets the latest supported platform version', () => {
      const config = parseProjectConfig(HS);
      expect(config.srcDir).to.equal('src');
      expect(isKnownPlatformVersion(config.platformVersion)).to.equal(true);
      expect(config.platformVersion).to.equal(LATEST_SUPPORTED_PLATFORM_VERSION);
    });

    it('translates every hsmeta file into exactly one app, one card and one webhooks component', async () => {
      const config = parseProjectConfig(HS);
      const meta = await getProjectMetadata(SRC);
      const { intermediateRepresentation, skippedHsMetaFiles } = await translate(
        { projectSourceDir: SRC, platformVersion: config.platformVersion },
        { skipValidation: true },
      );
      expect(skippedHsMetaFiles).to.deep.equal([]);
      const nodes = Object.values(intermediateRepresentation.intermediateNodesIndexedByUid);
      // Invalid JSON is dropped silently by translate(), so compare against the files on disk.
      expect(nodes.map((n) => path.resolve(SRC, n.metaFilePath)).sort()).to.deep.equal(
        meta.hsMetaFiles.map((f) => path.resolve(SRC, f)).sort(),
      );
      expect(nodes.map((n) => `${n.componentType}:${n.uid}`).sort()).to.deep.equal(
        ['APPLICATION:crm_influence_app', 'CARD:influence_score_card', 'WEBHOOKS:crm_influence_webhooks'].sort(),
      );
      for (const [type, info] of Object.entries(meta.components)) {
        expect(info.count, type).to.be.at.most(info.maxCount);
      }
      for (const node of nodes) expect(validateUid(node.uid), node.uid).to.equal(undefined);
    });

    it('the app asks for the scopes the connector needs and names its OAuth redirect URLs', () => {
      const app = readJson('src/app/app-hsmeta.json');
      const ajv = createAjvInstance();
      const valid = ajv.validate(
        {
          type: 'object',
          required: ['uid', 'type', 'config'],
          additionalProperties: false,
          properties: {
            uid: { type: 'string' },
            type: { const: 'app' },
            config: {
              type: 'object',
              required: ['name', 'distribution', 'auth', 'permittedUrls', 'support'],
              properties: {
                name: { type: 'string', minLength: 1, maxLength: 200 },
                distribution: { enum: ['private', 'marketplace'] },
                auth: {
                  type: 'object',
                  required: ['type', 'redirectUrls', 'requiredScopes'],
                  properties: {
                    type: { const: 'oauth' },
                    redirectUrls: {
                      type: 'array',
                      minItems: 1,
                      items: { type: 'string', pattern: '^(https://|http://localhost)' },
                    },
                    requiredScopes: { type: 'array', items: { type: 'string' } },
                  },
                },
              },
            },
          },
        },
        app,
      );
      expect(ajv.errors ?? [], JSON.stringify(ajv.errors)).to.deep.equal([]);
      expect(valid).to.equal(true);
      const auth = (app as { config: { auth: { requiredScopes: string[]; redirectUrls: string[] } } }).config.auth;
      expect([...auth.requiredScopes].sort()).to.deep.equal([
        'crm.objects.contacts.read',
        'crm.objects.contacts.write',
        'crm.schemas.contacts.read',
        'crm.schemas.contacts.write',
        'oauth',
      ]);
      expect(auth.redirectUrls.every((u) => u.endsWith('/oauth/hubspot/callback'))).to.equal(true);
    });

    it('webhooks fire on contact creation, deletion, merge, restore, privacy deletion and on changes of the inputs, never on the fields we write', () => {
      const webhooks = readJson('src/app/webhooks/webhooks-hsmeta.json') as {
        config: {
          settings: { targetUrl: string };
          subscriptions: {
            crmObjects: { subscriptionType: string; objectType: string; propertyName?: string; active: boolean }[];
            legacyCrmObjects: { subscriptionType: string; active: boolean }[];
          };
        };
      };
      const subs = webhooks.config.subscriptions.crmObjects;
      expect(webhooks.config.settings.targetUrl).to.match(/^https:\/\//);
      // The path the admin server mounts the handler on (src/server/app.ts); HubSpot cannot follow a redirect.
      expect(new URL(webhooks.config.settings.targetUrl).pathname).to.equal('/webhooks/hubspot');
      expect(subs.every((s) => s.objectType === 'contact' && s.active)).to.equal(true);
      for (const type of ['object.creation', 'object.deletion', 'object.merge', 'object.restore'])
        expect(
          subs.filter((s) => s.subscriptionType === type),
          type,
        ).to.have.length(1);
      // Privacy deletions exist only as a contact subscription (the webhooks API's event types).
      expect(webhooks.config.subscriptions.legacyCrmObjects).to.deep.equal([
        { subscriptionType: 'contact.privacyDeletion', active: true },
      ]);
      const watched = subs.filter((s) => s.subscriptionType === 'object.propertyChange').map((s) => s.propertyName);
      expect(watched).to.include.members(['email', 'twitterhandle', ...HANDLE_PROPERTIES, 'influence_do_not_profile']);
      // Our own writes must not come back as events (feedback loop).
      const written = DEFINITIONS.properties
        .map((p) => p.name)
        .filter((n) => n.startsWith('influence_') && n !== 'influence_do_not_profile');
      expect(watched.filter((n) => written.includes(n!))).to.deep.equal([]);
    });

    it('the card sits on the contact sidebar and its entrypoint exists', () => {
      const card = readJson('src/app/cards/influence-card-hsmeta.json') as {
        config: { location: string; entrypoint: string; objectTypes: string[] };
      };
      expect(card.config.location).to.equal('crm.record.sidebar');
      expect(card.config.objectTypes).to.deep.equal(['contacts']);
      expect(fs.existsSync(path.join(SRC, card.config.entrypoint))).to.equal(true);
    });
  });

  describe('property definitions (the connector installs these)', () => {
    it('group and property bodies use only api-client model attributes and enum values', () => {
      expect(Object.keys(DEFINITIONS.group).sort()).to.deep.equal(attributeNames(PropertyGroupCreate).sort());
      expect(DEFINITIONS.group.name).to.equal('influence');
      const propertyKeys = new Set(attributeNames(PropertyCreate));
      const optionKeys = new Set(attributeNames(OptionInput));
      const types = new Set<string>(Object.values(PropertyCreateTypeEnum));
      const fieldTypes = new Set<string>(Object.values(PropertyCreateFieldTypeEnum));
      for (const property of ALL_PROPERTIES) {
        for (const key of Object.keys(property))
          expect(propertyKeys.has(key), `${property.name}.${key}`).to.equal(true);
        for (const key of requiredMembers('PropertyCreate'))
          expect(property, `${property.name} needs ${key}`).to.have.property(key);
        expect(types.has(property.type), property.name).to.equal(true);
        expect(fieldTypes.has(property.fieldType), property.name).to.equal(true);
        expect(
          FIELD_TYPES_BY_TYPE[property.type],
          `${property.name}: ${property.type}/${property.fieldType}`,
        ).to.include(property.fieldType);
        expect(property.groupName, property.name).to.equal(DEFINITIONS.group.name);
        expect(property.name).to.match(/^[a-z][a-z0-9_]*$/);
        expect(property.description?.length ?? 0, `${property.name} description`).to.be.within(40, 1000);
        if (property.type === 'enumeration' || property.type === 'bool') {
          expect(property.options, property.name).to.be.an('array').that.is.not.empty;
        }
        for (const option of property.options ?? []) {
          for (const key of Object.keys(option))
            expect(optionKeys.has(key), `${property.name} option ${key}`).to.equal(true);
          for (const key of requiredMembers('OptionInput'))
            expect(option, `${property.name} option needs ${key}`).to.have.property(key);
        }
        const values = (property.options ?? []).map((o) => o.value);
        expect(new Set(values).size, `${property.name} option values unique`).to.equal(values.length);
      }
    });

    it('names and types are the ones SANDBOX.md fixes', () => {
      const shape = Object.fromEntries(
        DEFINITIONS.properties
          .filter((p) => !HANDLE_PROPERTIES.includes(p.name))
          .map((p) => [p.name, `${p.type}/${p.fieldType}`]),
      );
      expect(shape).to.deep.equal({
        influence_score: 'number/number',
        influence_tier: 'enumeration/select',
        influence_confidence: 'enumeration/select',
        influence_scored_at: 'datetime/date',
        influence_top_factors: 'string/textarea',
        influence_reason_codes: 'enumeration/checkbox',
        influence_trend: 'enumeration/select',
        influence_org_percentile: 'number/number',
        influence_do_not_profile: 'bool/booleancheckbox',
      });
      const handles = DEFINITIONS.properties.filter((p) => HANDLE_PROPERTIES.includes(p.name));
      expect(handles.map((p) => `${p.name}:${p.type}/${p.fieldType}`)).to.deep.equal(
        HANDLE_PROPERTIES.map((n) => `${n}:string/text`),
      );
    });

    it("enumeration values equal the scoring model's vocabulary and the Salesforce picklists", () => {
      const options = (name: string): string[] =>
        DEFINITIONS.properties.find((p) => p.name === name)!.options!.map((o) => o.value);
      expect(options('influence_tier')).to.deep.equal([...TIERS]);
      expect(options('influence_confidence')).to.deep.equal([...ConfidenceSchema.options]);
      expect(options('influence_trend')).to.deep.equal([...TrendSchema.options]);
      expect(options('influence_reason_codes')).to.deep.equal([...REASON_CODES]);
      const sfValues = (field: string): string[] =>
        [
          ...fs
            .readFileSync(
              path.resolve(HS, `../salesforce/force-app/main/default/objects/Contact/fields/${field}.field-meta.xml`),
              'utf8',
            )
            .matchAll(/<value>\s*<fullName>([^<]+)<\/fullName>/g),
        ].map((m) => m[1]!);
      expect(sfValues('Influence_Reason_Codes__c')).to.deep.equal(options('influence_reason_codes'));
      expect(sfValues('Influence_Tier__c')).to.deep.equal(options('influence_tier'));
      expect(sfValues('Influence_Trend__c')).to.deep.equal(options('influence_trend'));
      // Salesforce shows confidence capitalised (SANDBOX.md); same values otherwise.
      expect(sfValues('Influence_Confidence__c').map((v) => v.toLowerCase())).to.deep.equal(
        options('influence_confidence'),
      );
    });

    it('the card reads only properties that are defined', () => {
      const defined = new Set(DEFINITIONS.properties.map((p) => p.name));
      for (const name of CARD_PROPERTIES) expect(defined.has(name), name).to.equal(true);
    });
  });

  describe('CRM card', () => {
    const scored = {
      influence_score: '72',
      influence_tier: 'B',
      influence_confidence: 'medium',
      influence_trend: 'Rising',
      influence_top_factors:
        '+12 Bluesky: median 42 reposts and replies per post (90 days)\n+8 GitHub: 1,200 stars on own repositories',
      influence_scored_at: '1767225600000',
      influence_org_percentile: '91',
    };
    const result = (properties: Record<string, string | null>) => ({
      properties,
      error: null,
      isLoading: false,
      isRefetching: false,
      refetch: async () => {},
    });

    it('renders score, tier, confidence, trend and top factors on the contact sidebar', () => {
      const { render, mocks } = createRenderer('crm.record.sidebar');
      mocks.useCrmProperties.nextResult(result(scored));
      const root = render(createElement(InfluenceCard));
      const items = Object.fromEntries(
        root
          .findAll(DescriptionListItem)
          .map((i) => [i.props.label, i.maybeFind(Text)?.text ?? i.find(StatusTag).text]),
      );
      expect(items).to.deep.equal({ Score: '72 / 100', Tier: 'B', Confidence: 'Medium confidence', Trend: '↑ Rising' });
      expect(root.find(StatusTag).props.variant).to.equal('info');
      expect(
        root
          .find(List)
          .findAll(Text)
          .map((t) => t.text),
      ).to.deep.equal([
        '+12 Bluesky: median 42 reposts and replies per post (90 days)',
        '+8 GitHub: 1,200 stars on own repositories',
      ]);
      expect(root.find(Text, { variant: 'microcopy' }).text).to.equal(
        'Scored 2026-01-01 · higher than 91% of scored contacts',
      );
      expect(mocks.useCrmProperties.calls[0]?.[0]).to.deep.equal([...CARD_PROPERTIES]);
    });

    it('shows why a contact is unscored, a spinner while loading and an error state on failure', () => {
      const unscored = createRenderer('crm.record.sidebar');
      unscored.mocks.useCrmProperties.nextResult(result({ influence_score: null, influence_tier: 'Unscored' }));
      const root = unscored.render(createElement(InfluenceCard));
      expect(root.find(EmptyState).find(Text).text).to.include('No usable public social profile');

      const loading = createRenderer('crm.record.sidebar');
      loading.mocks.useCrmProperties.nextResult({ ...result({}), isLoading: true });
      expect(loading.render(createElement(InfluenceCard)).maybeFind(LoadingSpinner)).to.not.equal(null);

      const failed = createRenderer('crm.record.sidebar');
      failed.mocks.useCrmProperties.nextResult({ ...result({}), error: new Error('403') });
      expect(failed.render(createElement(InfluenceCard)).find(ErrorState).find(Text).text).to.include(
        'fields check --crm hubspot',
      );
    });

    it('view model: epoch-ms and ISO dates, missing values, never-scored contacts', () => {
      expect(formatScoredAt('2026-03-05T10:00:00Z')).to.equal('2026-03-05');
      expect(formatScoredAt('not a date')).to.equal(null);
      expect(influenceView({}).kind).to.equal('unscored');
      const view = influenceView({ influence_score: '5', influence_top_factors: '' });
      expect(view).to.deep.include({ kind: 'scored', score: 5, tier: '—', trend: '—', factors: [], footnote: '' });
    });
  });
});
