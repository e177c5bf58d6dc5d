// installFields / checkSetup against the sandbox portal: idempotent, conflicts reported with their fix, scopes.
import { expect } from 'chai';

import { loadPropertyManifest } from '../../../connectors/hubspot/manifest.ts';
import { connectorFor, portalsForSuite } from './helpers.ts';

describe('HubSpot connector: properties', function () {
  this.timeout(20_000);
  const portal = portalsForSuite({ installFields: false });
  const manifest = loadPropertyManifest();

  it('installs the group and every manifest property, and a second install changes nothing', async () => {
    const sandbox = await portal(10);
    const connector = connectorFor(sandbox);
    const before = await connector.checkSetup();
    expect(before.ok).to.equal(false);
    expect(before.problems.map((p) => p.code)).to.include('PROPERTY_MISSING');
    expect(before.problems.find((p) => p.code === 'PROPERTY_MISSING')?.fix).to.match(/fields install --crm hubspot/);

    const first = await connector.installFields();
    expect(first.problems).to.deep.equal([]);
    expect(first.ok).to.equal(true);
    expect(first.fields).to.have.length(8);
    expect(first.fields.every((f) => f.exists && f.writable)).to.equal(true);
    expect(first.missingScopes).to.deep.equal([]);
    const created = sandbox.counters.calls['POST /crm/v3/properties/contacts'];
    expect(created).to.equal(manifest.properties.length);

    const readsBefore = sandbox.counters.calls['GET /crm/v3/properties/contacts/{id}'] ?? 0;
    const second = await connector.installFields();
    expect(second.ok).to.equal(true);
    expect(second.problems).to.deep.equal([]);
    expect(sandbox.counters.calls['POST /crm/v3/properties/contacts/groups']).to.equal(2);
    // Every create of the second install met a 409 and was read back and compared.
    expect(sandbox.counters.calls['POST /crm/v3/properties/contacts']).to.equal(2 * manifest.properties.length);
    expect((sandbox.counters.calls['GET /crm/v3/properties/contacts/{id}'] ?? 0) - readsBefore).to.equal(
      manifest.properties.length,
    );
    const all = await fetch(`${sandbox.url}/crm/v3/properties/contacts`, {
      headers: { Authorization: `Bearer ${sandbox.env.HUBSPOT_ACCESS_TOKEN}` },
    });
    const names = ((await all.json()) as { results: { name: string }[] }).results.map((p) => p.name);
    expect(names.length).to.equal(new Set(names).size);
    expect(names).to.include.members(manifest.properties.map((p) => p.name));
  });

  it("shows the admin's tier labels on the tier property, keeping its values; unchanged labels cost one read, no write", async () => {
    const sandbox = await portal(10, {}, true);
    const connector = connectorFor(sandbox);
    const tierOptions = async () => {
      const response = await fetch(`${sandbox.url}/crm/v3/properties/contacts/influence_tier`, {
        headers: { Authorization: `Bearer ${sandbox.env.HUBSPOT_ACCESS_TOKEN}` },
      });
      return ((await response.json()) as { options: { label: string; value: string }[] }).options.map(
        (o) => `${o.value}=${o.label}`,
      );
    };
    const labels = { A: 'Hot', B: 'Warm', C: 'Mild', D: 'Cold', Unscored: 'No profile' };
    expect(await connector.applyTierLabels(labels)).to.equal(true);
    expect(await tierOptions()).to.deep.equal(['A=Hot', 'B=Warm', 'C=Mild', 'D=Cold', 'Unscored=No profile']);
    expect(await connector.applyTierLabels(labels)).to.equal(false);
    expect(sandbox.counters.calls['PATCH /crm/v3/properties/contacts/{id}']).to.equal(1);
    // Values are what we write: a record still takes "A".
    const [written] = await connector.writeScores([
      {
        objectType: 'contact',
        id: '1',
        fields: {
          score: 80,
          tier: 'A',
          confidence: 'high',
          scoredAt: new Date().toISOString(),
          topFactors: null,
          reasonCodes: [],
          trend: 'New',
          orgPercentile: null,
        },
      },
    ]);
    expect(written).to.deep.include({ ok: true });
    expect(sandbox.control.value('1', 'influence_tier')).to.equal('A');
    expect(await connector.applyTierLabels({ A: 'A', B: 'B', C: 'C', D: 'D', Unscored: 'Unscored' })).to.equal(true);
    expect(await tierOptions()).to.deep.equal(['A=A', 'B=B', 'C=C', 'D=D', 'Unscored=Unscored']);
  });

  it('reports a conflicting existing property (wrong type, missing options) with the fix, and changes nothing', async () => {
    const sandbox = await portal(10);
    const post = (body: unknown) =>
      fetch(`${sandbox.url}/crm/v3/properties/contacts`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${sandbox.env.HUBSPOT_ACCESS_TOKEN}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect(
      (
        await post({
          name: 'influence_tier',
          label: 'Tier (ours)',
          type: 'string',
          fieldType: 'text',
          groupName: 'contactinformation',
        })
      ).status,
    ).to.equal(201);
    expect(
      (
        await post({
          name: 'influence_trend',
          label: 'Trend',
          type: 'enumeration',
          fieldType: 'select',
          groupName: 'contactinformation',
          options: ['Rising', 'Stable', 'Falling'].map((v) => ({ label: v, value: v, hidden: false })),
        })
      ).status,
    ).to.equal(201);
    const report = await connectorFor(sandbox).installFields();
    expect(report.ok).to.equal(false);
    const tier = report.problems.find((p) => p.message.includes('influence_tier'));
    expect(tier?.code).to.equal('PROPERTY_TYPE_MISMATCH');
    expect(tier?.message).to.match(/type string .* needs enumeration/);
    expect(tier?.fix).to.match(/delete or rename .*influence_tier.*fields install --crm hubspot/);
    const trend = report.problems.find((p) => p.message.includes('influence_trend'));
    expect(trend?.code).to.equal('PROPERTY_OPTIONS_MISSING');
    expect(trend?.message).to.include('"New"');
    expect(report.fields.find((f) => f.crmField === 'influence_tier')?.writable).to.equal(false);
    expect(report.fields.find((f) => f.crmField === 'influence_score')?.writable).to.equal(true);
    expect(sandbox.control.value('1', 'influence_tier')).to.equal(null);
  });

  it('names the scopes a token lacks', async () => {
    const sandbox = await portal(5, {
      privateAppScopes: ['crm.objects.contacts.read', 'crm.objects.contacts.write', 'crm.schemas.contacts.read'],
    });
    const report = await connectorFor(sandbox).checkSetup();
    expect(report.missingScopes).to.deep.equal(['crm.schemas.contacts.write']);
    expect(report.problems.find((p) => p.code === 'MISSING_SCOPES')?.fix).to.include('crm.schemas.contacts.write');
    expect(report.budget?.limit).to.equal(1_000_000);
  });
});
