// The model as the engine sees it: createScorer(options) → ScoreFunction. Pure: no I/O, no clock (uses input.now).
import { aggregate } from './aggregate.ts';
import { explain, youtubeFactor } from './explain.ts';
import { scoreNetwork, type NetworkScore } from './network.ts';
import { resolveOptions, type ResolvedOptions, type ScoringOptionsInput } from './options.ts';
import { REASON_CODES, type ReasonCode } from './reasons.ts';
import { tierWithHysteresis } from './tiers.ts';
import { trendOf } from './trend.ts';
import type { Confidence, Network, ScoredNetworkInput, ScoreFunction, ScoreInput, ScoreResult } from './types.ts';

/** Bump on any change that moves scores; record it in README.md "Changelog". */
export const MODEL_VERSION = '1.0.0';

const round1 = (x: number): number => Math.round(x * 10) / 10;
const CONFIDENCE_ORDER: Confidence[] = ['low', 'medium', 'high'];
const REASON_ORDER = new Map<string, number>(REASON_CODES.map((code, i) => [code, i]));

interface Entry {
  input: ScoredNetworkInput;
  scored: NetworkScore;
}

function confidenceOf(top: Entry, counted: readonly Entry[]): Confidence {
  const verified = top.input.provenance === 'crm-field';
  const s = top.scored;
  let level = 0;
  if (verified && s.evidence >= 10 && s.flags.length === 0 && top.input.metrics.followersHidden !== true) level = 2;
  else if (verified && s.evidence >= 3) level = 1;
  else {
    // Two independently matched networks that agree (both with posts, sub-scores within 20 points).
    const solid = counted.filter((e) => e.scored.evidence >= 3);
    for (let i = 0; i < solid.length && level === 0; i++) {
      for (let j = i + 1; j < solid.length; j++) {
        if (Math.abs(solid[i]!.scored.subScore - solid[j]!.scored.subScore) <= 20) {
          level = 1;
          break;
        }
      }
    }
  }
  if (top.input.metrics.followersHidden === true) level = Math.min(level, 1);
  if (top.input.stale) level = Math.max(0, level - 1);
  return CONFIDENCE_ORDER[level]!;
}

export function createScorer(optionsInput: ScoringOptionsInput = {}): ScoreFunction {
  const options: ResolvedOptions = resolveOptions(optionsInput);
  const { thresholds, labels, hysteresisPoints } = options.tiers;
  const customLabels = (Object.keys(labels) as (keyof typeof labels)[]).some((k) => labels[k] !== k);

  return function score(input: ScoreInput): ScoreResult {
    const reasons = new Set<ReasonCode>();
    const networks: Partial<Record<Network, number>> = {};
    const counted: Entry[] = [];
    let youtube: Entry | undefined;

    for (const networkInput of input.networks) {
      const scored = scoreNetwork(networkInput.metrics, options);
      const entry = { input: networkInput, scored };
      const network = scored.network;
      const rounded = round1(scored.subScore);
      if ((networks[network] ?? -1) < rounded) networks[network] = rounded;
      if (network === 'youtube' && options.youtube === 'separate') {
        if (youtube === undefined || youtube.scored.subScore < scored.subScore) youtube = entry;
        continue;
      }
      if (options.weightOf[network] > 0) counted.push(entry);
    }
    if (youtube !== undefined) reasons.add('YOUTUBE_SEPARATE');

    const finish = (result: Omit<ScoreResult, 'reasonCodes' | 'modelVersion' | 'tierLabel'>): ScoreResult => {
      const reasonCodes = [...reasons].sort((a, b) => REASON_ORDER.get(a)! - REASON_ORDER.get(b)!);
      const out: ScoreResult = { ...result, reasonCodes, modelVersion: MODEL_VERSION };
      if (customLabels) out.tierLabel = labels[result.tier];
      return out;
    };

    if (counted.length === 0) {
      // Unscored: no resolvable identity (or only YouTube, which is kept out of the total).
      if (youtube === undefined) reasons.add('NO_IDENTITY');
      return finish({
        score: null,
        tier: 'Unscored',
        confidence: youtube ? confidenceOf(youtube, [youtube]) : 'low',
        factors: youtube ? [youtubeFactor(youtube.scored.subScore)] : [],
        networks,
        trend: 'New',
        delta30d: null,
      });
    }

    const weighted = counted.map((e) => options.weightOf[e.scored.network] * e.scored.subScore);
    const { score: rawScore, contributions } = aggregate(weighted);
    const score = round1(rawScore);

    let topIndex = 0;
    for (let i = 1; i < counted.length; i++) if (contributions[i]! > contributions[topIndex]!) topIndex = i;
    const top = counted[topIndex]!;
    const confidence = confidenceOf(top, counted);

    for (const { input: ni, scored: s } of counted) {
      for (const flag of s.flags) reasons.add(flag.code);
      if (s.subScore <= 0) continue;
      if (s.amplification >= 60) reasons.add('STRONG_AMPLIFICATION');
      if (s.engagementRatio !== null && s.engagementRatio >= 2 && s.postsUsed >= 3) reasons.add('HIGH_ENGAGEMENT');
      if (s.reach >= 60) reasons.add('LARGE_REACH');
      if (s.network !== 'github') {
        if (s.postsInWindow === 0) reasons.add('INACTIVE');
        else if (s.postsInWindow < 3) reasons.add('FEW_RECENT_POSTS');
      }
      if (ni.metrics.followersHidden === true) reasons.add('FOLLOWERS_HIDDEN');
      if (ni.stale) reasons.add('STALE_DATA');
    }
    if (top.input.provenance !== 'crm-field') reasons.add('UNVERIFIED_HANDLE');

    const hysteresis = tierWithHysteresis(score, input.history[0], thresholds, hysteresisPoints);
    let tier = hysteresis.tier;
    if (hysteresis.held) reasons.add('TIER_HELD');
    if (tier === 'A' && (confidence === 'low' || top.input.provenance !== 'crm-field')) {
      tier = 'B';
      reasons.add('TIER_A_NEEDS_VERIFIED');
    }

    const factors = explain(
      counted.map((e) => e.scored),
      contributions,
      score,
      options.windowDays,
    );
    if (youtube !== undefined) factors.push(youtubeFactor(youtube.scored.subScore));
    const { trend, delta30d } = trendOf(score, input.history, input.now);
    return finish({ score, tier, confidence, factors, networks, trend, delta30d });
  };
}
