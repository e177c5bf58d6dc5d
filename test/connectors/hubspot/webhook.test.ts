// The webhook handler mounted on a real HTTP server, fed by the sandbox's signed deliveries and by forgeries.
import type { Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

import { expect } from 'chai';
import express from 'express';

import { createHubSpotWebhookHandler, verifySignatureV3 } from '../../../connectors/hubspot/index.ts';
import { signV3 } from '../../../connectors/hubspot/webhook.ts';
import type { HubSpotSandbox } from '../../../src/sandbox/hubspot/index.ts';
import { startPortal } from './helpers.ts';

describe('HubSpot webhook handler', function () {
  this.timeout(20_000);
  let server: Server;
  let url: string;
  let sandbox: HubSpotSandbox;
  const queued: string[][] = [];
  const clientSecret = 'sandbox-client-secret-for-webhooks';

  before(async () => {
    const app = express();
    // Mounted before any JSON parser, as the admin server will: the signature covers the raw bytes.
    app.post(
      '/webhooks/hubspot',
      createHubSpotWebhookHandler({ clientSecret, onContacts: (ids) => void queued.push(ids) }),
    );
    server = createServer(app);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/hubspot`;
    sandbox = await startPortal(20, { webhookTargetUrl: url, clientSecret });
  });
  after(async () => {
    await sandbox.close();
    await new Promise<void>((r) => server.close(() => r()));
  });
  beforeEach(() => {
    queued.length = 0;
  });

  it('accepts a valid signed delivery and queues the changed contact', async () => {
    await sandbox.control.editContact('5', { github_handle: 'octocat' });
    const id = await sandbox.control.createContact({ email: 'new.person@example.com' });
    expect(queued).to.deep.equal([['5'], [id]]);
  });

  it('ignores changes to our own influence properties (no re-scoring loop)', async () => {
    const delivery = await sandbox.control.emitWebhook([
      { subscriptionType: 'contact.propertyChange', objectId: 7, propertyName: 'influence_score', propertyValue: '80' },
    ]);
    expect(delivery.status).to.equal(204);
    expect(queued).to.deep.equal([]);
  });

  it('rejects a stale delivery (older than 5 minutes)', async () => {
    const delivery = await sandbox.control.emitWebhook([{ subscriptionType: 'contact.creation', objectId: 3 }], {
      timestampOverride: Date.now() - 6 * 60_000,
    });
    expect(delivery.status).to.equal(401);
    expect(delivery.body).to.match(/5-minute window/);
    expect(queued).to.deep.equal([]);
  });

  it('rejects a forged signature and a body changed after signing', async () => {
    const body = JSON.stringify([
      { eventId: 1, portalId: 1, occurredAt: Date.now(), subscriptionType: 'contact.creation', objectId: 9 },
    ]);
    const timestamp = String(Date.now());
    const forged = await fetch(url, {
      method: 'POST',
      body,
      headers: {
        'Content-Type': 'application/json',
        'X-HubSpot-Signature-v3': signV3('wrong-secret', 'POST', url, body, timestamp),
        'X-HubSpot-Request-Timestamp': timestamp,
      },
    });
    expect(forged.status).to.equal(401);
    const tampered = await fetch(url, {
      method: 'POST',
      body: body.replace('"objectId":9', '"objectId":10'),
      headers: {
        'Content-Type': 'application/json',
        'X-HubSpot-Signature-v3': signV3(clientSecret, 'POST', url, body, timestamp),
        'X-HubSpot-Request-Timestamp': timestamp,
      },
    });
    expect(tampered.status).to.equal(401);
    const unsigned = await fetch(url, { method: 'POST', body, headers: { 'Content-Type': 'application/json' } });
    expect(unsigned.status).to.equal(401);
    expect(queued).to.deep.equal([]);
  });

  it('rejects a replay of a valid delivery', async () => {
    const body = JSON.stringify([
      { eventId: 2, portalId: 1, occurredAt: Date.now(), subscriptionType: 'contact.creation', objectId: 11 },
    ]);
    const timestamp = String(Date.now());
    const headers = {
      'Content-Type': 'application/json',
      'X-HubSpot-Signature-v3': signV3(clientSecret, 'POST', url, body, timestamp),
      'X-HubSpot-Request-Timestamp': timestamp,
    };
    expect((await fetch(url, { method: 'POST', body, headers })).status).to.equal(204);
    const replay = await fetch(url, { method: 'POST', body, headers });
    expect(replay.status).to.equal(401);
    expect(await replay.text()).to.match(/replayed/);
    expect(queued).to.deep.equal([['11']]);
  });

  it('answers 400 for a signed body that is not a HubSpot event array', async () => {
    const body = JSON.stringify({ hello: 'world' });
    const timestamp = String(Date.now());
    const response = await fetch(url, {
      method: 'POST',
      body,
      headers: {
        'Content-Type': 'application/json',
        'X-HubSpot-Signature-v3': signV3(clientSecret, 'POST', url, body, timestamp),
        'X-HubSpot-Request-Timestamp': timestamp,
      },
    });
    expect(response.status).to.equal(400);
  });

  it('verifySignatureV3 compares in constant time and only within ±5 minutes', () => {
    const now = Date.now();
    const sig = signV3('s', 'POST', 'https://x.test/h', '[]', String(now));
    const base = {
      clientSecret: 's',
      method: 'POST',
      uri: 'https://x.test/h',
      body: '[]',
      timestamp: String(now),
      signature: sig,
      now,
    };
    expect(verifySignatureV3(base)).to.deep.equal({ ok: true });
    expect(verifySignatureV3({ ...base, signature: 'AAAA' }).ok).to.equal(false);
    expect(verifySignatureV3({ ...base, now: now + 300_001 }).ok).to.equal(false);
    expect(verifySignatureV3({ ...base, now: now - 300_001 }).ok).to.equal(false);
    expect(verifySignatureV3({ ...base, timestamp: undefined }).ok).to.equal(false);
  });
});
