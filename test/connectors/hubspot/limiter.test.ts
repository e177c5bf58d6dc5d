// The per-portal limiter on a fake clock: never more than the window allows, search on its own lane.
import { expect } from 'chai';

import { createHubSpotConnector, HubSpotPortals } from '../../../connectors/hubspot/index.ts';
import { PortalLimiter } from '../../../connectors/hubspot/limiter.ts';

function fakeClock() {
  const clock = { t: 1_000_000 };
  return {
    clock,
    now: () => clock.t,
    sleep: (ms: number) => {
      clock.t += ms;
      return Promise.resolve();
    },
  };
}

function maxInWindow(times: number[], windowMs: number): number {
  let best = 0;
  for (const start of times) best = Math.max(best, times.filter((t) => t >= start && t < start + windowMs).length);
  return best;
}

describe('HubSpot portal limiter', () => {
  it('sends at most `max` requests in any rolling window, and uses the window fully', async () => {
    const { clock, now, sleep } = fakeClock();
    const limiter = new PortalLimiter({ max: 100, intervalMs: 10_000 }, now, sleep);
    const sent: number[] = [];
    for (let i = 0; i < 250; i++) {
      const answered = await limiter.acquire('api');
      sent.push(clock.t);
      clock.t += 7; // the response takes 7 ms
      answered();
    }
    expect(maxInWindow(sent, 10_000)).to.equal(100);
    // 250 calls = 100 at once, then two more windows (each slot frees 10 s after its response): just over 20 s.
    expect((sent.at(-1) ?? 0) - (sent[0] ?? 0)).to.be.within(20_000, 20_500);
  });

  it('keeps searches to `searchPerSecond` while other calls use the rest of the window', async () => {
    const { clock, now, sleep } = fakeClock();
    const limiter = new PortalLimiter({ max: 100, intervalMs: 10_000, searchPerSecond: 4 }, now, sleep);
    const searches: number[] = [];
    for (let i = 0; i < 12; i++) {
      (await limiter.acquire('search'))();
      searches.push(clock.t);
    }
    expect(maxInWindow(searches, 1_000)).to.equal(4);
    const t = clock.t;
    (await limiter.acquire('api'))();
    expect(clock.t).to.equal(t);
  });

  it("learns the portal's limit from X-HubSpot-RateLimit-* headers and holds back when others spent the window", async () => {
    const { clock, now, sleep } = fakeClock();
    const limiter = new PortalLimiter({ max: 100 }, now, sleep);
    limiter.observe({
      'x-hubspot-ratelimit-max': '190',
      'x-hubspot-ratelimit-interval-milliseconds': '10000',
      'x-hubspot-ratelimit-remaining': '150',
    });
    expect(limiter.settings.max).to.equal(190);
    limiter.observe({ 'x-hubspot-ratelimit-remaining': '0' });
    const t = clock.t;
    (await limiter.acquire('api'))();
    expect(clock.t - t).to.be.at.least(1_000);
  });
});

describe('HubSpot shared state per portal (owned by the composition root)', () => {
  const options = (portalKey: string) => ({
    baseUrl: 'https://api.hubapi.com',
    portalKey,
    auth: { kind: 'private' as const, accessToken: 'pat-na1-test' },
  });

  it('connectors given the same HubSpotPortals share one limiter per portal; others never share anything', () => {
    const portals = new HubSpotPortals();
    const a = createHubSpotConnector(options('portal-1'), { portals });
    const b = createHubSpotConnector(options('portal-1'), { portals });
    const c = createHubSpotConnector(options('portal-2'), { portals });
    expect(a.limiter).to.equal(b.limiter);
    expect(a.limiter).to.not.equal(c.limiter);
    // No hidden process-wide map: the same portal key without a shared HubSpotPortals is a separate limiter.
    expect(createHubSpotConnector(options('portal-1')).limiter).to.not.equal(a.limiter);
    expect(createHubSpotConnector(options('portal-1')).limiter).to.not.equal(
      createHubSpotConnector(options('portal-1')).limiter,
    );
  });
});
