// Settings: tier-change tasks on the Settings page (off by default; on, with at most N per run), saved where the
// runs read them (`settings.tierTasks`, parsed by the sync options' schema).
import { expect } from 'chai';

import { TierTasksSchema } from '../../src/sync/options.ts';
import type { TestServer } from './helpers.ts';
import { Client, startTestServer, testConnection } from './helpers.ts';

const BASE = { schedule: '0 3 * * *', refreshDays: 7, tierA: 65, tierB: 45, tierC: 25 };

describe('admin server settings: tier-change tasks', function () {
  this.timeout(30_000);
  let server: TestServer;
  let client: Client;
  let token: string;

  before(async () => {
    server = await startTestServer();
    await server.store.saveConnection(testConnection('sf1', 'salesforce'));
    client = new Client(server.url);
    await client.login();
    token = await client.csrf();
  });
  after(async () => {
    await server.close();
  });

  const post = (json: Record<string, unknown>) =>
    client.request('/api/settings', { method: 'POST', json, headers: { 'x-csrf-token': token } });

  it('shows them off by default, saves on and the cap, keeps them when left out, refuses a bad cap', async () => {
    const page = await (await client.request('/settings?connection=sf1')).text();
    expect(page).to.include('<legend>Tier-change tasks</legend>');
    expect(page).to.include('<option value="off" selected>Off</option>');
    expect(page).to.include('name="tierTasksMax" value="25"');
    expect(page).to.include('Edit Tasks');

    expect(
      (await post({ ...BASE, connection: 'sf1', action: 'save', tierTasks: 'on', tierTasksMax: '10' })).status,
    ).to.equal(200);
    const saved = (await server.store.getConnection('sf1'))!.settings;
    expect(TierTasksSchema.parse(saved.tierTasks)).to.deep.equal({ enabled: true, maxPerRun: 10 });
    expect(await (await client.request('/settings?connection=sf1')).text()).to.include(
      '<option value="on" selected>On</option>',
    );

    await post({ ...BASE, connection: 'sf1', action: 'save' });
    expect((await server.store.getConnection('sf1'))!.settings.tierTasks).to.deep.equal({
      enabled: true,
      maxPerRun: 10,
    });

    await post({ ...BASE, connection: 'sf1', action: 'save', tierTasks: 'off' });
    expect((await server.store.getConnection('sf1'))!.settings.tierTasks).to.deep.equal({
      enabled: false,
      maxPerRun: 10,
    });

    const refused = await post({ ...BASE, connection: 'sf1', action: 'save', tierTasksMax: '0' });
    expect(refused.status).to.equal(422);
    expect(await refused.text()).to.include('tierTasksMax must be at least 1');
  });
});
