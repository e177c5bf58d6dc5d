// Seeded random model inputs for the differential test: a frozen copy of the scorer's outputs on these inputs
// (fixtures/differential.json.gz) pins the model's behaviour while its hot path is optimised.
// Deliberately awkward: every ISO form a provider may send, posts exactly on the window's edges and in the future,
// more than 20 posts in the window, hidden followers, GitHub totals, duplicate networks, history with gaps.
import type { ScoringOptionsInput } from '../../src/scoring/options.ts';
import type {
  Network,
  NetworkMetrics,
  RecentPost,
  ScoredNetworkInput,
  ScoreHistoryPoint,
  ScoreInput,
  Tier,
} from '../../src/scoring/types.ts';

export const DIFFERENTIAL_SEED = 20_260_601;
export const DIFFERENTIAL_CASES = 4_000;

const DAY_MS = 86_400_000;
const NETWORKS: Network[] = ['x', 'github', 'mastodon', 'bluesky', 'youtube', 'linkedin'];
const TIERS: Tier[] = ['A', 'B', 'C', 'D', 'Unscored'];

/** The option sets the fixture covers (index = `optionSet` of a case). */
export const OPTION_SETS: ScoringOptionsInput[] = [
  {},
  {
    youtube: 'blend',
    weights: { github: 0.5, x: 0 },
    tiers: { labels: { A: 'Top', B: 'Strong', C: 'Some', D: 'Low', Unscored: 'None' } },
  },
  { windowDays: 30, shrinkagePosts: 2, tiers: { thresholds: { A: 50, B: 30, C: 10 }, hysteresisPoints: 0 } },
  {
    windowDays: 365,
    shrinkagePosts: 0,
    networks: { bluesky: { followerCap: 1_000, amplificationCap: 50 }, x: { engagementSizeSlope: 0 } },
  },
];

/** mulberry32: small, fast, the same sequence on every platform. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

type Random = () => number;
const int = (r: Random, min: number, max: number): number => min + Math.floor(r() * (max - min + 1));
const pick = <T>(r: Random, list: readonly T[]): T => list[Math.floor(r() * list.length)]!;
const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** `ms` written in one of the ISO forms providers send (all name the same instant except the minute-precision one). */
function iso(ms: number, form: number): string {
  const utc = new Date(ms).toISOString();
  switch (form) {
    case 0:
      return utc; // 2026-05-01T10:00:00.123Z
    case 1:
      return utc.slice(0, 19) + 'Z'; // no milliseconds (truncates)
    case 2: {
      // +05:30 offset with milliseconds
      return new Date(ms + 330 * 60_000).toISOString().slice(0, 23) + '+05:30';
    }
    case 3: {
      // negative offset, seconds only
      return new Date(ms - 7 * 3_600_000).toISOString().slice(0, 19) + '-07:00';
    }
    case 4:
      return utc.slice(0, 16) + 'Z'; // minute precision
    case 5:
      return utc.slice(0, 20) + pad(new Date(ms).getUTCMilliseconds() % 10, 1) + 'Z'; // one fraction digit
    default:
      return utc.slice(0, 19) + '.' + pad(new Date(ms).getUTCMilliseconds(), 3) + '000Z'; // microseconds
  }
}

function formOf(r: Random): number {
  const u = r();
  return u < 0.6 ? 0 : u < 0.8 ? 1 : int(r, 2, 6);
}

function count(r: Random, level: number): number {
  const u = r();
  if (u < 0.1) return 0;
  if (u < 0.12) return int(r, 0, 2_000_000); // implausible spikes
  return Math.floor(level * Math.exp(r() * 3 - 1.5));
}

function posts(r: Random, fetchedMs: number, windowDays: number, followers: number): RecentPost[] {
  const n = r() < 0.1 ? 0 : r() < 0.15 ? int(r, 21, 35) : int(r, 1, 20);
  const level = r() < 0.15 ? 0 : Math.max(0, followers * 0.01 * Math.exp(r() * 6 - 3));
  const sameForm = r() < 0.7 ? formOf(r) : -1;
  const spreadDays = pick(r, [5, 30, 90, 200, 400]);
  const out: RecentPost[] = [];
  for (let i = 0; i < n; i++) {
    let ms: number;
    const u = r();
    if (u < 0.04)
      ms = fetchedMs - windowDays * DAY_MS; // exactly on the window's start
    else if (u < 0.06)
      ms = fetchedMs - windowDays * DAY_MS - int(r, 1, 999); // just before it
    else if (u < 0.08)
      ms = fetchedMs + DAY_MS; // exactly on the clock-skew tolerance
    else if (u < 0.1)
      ms = fetchedMs + DAY_MS + int(r, 1, 1_500); // just past it
    else if (u < 0.13)
      ms = fetchedMs + int(r, 0, 3 * DAY_MS); // in the future
    else ms = fetchedMs - Math.floor(r() * spreadDays * DAY_MS);
    const post: RecentPost = {
      at: iso(ms, sameForm >= 0 ? sameForm : formOf(r)),
      reshares: Math.floor(count(r, level) / 10),
      replies: Math.floor(count(r, level) / 20),
      likes: count(r, level),
    };
    if (r() < 0.1) post.quotes = int(r, 0, 100);
    if (r() < 0.1) post.views = int(r, 0, 100_000);
    out.push(post);
  }
  return out;
}

function metrics(
  r: Random,
  network: Network,
  fetchedMs: number,
  fetchedAt: string,
  windowDays: number,
): NetworkMetrics {
  const followers = r() < 0.05 ? 0 : Math.floor(Math.exp(r() * 17));
  const m: NetworkMetrics = {
    network,
    handle: `h${int(r, 0, 999)}`,
    followers,
    following: r() < 0.2 ? int(r, 1_400, 200_000) : Math.floor(followers * r()),
    posts: r() < 0.1 ? int(r, 100_000, 2_000_000) : int(r, 0, 20_000),
    recentPosts: [],
    fetchedAt,
  };
  const created = r();
  if (created < 0.15)
    m.createdAt = iso(fetchedMs - int(r, 0, 89) * DAY_MS - int(r, 0, DAY_MS), formOf(r)); // young
  else if (created < 0.18)
    m.createdAt = iso(fetchedMs + int(r, 1, 5) * DAY_MS, 0); // after fetchedAt
  else if (created < 0.8) m.createdAt = iso(fetchedMs - int(r, 90, 6_000) * DAY_MS, formOf(r));
  if (r() < 0.2) m.verified = r() < 0.5;
  if (network === 'youtube' && r() < 0.3) m.followersHidden = true;
  if (network === 'github') {
    const totals = r();
    if (totals < 0.7) m.extra = { stars: int(r, 0, 500_000), forks: int(r, 0, 50_000) };
    else if (totals < 0.8) m.extra = { stars: int(r, 0, 5_000) };
    else if (totals < 0.9) m.extra = { forks: int(r, 0, 5_000), other: 3 };
  } else if (r() < 0.05) m.extra = { stars: 10 };
  m.recentPosts = network === 'github' && r() < 0.7 ? [] : posts(r, fetchedMs, windowDays, followers);
  return m;
}

function history(r: Random, nowMs: number): ScoreHistoryPoint[] {
  const n = r() < 0.4 ? 0 : int(r, 1, 4);
  const out: ScoreHistoryPoint[] = [];
  for (let i = 0; i < n; i++) {
    const score = r() < 0.15 ? null : Math.round(r() * 1000) / 10;
    out.push({
      at: iso(nowMs - int(r, 0, 90) * DAY_MS - int(r, 0, DAY_MS), formOf(r)),
      score,
      tier: score === null ? 'Unscored' : pick(r, TIERS),
    });
  }
  return out;
}

export interface DifferentialCase {
  optionSet: number;
  input: ScoreInput;
}

export function differentialCases(seed: number, total: number): DifferentialCase[] {
  const r = prng(seed);
  const cases: DifferentialCase[] = [];
  for (let c = 0; c < total; c++) {
    const optionSet = c % OPTION_SETS.length;
    const windowDays = OPTION_SETS[optionSet]!.windowDays ?? 90;
    const nowMs = Date.UTC(2026, 5, 1) + int(r, 0, 3) * DAY_MS;
    const fetchedMs = nowMs - int(r, 0, 2) * DAY_MS - (r() < 0.5 ? 0 : int(r, 0, DAY_MS));
    // A batch shares one fetchedAt; vary its form too.
    const fetchedAt = iso(fetchedMs, r() < 0.8 ? 0 : formOf(r));
    const networks: ScoredNetworkInput[] = [];
    const n = r() < 0.05 ? 0 : int(r, 1, 5);
    for (let i = 0; i < n; i++) {
      const network = pick(r, NETWORKS);
      networks.push({
        metrics: metrics(r, network, fetchedMs, fetchedAt, windowDays),
        provenance: r() < 0.7 ? 'crm-field' : 'discovered',
        stale: r() < 0.1,
      });
    }
    cases.push({ optionSet, input: { networks, history: history(r, nowMs), now: new Date(nowMs) } });
  }
  return cases;
}

/** JSON that keeps −0 apart from 0 (chai's deep equality does too). */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (Object.is(v, -0) ? '-0' : v));
}
