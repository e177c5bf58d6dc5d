// `crm-influence doctor --crm hubspot` against a sandbox portal: the webhook check says what stops HubSpot from
// reaching `serve` (a localhost address, an app manifest pointing elsewhere) and how to fix it.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { expect } from 'chai';

import { webhookSetupProblems } from '../../../connectors/hubspot/webhook.ts';
import type { HubSpotSandbox } from '../../../src/sandbox/hubspot/index.ts';
import { startPortal } from '../../connectors/hubspot/helpers.ts';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/crm-influence.js');

function doctor(env: Record<string, string>): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, 'doctor', '--crm', 'hubspot'], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', CRM_INFLUENCE_LOG_LEVEL: 'silent', ...env },
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.on('close', (code) => resolve({ code, stdout }));
  });
}

describe('doctor: HubSpot webhooks', function () {
  this.timeout(60_000);
  let dir: string;
  let sandbox: HubSpotSandbox;
  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'crm-influence-doctor-hs-'));
    sandbox = await startPortal(10);
  });
  after(async () => {
    await sandbox.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const env = (extra: Record<string, string>) => ({
    CRM_INFLUENCE_DB: path.join(dir, 'doctor.db'),
    HUBSPOT_BASE_URL: sandbox.url,
    HUBSPOT_ACCESS_TOKEN: sandbox.env.HUBSPOT_ACCESS_TOKEN,
    ...extra,
  });

  it('says webhooks are off without the client secret, and what that costs', async () => {
    const { stdout } = await doctor(env({}));
    expect(stdout).to.match(
      /✓ hubspot: webhooks: off \(no HUBSPOT_CLIENT_SECRET\).*privacy deletions only reach us through webhooks/,
    );
  });

  it('fails on a localhost address HubSpot cannot reach, and names the tunnel', async () => {
    const { code, stdout } = await doctor(
      env({
        HUBSPOT_CLIENT_SECRET: sandbox.env.HUBSPOT_CLIENT_SECRET,
        CRM_INFLUENCE_PUBLIC_URL: 'http://localhost:3000',
      }),
    );
    expect(code).to.equal(1);
    expect(stdout).to.match(
      /✗ hubspot: webhooks: HubSpot delivers webhooks only to a public https URL; it cannot reach http:\/\/localhost:3000/,
    );
    expect(stdout).to.match(/fix: run `crm-influence serve` behind a tunnel/);
  });

  it('names an app manifest that sends webhooks elsewhere', () => {
    expect(
      webhookSetupProblems({
        publicUrl: 'https://influence.acme.test',
        manifestTargetUrl: 'https://crm-influence.example.com/webhooks/hubspot',
      }).map((p) => p.code),
    ).to.deep.equal(['WEBHOOK_TARGET_MISMATCH']);
    expect(
      webhookSetupProblems({
        publicUrl: 'https://influence.acme.test/',
        manifestTargetUrl: 'https://influence.acme.test/webhooks/hubspot',
      }),
    ).to.deep.equal([]);
    expect(webhookSetupProblems({ publicUrl: 'https://10.0.0.8', manifestTargetUrl: undefined })[0]?.code).to.equal(
      'WEBHOOK_NOT_REACHABLE',
    );
  });
});
