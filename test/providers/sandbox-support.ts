// Helpers for running the adapters against the sandbox network emulators.
import type { RawHandle } from '../../src/crm/contract.ts';
import { resolveIdentities } from '../../src/identity/index.ts';
import type { Identity } from '../../src/identity/types.ts';
import type { ProviderResult } from '../../src/providers/contract.ts';
import type { Population, SandboxAccount } from '../../src/sandbox/population.ts';
import type { Network } from '../../src/scoring/types.ts';

/** person(i) as a CRM contact's raw handle fields (website in a field with no network hint). */
export function rawHandles(population: Population, index: number): RawHandle[] {
  return Object.entries(population.person(index).handles).map(([field, value]) => ({
    field,
    network: (field === 'website' ? 'any' : field) as RawHandle['network'],
    value: value ?? '',
  }));
}

/** Every identity of people [0, size), grouped by network (deduplicated). */
export function identitiesByNetwork(population: Population, size = population.size): Map<Network, Identity[]> {
  const out = new Map<Network, Map<string, Identity>>();
  for (let i = 0; i < size; i++) {
    for (const identity of resolveIdentities({ handles: rawHandles(population, i) }).identities) {
      let m = out.get(identity.network);
      if (!m) out.set(identity.network, (m = new Map<string, Identity>()));
      m.set(identity.handle, identity);
    }
  }
  return new Map([...out].map(([network, m]) => [network, [...m.values()]]));
}

/** The sandbox account behind an identity's handle, as the network would resolve it. */
export function accountFor(population: Population, network: Network, handle: string): SandboxAccount | undefined {
  if (network === 'linkedin') return undefined;
  return population.account(network, handle.replace(/^@/, '').replace(/^user:/, ''));
}

/** The status the network should report for an account (what a perfect adapter returns). */
export function expectedStatus(network: Network, account: SandboxAccount | undefined): ProviderResult['status'] {
  if (!account) return 'not_found';
  // GitHub hides suspended users (404) and organizations are not people's profiles.
  if (network === 'github' && (account.state === 'suspended' || account.kind === 'brand')) return 'not_found';
  if (account.state === 'suspended') {
    // getProfiles silently omits suspended Bluesky accounts (classifyMissing off), which reads as not found.
    return network === 'bluesky' ? 'not_found' : 'suspended';
  }
  if (account.state === 'protected') return 'protected';
  if (account.networkOptOut && (network === 'mastodon' || network === 'bluesky')) return 'protected';
  return 'ok';
}
