// Deals for the sandbox CRMs, generated from the population with a known relationship between a person's latent
// influence and how their deals turn out: P(won | closed) = logistic(logit(baseWinRate) + effect × influence).
// `effect: 0` is the null world (influence has nothing to do with winning). Seeded and deterministic: deal k of
// person i is a pure function of (seed, i, k). Salesforce shows them as Opportunities with a primary
// OpportunityContactRole, HubSpot as deals associated with contacts.

export interface DealWorldOptions {
  /** Log-odds of winning per standard deviation of latent influence (0 = no relationship). */
  effect: number;
  /** Share of contacts with at least one deal. */
  dealShare?: number;
  baseWinRate?: number;
  seed?: number;
}

export interface SandboxDeal {
  /** 0-based, in person order: the sandboxes derive their ids from it. */
  index: number;
  personIndex: number;
  /** HubSpot only: a second associated contact (a colleague on the buying committee), or null. */
  secondPersonIndex: number | null;
  /** `default` or `enterprise` (HubSpot pipelines). */
  pipeline: 'default' | 'enterprise';
  createdAt: number;
  /** The day it closed (or is expected to): epoch ms at UTC midnight. */
  closeAt: number;
  isClosed: boolean;
  isWon: boolean;
  amount: number;
  /** What the generator used: the chance this deal is won once closed. */
  winProbability: number;
}

export interface DealSource {
  readonly size: number;
  latentInfluence(index: number): number;
}

const DAY_MS = 86_400_000;

function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/** A tiny counter-based generator: uniform numbers in [0, 1) for (seed, person, stream). */
function uniforms(seed: number, person: number, stream: number): () => number {
  let counter = 0;
  return () =>
    mix32(mix32(seed ^ Math.imul(person, 0x9e3779b1)) ^ Math.imul(stream + 1, 0x632be5ab) ^ counter++) / 2 ** 32;
}

const logistic = (x: number): number => 1 / (1 + Math.exp(-x));
const logit = (p: number): number => Math.log(p / (1 - p));

export function winProbability(influence: number, effect: number, baseWinRate = 0.3): number {
  return logistic(logit(baseWinRate) + effect * influence);
}

/**
 * Every deal of the people for whom `eligible(i)` holds (Salesforce: Contacts, as opportunity contact roles name
 * contacts). Created within the year before `now`; a deal whose sales cycle ends after `now` is still open.
 */
export function generateDeals(
  population: DealSource,
  options: DealWorldOptions,
  now: number,
  eligible: (index: number) => boolean = () => true,
): SandboxDeal[] {
  const seed = options.seed ?? 17;
  const share = options.dealShare ?? 0.25;
  const deals: SandboxDeal[] = [];
  const today = Math.floor(now / DAY_MS) * DAY_MS;
  for (let person = 0; person < population.size; person++) {
    const u = uniforms(seed, person, 0);
    if (u() >= share || !eligible(person)) continue;
    const count = u() < 0.25 ? 2 : 1;
    const p = winProbability(population.latentInfluence(person), options.effect, options.baseWinRate);
    for (let k = 0; k < count; k++) {
      const createdAt = now - Math.floor(u() * 365 * DAY_MS);
      // Sales cycles are log-normal around 45 days.
      const normal = Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
      const cycleDays = Math.max(1, Math.round(45 * Math.exp(0.6 * normal)));
      const closeAt = Math.floor((createdAt + cycleDays * DAY_MS) / DAY_MS) * DAY_MS;
      const isClosed = closeAt <= today;
      const isWon = isClosed && u() < p;
      const amount = Math.round(20_000 * Math.exp(0.8 * (u() + u() + u() - 1.5) * 2));
      let second: number | null = null;
      if (u() < 0.1) second = Math.floor(u() * population.size);
      deals.push({
        index: deals.length,
        personIndex: person,
        secondPersonIndex: second === person ? null : second,
        pipeline: u() < 0.2 ? 'enterprise' : 'default',
        createdAt,
        closeAt,
        isClosed,
        isWon,
        amount,
        winProbability: p,
      });
    }
  }
  return deals;
}
