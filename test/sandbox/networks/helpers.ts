// Shared bits of the network emulator tests: one population and small fetch helpers.
import type { Population, SandboxAccount, SandboxNetwork } from '../../../src/sandbox/population.ts';
import { createPopulation } from '../../../src/sandbox/population.ts';

export const population: Population = createPopulation({
  seed: 'networks-test',
  size: 50_000,
  now: new Date('2026-06-01T00:00:00Z'),
});

/** The first `count` accounts on a network in the wanted state (scans people in order). */
export function accounts(
  network: SandboxNetwork,
  count: number,
  ok: (a: SandboxAccount) => boolean = (a) => a.state === 'active',
): SandboxAccount[] {
  const out: SandboxAccount[] = [];
  for (let i = 0; i < population.size && out.length < count; i++) {
    for (const t of population.truth(i)) {
      if (t.network !== network) continue;
      const account = population.account(network, t.handle);
      if (account && ok(account)) out.push(account);
    }
  }
  if (out.length < count) throw new Error(`only ${out.length} ${network} accounts match`);
  return out;
}

/** Handles listed by people but pointing at nothing (typos). */
export function missingHandles(network: SandboxNetwork, count: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < population.size && out.length < count; i++) {
    for (const t of population.truth(i)) if (t.network === network && t.state === 'not_found') out.push(t.handle);
  }
  return out;
}

export async function getJson(
  url: string,
  init?: RequestInit,
): Promise<{ status: number; headers: Headers; body: unknown }> {
  const response = await fetch(url, init);
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text.length > 0 ? (JSON.parse(text) as unknown) : undefined,
  };
}
