import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { expect } from 'chai';

import { SqliteStore } from '../../src/store/sqlite.ts';
import { Lease, LeaseLostError } from '../../src/sync/lease.ts';

describe('sync lease', () => {
  let dir: string;
  let store: SqliteStore;
  const clock = { now: new Date('2026-03-01T12:00:00.000Z') };

  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'crm-influence-lease-'));
    store = await SqliteStore.open(path.join(dir, 'store.db'), { secretKey: randomBytes(32), now: () => clock.now });
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const options = (owner: string) => ({ store, connectionId: 'conn', owner, ttlSeconds: 60 });

  it('is held by one run at a time, and free for the next at once when released', async () => {
    const first = await Lease.acquire(options('run-1'));
    expect(first).to.be.instanceOf(Lease);
    expect(await Lease.acquire(options('run-2'))).to.equal(null);
    await first!.confirm();
    await first!.release();
    const second = await Lease.acquire(options('run-2'));
    expect(second, 'no wait for the expiry after a release').to.be.instanceOf(Lease);
    await second!.release();
  });

  it('confirm() fails once another run took over an expired lease', async () => {
    const first = await Lease.acquire(options('run-1'));
    clock.now = new Date(clock.now.getTime() + 61_000);
    const second = await Lease.acquire(options('run-2'));
    expect(second, 'an expired lease is free').to.be.instanceOf(Lease);
    let lost: unknown;
    try {
      await first!.confirm();
    } catch (error) {
      lost = error;
    }
    expect(lost).to.be.instanceOf(LeaseLostError);
    // The late run's release does not free the new owner's lease.
    await first!.release();
    expect(await Lease.acquire(options('run-3'))).to.equal(null);
    await second!.release();
  });
});
