// The one retry loop: attempts, the policy's decisions (retry or stop, the wait), errors a policy throws, answers a
// policy rejects (a 503), and the one jitter formula.
import { expect } from 'chai';

import { fullJitter, retry, retryAfter, STOP } from '../../src/http/index.ts';

describe('http: retry()', () => {
  it('runs attempts until the policy stops; waits what the policy says, counting attempts from 1', async () => {
    const waits: number[] = [];
    const seen: number[] = [];
    const result = await retry(
      (n) => (n < 3 ? Promise.reject(new Error(`boom ${n}`)) : Promise.resolve(`ok after ${n}`)),
      {
        onError: (_error, n) => {
          seen.push(n);
          return retryAfter(n * 100);
        },
        sleep: (ms) => {
          waits.push(ms);
          return Promise.resolve();
        },
      },
    );
    expect(result).to.equal('ok after 3');
    expect(seen).to.deep.equal([1, 2]);
    expect(waits).to.deep.equal([100, 200]);
  });

  it('a stop rethrows the attempt’s own error; a policy that throws replaces it', async () => {
    const original = new Error('transient?');
    const stopped = await retry(() => Promise.reject(original), { onError: () => STOP }).catch((e: unknown) => e);
    expect(stopped).to.equal(original);
    const replaced = await retry(() => Promise.reject(original), {
      onError: () => {
        throw new Error('needs reauth');
      },
    }).catch((e: unknown) => e);
    expect((replaced as Error).message).to.equal('needs reauth');
  });

  it('an answer the policy rejects (a 503) is tried again; no wait means no sleep', async () => {
    let sleeps = 0;
    const statuses = [503, 503, 200];
    const result = await retry((n) => Promise.resolve(statuses[n - 1]), {
      onError: () => STOP,
      onResult: (status) => (status === 503 ? retryAfter(0) : STOP),
      sleep: () => {
        sleeps += 1;
        return Promise.resolve();
      },
    });
    expect(result).to.equal(200);
    expect(sleeps).to.equal(0);
  });

  it('full jitter: random in [0, min(cap, base·2^(attempt−1)))', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => fullJitter(n, 250, 4000, () => 0.5))).to.deep.equal([
      125, 250, 500, 1000, 2000, 2000,
    ]);
    expect(fullJitter(3, 250, 4000, () => 0)).to.equal(0);
    expect(fullJitter(30, 250, 4000, () => 0.999999)).to.be.below(4000);
  });
});
