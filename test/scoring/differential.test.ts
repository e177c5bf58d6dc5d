// Differential test: the scorer's full ScoreResult on a few thousand seeded, awkward inputs must equal, byte for
// byte as JSON (key order and −0 included), the outputs frozen from the current model version
// (fixtures/differential.json.gz, written by fixtures/make-differential.ts; re-frozen only with a new MODEL_VERSION,
// for the reasons in the model's README changelog). Refactoring and performance work must not move outputs.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

import { expect } from 'chai';

import { createScorer } from '../../src/scoring/index.ts';
import {
  DIFFERENTIAL_CASES,
  DIFFERENTIAL_SEED,
  differentialCases,
  OPTION_SETS,
  toJson,
} from './differential-inputs.ts';

interface FrozenCase {
  optionSet: number;
  input: string;
  output: string;
}

describe('scoring model: differential against frozen outputs', function () {
  this.timeout(30_000);

  const frozen = (): { seed: number; cases: FrozenCase[] } =>
    JSON.parse(
      gunzipSync(readFileSync(new URL('./fixtures/differential.json.gz', import.meta.url))).toString('utf8'),
    ) as {
      seed: number;
      cases: FrozenCase[];
    };

  it('regenerates exactly the frozen inputs (the generator has not drifted)', () => {
    const fixture = frozen();
    expect(fixture.seed).to.equal(DIFFERENTIAL_SEED);
    const cases = differentialCases(DIFFERENTIAL_SEED, DIFFERENTIAL_CASES);
    expect(cases).to.have.length(fixture.cases.length);
    for (let i = 0; i < cases.length; i++) {
      expect(cases[i]!.optionSet).to.equal(fixture.cases[i]!.optionSet);
      expect(toJson(cases[i]!.input), `input ${i}`).to.equal(fixture.cases[i]!.input);
    }
  });

  it('scores every case exactly as the frozen model did, in every option set', () => {
    const fixture = frozen();
    const scorers = OPTION_SETS.map((options) => createScorer(options));
    const cases = differentialCases(DIFFERENTIAL_SEED, DIFFERENTIAL_CASES);
    let mismatches = 0;
    let first = '';
    for (let i = 0; i < cases.length; i++) {
      const { optionSet, input } = cases[i]!;
      const actual = toJson(scorers[optionSet]!(input));
      if (actual !== fixture.cases[i]!.output) {
        if (mismatches++ === 0) {
          first = `case ${i} (option set ${optionSet})`;
          expect(JSON.parse(actual), first).to.deep.equal(JSON.parse(fixture.cases[i]!.output)); // readable diff
          expect(actual, `${first}: same values, different key order or −0`).to.equal(fixture.cases[i]!.output);
        }
      }
    }
    expect(mismatches, first).to.equal(0);
  });

  it('scores the same inputs the same when they are scored again in a different order (no state leaks between calls)', () => {
    const fixture = frozen();
    const scorers = OPTION_SETS.map((options) => createScorer(options));
    const cases = differentialCases(DIFFERENTIAL_SEED, DIFFERENTIAL_CASES);
    for (let i = cases.length - 1; i >= 0; i -= 7) {
      const { optionSet, input } = cases[i]!;
      expect(toJson(scorers[optionSet]!(input)), `case ${i}`).to.equal(fixture.cases[i]!.output);
    }
  });
});
