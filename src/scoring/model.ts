// The model as the engine sees it: createScorer(options) → ScoreFunction. Pure: no I/O, no clock (uses input.now).
import { aggregate } from './aggregate.ts';
import { explain, youtubeFactor } from './explain.ts';
import { type NetworkScore, scoreNetwork } from './network.ts';
import { type ResolvedOptions, resolveOptions, type ScoringOptionsInput } from './options.ts';
import { REASON_CODES, type ReasonCode } from './reasons.ts';
import { tierWithHysteresis } from './tiers.ts';
import { parseIsoMs } from './time.ts';
import { trendOf } from './trend.ts';
import type { Confidence, Network, ScoredNetworkInput, ScoreFunction, ScoreInput, ScoreResult, Tier } from './types.ts';

/** Bump on any change that moves scores; record it in README.md "Changelog". */
export const MODEL_VERSION = '2.1.0';

const round1 = (x: number): number => Math.round(x * 10) / 10;
const CONFIDENCE_ORDER: Confidence[] = ['low', 'medium', 'high'];
/** Reason codes collected as bits (REASON_CODES order), written out sorted in that order. */
const BIT = Object.fromEntries(REASON_CODES.map((code, i) => [code, 1 << i])) as Record<ReasonCode, number>;

function reasonList(bits: number): ReasonCode[] {
  const list: ReasonCode[] = [];
  for (let i = 0; bits !== 0; i++, bits >>>= 1) if ((bits & 1) !== 0) list.push(REASON_CODES[i]!);
  return list;
}

function confidenceOf(
  topScore: NetworkScore,
  topInput: ScoredNetworkInput,
  scores: readonly NetworkScore[],
  count: number,
): Confidence {
  const verified = topInput.provenance === 'crm-field';
  const hidden = topInput.metrics.followersHidden === true;
  let level = 0;
  if (verified && topScore.evidence >= 10 && topScore.flags.length === 0 && !hidden) level = 2;
  else if (verified && topScore.evidence >= 3) level = 1;
  else {
    // Two independently matched networks that agree (both with posts, sub-scores within 20 points).
    for (let i = 0; i < count && level === 0; i++) {
      const a = scores[i]!;
      if (a.evidence < 3) continue;
      for (let j = i + 1; j < count; j++) {
        const b = scores[j]!;
        if (b.evidence >= 3 && Math.abs(a.subScore - b.subScore) <= 20) {
          level = 1;
          break;
        }
      }
    }
  }
  if (hidden) level = Math.min(level, 1);
  if (topInput.stale) level = Math.max(0, level - 1);
  return CONFIDENCE_ORDER[level]!;
}

interface Resolved {
  options: ResolvedOptions;
  labels: Record<Tier, string> | null;
}

function result(
  r: Resolved,
  bits: number,
  fields: Omit<ScoreResult, 'reasonCodes' | 'modelVersion' | 'tierLabel'>,
): ScoreResult {
  const out: ScoreResult = {
    score: fields.score,
    tier: fields.tier,
    confidence: fields.confidence,
    factors: fields.factors,
    reasonCodes: reasonList(bits),
    networks: fields.networks,
    trend: fields.trend,
    delta30d: fields.delta30d,
    modelVersion: MODEL_VERSION,
  };
  if (r.labels !== null) out.tierLabel = r.labels[fields.tier];
  return out;
}

/** networks[network] = max(current, value), by named stores (keyed stores with six possible keys were megamorphic). */
function setBest(networks: Partial<Record<Network, number>>, network: Network, value: number): void {
  switch (network) {
    case 'x':
      if ((networks.x ?? -1) < value) networks.x = value;
      return;
    case 'github':
      if ((networks.github ?? -1) < value) networks.github = value;
      return;
    case 'mastodon':
      if ((networks.mastodon ?? -1) < value) networks.mastodon = value;
      return;
    case 'bluesky':
      if ((networks.bluesky ?? -1) < value) networks.bluesky = value;
      return;
    case 'youtube':
      if ((networks.youtube ?? -1) < value) networks.youtube = value;
      return;
    case 'linkedin':
      if ((networks.linkedin ?? -1) < value) networks.linkedin = value;
      return;
    default: {
      const unhandled: never = network; // a network added to NETWORKS needs its case here (the compiler says so)
      throw new Error(`no case for network ${String(unhandled)}`);
    }
  }
}

function scoreContact(r: Resolved, input: ScoreInput): ScoreResult {
  const options = r.options;
  let bits = 0;
  const networks: Partial<Record<Network, number>> = {};
  let count = 0;
  let youtubeScore: NetworkScore | undefined;
  let youtubeInput: ScoredNetworkInput | undefined;
  const inputs = input.networks;
  // The networks counted in the total.
  const countedScores: NetworkScore[] = [];
  const countedInputs: ScoredNetworkInput[] = [];
  const weighted: number[] = [];
  const contributions: number[] = [];

  // A contact's networks are usually fetched in one run: each distinct fetchedAt is parsed once.
  let fetchedText = '';
  let fetchedMs = Number.NaN;
  for (let i = 0; i < inputs.length; i++) {
    const networkInput = inputs[i]!;
    if (networkInput.metrics.fetchedAt !== fetchedText) {
      fetchedText = networkInput.metrics.fetchedAt;
      fetchedMs = parseIsoMs(fetchedText);
    }
    const scored = scoreNetwork(networkInput.metrics, options, fetchedMs);
    const network = scored.network;
    const rounded = round1(scored.subScore);
    setBest(networks, network, rounded);
    if (network === 'youtube' && options.youtube === 'separate') {
      if (youtubeScore === undefined || youtubeScore.subScore < scored.subScore) {
        youtubeScore = scored;
        youtubeInput = networkInput;
      }
      continue;
    }
    const weight = options.weightOf[network];
    if (weight > 0) {
      countedScores[count] = scored;
      countedInputs[count] = networkInput;
      weighted[count] = weight * scored.subScore;
      count++;
    }
  }
  if (youtubeScore !== undefined) bits |= BIT.YOUTUBE_SEPARATE;

  if (count === 0) {
    // Unscored: no resolvable identity (or only YouTube, which is kept out of the total).
    if (youtubeScore === undefined) bits |= BIT.NO_IDENTITY;
    return result(r, bits, {
      score: null,
      tier: 'Unscored',
      confidence: youtubeScore && youtubeInput ? confidenceOf(youtubeScore, youtubeInput, [youtubeScore], 1) : 'low',
      factors: youtubeScore ? [youtubeFactor(youtubeScore.subScore)] : [],
      networks,
      trend: 'New',
      delta30d: null,
    });
  }

  const score = round1(aggregate(weighted, count, contributions));

  let topIndex = 0;
  for (let i = 1; i < count; i++) if (contributions[i]! > contributions[topIndex]!) topIndex = i;
  const topScore = countedScores[topIndex]!;
  const topInput = countedInputs[topIndex]!;
  const confidence = confidenceOf(topScore, topInput, countedScores, count);

  for (let i = 0; i < count; i++) {
    const s = countedScores[i]!;
    const ni = countedInputs[i]!;
    for (const flag of s.flags) bits |= BIT[flag.code];
    if (s.subScore <= 0) continue;
    if (s.amplification >= 60) bits |= BIT.STRONG_AMPLIFICATION;
    if (s.engagementRatio !== null && s.engagementRatio >= 2 && s.postsUsed >= 3) bits |= BIT.HIGH_ENGAGEMENT;
    if (s.reach >= 60) bits |= BIT.LARGE_REACH;
    // Only when posts were read: without any, activity is unknown, not low.
    if (s.network !== 'github' && s.daysSinceLastPost !== null) {
      if (s.postsInWindow === 0) bits |= BIT.INACTIVE;
      else if (s.postsInWindow < 3) bits |= BIT.FEW_RECENT_POSTS;
    }
    if (ni.metrics.followersHidden === true) bits |= BIT.FOLLOWERS_HIDDEN;
    if (ni.stale) bits |= BIT.STALE_DATA;
  }
  if (topInput.provenance !== 'crm-field') bits |= BIT.UNVERIFIED_HANDLE;

  const { thresholds, hysteresisPoints } = options.tiers;
  const hysteresis = tierWithHysteresis(score, input.history[0], thresholds, hysteresisPoints);
  let tier: Tier = hysteresis.tier;
  if (hysteresis.held) bits |= BIT.TIER_HELD;
  if (tier === 'A' && (confidence === 'low' || topInput.provenance !== 'crm-field')) {
    tier = 'B';
    bits |= BIT.TIER_A_NEEDS_VERIFIED;
  }

  const factors = explain(countedScores, contributions, count, score, options.windowDays);
  if (youtubeScore !== undefined) factors.push(youtubeFactor(youtubeScore.subScore));
  const { trend, delta30d } = trendOf(score, input.history, input.now);
  return result(r, bits, { score, tier, confidence, factors, networks, trend, delta30d });
}

export function createScorer(optionsInput: ScoringOptionsInput = {}): ScoreFunction {
  return scorerFrom(resolveOptions(optionsInput));
}

/** A scorer from options already resolved (the evaluation's calibration search passes its own constants). */
export function scorerFrom(options: ResolvedOptions): ScoreFunction {
  const labels = options.tiers.labels;
  const custom = (Object.keys(labels) as Tier[]).some((k) => labels[k] !== k);
  const resolved: Resolved = { options, labels: custom ? labels : null };
  return (input: ScoreInput): ScoreResult => scoreContact(resolved, input);
}
