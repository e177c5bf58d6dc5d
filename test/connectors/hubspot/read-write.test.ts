// Reads (list first, then search windows with a keyset) and writes (batch update, 207 mapping) against the sandbox.
import { expect } from 'chai';

import { decodeCursor } from '../../../connectors/hubspot/read.ts';
import type { ScoreUpdate } from '../../../src/crm/contract.ts';
import { SetupError } from '../../../src/crm/errors.ts';
import { connectorFor, fields, portalsForSuite, readAll, readOptions } from './helpers.ts';

describe('HubSpot connector: reads and writes', function () {
  this.timeout(45_000);
  const portal = portalsForSuite({ installFields: true });
  const updatesFor = (ids: readonly string[]): ScoreUpdate[] =>
    ids.map((id) => ({ objectType: 'contact', id, fields: fields() }));

  it('first run lists every contact (100 per page); later runs search only what changed, handing over without loss', async () => {
    const sandbox = await portal(450);
    const connector = connectorFor(sandbox);
    const first = await readAll(connector, null);
    expect(first.contacts.map((c) => c.id)).to.deep.equal(Array.from({ length: 450 }, (_, i) => String(i + 1)));
    expect(first.pages).to.equal(5);
    expect(sandbox.counters.calls['GET /crm/v3/objects/contacts']).to.equal(5);
    expect(decodeCursor(first.cursor)).to.include({ phase: 'search', until: null });
    const withHandles = first.contacts.filter((c) => c.handles.length > 0);
    expect(withHandles.length).to.be.greaterThan(100);
    expect(withHandles[0]?.handles[0]).to.have.keys('field', 'network', 'value');

    await connector.writeScores(updatesFor(first.contacts.map((c) => c.id)));
    // Our own writes moved lastmodifieddate: the next window sees them once (the engine's diff writes nothing).
    const echo = await readAll(connector, first.cursor);
    expect(echo.contacts).to.have.length(450);
    expect(sandbox.counters.calls['POST /crm/v3/objects/contacts/search']).to.equal(3);

    await sandbox.control.editContact('7', { github_handle: 'octocat' });
    await sandbox.control.editContact('300', { twitterhandle: '@jack' });
    const changed = await readAll(connector, echo.cursor);
    expect(changed.contacts.map((c) => c.id)).to.deep.equal(['7', '300']);
    expect(changed.contacts[0]?.handles).to.deep.include({
      field: 'github_handle',
      network: 'github',
      value: 'octocat',
    });
    expect(changed.contacts[0]?.current).to.include({
      score: 87,
      tier: 'A',
      confidence: 'high',
      trend: 'Rising',
      orgPercentile: 97,
    });
    expect(changed.contacts[0]?.current.reasonCodes).to.deep.equal(['YOUNG_ACCOUNT', 'LARGE_REACH']);

    const nothing = await readAll(connector, changed.cursor);
    expect(nothing.contacts).to.deep.equal([]);
    expect(nothing.pages).to.equal(1);
  });

  it('includes stale and never-scored contacts, honours the opt-out property and leaves opted-out ones out of the stale set', async () => {
    const sandbox = await portal(300);
    const connector = connectorFor(sandbox);
    const first = await readAll(connector, null);
    const optedOut = first.contacts.filter((c) => c.doNotProfile).map((c) => c.id);
    expect(optedOut.length).to.be.greaterThan(0);
    for (const id of optedOut) expect(sandbox.control.value(id, 'influence_do_not_profile')).to.equal('true');
    const old = new Date(Date.now() - 30 * 24 * 3600 * 1000).toISOString();
    const ids = first.contacts.map((c) => c.id);
    await connector.writeScores(
      ids.map((id, i) => ({
        objectType: 'contact',
        id,
        fields: fields({ scoredAt: i < 10 ? old : new Date().toISOString() }),
      })),
    );
    const echo = await readAll(connector, first.cursor);
    // Time passes: nothing changes except the clock, so only the 10 stale ones (minus opted-out) come back.
    const quiet = await readAll(connector, echo.cursor);
    const staleExpected = ids.slice(0, 10).filter((id) => !optedOut.includes(id));
    expect(quiet.contacts.map((c) => c.id)).to.deep.equal(staleExpected);
    await sandbox.control.editContact('250', { influence_do_not_profile: 'true' });
    const after = await readAll(connector, quiet.cursor);
    expect(after.contacts.find((c) => c.id === '250')?.doNotProfile).to.equal(true);
  });

  it("search lags writes (HubSpot's index): a window ending searchIndexLagMs ago finds every change once indexed; none loses it", async () => {
    const sandbox = await portal(60, { searchIndexLagMs: 800 });
    const ids = async (connector: ReturnType<typeof connectorFor>, cursor: string | null) => {
      const read = await readAll(connector, cursor);
      return { ids: read.contacts.map((c) => c.id), cursor: read.cursor };
    };
    const careful = connectorFor(sandbox, { searchIndexLagMs: 1_000 });
    const hasty = connectorFor(sandbox, { searchIndexLagMs: 0 });
    const first = await readAll(careful, null);
    await careful.writeScores(updatesFor(first.contacts.map((c) => c.id)));
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    let c = await ids(careful, first.cursor);
    let h = await ids(hasty, c.cursor);
    expect(c.ids).to.have.length(60, 'our own writes, once indexed');
    await sandbox.control.editContact('7', { github_handle: 'octocat' });
    await sandbox.control.createContact({ email: 'fresh@example.com', github_handle: 'fresh' });
    // At once: the index does not have them yet. The hasty reader's window already covers them: it moves on.
    h = await ids(hasty, h.cursor);
    c = await ids(careful, c.cursor);
    expect(h.ids).to.deep.equal([]);
    expect(c.ids).to.deep.equal([]);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect((await ids(careful, c.cursor)).ids).to.deep.equal(['7', '61']);
    // The edit is lost to a window that ended before indexing; the new contact still comes back as never scored.
    expect((await ids(hasty, h.cursor)).ids).to.deep.equal(['61']);
  });

  it('writes values as HubSpot expects and splits 101 updates into batches of 100', async () => {
    const sandbox = await portal(150);
    const connector = connectorFor(sandbox);
    const at = '2026-03-01T12:34:56.789Z';
    const updates = updatesFor(Array.from({ length: 101 }, (_, i) => String(i + 1)));
    updates[0] = {
      objectType: 'contact',
      id: '1',
      fields: fields({
        scoredAt: at,
        reasonCodes: ['YOUNG_ACCOUNT', 'not_a_defined_option'],
        topFactors: null,
        trend: null,
      }),
    };
    const results = await connector.writeScores(updates);
    expect(results.every((r) => r.ok)).to.equal(true);
    expect(results.map((r) => r.id)).to.deep.equal(updates.map((u) => u.id));
    expect(sandbox.counters.calls['POST /crm/v3/objects/contacts/batch/update']).to.equal(2);
    expect(sandbox.counters.largestBatch).to.equal(100);
    expect(sandbox.control.value('1', 'influence_scored_at')).to.equal(at);
    expect(sandbox.control.value('1', 'influence_score')).to.equal('87');
    expect(sandbox.control.value('1', 'influence_reason_codes')).to.equal('YOUNG_ACCOUNT');
    expect(sandbox.control.value('1', 'influence_top_factors')).to.equal(null);
    expect(connector.apiUsage().calls.write).to.equal(2);
  });

  it('maps 207 partial failures to the records they name; a deleted property stops the run with the fix', async () => {
    const sandbox = await portal(20);
    const connector = connectorFor(sandbox);
    sandbox.control.archiveContact('4');
    sandbox.control.faults.addRecordFault({
      code: 'LOCKED',
      message: 'contact 6 is being merged',
      ids: ['6'],
      times: 1,
    });
    const results = await connector.writeScores(updatesFor(['3', '4', '5', '6', '9999']));
    expect(results.map((r) => r.id)).to.deep.equal(['3', '4', '5', '6', '9999']);
    // With the contact's new lastmodifieddate, so the next run knows it for our own write.
    expect(results[0]).to.deep.include({ id: '3', ok: true });
    const stamp = (results[0] as { modifiedAt?: string }).modifiedAt ?? '';
    expect(Date.parse(stamp)).to.equal(Date.parse(sandbox.control.value('3', 'lastmodifieddate') ?? ''));
    expect(results[1]).to.include({ ok: false, code: 'OBJECT_NOT_FOUND', retryable: false });
    expect(results[2]).to.deep.include({ id: '5', ok: true });
    expect(results[3]).to.include({ ok: false, code: 'LOCKED', message: 'contact 6 is being merged', retryable: true });
    expect(results[4]).to.include({ ok: false, code: 'OBJECT_NOT_FOUND' });
    expect((await connector.writeScores(updatesFor(['6'])))[0]).to.deep.include({ id: '6', ok: true });

    sandbox.control.deleteProperty('influence_tier');
    let error: unknown;
    try {
      await connector.writeScores(updatesFor(['3']));
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(SetupError);
    expect((error as Error).message).to.match(/"influence_tier" does not exist.*fields install --crm hubspot/);
  });

  it('reads specific ids with batch read (deleted ones simply absent)', async () => {
    const sandbox = await portal(250);
    const connector = connectorFor(sandbox);
    sandbox.control.archiveContact('17');
    const ids = ['3', '17', ...Array.from({ length: 150 }, (_, i) => String(i + 50))];
    const read = await readAll(connector, null, readOptions({ ids }));
    expect(read.contacts.map((c) => c.id)).to.have.members(ids.filter((id) => id !== '17'));
    expect(sandbox.counters.calls['POST /crm/v3/objects/contacts/batch/read']).to.equal(2);
  });
});
