// The webhook handler mounted on a real HTTP server, fed by the sandbox portal's deliveries (object.* events in
// batches, duplicates, retries, as HubSpot sends them) and by forgeries and replays.
import type { Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

import { expect } from 'chai';
import express from 'express';

import type { PortalActions, WebhookEvent, WebhookHandlerOptions } from '../../../connectors/hubspot/webhook.ts';
import {
  createHubSpotWebhookHandler,
  signV3,
  verifySignatureV3,
  webhookActions,
} from '../../../connectors/hubspot/webhook.ts';
import type { HubSpotSandbox, HubSpotSandboxOptions } from '../../../src/sandbox/hubspot/index.ts';
import { startPortal } from './helpers.ts';

const clientSecret = 'sandbox-client-secret-for-webhooks';

interface Receiver {
  url: string;
  actions: PortalActions[];
  sandbox: HubSpotSandbox;
}

/** A receiving server with the handler and a sandbox portal delivering to it; both closed after the suite. */
function receivers() {
  const open: { server: Server; sandbox: HubSpotSandbox }[] = [];
  after(async () => {
    for (const { server, sandbox } of open) {
      await sandbox.close();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
  return async (
    handler: Partial<WebhookHandlerOptions> = {},
    portal: Partial<HubSpotSandboxOptions> = {},
  ): Promise<Receiver> => {
    const actions: PortalActions[] = [];
    const app = express();
    // Mounted before any JSON parser, as the admin server does: the signature covers the raw bytes.
    app.post(
      '/webhooks/hubspot',
      createHubSpotWebhookHandler({ clientSecret, onEvents: (a) => void actions.push(a), ...handler }),
    );
    const server = createServer(app);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/hubspot`;
    const sandbox = await startPortal(300, { webhookTargetUrl: url, clientSecret, ...portal });
    open.push({ server, sandbox });
    return { url, actions, sandbox };
  };
}

function signedHeaders(url: string, body: string, timestamp = String(Date.now())) {
  return {
    'Content-Type': 'application/json',
    'X-HubSpot-Signature-v3': signV3(clientSecret, 'POST', url, body, timestamp),
    'X-HubSpot-Request-Timestamp': timestamp,
  };
}

const rescored = (actions: PortalActions[]) => actions.flatMap((a) => a.rescore);

describe('HubSpot webhook handler', function () {
  this.timeout(30_000);
  const receiver = receivers();

  it('takes object.* events (objectTypeId 0-1), as a developer-project app receives them', async () => {
    const r = await receiver();
    await r.sandbox.control.editContact('5', { github_handle: 'octocat' });
    const id = await r.sandbox.control.createContact({ email: 'new.person@example.com' });
    expect(r.actions).to.deep.equal([
      { portalId: 1234567, rescore: ['5'], forget: [] },
      { portalId: 1234567, rescore: [id], forget: [] },
    ]);
  });

  it('takes the legacy contact.* events too', async () => {
    const r = await receiver({}, { webhookStyle: 'legacy' });
    await r.sandbox.control.editContact('6', { bluesky_handle: 'ada.bsky.social' });
    expect(rescored(r.actions)).to.deep.equal(['6']);
  });

  it('ignores changes to our own influence properties and to other object types', async () => {
    const r = await receiver();
    const delivery = await r.sandbox.control.emitWebhook([
      { subscriptionType: 'object.propertyChange', objectTypeId: '0-1', objectId: 7, propertyName: 'influence_score' },
      { subscriptionType: 'object.creation', objectTypeId: '0-2', objectId: 8 },
      { subscriptionType: 'company.creation', objectId: 9 },
    ]);
    expect(delivery.status).to.equal(204);
    expect(r.actions).to.deep.equal([]);
  });

  it('acts on each event once when HubSpot sends batches twice (at-least-once delivery)', async () => {
    const r = await receiver({}, { webhookDuplicateEvery: 1 });
    const ids = Array.from({ length: 250 }, (_, i) => i + 1);
    const report = await r.sandbox.control.deliverWebhooks(ids.map((objectId) => ({ kind: 'creation', objectId })));
    // 250 events → 3 batches of ≤ 100, each sent twice; the copies are answered 204 and change nothing.
    expect(report).to.deep.equal({ batches: 3, attempts: 6, dropped: 0 });
    expect(
      rescored(r.actions)
        .map(Number)
        .sort((a, b) => a - b),
    ).to.deep.equal(ids);
  });

  it('answers 503 when storing fails, so HubSpot retries; the retry is stored once', async () => {
    let failures = 1;
    const stored: string[] = [];
    const r = await receiver({
      onEvents: (a) => {
        if (failures-- > 0) throw new Error('database is locked');
        stored.push(...a.rescore);
      },
    });
    const report = await r.sandbox.control.deliverWebhooks([{ kind: 'creation', objectId: 42 }]);
    expect(report).to.deep.equal({ batches: 1, attempts: 2, dropped: 0 });
    expect(stored).to.deep.equal(['42']);
  });

  it('answers before HubSpot times out (5 s): slow storage gets a 503 and the retry is not stored twice', async () => {
    let calls = 0;
    const r = await receiver({
      answerDeadlineMs: 100,
      onEvents: async () => {
        calls += 1;
        await new Promise((resolve) => setTimeout(resolve, 300));
      },
    });
    const started = Date.now();
    const body = JSON.stringify(
      r.sandbox.control.completeWebhook([{ subscriptionType: 'contact.creation', objectId: 3 }]),
    );
    const first = await fetch(r.url, { method: 'POST', body, headers: signedHeaders(r.url, body) });
    expect(first.status).to.equal(503);
    expect(first.headers.get('retry-after')).to.equal('60');
    expect(Date.now() - started).to.be.below(1_000);
    await new Promise((resolve) => setTimeout(resolve, 400));
    // HubSpot's retry: same events, new timestamp and signature.
    const retry = await fetch(r.url, {
      method: 'POST',
      body,
      headers: signedHeaders(r.url, body, String(Date.now() + 1)),
    });
    expect(retry.status).to.equal(204);
    expect(calls).to.equal(1);
  });

  it('forgets deleted, merged-away and GDPR-deleted contacts and re-scores restored and surviving ones', async () => {
    const r = await receiver();
    await r.sandbox.control.deleteContact('10');
    await r.sandbox.control.restoreContact('10');
    await r.sandbox.control.mergeContacts('20', '21');
    await r.sandbox.control.gdprDeleteContact('30');
    expect(r.actions).to.deep.equal([
      { portalId: 1234567, rescore: [], forget: [{ id: '10', reason: 'deleted' }] },
      { portalId: 1234567, rescore: ['10'], forget: [] },
      { portalId: 1234567, rescore: ['20'], forget: [{ id: '21', reason: 'merged', mergedInto: '20' }] },
      { portalId: 1234567, rescore: [], forget: [{ id: '30', reason: 'privacy_deletion' }] },
    ]);
  });

  it('rejects a stale delivery (older than 5 minutes)', async () => {
    const r = await receiver();
    const delivery = await r.sandbox.control.emitWebhook([{ subscriptionType: 'contact.creation', objectId: 3 }], {
      timestampOverride: Date.now() - 6 * 60_000,
    });
    expect(delivery.status).to.equal(401);
    expect(delivery.body).to.match(/5-minute window/);
    expect(r.actions).to.deep.equal([]);
  });

  it('rejects a forged signature, a body changed after signing and an unsigned delivery', async () => {
    const r = await receiver();
    const body = JSON.stringify([
      { eventId: 1, portalId: 1, occurredAt: Date.now(), subscriptionType: 'contact.creation', objectId: 9 },
    ]);
    const timestamp = String(Date.now());
    const forged = await fetch(r.url, {
      method: 'POST',
      body,
      headers: {
        ...signedHeaders(r.url, body, timestamp),
        'X-HubSpot-Signature-v3': signV3('wrong-secret', 'POST', r.url, body, timestamp),
      },
    });
    expect(forged.status).to.equal(401);
    const tampered = await fetch(r.url, {
      method: 'POST',
      body: body.replace('"objectId":9', '"objectId":10'),
      headers: signedHeaders(r.url, body, timestamp),
    });
    expect(tampered.status).to.equal(401);
    const unsigned = await fetch(r.url, { method: 'POST', body, headers: { 'Content-Type': 'application/json' } });
    expect(unsigned.status).to.equal(401);
    expect(r.actions).to.deep.equal([]);
  });

  it('rejects a replay, also when the signature is re-encoded (+!, =, no padding, a space)', async () => {
    const r = await receiver();
    const body = JSON.stringify([
      { eventId: 2, portalId: 1, occurredAt: Date.now(), subscriptionType: 'contact.creation', objectId: 11 },
    ]);
    const headers = signedHeaders(r.url, body);
    const signature = headers['X-HubSpot-Signature-v3'];
    expect((await fetch(r.url, { method: 'POST', body, headers })).status).to.equal(204);
    const spellings = [
      signature,
      `${signature}!`,
      `${signature}=`,
      signature.replace(/=+$/, ''),
      `${signature.slice(0, 8)} ${signature.slice(8)}`,
      `+${signature}`,
    ];
    for (const spelling of spellings) {
      const replay = await fetch(r.url, {
        method: 'POST',
        body,
        headers: { ...headers, 'X-HubSpot-Signature-v3': spelling },
      });
      expect(replay.status, spelling).to.equal(401);
      expect(await replay.text(), spelling).to.match(/replayed|not base64|does not match/);
    }
    expect(rescored(r.actions)).to.deep.equal(['11']);
  });

  it('answers 400 for a signed body that is not a HubSpot event array', async () => {
    const r = await receiver();
    const body = JSON.stringify({ hello: 'world' });
    const response = await fetch(r.url, { method: 'POST', body, headers: signedHeaders(r.url, body) });
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
    expect(verifySignatureV3(base).ok).to.equal(true);
    expect(verifySignatureV3({ ...base, signature: 'AAAA' }).ok).to.equal(false);
    expect(verifySignatureV3({ ...base, now: now + 300_001 }).ok).to.equal(false);
    expect(verifySignatureV3({ ...base, now: now - 300_001 }).ok).to.equal(false);
    expect(verifySignatureV3({ ...base, timestamp: undefined }).ok).to.equal(false);
  });
});

describe('webhookActions', () => {
  const watched = new Set(['github_handle']);
  let nextId = 1;
  const event = (e: Partial<WebhookEvent> & Pick<WebhookEvent, 'subscriptionType'>): WebhookEvent => ({
    eventId: nextId++,
    portalId: 1,
    occurredAt: 1_000 + nextId,
    objectTypeId: '0-1',
    ...e,
  });

  it('applies events in the order they happened, whatever order they arrive in', () => {
    const deleted = event({ subscriptionType: 'object.deletion', objectId: 5, occurredAt: 10 });
    const restored = event({ subscriptionType: 'object.restore', objectId: 5, occurredAt: 20 });
    expect(webhookActions([restored, deleted], watched)).to.deep.equal([{ portalId: 1, rescore: ['5'], forget: [] }]);
  });

  it('never brings back a contact erased for privacy, and groups events by portal', () => {
    const actions = webhookActions(
      [
        event({ subscriptionType: 'contact.privacyDeletion', objectId: 5, occurredAt: 10, objectTypeId: undefined }),
        event({
          subscriptionType: 'object.propertyChange',
          objectId: 5,
          occurredAt: 20,
          propertyName: 'github_handle',
        }),
        event({ subscriptionType: 'object.creation', objectId: 6, portalId: 2 }),
      ],
      watched,
    );
    expect(actions).to.deep.equal([
      { portalId: 1, rescore: [], forget: [{ id: '5', reason: 'privacy_deletion' }] },
      { portalId: 2, rescore: ['6'], forget: [] },
    ]);
  });

  it('a merge into a new record forgets both merged contacts and re-scores the new one', () => {
    const actions = webhookActions(
      [
        event({
          subscriptionType: 'object.merge',
          objectId: 9,
          primaryObjectId: 7,
          mergedObjectIds: [8],
          newObjectId: 9,
        }),
      ],
      watched,
    );
    expect(actions).to.deep.equal([
      {
        portalId: 1,
        rescore: ['9'],
        forget: [
          { id: '8', reason: 'merged', mergedInto: '9' },
          { id: '7', reason: 'merged', mergedInto: '9' },
        ],
      },
    ]);
  });
});
