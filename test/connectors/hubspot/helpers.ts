// Shared set-up for the HubSpot connector tests: a sandbox portal and a connector pointed at it.
import type {
  HubSpotConnector,
  HubSpotConnectorHooks,
  HubSpotConnectorOptions,
} from '../../../connectors/hubspot/index.ts';
import { createHubSpotConnector } from '../../../connectors/hubspot/index.ts';
import type { CrmContact, InfluenceFields, ReadOptions } from '../../../src/crm/contract.ts';
import type { HubSpotSandbox, HubSpotSandboxOptions } from '../../../src/sandbox/hubspot/index.ts';
import { startHubSpotSandbox } from '../../../src/sandbox/hubspot/index.ts';
import { createPopulation } from '../../../src/sandbox/population.ts';

export const DAY = 24 * 3600 * 1000;

export async function startPortal(size: number, options: Partial<HubSpotSandboxOptions> = {}): Promise<HubSpotSandbox> {
  return startHubSpotSandbox({ population: createPopulation({ seed: 'hs-connector', size }), ...options });
}

/**
 * Portals for one suite (call in a `describe` body): each started portal is closed after the suite; with
 * `installFields` (the default per call) our properties are installed and the counters reset before the test sees it.
 */
export function portalsForSuite(defaults: { installFields: boolean }) {
  const sandboxes: HubSpotSandbox[] = [];
  after(async () => Promise.all(sandboxes.map((s) => s.close())));
  return async (
    size: number,
    options: Partial<HubSpotSandboxOptions> = {},
    installFields = defaults.installFields,
  ): Promise<HubSpotSandbox> => {
    const sandbox = await startPortal(size, options);
    sandboxes.push(sandbox);
    if (installFields) {
      await connectorFor(sandbox).installFields();
      sandbox.control.resetCounters();
    }
    return sandbox;
  };
}

export function connectorFor(
  sandbox: HubSpotSandbox,
  options: Partial<HubSpotConnectorOptions> = {},
  hooks?: HubSpotConnectorHooks,
): HubSpotConnector {
  return createHubSpotConnector(
    {
      baseUrl: sandbox.url,
      auth: { kind: 'private', accessToken: sandbox.env.HUBSPOT_ACCESS_TOKEN },
      searchIndexLagMs: 0,
      ...options,
    },
    hooks,
  );
}

export function readOptions(extra: Partial<ReadOptions> = {}): ReadOptions {
  return { full: false, staleBefore: new Date(Date.now() - 7 * DAY), ...extra };
}

export async function readAll(
  connector: HubSpotConnector,
  cursor: string | null,
  options: ReadOptions = readOptions(),
) {
  const contacts: CrmContact[] = [];
  let last = cursor;
  let pages = 0;
  for await (const page of connector.readContacts(cursor, options)) {
    contacts.push(...page.contacts);
    last = page.cursor;
    pages += 1;
  }
  return { contacts, cursor: last, pages };
}

export function fields(overrides: Partial<InfluenceFields> = {}): InfluenceFields {
  return {
    score: 87,
    tier: 'A',
    confidence: 'high',
    scoredAt: new Date().toISOString(),
    topFactors: '+12 Bluesky: median 42 reposts per post',
    reasonCodes: ['YOUNG_ACCOUNT', 'LARGE_REACH'],
    trend: 'Rising',
    orgPercentile: 97,
    ...overrides,
  };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
