// Tier-change tasks end to end: the real engine and store with the real Salesforce and HubSpot connectors against
// their sandboxes. Networks are a double whose follower counts the test moves, so a contact rises to tier A when the
// test says so. One task per rise (not on re-runs, not twice after a crash), at most N per run, off by default.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { expect } from 'chai';

import type { CrmConnector, CrmContact } from '../../src/crm/contract.ts';
import { BudgetReachedError } from '../../src/crm/errors.ts';
import type { ProviderAdapter, ProviderResult } from '../../src/providers/contract.ts';
import type { HubSpotSandbox } from '../../src/sandbox/hubspot/index.ts';
import { INACTIVE_USER_ID, LEAD_QUEUE_ID } from '../../src/sandbox/salesforce/index.ts';
import type { Network } from '../../src/scoring/types.ts';
import type { RunReport } from '../../src/store/run-report.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';
import { runSync } from '../../src/sync/engine.ts';
import type { SyncOptionsInput } from '../../src/sync/options.ts';
import { connectorFor, readOptions, startPortal } from '../connectors/hubspot/helpers.ts';
import type { World } from '../connectors/salesforce/world.ts';
import { makeWorld, orgIds, ORGS } from '../connectors/salesforce/world.ts';
import { metricsFor, resolveTestIdentities, TestModel } from './doubles.ts';

const NETWORKS: Network[] = ['x', 'github', 'mastodon', 'bluesky', 'youtube'];

/** Every handle exists with 10 followers (tier D under the test model) unless the test raised it (tier A). */
class Networks {
  readonly raised = new Set<string>();
  readonly adapters: ProviderAdapter[] = NETWORKS.map((network) => ({
    network,
    maxBatch: 100,
    fetchProfiles: (handles: readonly string[]) =>
      Promise.resolve(
        new Map(
          handles.map((h): [string, ProviderResult] => [
            h,
            { status: 'ok', metrics: metricsFor(network, h, this.raised.has(h) ? 1_000_000 : 10) },
          ]),
        ),
      ),
    usage: () => ({ calls: 0 }),
  }));
}

/** What the test needs of one CRM: its connector, its people, and the tasks on a record. */
interface Crm {
  name: string;
  connector: CrmConnector;
  ids: string[];
  tasksOf(id: string): { subject: string; owner: string; body: string }[];
  close(): Promise<void>;
}

async function salesforce(world?: World): Promise<Crm> {
  const w = world ?? (await makeWorld(60));
  const ids = orgIds(w.sandbox);
  return {
    name: 'Salesforce',
    connector: w.connector,
    ids: [...ids.Contact, ...ids.Lead],
    tasksOf: (id) =>
      w.sandbox.control
        .tasksOf(id)
        .map((t) => ({ subject: t.Subject ?? '', owner: t.OwnerId, body: t.Description ?? '' })),
    close: () => w.sandbox.close(),
  };
}

async function hubspot(portal?: HubSpotSandbox): Promise<Crm> {
  const sandbox = portal ?? (await startPortal(60));
  const connector = connectorFor(sandbox);
  await connector.installFields();
  return {
    name: 'HubSpot',
    connector,
    ids: Array.from({ length: 60 }, (_, i) => String(i + 1)),
    tasksOf: (id) =>
      sandbox.control.tasksOf(id).map((t) => ({
        subject: t.properties.hs_task_subject ?? '',
        owner: t.properties.hubspot_owner_id ?? '',
        body: t.properties.hs_task_body ?? '',
      })),
    close: () => sandbox.close(),
  };
}

describe('tier-change tasks (engine + store + connectors + sandboxes)', function () {
  this.timeout(60_000);
  const CONNECTION = 'tasks-e2e';
  let dir: string;
  let store: SqliteStore;
  const model = new TestModel();

  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'crm-influence-tasks-'));
    store = await SqliteStore.open(path.join(dir, 'store.db'), { secretKey: randomBytes(32) });
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function sync(crm: Crm, networks: Networks, options: Partial<SyncOptionsInput> = {}): Promise<RunReport> {
    return runSync(
      {
        store,
        connector: crm.connector,
        providers: networks.adapters,
        resolveIdentities: resolveTestIdentities,
        score: model.score,
        scoringKey: model.version,
        tierLabels: { A: 'Champion', B: 'B', C: 'C', D: 'D', Unscored: 'Unscored' },
      },
      // Every run reads everyone and asks the networks again, so a raised count is seen at once.
      { connectionId: CONNECTION, full: true, defaultProviderTtlSeconds: 0, ...options },
    );
  }

  /** The records the model scores (they have a handle), as the connector reads them. */
  async function scorable(crm: Crm): Promise<CrmContact[]> {
    const contacts: CrmContact[] = [];
    for await (const page of crm.connector.readContacts(null, readOptions({ ids: crm.ids })))
      contacts.push(...page.contacts.filter((c) => !c.doNotProfile && resolveTestIdentities(c).identities.length > 0));
    return contacts;
  }

  const raise = (networks: Networks, contact: CrmContact) => {
    for (const identity of resolveTestIdentities(contact).identities) networks.raised.add(identity.handle);
  };
  const lower = (networks: Networks, contact: CrmContact) => {
    for (const identity of resolveTestIdentities(contact).identities) networks.raised.delete(identity.handle);
  };

  for (const open of [salesforce, hubspot]) {
    it(`${open.name}: one task per rise for the record's owner, at most N per run, none on re-runs`, async () => {
      const crm = await open();
      try {
        const networks = new Networks();
        const people = await scorable(crm);
        const taskCount = () => crm.ids.reduce((n, id) => n + crm.tasksOf(id).length, 0);
        // Hubspot: contacts with an owner (every tenth has none; that case has its own test).
        const owned = people.filter((p) => crm.name !== 'HubSpot' || Number(p.id) % 10 !== 0);
        const [baseline, ...risers] = owned;
        const rising = risers.slice(0, 3);
        expect(rising).to.have.length(3);

        // The first run sets the baseline: a contact already at A has not just risen.
        raise(networks, baseline!);
        const first = await sync(crm, networks, { tierTasks: { enabled: true, maxPerRun: 2 } });
        expect(first.readAll).to.equal('first-run');
        expect(first.tierTasks).to.deep.include({ created: 0, failed: 0, waiting: 0 });
        expect(taskCount()).to.equal(0);

        // Three rise; two tasks this run (the cap), the third waits.
        for (const p of rising) raise(networks, p);
        const calls = crm.connector.apiUsage().calls;
        const second = await sync(crm, networks, { tierTasks: { enabled: true, maxPerRun: 2 } });
        expect(second.status).to.equal('ok');
        expect(second.tierTasks).to.deep.equal({ created: 2, failed: 0, waiting: 1, problems: [] });
        expect(taskCount()).to.equal(2);
        const withTask = rising.filter((p) => crm.tasksOf(p.id).length === 1);
        expect(withTask).to.have.length(2);
        const task = crm.tasksOf(withTask[0]!.id)[0]!;
        expect(task.subject).to.equal(`Influential contact: ${withTask[0]!.name} reached tier A (Champion)`);
        expect(task.body).to.match(/social influence score of 100 out of 100: tier A \(Champion\), high confidence/);
        expect(task.body).to.include('Top factors:');
        expect(task.owner).to.match(crm.name === 'HubSpot' ? /^7100010\d$/ : /^005/);
        // The report counts the task calls with the run's (owners read + create: 2 for Salesforce, 2 for HubSpot).
        const after = crm.connector.apiUsage().calls;
        expect(second.apiCalls.crm.write + second.apiCalls.crm.read + second.apiCalls.crm.other).to.equal(
          after.read + after.write + after.other - (calls.read + calls.write + calls.other),
        );

        // The next run sends the waiting one; re-runs send nothing more.
        const third = await sync(crm, networks, { tierTasks: { enabled: true, maxPerRun: 2 } });
        expect(third.tierTasks).to.deep.include({ created: 1, waiting: 0 });
        const fourth = await sync(crm, networks, { tierTasks: { enabled: true, maxPerRun: 2 } });
        expect(fourth.tierTasks).to.deep.include({ created: 0, waiting: 0 });
        for (const p of rising) expect(crm.tasksOf(p.id), p.id).to.have.length(1);
        expect(crm.tasksOf(baseline!.id)).to.have.length(0);

        // Leaving A ends the rise; rising again is a new rise with its own task.
        lower(networks, rising[0]!);
        await sync(crm, networks, { tierTasks: { enabled: true, maxPerRun: 2 } });
        raise(networks, rising[0]!);
        const again = await sync(crm, networks, { tierTasks: { enabled: true, maxPerRun: 2 } });
        expect(again.tierTasks).to.deep.include({ created: 1 });
        expect(crm.tasksOf(rising[0]!.id)).to.have.length(2);
        expect(taskCount()).to.equal(4);
      } finally {
        await crm.close();
      }
    });

    it(`${open.name}: off by default — a rise makes no task and the report says nothing of tasks`, async () => {
      const crm = await open();
      try {
        const networks = new Networks();
        const [someone] = await scorable(crm);
        await sync(crm, networks);
        raise(networks, someone!);
        const report = await sync(crm, networks);
        expect(report.tierTasks).to.equal(undefined);
        expect(crm.ids.reduce((n, id) => n + crm.tasksOf(id).length, 0)).to.equal(0);
        // Turned on later, a rise from before is not news: only rises seen while on make tasks.
        const on = await sync(crm, networks, { tierTasks: { enabled: true } });
        expect(on.tierTasks).to.deep.include({ created: 0, waiting: 0 });
      } finally {
        await crm.close();
      }
    });
  }

  it('a failure after the tasks were asked for never sends them again (at most once per rise); a budget stop defers them', async () => {
    const crm = await salesforce();
    try {
      const networks = new Networks();
      const people = await scorable(crm);
      await sync(crm, networks, { tierTasks: { enabled: true } });
      raise(networks, people[0]!);
      const inner = crm.connector;
      const dying: CrmConnector = {
        crm: inner.crm,
        writeBatchSize: inner.writeBatchSize,
        checkSetup: () => inner.checkSetup(),
        readContacts: (cursor, options) => inner.readContacts(cursor, options),
        writeScores: (updates) => inner.writeScores(updates),
        apiUsage: () => inner.apiUsage(),
        // The CRM creates the task, then the process dies before the answer is recorded.
        createOwnerTasks: async (tasks) => {
          await inner.createOwnerTasks!(tasks);
          throw new Error('simulated crash');
        },
      };
      const failed = await sync({ ...crm, connector: dying }, networks, { tierTasks: { enabled: true } });
      expect(failed.status).to.equal('ok');
      expect(failed.tierTasks?.problems.map((p) => p.code)).to.deep.equal(['tasks_unknown']);
      expect(crm.tasksOf(people[0]!.id)).to.have.length(1);
      const next = await sync(crm, networks, { tierTasks: { enabled: true } });
      expect(next.tierTasks).to.deep.include({ created: 0, waiting: 0 });
      expect(crm.tasksOf(people[0]!.id)).to.have.length(1);

      // Refused before sending (the budget at its floor): the rise waits and its task is made next run.
      raise(networks, people[1]!);
      const broke: CrmConnector = {
        ...dying,
        createOwnerTasks: () => Promise.reject(new BudgetReachedError('Salesforce API budget at its floor')),
      };
      const deferred = await sync({ ...crm, connector: broke }, networks, { tierTasks: { enabled: true } });
      expect(deferred.tierTasks).to.deep.include({ created: 0, failed: 1, waiting: 1 });
      const later = await sync(crm, networks, { tierTasks: { enabled: true } });
      expect(later.tierTasks).to.deep.include({ created: 1, waiting: 0 });
      expect(crm.tasksOf(people[1]!.id)).to.have.length(1);
    } finally {
      await crm.close();
    }
  });

  it('Salesforce: a queue-owned lead and an inactive owner get no task, reported once and not retried; the minimum-access user (shipped permission set) creates tasks', async () => {
    const world = await makeWorld(60, ORGS.strict);
    const crm = await salesforce(world);
    try {
      const networks = new Networks();
      const people = await scorable(crm);
      await sync(crm, networks, { tierTasks: { enabled: true } });
      const lead = people.find((p) => p.objectType === 'Lead')!;
      const contact = people.find((p) => p.objectType === 'Contact')!;
      const fine = people.find((p) => p !== lead && p !== contact)!;
      world.sandbox.control.editRecord(lead.id, { OwnerId: LEAD_QUEUE_ID });
      world.sandbox.control.editRecord(contact.id, { OwnerId: INACTIVE_USER_ID });
      for (const p of [lead, contact, fine]) raise(networks, p);
      const report = await sync(crm, networks, { tierTasks: { enabled: true } });
      expect(report.tierTasks?.created).to.equal(1);
      expect(report.tierTasks?.failed).to.equal(2);
      expect(report.tierTasks?.problems.map((p) => p.code).sort()).to.deep.equal([
        'INACTIVE_OWNER_OR_USER',
        'OWNER_IS_QUEUE',
      ]);
      expect(crm.tasksOf(fine.id)).to.have.length(1);
      const rerun = await sync(crm, networks, { tierTasks: { enabled: true } });
      expect(rerun.tierTasks).to.deep.equal({ created: 0, failed: 0, waiting: 0, problems: [] });
    } finally {
      await crm.close();
    }
  });

  it('HubSpot: a contact without an owner gets no task (NO_OWNER, not retried); text from the CRM is escaped in the HTML body', async () => {
    const portal = await startPortal(60);
    const crm = await hubspot(portal);
    try {
      const networks = new Networks();
      const people = await scorable(crm);
      await sync(crm, networks, { tierTasks: { enabled: true } });
      const unowned = people.find((p) => Number(p.id) % 10 === 0)!;
      const owned = people.find((p) => Number(p.id) % 10 !== 0)!;
      await portal.control.editContact(owned.id, { firstname: '<img src=x onerror=alert(1)>' });
      for (const p of [unowned, owned]) raise(networks, p);
      const report = await sync(crm, networks, { tierTasks: { enabled: true } });
      expect(report.tierTasks).to.deep.include({ created: 1, failed: 1 });
      expect(report.tierTasks?.problems.map((p) => p.code)).to.deep.equal(['NO_OWNER']);
      const task = crm.tasksOf(owned.id)[0]!;
      expect(task.body).to.include('&lt;img src=x onerror=alert(1)&gt;').and.not.include('<img');
      expect(task.body).to.include('<br>');
      const rerun = await sync(crm, networks, { tierTasks: { enabled: true } });
      expect(rerun.tierTasks).to.deep.include({ created: 0, failed: 0 });
    } finally {
      await crm.close();
    }
  });
});
