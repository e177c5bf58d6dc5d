// `crm-influence fields check|install` against the sandbox CRMs with the real connectors: an org/portal with the
// fields, one without them, and one where the integration user cannot edit a field.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { expect } from 'chai';

import { HubSpotConnector } from '../../../connectors/hubspot/index.ts';
import { SalesforceConnector } from '../../../connectors/salesforce/index.ts';
import { describeFields, FIELD_FIXES, runFields } from '../../../src/cli/commands/fields.ts';
import type { HubSpotSandbox } from '../../../src/sandbox/hubspot/index.ts';
import { startHubSpotSandbox } from '../../../src/sandbox/hubspot/index.ts';
import { createPopulation } from '../../../src/sandbox/population.ts';
import type { SalesforceSandbox } from '../../../src/sandbox/salesforce/index.ts';
import { startSalesforceSandbox } from '../../../src/sandbox/salesforce/index.ts';

const population = createPopulation({ seed: 'fields-cli', size: 20 });
const BIN = path.resolve(import.meta.dirname, '../../../bin/crm-influence.js');

/** The real command in a child process (async: the sandbox answers from this process meanwhile). */
function cli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      {
        timeout: 60_000,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', CRM_INFLUENCE_LOG_LEVEL: 'silent', ...env },
      },
      (error, stdout, stderr) => {
        resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stdout, stderr });
      },
    );
  });
}

function salesforceConnector(sandbox: SalesforceSandbox): SalesforceConnector {
  return new SalesforceConnector(
    {
      instanceUrl: sandbox.env.SALESFORCE_INSTANCE_URL!,
      loginUrl: sandbox.env.SALESFORCE_LOGIN_URL!,
      clientId: sandbox.env.SALESFORCE_CLIENT_ID!,
      clientSecret: sandbox.env.SALESFORCE_CLIENT_SECRET!,
      accessToken: sandbox.env.SALESFORCE_ACCESS_TOKEN!,
      refreshToken: sandbox.env.SALESFORCE_REFRESH_TOKEN!,
    },
    { sleep: () => Promise.resolve() },
  );
}

function hubspotConnector(sandbox: HubSpotSandbox): HubSpotConnector {
  return new HubSpotConnector({
    baseUrl: sandbox.env.HUBSPOT_BASE_URL,
    portalKey: sandbox.url,
    auth: { kind: 'private', accessToken: sandbox.env.HUBSPOT_ACCESS_TOKEN },
  });
}

describe('cli fields', () => {
  describe('salesforce', () => {
    let withFields: SalesforceSandbox;
    let withoutFields: SalesforceSandbox;
    before(async () => {
      withFields = await startSalesforceSandbox({ population, withCustomFields: true });
      withoutFields = await startSalesforceSandbox({ population, withCustomFields: false });
    });
    after(async () => {
      await withFields.close();
      await withoutFields.close();
    });

    it('check passes on an org where manifests/salesforce is deployed', async () => {
      const outcome = await runFields('salesforce', 'check', salesforceConnector(withFields));
      expect(outcome.ok, describeFields(outcome)).to.equal(true);
      expect(outcome.report.fields.length).to.equal(16); // 8 influence fields × Contact, Lead
      expect(describeFields(outcome)).to.include('all 16 influence fields present and writable');
    });

    it('check on a fresh org names every missing field and the deploy command', async () => {
      const outcome = await runFields('salesforce', 'check', salesforceConnector(withoutFields));
      expect(outcome.ok).to.equal(false);
      const text = describeFields(outcome);
      for (const object of ['Contact', 'Lead']) {
        for (const field of [
          'Influence_Score__c',
          'Influence_Tier__c',
          'Influence_Reason_Codes__c',
          'Influence_Org_Percentile__c',
        ]) {
          expect(text).to.match(new RegExp(`✗\\s+${object}\\.${field}\\s+missing`));
        }
      }
      expect(outcome.fixes[0]).to.equal(FIELD_FIXES.salesforce.missing);
      expect(text).to.include(FIELD_FIXES.salesforce.missing);
    });

    it('check names a field the integration user cannot edit and the permission-set command', async () => {
      withFields.control.setFieldUpdateable('Lead', 'Influence_Trend__c', false);
      try {
        const outcome = await runFields('salesforce', 'check', salesforceConnector(withFields));
        expect(outcome.ok).to.equal(false);
        const bad = outcome.report.fields.filter((f) => !f.writable).map((f) => `${f.objectType}.${f.crmField}`);
        expect(bad).to.deep.equal(['Lead.Influence_Trend__c']);
        expect(describeFields(outcome)).to.match(/✗\s+Lead\.Influence_Trend__c\s+not writable/);
        expect(outcome.fixes).to.include(FIELD_FIXES.salesforce.notWritable);
      } finally {
        withFields.control.setFieldUpdateable('Lead', 'Influence_Trend__c', true);
      }
    });

    it('install refuses with the deploy instructions (Salesforce fields are metadata)', async () => {
      try {
        await runFields('salesforce', 'install', salesforceConnector(withFields));
        expect.fail('install should have been refused');
      } catch (error) {
        expect((error as Error).message).to.include(FIELD_FIXES.salesforce.missing);
        expect((error as Error).message).to.include('Social_Influence_Integration');
      }
    });
  });

  describe('hubspot', () => {
    let sandbox: HubSpotSandbox;
    before(async () => {
      sandbox = await startHubSpotSandbox({ population });
    });
    after(async () => {
      await sandbox.close();
    });

    it('check on a fresh portal lists the missing properties and `fields install`; install fixes them; check passes', async () => {
      const before = await runFields('hubspot', 'check', hubspotConnector(sandbox));
      expect(before.ok).to.equal(false);
      const text = describeFields(before);
      for (const name of ['influence_score', 'influence_tier', 'influence_reason_codes', 'influence_trend']) {
        expect(text).to.match(new RegExp(`✗\\s+contact\\.${name}\\s+missing`));
      }
      expect(before.fixes[0]).to.equal(FIELD_FIXES.hubspot.missing);

      const installed = await runFields('hubspot', 'install', hubspotConnector(sandbox));
      expect(installed.ok, describeFields(installed)).to.equal(true);
      expect(describeFields(installed)).to.include('Installed: all 8 influence fields present and writable.');

      const again = await runFields('hubspot', 'install', hubspotConnector(sandbox));
      expect(again.ok, 'install is idempotent').to.equal(true);
      expect(again.changed).to.equal(false);
      expect(describeFields(again)).to.include('Nothing to change: all 8 influence fields present and writable.');

      const after = await runFields('hubspot', 'check', hubspotConnector(sandbox));
      expect(after.ok, describeFields(after)).to.equal(true);
    });

    it('check names a property deleted after install', async () => {
      await runFields('hubspot', 'install', hubspotConnector(sandbox));
      sandbox.control.deleteProperty('influence_confidence');
      const outcome = await runFields('hubspot', 'check', hubspotConnector(sandbox));
      expect(outcome.ok).to.equal(false);
      expect(outcome.report.fields.filter((f) => !f.exists).map((f) => f.crmField)).to.deep.equal([
        'influence_confidence',
      ]);
      expect(describeFields(outcome)).to.include(FIELD_FIXES.hubspot.missing);
    });
  });

  describe('the command', function () {
    this.timeout(120_000);
    let dir: string;
    let hubspot: HubSpotSandbox;
    let salesforce: SalesforceSandbox;
    before(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crm-influence-fields-'));
      hubspot = await startHubSpotSandbox({ population });
      salesforce = await startSalesforceSandbox({ population, withCustomFields: false });
    });
    after(async () => {
      await hubspot.close();
      await salesforce.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('hubspot: check exits 1 naming what is missing, install creates it, check then exits 0', async () => {
      const env = {
        HUBSPOT_BASE_URL: hubspot.env.HUBSPOT_BASE_URL,
        HUBSPOT_ACCESS_TOKEN: hubspot.env.HUBSPOT_ACCESS_TOKEN,
        CRM_INFLUENCE_DB: path.join(dir, 'hs.db'),
      };
      const before = await cli(['fields', 'check', '--crm', 'hubspot'], env);
      expect(before.code, before.stderr).to.equal(1);
      expect(before.stdout).to.match(/✗\s+contact\.influence_score\s+missing/);
      expect(before.stdout).to.include('To fix:\n  crm-influence fields install --crm hubspot');
      const doctor = await cli(['doctor', '--crm', 'hubspot'], env);
      expect(doctor.code).to.equal(1);
      expect(doctor.stdout).to.include('✗ hubspot: fields: missing: contact.influence_score, contact.influence_tier');
      expect(
        doctor.stdout.match(/influence_score\b/g),
        `doctor names each problem once:\n${doctor.stdout}`,
      ).to.have.length(1);
      const lines = doctor.stdout.split('\n').filter((line) => line.startsWith('✗'));
      expect(new Set(lines).size).to.equal(lines.length);
      const install = await cli(['fields', 'install', '--crm', 'hubspot', '--json'], env);
      expect(install.code, install.stderr).to.equal(0);
      expect(JSON.parse(install.stdout) as { ok: boolean; changed: boolean }).to.deep.include({
        ok: true,
        changed: true,
      });
      const second = await cli(['fields', 'install', '--crm', 'hubspot'], env);
      expect(second.code, second.stderr).to.equal(0);
      expect(second.stdout).to.include('Nothing to change: all 8 influence fields present and writable.');
      const after = await cli(['fields', 'check', '--crm', 'hubspot'], env);
      expect(after.code, after.stdout + after.stderr).to.equal(0);
      expect(after.stdout).to.include('all 8 influence fields present and writable.');
    });

    it('salesforce: check on an org without the fields exits 1 with the deploy command; install exits 2', async () => {
      // The connection's refresh token is stored encrypted, so the store needs a key.
      const env = {
        ...salesforce.env,
        CRM_INFLUENCE_DB: path.join(dir, 'sf.db'),
        CRM_INFLUENCE_SECRET_KEY: randomBytes(32).toString('hex'),
      };
      const check = await cli(['fields', 'check', '--crm', 'salesforce'], env);
      expect(check.code, check.stderr).to.equal(1);
      expect(check.stdout).to.match(/✗\s+Lead\.Influence_Tier__c\s+missing/);
      expect(check.stdout).to.include(FIELD_FIXES.salesforce.missing);
      const install = await cli(['fields', 'install', '--crm', 'salesforce'], env);
      expect(install.code).to.equal(2);
      expect(install.stderr).to.include(FIELD_FIXES.salesforce.missing);
    });

    it('rejects an unknown CRM with a usage error naming it', async () => {
      const crm = await cli(['fields', 'check', '--crm', 'pipedrive'], {});
      expect(crm.code).to.equal(2);
      expect(crm.stderr).to.include('--crm: must be salesforce or hubspot (got "pipedrive")');
    });
  });
});
