// X's 24-hour rule through the real compliance client, the X twin's batch compliance jobs and a real store.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { expect } from 'chai';

import { XAdapter } from '../../src/providers/x.ts';
import { XComplianceClient, XComplianceError } from '../../src/providers/x-compliance.ts';
import type { XSandbox } from '../../src/sandbox/networks/x.ts';
import { startXSandbox } from '../../src/sandbox/networks/x.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';
import { applyXCompliance } from '../../src/sync/x-compliance.ts';
import { accounts, population } from '../sandbox/networks/helpers.ts';

const NOW = new Date('2026-06-01T00:00:00Z');

describe('X compliance: data of deleted, suspended and protected accounts forgotten', () => {
  let x: XSandbox;
  let dir: string;
  let store: SqliteStore;
  const sentHeaders: { url: string; authorization: string | null }[] = [];

  const client = (extra: Partial<ConstructorParameters<typeof XComplianceClient>[0]> = {}) =>
    new XComplianceClient({
      baseUrl: x.url,
      bearerToken: x.env.X_BEARER_TOKEN,
      pollMs: 1,
      http: {
        fetch: (input, init) => {
          sentHeaders.push({
            url: input instanceof Request ? input.url : input.toString(),
            authorization: new Headers(init?.headers).get('authorization'),
          });
          return fetch(input, init);
        },
      },
      ...extra,
    });

  before(async () => {
    x = await startXSandbox({ population });
  });
  after(() => x.close());
  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'x-compliance-'));
    store = await SqliteStore.open(path.join(dir, 'store.db'));
    sentHeaders.length = 0;
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a users job names the deleted, suspended and protected accounts among the ids, and no others', async () => {
    const [active] = accounts('x', 1);
    const [suspended] = accounts('x', 1, (a) => a.state === 'suspended');
    const [locked] = accounts('x', 1, (a) => a.state === 'protected');
    const [deactivatedLater] = accounts('x', 2).slice(1);
    x.compliance.setEvent(deactivatedLater!.id, 'deactivated');
    const before = x.compliance.jobsCreated();
    const { events } = await client().check([active!.id, suspended!.id, locked!.id, deactivatedLater!.id, '12']);
    expect(Object.fromEntries(events)).to.deep.equal({
      [suspended!.id]: 'suspended',
      [locked!.id]: 'protected',
      [deactivatedLater!.id]: 'deactivated',
      '12': 'deleted',
    });
    expect(x.compliance.jobsCreated()).to.equal(before + 1);
    // The signed storage URLs get the ids and give the results without our bearer token.
    const storage = sentHeaders.filter((h) => h.url.includes('/storage/'));
    expect(storage).to.have.length(2);
    expect(storage.every((h) => h.authorization === null)).to.equal(true);
    expect(sentHeaders.filter((h) => h.url.includes('/2/compliance/')).every((h) => h.authorization !== null)).to.equal(
      true,
    );
  });

  it('forgets every answer held about an account X has since suspended, and keeps the others', async () => {
    const [ada, bob] = accounts('x', 2, (a) => a.state === 'active' && a.posts > 0);
    const adapter = new XAdapter({ baseUrl: x.url, bearerToken: x.env.X_BEARER_TOKEN, now: () => NOW });
    const answers = await adapter.fetchProfiles([ada!.handle, bob!.handle]);
    await store.putCached(
      'x',
      [...answers].map(([handle, result]) => ({ handle, result })),
      30 * 86_400,
      NOW,
    );
    expect([...(await store.cachedAccountIds('x')).keys()].sort()).to.deep.equal([ada!.id, bob!.id].sort());

    x.compliance.setEvent(bob!.id, 'suspended');
    const outcome = await applyXCompliance(store, client(), { now: () => NOW });
    expect(outcome).to.deep.equal({ checked: 2, forgotten: { suspended: 1 }, rescored: {} });
    // What X said stands in for the metrics, so the next look-up need not ask.
    expect((await store.getCached('x', [bob!.handle], NOW)).get(bob!.handle)?.result).to.deep.equal({
      status: 'suspended',
    });
    expect((await store.getLastGood('x', [bob!.handle])).size).to.equal(0);
    expect((await store.getCached('x', [ada!.handle], NOW)).get(ada!.handle)?.result.status).to.equal('ok');
  });

  it('holds nothing about X: no job at all', async () => {
    const before = x.compliance.jobsCreated();
    expect(await applyXCompliance(store, client())).to.deep.equal({ checked: 0, forgotten: {}, rescored: {} });
    expect(x.compliance.jobsCreated()).to.equal(before);
  });

  it('a job that does not complete in time fails the check with the job named, and forgets nothing', async () => {
    const [ada] = accounts('x', 1);
    const slow = client({ maxWaitMs: 0 });
    const error = await slow.check([ada!.id]).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(XComplianceError);
    expect((error as Error).message).to.match(/^compliance job \d+ did not complete in time$/);
  });
});
