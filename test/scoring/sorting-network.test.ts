// The branch-free sort behind the typical post: generated from its comparator list, proven to sort by the 0-1
// principle, and equal to the plain interquartile mean on random inputs (exactly: the values are whole numbers).
import { readFileSync } from 'node:fs';

import { expect } from 'chai';
import fc from 'fast-check';

import { interquartileMeanOfSmall, SMALL_LIMIT } from '../../src/scoring/sort20.ts';
import { comparators, GENERATED_FILE, source, WIDTH } from './sorting-network.ts';

function referenceInterquartileMean(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  if (n === 0) return 0;
  const trim = n >= 3 ? Math.max(1, n >> 2) : 0;
  let sum = 0;
  for (let i = trim; i < n - trim; i++) sum += sorted[i]!;
  return sum / (n - 2 * trim);
}

const ALL = (1 << WIDTH) - 1;
function popcount(x: number): number {
  let count = 0;
  for (let rest = x; rest !== 0; rest &= rest - 1) count++;
  return count;
}

describe('scoring: the sorting network of the typical post', () => {
  it('src/scoring/sort20.ts is what the generator writes (regenerate with --write)', () => {
    expect(
      readFileSync(GENERATED_FILE, 'utf8') === source(),
      'out of date: npx tsx test/scoring/sorting-network.ts --write',
    ).to.equal(true);
  });

  it('sorts every one of the 2^20 inputs of zeros and ones, so it sorts any input (0-1 principle)', () => {
    const pairs = comparators();
    const low = Int32Array.from(pairs.map(([a]) => a));
    const high = Int32Array.from(pairs.map(([, b]) => b));
    let unsorted = 0;
    for (let input = 0; input < 1 << WIDTH; input++) {
      let bits = input;
      for (let k = 0; k < low.length; k++) {
        const a = (bits >> low[k]!) & 1;
        const b = (bits >> high[k]!) & 1;
        if (a > b) bits ^= (1 << low[k]!) | (1 << high[k]!);
      }
      // Sorted ascending by wire: the input's ones all on the highest wires.
      const ones = popcount(input);
      if (bits !== ALL - ((1 << (WIDTH - ones)) - 1)) unsorted++;
    }
    expect(unsorted).to.equal(0);
  });

  it('equals the plain interquartile mean for 0–20 whole numbers, negatives and values near the limit included', () => {
    const value = fc.oneof(
      fc.integer({ min: 0, max: 1_000 }),
      fc.integer({ min: -(SMALL_LIMIT - 1), max: SMALL_LIMIT - 1 }),
    );
    const buffer = new Float64Array(WIDTH);
    fc.assert(
      fc.property(fc.array(value, { maxLength: WIDTH }), (values) => {
        buffer.set(values);
        expect(interquartileMeanOfSmall(buffer, values.length)).to.equal(referenceInterquartileMean(values));
      }),
      { numRuns: 3_000 },
    );
  });
});
