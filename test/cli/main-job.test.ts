import { expect } from 'chai';

import { mainJobArgs } from '../../src/cli/main-job.ts';
import { loadConfig } from '../../src/config.ts';

describe('cli: the main job (npm start)', () => {
  it('runs the sandbox demo when no CRM credentials are set, passing extra flags on', () => {
    expect(mainJobArgs(loadConfig({}), ['--no-ui'])).to.deep.equal(['demo', '--no-ui']);
  });

  it('syncs Salesforce when its instance URL and a token are set', () => {
    const config = loadConfig({
      SALESFORCE_INSTANCE_URL: 'https://acme.my.salesforce.com',
      SALESFORCE_ACCESS_TOKEN: '00Dxx!token',
    });
    expect(mainJobArgs(config, [])).to.deep.equal(['sync', '--crm', 'salesforce']);
  });

  it('syncs HubSpot when a private-app token is set', () => {
    expect(mainJobArgs(loadConfig({ HUBSPOT_ACCESS_TOKEN: 'pat-na1-abc' }), ['--once'])).to.deep.equal([
      'sync',
      '--crm',
      'hubspot',
      '--once',
    ]);
  });

  it('refuses to guess when both CRMs are configured, naming the commands to choose', () => {
    const config = loadConfig({
      SALESFORCE_INSTANCE_URL: 'https://acme.my.salesforce.com',
      SALESFORCE_ACCESS_TOKEN: 't',
      HUBSPOT_ACCESS_TOKEN: 'pat',
    });
    expect(() => mainJobArgs(config, [])).to.throw(/--crm salesforce/);
  });
});
