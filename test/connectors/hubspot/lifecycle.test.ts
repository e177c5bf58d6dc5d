// Contacts that leave the portal between runs (deleted into the recycle bin, merged into another, erased by a GDPR
// delete), as the sandbox portal plays them: the connector reports them as gone, on reads and on writes.
import { expect } from 'chai';

import { ARCHIVE_SWEEP_INTERVAL_MS } from '../../../connectors/hubspot/read.ts';
import type { ContactPage, GoneRecord, ScoreUpdate } from '../../../src/crm/contract.ts';
import { connectorFor, fields, portalsForSuite, readOptions } from './helpers.ts';

async function readPages(connector: ReturnType<typeof connectorFor>, cursor: string | null, ids?: string[]) {
  const pages: ContactPage[] = [];
  for await (const page of connector.readContacts(cursor, readOptions(ids === undefined ? {} : { ids })))
    pages.push(page);
  return {
    ids: pages.flatMap((p) => p.contacts.map((c) => c.id)),
    gone: pages.flatMap((p) => p.gone ?? []),
    cursor: pages.at(-1)?.cursor ?? cursor,
  };
}

const byId = (gone: GoneRecord[]) => [...gone].sort((a, b) => Number(a.id) - Number(b.id));

describe('HubSpot connector: contacts deleted, merged or erased', function () {
  this.timeout(30_000);
  const portal = portalsForSuite({ installFields: true });
  const updatesFor = (ids: readonly string[]): ScoreUpdate[] =>
    ids.map((id) => ({ objectType: 'contact', id, fields: fields() }));

  it('a merge shows on the next read: the surviving contact carries the absorbed id, reported gone', async () => {
    const sandbox = await portal(40);
    const connector = connectorFor(sandbox);
    const first = await readPages(connector, null);
    const settled = await readPages(connector, first.cursor);
    await sandbox.control.mergeContacts('20', '21');
    const next = await readPages(connector, settled.cursor);
    expect(next.ids).to.include('20').and.not.include('21');
    expect(next.gone).to.deep.equal([{ id: '21', reason: 'merged', mergedInto: '20' }]);
  });

  it('reading ids: a merged-away id answers as its survivor, erased and deleted ids are reported gone', async () => {
    const sandbox = await portal(40);
    const connector = connectorFor(sandbox);
    await sandbox.control.mergeContacts('20', '21');
    await sandbox.control.gdprDeleteContact('30');
    sandbox.control.archiveContact('31');
    const read = await readPages(connector, null, ['5', '21', '30', '31']);
    expect(read.ids).to.have.members(['5', '20']);
    expect(byId(read.gone)).to.deep.equal([
      { id: '21', reason: 'merged', mergedInto: '20' },
      { id: '30', reason: 'deleted' },
      { id: '31', reason: 'deleted' },
    ]);
  });

  it('looks into the recycle bin once a day: contacts deleted since the last look are reported gone', async () => {
    const sandbox = await portal(40);
    let now = Date.now();
    const connector = connectorFor(sandbox, {}, { now: () => now });
    const listed = await readPages(connector, null);
    sandbox.control.archiveContact('3');
    const first = await readPages(connector, listed.cursor);
    expect(first.gone).to.deep.equal([{ id: '3', reason: 'deleted' }]);
    const archivedCalls = () => sandbox.counters.calls['GET /crm/v3/objects/contacts'] ?? 0;
    const before = archivedCalls();
    sandbox.control.archiveContact('4');
    const sameDay = await readPages(connector, first.cursor);
    expect(sameDay.gone).to.deep.equal([]);
    expect(archivedCalls()).to.equal(before, 'no second look the same day');
    now += ARCHIVE_SWEEP_INTERVAL_MS + 1;
    const nextDay = await readPages(connector, sameDay.cursor);
    // Contact 3 again as well: looks overlap by an hour so a deletion at the moment of a look is never missed, and
    // forgetting twice is harmless.
    expect(byId(nextDay.gone)).to.deep.equal([
      { id: '3', reason: 'deleted' },
      { id: '4', reason: 'deleted' },
    ]);
    expect(archivedCalls()).to.equal(before + 1);
  });

  it('writes: a deleted contact is gone (not retried); a merged one is tied to its survivor, not left "no result" forever', async () => {
    const sandbox = await portal(40);
    const connector = connectorFor(sandbox);
    sandbox.control.archiveContact('4');
    await sandbox.control.mergeContacts('20', '21');
    const results = await connector.writeScores(updatesFor(['3', '4', '21']));
    // With the contact's new lastmodifieddate, so the next run knows it for our own write.
    expect(results[0]).to.deep.include({ id: '3', ok: true });
    const stamp = (results[0] as { modifiedAt?: string }).modifiedAt ?? '';
    expect(Date.parse(stamp)).to.equal(Date.parse(sandbox.control.value('3', 'lastmodifieddate') ?? ''));
    expect(results[1]).to.deep.include({ ok: false, code: 'OBJECT_NOT_FOUND', retryable: false });
    expect((results[1] as { gone?: GoneRecord }).gone).to.deep.equal({ id: '4', reason: 'deleted' });
    expect(results[2]).to.deep.include({ id: '21', ok: false, code: 'MERGED', retryable: false });
    expect((results[2] as { gone?: GoneRecord }).gone).to.deep.equal({ id: '21', reason: 'merged', mergedInto: '20' });
    // HubSpot updated the survivor; one extra batch read told us which id went where.
    expect(sandbox.control.value('20', 'influence_score')).to.equal('87');
    expect(sandbox.counters.calls['POST /crm/v3/objects/contacts/batch/read']).to.equal(1);
  });
});
