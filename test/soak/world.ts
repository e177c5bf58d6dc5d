// The soak's outside world on 127.0.0.1: a Salesforce org and a HubSpot portal sharing one seeded population (the org
// holds its first half, the portal the rest), the networks (GitHub, Mastodon with its hostile instance, Bluesky), a
// trap where the hostile instance's redirect points (it must never be hit), and faults injected at fixed intervals
// (429, 503, dropped connections, calls never answered, row locks, validation rules). Each CRM keeps a write log:
// per record, how many writes it got and how many of them carried nothing new (the same values again).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { FaultSchedule } from '../../src/sandbox/faults.ts';
import { unitHash } from '../../src/sandbox/faults.ts';
import type { HubSpotSandbox } from '../../src/sandbox/hubspot/index.ts';
import { startHubSpotSandbox } from '../../src/sandbox/hubspot/index.ts';
import type { Population, SandboxPerson } from '../../src/sandbox/index.ts';
import { createPopulation, HOSTILE_HANDLES, startSandbox } from '../../src/sandbox/index.ts';
import { startMastodonSandbox } from '../../src/sandbox/networks/mastodon.ts';
import type { SalesforceSandbox } from '../../src/sandbox/salesforce/index.ts';
import { INTEGRATION_USER_ID, SandboxOrg, startSalesforceSandbox } from '../../src/sandbox/salesforce/index.ts';

export type SoakCrm = 'salesforce' | 'hubspot';
export const SOAK_CRMS: readonly SoakCrm[] = ['salesforce', 'hubspot'];

/** Fields whose new value alone does not make a write "new": the date of the score moves on every write. */
const DATE_FIELDS = new Set(['Influence_Scored_At__c', 'influence_scored_at']);

/** Shares of the population given hostile values (by a hash of seed and index, so a rerun picks the same people). */
export const HOSTILE_SHARES = { nul: 0.002, tenKb: 0.002, hostileMastodon: 0.003 } as const;

/** Per record: writes received and how many of them changed nothing but the date (a write done twice). */
export class WriteLog {
  private readonly values = new Map<string, Record<string, unknown>>();
  private readonly writes = new Map<string, number>();
  private readonly repeats = new Map<string, number>();
  total = 0;

  record(id: string, fields: Iterable<[string, unknown]>): void {
    const before = this.values.get(id) ?? {};
    let changed = false;
    const after = { ...before };
    for (const [name, value] of fields) {
      const normalised = value === '' || value === undefined ? null : value;
      if (!DATE_FIELDS.has(name) && (before[name] ?? null) !== normalised) changed = true;
      after[name] = normalised;
    }
    this.values.set(id, after);
    this.writes.set(id, (this.writes.get(id) ?? 0) + 1);
    if (!changed) this.repeats.set(id, (this.repeats.get(id) ?? 0) + 1);
    this.total += 1;
  }

  writesOf(id: string): number {
    return this.writes.get(id) ?? 0;
  }

  repeatsOf(id: string): number {
    return this.repeats.get(id) ?? 0;
  }
}

/** The population as the soak's CRMs hold it: some records carry a NUL byte, a 10 KB value or a hostile instance. */
function hostileView(base: Population, seed: string, offset: number, size: number) {
  const person = (index: number): SandboxPerson => {
    const original = base.person(index + offset);
    const pick = (what: string, share: number) => unitHash(`${seed}|${what}|${index + offset}`) < share;
    if (pick('nul', HOSTILE_SHARES.nul))
      return { ...original, handles: { ...original.handles, github: `nul\u0000${original.handles.github ?? 'x'}` } };
    if (pick('10kb', HOSTILE_SHARES.tenKb))
      return { ...original, lastName: `${original.lastName} ${'x'.repeat(10 * 1024)}` };
    if (pick('hostile', HOSTILE_SHARES.hostileMastodon)) {
      const tricks = [HOSTILE_HANDLES.redirectInward, HOSTILE_HANDLES.hugeBody, HOSTILE_HANDLES.retryAfter];
      return { ...original, handles: { ...original.handles, mastodon: tricks[(index + offset) % tricks.length]! } };
    }
    return original;
  };
  return {
    size,
    person,
    latentInfluence: (index: number) => base.latentInfluence(index + offset),
  };
}

export interface SoakWorld {
  population: Population;
  /** Population indices held by each CRM: Salesforce [0, split), HubSpot [split, size). */
  split: number;
  salesforce: SalesforceSandbox;
  hubspot: HubSpotSandbox;
  logs: Record<SoakCrm, WriteLog>;
  /** Called after each write the CRM saved, before its answer is sent (the runner kills or signals from here). */
  onWrite: Record<SoakCrm, (() => void) | null>;
  /** Requests the CRM emulators received so far (a run that makes none for long is hung). */
  crmRequests(crm: SoakCrm): number;
  /** Requests that reached the trap the hostile instance redirects to. */
  inwardHits(): number;
  /** Redirects to the trap the hostile instance answered with. */
  redirectsInward(): number;
  env: Record<string, string>;
  /** The CRM's record ids in population order, with whether the person opted out. */
  records(crm: SoakCrm): Iterable<{ id: string; optedOut: boolean }>;
  /** The tier on the record now (null: empty). */
  tierOf(crm: SoakCrm, id: string): string | null;
  close(): Promise<void>;
}

export async function startSoakWorld(options: { contacts: number; seed: string }): Promise<SoakWorld> {
  const { contacts, seed } = options;
  const population = createPopulation({ seed, size: contacts });
  const split = Math.ceil(contacts / 2);
  let hits = 0;
  const trap = createServer((_req, res) => {
    hits += 1;
    res.end('{"Code":"Success","AccessKeyId":"trap"}');
  });
  await new Promise<void>((resolve) => trap.listen(0, '127.0.0.1', resolve));
  const trapUrl = `http://127.0.0.1:${(trap.address() as AddressInfo).port}/latest/meta-data/iam/security-credentials/`;

  // Networks: published limits relaxed 100× (so the soak is about faults, not about waiting out GitHub's 60 an hour),
  // with 503s, dropped connections, calls held past the adapters' 15 s timeout, and a rarer 429 (each one pauses
  // its network for the 60 s its headers ask; every instance of the Mastodon emulator shares one host).
  const networkFaults: FaultSchedule = {
    seed,
    status429: 1499,
    status5xx: 59,
    dropConnection: 127,
    timeout: 1999,
    holdMs: 20_000,
  };
  const networks = await startSandbox({
    contacts,
    seed,
    networkLimits: 'relaxed',
    only: ['github', 'bluesky'],
    faults: { all: networkFaults },
  });
  const mastodon = await startMastodonSandbox({
    population,
    faults: networkFaults,
    limits: { requests: { limit: 30_000, windowSeconds: 300 } },
    hostile: { inwardUrl: trapUrl },
  });

  const logs: Record<SoakCrm, WriteLog> = { salesforce: new WriteLog(), hubspot: new WriteLog() };
  const onWrite: SoakWorld['onWrite'] = { salesforce: null, hubspot: null };
  const sfView = hostileView(population, seed, 0, split);
  const hsView = hostileView(population, seed, split, contacts - split);
  const salesforce = await startSalesforceSandbox({
    population: sfView,
    apiQuota: 10_000_000,
    faults: {
      seed,
      status429: 97,
      status5xx: 89,
      dropConnection: 211,
      timeout: 401,
      holdMs: 30_000,
      recordErrors: [
        { code: 'UNABLE_TO_LOCK_ROW', rate: 0.01, times: 2 },
        { code: 'FIELD_CUSTOM_VALIDATION_EXCEPTION', rate: 0.002 },
      ],
    },
    onWrite: ({ id, fields, userId }) => {
      if (userId !== INTEGRATION_USER_ID) return;
      logs.salesforce.record(id, Object.entries(fields));
      onWrite.salesforce?.();
    },
  });
  const hubspot = await startHubSpotSandbox({
    population: hsView,
    faults: {
      seed,
      status429: 101,
      status5xx: 103,
      dropConnection: 223,
      timeout: 409,
      holdMs: 30_000,
      recordErrors: [{ code: 'VALIDATION_ERROR', rate: 0.002, message: 'Influence fields are locked by a workflow.' }],
    },
    onWrite: ({ id, properties }) => {
      logs.hubspot.record(id, properties);
      onWrite.hubspot?.();
    },
  });

  return {
    population,
    split,
    salesforce,
    hubspot,
    logs,
    onWrite,
    crmRequests: (crm) => (crm === 'salesforce' ? salesforce.counters.requests : hubspot.counters.totalCalls),
    inwardHits: () => hits,
    redirectsInward: () => mastodon.hostileRedirectsInward(),
    env: { ...networks.env, ...mastodon.env, ...salesforce.env, ...hubspot.env },
    *records(crm) {
      const [from, to] = crm === 'salesforce' ? [0, split] : [split, contacts];
      for (let index = from; index < to; index++) {
        const optedOut = population.person(index).optedOut;
        const id =
          crm === 'salesforce'
            ? SandboxOrg.idOf(salesforce.control.org.objectTypeOf(index), index)
            : String(index - split + 1);
        yield { id, optedOut };
      }
    },
    tierOf(crm, id) {
      const value =
        crm === 'salesforce'
          ? salesforce.control.record(id)?.Influence_Tier__c
          : hubspot.control.value(id, 'influence_tier');
      return typeof value === 'string' && value !== '' ? value : null;
    },
    async close() {
      await Promise.allSettled([networks.close(), mastodon.close(), salesforce.close(), hubspot.close()]);
      trap.closeAllConnections();
      await new Promise((resolve) => trap.close(resolve));
    },
  };
}
