// Settings: tier display labels (into the scoring options the runtime's model reads) and the field mapping (into
// the settings each connector opens with), zod-validated, saved per connection and shown in the dry-run preview.
import { expect } from 'chai';

import { ScoringOptionsSchema } from '../../src/scoring/options.ts';
import type { TestServer } from './helpers.ts';
import { Client, startTestServer, testConnection } from './helpers.ts';

const BASE = { schedule: '0 3 * * *', refreshDays: 7, tierA: 65, tierB: 45, tierC: 25 };

describe('admin server settings: tier labels and field mapping', function () {
  this.timeout(30_000);
  let server: TestServer;
  let client: Client;
  let token: string;

  before(async () => {
    // As `serve` passes it: the mapping each connector reads when none is set.
    server = await startTestServer({
      defaultHandleMapping: (crm) =>
        crm === 'salesforce'
          ? [
              { field: 'X_Handle__c', network: 'x' },
              { field: 'GitHub_Handle__c', network: 'github' },
            ]
          : [],
    });
    await server.store.saveConnection(
      testConnection('sf1', 'salesforce', { settings: { salesforce: { optOut: { individual: false } } } }),
    );
    await server.store.saveConnection({
      id: 'hs1',
      crm: 'hubspot',
      name: 'Portal',
      status: 'ok',
      statusMessage: null,
      credentials: {},
      settings: {},
    });
    client = new Client(server.url);
    await client.login();
    token = await client.csrf();
  });
  after(async () => {
    await server.close();
  });

  const post = (json: Record<string, unknown>) =>
    client.request('/api/settings', { method: 'POST', json, headers: { 'x-csrf-token': token } });

  it('saves labels into the scoring options and a Salesforce mapping where the connector reads it', async () => {
    const response = await post({
      ...BASE,
      connection: 'sf1',
      action: 'save',
      tierLabelA: 'Champion',
      tierLabelB: 'Voice',
      tierLabelC: 'Member',
      tierLabelD: 'Quiet',
      fieldMapping: 'Twitter__c = x\nGH__c = GitHub\n\nProfile__c = any',
    });
    expect(response.status).to.equal(200);
    const settings = (await server.store.getConnection('sf1'))!.settings;
    const scoring = ScoringOptionsSchema.parse(settings.scoring);
    expect(scoring.tiers.labels).to.deep.equal({
      A: 'Champion',
      B: 'Voice',
      C: 'Member',
      D: 'Quiet',
      Unscored: 'Unscored',
    });
    expect(settings.salesforce).to.deep.equal({
      optOut: { individual: false },
      handleFields: [
        { field: 'Twitter__c', network: 'x' },
        { field: 'GH__c', network: 'github' },
        { field: 'Profile__c', network: 'any' },
      ],
    });
    const shown = (await (await client.request('/api/settings?connection=sf1')).json()) as {
      settings: Record<string, unknown>;
    };
    expect(shown.settings).to.deep.include({ tierLabelA: 'Champion', tierLabelD: 'Quiet' });
    expect(shown.settings.fieldMapping).to.have.length(3);
    const page = await (await client.request('/settings?connection=sf1')).text();
    expect(page).to.include('value="Champion"').and.include('GH__c = github');
    // Where the labels show: Salesforce picklist labels are the admin's to rename; HubSpot's are set by the next run.
    expect(page).to.include(
      'Setup › Object Manager › Contact (and Lead) › Fields &#38; Relationships › Influence Tier › Values',
    );
    expect(await (await client.request('/settings?connection=hs1')).text()).to.include(
      'The Influence tier property shows these labels from the next run',
    );
    // Fields, networks and overwrite modes in an admin's words, not API names.
    expect(page, 'the default mapping is shown when none is set').to.include(
      'placeholder="X_Handle__c = x\nGitHub_Handle__c = github"',
    );
    expect(await (await client.request('/settings?connection=hs1')).text()).to.include(
      'Empty: the connector&#39;s default fields.',
    );
    expect(page)
      .to.include('>Influence Top Factors</label>')
      .and.include('>GitHub</label>')
      .and.include('keep a person&#39;s edits</option>');

    // Leaving the labels and mapping out keeps them; an empty mapping goes back to the connector's defaults.
    await post({ ...BASE, connection: 'sf1', action: 'save' });
    const kept = (await server.store.getConnection('sf1'))!.settings;
    expect(ScoringOptionsSchema.parse(kept.scoring).tiers.labels.A).to.equal('Champion');
    expect((kept.salesforce as { handleFields: unknown[] }).handleFields).to.have.length(3);
    await post({ ...BASE, connection: 'sf1', action: 'save', fieldMapping: '' });
    expect((await server.store.getConnection('sf1'))!.settings.salesforce).to.deep.equal({
      optOut: { individual: false },
    });
  });

  it('saves a HubSpot mapping as the property → network record its connector reads', async () => {
    expect(
      (await post({ ...BASE, connection: 'hs1', action: 'save', fieldMapping: 'twitterhandle = x\r\nbsky = bluesky' }))
        .status,
    ).to.equal(200);
    expect((await server.store.getConnection('hs1'))!.settings.hubspot).to.deep.equal({
      handleProperties: { twitterhandle: 'x', bsky: 'bluesky' },
    });
  });

  it('rejects bad labels and mapping lines, naming the field and line, and saves nothing', async () => {
    const before = (await server.store.getConnection('hs1'))!.settings;
    const response = await post({
      ...BASE,
      connection: 'hs1',
      action: 'save',
      tierLabelA: '   ',
      tierLabelB: 'x'.repeat(41),
      fieldMapping: 'twitterhandle = x\nbad line\nother = myspace\ntwitterHandle = github',
    });
    expect(response.status).to.equal(422);
    const problems = ((await response.json()) as { problems: string[] }).problems.join('\n');
    expect(problems)
      .to.match(/tierLabelA must not be empty/)
      .and.match(/tierLabelB must be at most 40/)
      .and.match(/fieldMapping line 2 \("bad line"\)/)
      .and.match(/fieldMapping line 3 \("other = myspace"\)/)
      .and.match(/line 4: field twitterHandle is mapped twice/);
    expect((await server.store.getConnection('hs1'))!.settings).to.deep.equal(before);
  });

  it("previews with the labels in the dry run's scoring options and says when the mapping applies", async () => {
    const response = await post({
      ...BASE,
      connection: 'hs1',
      action: 'preview',
      tierLabelA: 'Star',
      fieldMapping: 'twitterhandle = x',
    });
    expect(response.status).to.equal(200);
    const body = (await response.json()) as {
      preview: { tierLabels: Record<string, string>; fieldMapping: unknown[]; fieldMappingAppliesAfterSave: boolean };
    };
    expect(body.preview.tierLabels).to.deep.equal({ A: 'Star', B: 'B', C: 'C', D: 'D' });
    expect(body.preview.fieldMapping).to.deep.equal([{ field: 'twitterhandle', network: 'x' }]);
    expect(body.preview.fieldMappingAppliesAfterSave).to.equal(true);
    const run = server.runs.at(-1)!;
    expect(run.request.dryRun).to.equal(true);
    expect(ScoringOptionsSchema.parse((run.request.settings as { scoring: unknown }).scoring).tiers.labels.A).to.equal(
      'Star',
    );
    expect((await server.store.getConnection('hs1'))!.settings.hubspot).to.deep.equal(
      { handleProperties: { twitterhandle: 'x', bsky: 'bluesky' } },
      'a preview saves nothing',
    );

    const form = new URLSearchParams({
      ...Object.fromEntries(Object.entries(BASE).map(([k, v]) => [k, String(v)])),
      connection: 'hs1',
      action: 'preview',
      _csrf: token,
      tierLabelA: 'Star',
      tierLabelB: 'B',
      tierLabelC: 'C',
      tierLabelD: 'D',
      fieldMapping: 'twitterhandle = x',
    });
    const html = await (
      await client.request('/settings', {
        method: 'POST',
        body: form,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      })
    ).text();
    expect(html)
      .to.include('(shown as &#34;Star&#34;)')
      .and.include('twitterhandle → x')
      .and.include('applies from the first run after saving');
  });
});
