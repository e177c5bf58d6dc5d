// Helpers for running the adapters against the sandbox network emulators.
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RawHandle } from '../../src/crm/contract.ts';
import { resolveIdentities } from '../../src/identity/index.ts';
import type { Identity } from '../../src/identity/types.ts';
import type { Population, SandboxAccount } from '../../src/sandbox/population.ts';
import type { ProviderResult } from '../../src/providers/contract.ts';
import type { Network } from '../../src/scoring/types.ts';

/**
 * The YouTube emulator reads the API key only from `?key=`. Google APIs also accept the `x-goog-api-key` header,
 * which the adapter uses so the key never sits in a URL; this loopback shim moves the header into the query
 * until the emulator accepts the header itself.
 */
export async function startGoogleKeyShim(target: string): Promise<{ url: string; close(): Promise<void> }> {
  const upstream = new URL(target);
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', upstream);
    const key = req.headers['x-goog-api-key'];
    if (typeof key === 'string') url.searchParams.set('key', key);
    const headers: Record<string, string | string[] | undefined> = { ...req.headers, host: upstream.host };
    delete headers['x-goog-api-key'];
    const forward = httpRequest(url, { method: req.method, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    forward.on('error', () => {
      res.writeHead(502).end();
    });
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}${upstream.pathname.replace(/\/$/, '')}`;
  return {
    url: base,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

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
