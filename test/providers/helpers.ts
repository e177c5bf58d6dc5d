// Shared test setup for adapter tests: no real network, instant (fake) sleeps.
import nock from 'nock';

import type { HttpClientOptions } from '../../src/http/index.ts';

export const NOW = new Date('2026-07-01T12:00:00.000Z');

/** HTTP options that make retries instant and bounded. */
export function fastHttp(extra: Partial<HttpClientOptions> = {}): Partial<HttpClientOptions> {
  // A fake clock that sleeping advances, starting at real time (so reset headers computed from Date.now() line up).
  let t = Date.now();
  return {
    now: () => t,
    sleep: (ms: number) => {
      t += ms;
      return Promise.resolve();
    },
    maxRetries: 2,
    ...extra,
  };
}

export function useNock(): void {
  before(() => nock.disableNetConnect());
  afterEach(() => {
    const pending = nock.pendingMocks();
    nock.cleanAll();
    if (pending.length > 0) throw new Error(`unused nock interceptors: ${pending.join(', ')}`);
  });
  after(() => nock.enableNetConnect());
}
