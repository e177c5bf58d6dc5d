// A Salesforce sandbox plus the real connector (real jsforce over HTTP) for the connector's tests.
import type { SalesforceOptionsInput, SalesforceTokens } from '../../../connectors/salesforce/index.ts';
import { SalesforceConnector } from '../../../connectors/salesforce/index.ts';
import type { CrmContact, GoneRecord, InfluenceFields, ScoreUpdate } from '../../../src/crm/contract.ts';
import type { ProviderAdapter, ProviderResult } from '../../../src/providers/contract.ts';
import { unitHash } from '../../../src/sandbox/faults.ts';
import { createPopulation } from '../../../src/sandbox/population.ts';
import type { SalesforceSandbox, SalesforceSandboxOptions } from '../../../src/sandbox/salesforce/index.ts';
import { startSalesforceSandbox } from '../../../src/sandbox/salesforce/index.ts';
import type { Network } from '../../../src/scoring/types.ts';
import { permissionsFrom } from '../../manifests/permission-sets.ts';

/**
 * The two orgs every connector behaviour is held against: the permissive one (an administrator, Public Read/Write,
 * no automation) and a minimum-access integration user holding exactly the permission sets we ship (the optional
 * Individual one included), in an org with Data Protection and Privacy where most people have no Individual record.
 * The strict org's harsher parts (sharing, automation, no Individual) have their own tests.
 */
export const ORGS: Record<'permissive' | 'strict', Partial<SalesforceSandboxOptions>> = {
  permissive: {},
  strict: {
    strict: {
      permissions: permissionsFrom(['Social_Influence_Integration', 'Social_Influence_Individual']),
      individual: true,
      owned: 1,
      validationRule: 0,
      triggerThrows: 0,
      duplicates: { alert: 0, block: 0 },
      locked: 0,
    },
  },
};

export interface World {
  sandbox: SalesforceSandbox;
  connector: SalesforceConnector;
  tokens: SalesforceTokens[];
  /** A second connector on the same org (e.g. a later run). */
  reconnect(options?: Partial<SalesforceOptionsInput>): SalesforceConnector;
}

export async function makeWorld(
  size: number,
  sandboxOptions: Partial<SalesforceSandboxOptions> = {},
  options: Partial<SalesforceOptionsInput> = {},
): Promise<World> {
  const population = createPopulation({ seed: 'sf-connector', size });
  const sandbox = await startSalesforceSandbox({ population, ...sandboxOptions });
  const tokens: SalesforceTokens[] = [];
  const reconnect = (extra: Partial<SalesforceOptionsInput> = {}): SalesforceConnector =>
    new SalesforceConnector(
      {
        instanceUrl: sandbox.url,
        loginUrl: sandbox.url,
        clientId: sandbox.env.SALESFORCE_CLIENT_ID,
        clientSecret: sandbox.env.SALESFORCE_CLIENT_SECRET,
        accessToken: sandbox.env.SALESFORCE_ACCESS_TOKEN,
        refreshToken: tokens.at(-1)?.refreshToken ?? sandbox.env.SALESFORCE_REFRESH_TOKEN,
        lockBackoffMs: 1,
        transientBackoffMs: 1,
        bulkPollIntervalMs: 20,
        ...options,
        ...extra,
      },
      {
        onTokens: (t) => {
          tokens.push(t);
        },
        sleep: () => Promise.resolve(),
      },
    );
  return { sandbox, connector: reconnect(), tokens, reconnect };
}

/** Every Contact and Lead id of the sandbox org, by object. */
export function orgIds(sandbox: SalesforceSandbox): { Contact: string[]; Lead: string[] } {
  const ids = { Contact: [] as string[], Lead: [] as string[] };
  const org = sandbox.control.org;
  for (let i = 0; i < org.size; i++) {
    const object = org.objectTypeOf(i);
    ids[object].push(`${object === 'Contact' ? '003' : '00Q'}SB${String(i).padStart(13, '0')}`);
  }
  return ids;
}

/** A network that knows every handle: followers from a hash of the handle (deterministic). */
export class EveryoneProvider implements ProviderAdapter {
  calls = 0;
  readonly network: Network;
  readonly maxBatch: number;

  constructor(network: Network, maxBatch = 100) {
    this.network = network;
    this.maxBatch = maxBatch;
  }

  fetchProfiles(handles: readonly string[]): Promise<Map<string, ProviderResult>> {
    this.calls += 1;
    return Promise.resolve(
      new Map(
        handles.map((handle): [string, ProviderResult] => [
          handle,
          {
            status: 'ok',
            metrics: {
              network: this.network,
              handle,
              followers: Math.floor(unitHash(handle) * 1_000_000),
              following: 10,
              posts: 100,
              recentPosts: [],
              fetchedAt: '2026-01-01T00:00:00.000Z',
            },
          },
        ]),
      ),
    );
  }

  usage(): { calls: number } {
    return { calls: this.calls };
  }
}

const DAY = 86_400_000;
/** The engine's default refresh interval: scores older than 7 days are stale. */
export const staleBefore = (): Date => new Date(Date.now() - 7 * DAY);

/** Every page of one read: the contacts, the records gone, the last cursor. */
export async function readPages(
  connector: SalesforceConnector,
  cursor: string | null = null,
  full = false,
): Promise<{ contacts: CrmContact[]; gone: GoneRecord[]; cursor: string | null; pages: number }> {
  const contacts: CrmContact[] = [];
  const gone: GoneRecord[] = [];
  let last = cursor;
  let pages = 0;
  for await (const page of connector.readContacts(cursor, { full, staleBefore: staleBefore() })) {
    contacts.push(...page.contacts);
    gone.push(...(page.gone ?? []));
    last = page.cursor;
    pages += 1;
  }
  return { contacts, gone, cursor: last, pages };
}

export function fieldsFor(score: number, scoredAt = new Date().toISOString()): InfluenceFields {
  return {
    score,
    tier: score >= 50 ? 'B' : 'C',
    confidence: 'medium',
    scoredAt,
    topFactors: `+${score} X: followers`,
    reasonCodes: ['LARGE_REACH'],
    trend: 'Stable',
    orgPercentile: 50,
  };
}

export function updatesFor(contacts: readonly { objectType: string; id: string }[], score = 40): ScoreUpdate[] {
  return contacts.map((c) => ({ objectType: c.objectType, id: c.id, fields: fieldsFor(score) }));
}

export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}
