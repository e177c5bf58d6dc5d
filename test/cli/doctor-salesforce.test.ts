// `crm-influence doctor --crm salesforce` as an admin runs it on day one: the CLI process, signing in through the
// JWT bearer flow as a minimum-access integration user of the strict sandbox org.
import { execFile } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { expect } from 'chai';

import type { Check } from '../../src/cli/commands/doctor.ts';
import { createPopulation } from '../../src/sandbox/population.ts';
import type { IntegrationPermissions, SalesforceSandbox } from '../../src/sandbox/salesforce/index.ts';
import { startSalesforceSandbox } from '../../src/sandbox/salesforce/index.ts';
import { permissionsFrom } from '../manifests/permission-sets.ts';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/crm-influence.js');
const USERNAME = 'integration@example.com';

describe('crm-influence doctor --crm salesforce (strict sandbox org, JWT bearer flow)', function () {
  this.timeout(60_000);
  const population = createPopulation({ seed: 'cli-doctor', size: 400 });
  const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
  let dir: string;
  const sandboxes: SalesforceSandbox[] = [];

  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'crm-influence-doctor-'));
  });
  after(async () => {
    await Promise.all(sandboxes.map((s) => s.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  async function doctor(permissions: IntegrationPermissions): Promise<{ code: number; checks: Check[] }> {
    const sandbox = await startSalesforceSandbox({
      population,
      jwtPublicKey: keys.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      strict: { permissions, owned: 0.25, jwtUsers: [USERNAME] },
    });
    sandboxes.push(sandbox);
    const keyFile = path.join(dir, `key-${sandboxes.length}.pem`);
    writeFileSync(keyFile, keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), { mode: 0o600 });
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      SALESFORCE_INSTANCE_URL: sandbox.url,
      SALESFORCE_LOGIN_URL: sandbox.url,
      SALESFORCE_CLIENT_ID: sandbox.env.SALESFORCE_CLIENT_ID!,
      SALESFORCE_USERNAME: USERNAME,
      SALESFORCE_JWT_KEY: keyFile,
      CRM_INFLUENCE_DB: path.join(dir, `doctor-${sandboxes.length}.db`),
      CRM_INFLUENCE_SECRET_KEY: randomBytes(32).toString('hex'),
      CRM_INFLUENCE_LOG_LEVEL: 'silent',
    };
    // Asynchronous on purpose: the sandbox answers from this process while the CLI runs.
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        [BIN, 'doctor', '--crm', 'salesforce', '--json'],
        { env, encoding: 'utf8', timeout: 45_000 },
        (error, stdout) => {
          const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
          resolve({ code, checks: JSON.parse(stdout) as Check[] });
        },
      );
    });
  }

  it('with the shipped permission set: every Salesforce check passes; the fallbacks and the visible counts are shown', async () => {
    const { code, checks } = await doctor(permissionsFrom(['Social_Influence_Integration']));
    const salesforce = checks.filter((c) => c.name.startsWith('salesforce'));
    expect(salesforce.filter((c) => !c.ok)).to.deep.equal([]);
    expect(code).to.equal(0);
    const byName = new Map(salesforce.map((c) => [c.name, c]));
    expect(byName.get('salesforce: sign-in')!.detail).to.equal(
      `JWT bearer flow as ${USERNAME} (token from ${sandboxes[0]!.url}, audience https://login.salesforce.com)`,
    );
    expect(byName.get('salesforce: fields')!.detail).to.equal('16 influence fields present and writable');
    // View All: every record, although the user owns a quarter of them (Private sharing).
    expect(byName.get('salesforce: records visible')!.detail).to.match(/^\d+ contacts, \d+ leads$/);
    expect(byName.get('salesforce: individual_unavailable')!.detail).to.include('Influence_Do_Not_Profile__c alone');
    expect(byName.get('salesforce: visibility_unchecked')!.ok).to.equal(true);
  });

  it('with an older permission set (no e-mail grant, no View All): names the unreadable field and "can see N of M"', async () => {
    const shipped = permissionsFrom(['Social_Influence_Integration']);
    const fields = { ...shipped.fields };
    delete fields['Contact.Email'];
    const objects = Object.fromEntries(Object.entries(shipped.objects).map(([o, g]) => [o, { ...g, viewAll: false }]));
    // View Setup and Configuration lets doctor read the org's totals.
    const { code, checks } = await doctor({ userPermissions: ['ApiEnabled', 'ViewSetup'], objects, fields });
    expect(code).to.equal(1);
    const failed = checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`);
    expect(failed).to.include(
      'salesforce: field_not_readable: Contact.Email is not readable by the integration user (field-level security), and every read selects it',
    );
    expect(failed.find((f) => f.startsWith('salesforce: records_hidden'))).to.match(
      /can see \d+ of \d+ contacts and \d+ of \d+ leads: a run scores only those, without an error/,
    );
    expect(checks.find((c) => c.name === 'salesforce: records visible')!.ok).to.equal(false);
  });
});
