import { expect } from 'chai';

import type { SandboxAccount, SandboxNetwork } from '../../src/sandbox/population.ts';
import { createPopulation, SANDBOX_NETWORKS } from '../../src/sandbox/population.ts';

const NOW = new Date('2026-06-01T00:00:00Z');
const SAMPLE = 20_000;

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

describe('sandbox population', () => {
  const pop = createPopulation({ seed: 'test-seed', size: 1_000_000, now: NOW });

  it('is deterministic: the same seed gives the same people, accounts and posts', () => {
    const again = createPopulation({ seed: 'test-seed', size: 1_000_000, now: NOW });
    for (const i of [0, 1, 17, 4242, 999_999]) {
      expect(again.person(i)).to.deep.equal(pop.person(i));
      expect(again.truth(i)).to.deep.equal(pop.truth(i));
    }
    const truth = firstTruth('x');
    const a = pop.account('x', truth.handle);
    const b = again.account('x', truth.handle);
    expect(a).to.deep.equal(b);
    if (a && b) expect(again.recentPosts(b, 20)).to.deep.equal(pop.recentPosts(a, 20));
  });

  it('gives other people for another seed, and numeric seeds work', () => {
    const other = createPopulation({ seed: 7, size: 1000, now: NOW });
    const names = (p: typeof pop) =>
      Array.from({ length: 50 }, (_, i) => `${p.person(i).firstName} ${p.person(i).lastName}`);
    expect(names(other)).to.not.deep.equal(names(pop));
    expect(other.seed).to.equal('7');
  });

  it('is lazy: person(999_999) of a million is instant, and out-of-range indexes are refused', () => {
    const started = performance.now();
    const p = pop.person(999_999);
    expect(performance.now() - started).to.be.below(50);
    expect(p.index).to.equal(999_999);
    expect(() => pop.person(1_000_000)).to.throw(RangeError, /\[0, 1000000\)/);
    expect(() => pop.person(-1)).to.throw(RangeError);
    expect(() => createPopulation({ seed: '', size: 10 })).to.throw(/seed/);
  });

  it('makes realistic people: names, unique emails, ~70% Contacts, ~2% opted out', () => {
    const emails = new Set<string>();
    let contacts = 0;
    let optedOut = 0;
    const bad: string[] = [];
    for (let i = 0; i < SAMPLE; i++) {
      const p = pop.person(i);
      // Plain checks in the loop (chai per item is slow); the failures are reported together.
      if (!/^\S/.test(p.firstName) || p.company.length < 3 || !(Date.parse(p.createdAt) < NOW.getTime()))
        bad.push(JSON.stringify(p));
      if (!/^[a-z0-9._]+@[a-z0-9.-]+\.[a-z]{2,}$/.test(p.email)) bad.push(p.email);
      emails.add(p.email);
      if (p.objectType === 'Contact') contacts++;
      if (p.optedOut) optedOut++;
    }
    expect(bad).to.deep.equal([]);
    expect(emails.size).to.equal(SAMPLE);
    expect(pop.email(123)).to.equal(pop.person(123).email);
    for (let i = 0; i < 50; i++) expect(pop.gravatarEmail(i)).to.equal(pop.hasGravatar(i) ? pop.email(i) : undefined);
    expect(contacts / SAMPLE).to.be.within(0.67, 0.73);
    expect(optedOut / SAMPLE).to.be.within(0.012, 0.03);
  });

  it('covers the networks realistically (X ~35%, GitHub ~15%, Bluesky ~15%, Mastodon ~8%, YouTube ~5%, none ~35%)', () => {
    const listed: Record<SandboxNetwork, number> = { x: 0, github: 0, mastodon: 0, bluesky: 0, youtube: 0 };
    let none = 0;
    for (let i = 0; i < SAMPLE; i++) {
      const truth = pop.truth(i);
      for (const t of truth) listed[t.network]++;
      if (truth.length === 0) none++;
    }
    const share = (n: number) => n / SAMPLE;
    expect(share(listed.x)).to.be.within(0.31, 0.39);
    expect(share(listed.github)).to.be.within(0.12, 0.18);
    expect(share(listed.bluesky)).to.be.within(0.12, 0.18);
    expect(share(listed.mastodon)).to.be.within(0.06, 0.1);
    expect(share(listed.youtube)).to.be.within(0.035, 0.07);
    expect(share(none)).to.be.within(0.3, 0.4);
  });

  it('writes messy raw values: URLs, @-prefixes, spaces, case, user@instance, DIDs, channel ids, junk, wrong fields', () => {
    const raws: Record<string, string[]> = { x: [], github: [], mastodon: [], bluesky: [], youtube: [] };
    let wrongField = 0;
    let junk = 0;
    for (let i = 0; i < SAMPLE; i++) {
      const p = pop.person(i);
      for (const n of SANDBOX_NETWORKS) {
        const v = p.handles[n];
        if (v !== undefined) raws[n]?.push(v);
      }
      const truth = pop.truth(i);
      if (truth.some((t) => t.field !== t.network)) wrongField++;
      const truthFields = new Set(truth.map((t) => t.field));
      for (const n of SANDBOX_NETWORKS) if (p.handles[n] !== undefined && !truthFields.has(n)) junk++;
    }
    const some = (n: string, re: RegExp) =>
      expect(
        raws[n]?.some((v) => re.test(v)),
        `${n} ${re}`,
      ).to.be.true;
    some('x', /^@/);
    some('x', /^https:\/\/(x|twitter)\.com\//);
    some('x', /^[A-Z0-9_]+$/);
    some('x', /^\s|\s$/);
    some('github', /^https:\/\/github\.com\//);
    some('github', /\/$/);
    some('mastodon', /^@[^@]+@[^@]+$/);
    some('mastodon', /^[^@]+@[^@]+$/);
    some('mastodon', /^https:\/\/[^/]+\/@/);
    some('bluesky', /\.bsky\.social\s*$/);
    some('bluesky', /^did:plc:/);
    some('bluesky', /^[a-z0-9-]+\.(dev|com|io|me|net|xyz|social)\s*$/);
    some('youtube', /^@/);
    some('youtube', /^UC[A-Za-z0-9_-]{22}\s*$/);
    some('youtube', /youtube\.com\/channel\/UC/);
    expect(wrongField / SAMPLE).to.be.within(0.003, 0.03);
    expect(junk / SAMPLE).to.be.within(0.005, 0.03);
  });

  it('agrees: every listed handle resolves through account() (or is a typo that does not), by handle and by id', () => {
    let found = 0;
    for (let i = 0; i < 3000; i++) {
      for (const t of pop.truth(i)) {
        const a = pop.account(t.network, t.handle);
        if (t.state === 'not_found') {
          expect(a, `${t.network} ${t.handle}`).to.be.undefined;
          continue;
        }
        expect(a, `${t.network} ${t.handle}`).to.not.be.undefined;
        if (!a) continue;
        found++;
        expect(a.handle).to.equal(t.handle);
        expect(a.personIndex).to.equal(i);
        expect(a.state).to.equal(t.state);
        expect(pop.accountById(t.network, a.id)?.handle).to.equal(a.handle);
        // Networks are case-insensitive about handles; the emulators pass lookups through as typed.
        expect(pop.account(t.network, a.handle.toUpperCase())?.id).to.equal(a.id);
      }
    }
    expect(found).to.be.above(1500);
  });

  it('finds nothing for handles nobody has', () => {
    expect(pop.account('x', 'jack')).to.be.undefined;
    expect(pop.account('x', 'adalovelace0')).to.be.undefined; // right index, wrong name
    expect(pop.account('github', 'someone-else99')).to.be.undefined;
    expect(pop.account('mastodon', 'nobody1@mastodon.social')).to.be.undefined;
    expect(pop.account('bluesky', 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa')).to.be.undefined;
    expect(pop.accountById('x', '123')).to.be.undefined;
    const small = createPopulation({ seed: 'test-seed', size: 10, now: NOW });
    const far = firstTruthAbove('x', 10);
    expect(small.account('x', far.handle)).to.be.undefined; // beyond the population size
  });

  it('has heavy-tailed followers, correlated engagement, bots, follow-back, dormant, protected and suspended accounts', () => {
    const accounts: SandboxAccount[] = [];
    for (let i = 0; i < SAMPLE; i++) {
      for (const t of pop.truth(i)) {
        if (t.network !== 'x') continue;
        const a = pop.account('x', t.handle);
        if (a) accounts.push(a);
      }
    }
    const followers = accounts.map((a) => a.followers).sort((a, b) => a - b);
    const median = quantile(followers, 0.5);
    expect(median).to.be.within(100, 800);
    expect(quantile(followers, 0.99)).to.be.above(median * 50); // heavy tail
    expect(followers.at(-1)).to.be.above(500_000);
    const byKind = (k: SandboxAccount['kind']) => accounts.filter((a) => a.kind === k);
    const bots = byKind('bot');
    const humans = byKind('human');
    expect(bots.length / accounts.length).to.be.within(0.02, 0.07);
    const avg = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(avg(bots.map((a) => a.postsPerDay))).to.be.above(10 * avg(humans.map((a) => a.postsPerDay)));
    expect(avg(bots.map((a) => a.engagementRate))).to.be.below(avg(humans.map((a) => a.engagementRate)) / 10);
    const followBack = byKind('follow_back');
    expect(followBack.length).to.be.above(0);
    for (const a of followBack) {
      expect(a.followers).to.be.above(1500);
      expect(a.following / a.followers).to.be.within(0.85, 1.15);
    }
    const states = (s: SandboxAccount['state']) => accounts.filter((a) => a.state === s).length / accounts.length;
    expect(states('dormant')).to.be.within(0.08, 0.22);
    expect(states('protected')).to.be.within(0.03, 0.1);
    expect(states('suspended')).to.be.within(0.01, 0.04);
    // Engagement grows with followers: the top decile's likes per post dwarf the bottom decile's.
    const active = accounts.filter((a) => a.kind === 'human' && a.state === 'active' && a.posts >= 10);
    active.sort((a, b) => a.followers - b.followers);
    const likes = (a: SandboxAccount) =>
      avg(
        pop
          .recentPosts(a, 10)
          .filter((p) => !p.isReply)
          .map((p) => p.likes)
          .concat([0]),
      );
    const low = avg(active.slice(0, 100).map(likes));
    const high = avg(active.slice(-100).map(likes));
    expect(high).to.be.above(low * 20);
  });

  it('generates recent posts lazily: newest first, dormant accounts silent for 90+ days', () => {
    let checkedDormant = 0;
    for (let i = 0; i < 5000 && checkedDormant < 20; i++) {
      for (const t of pop.truth(i)) {
        const a = pop.account(t.network, t.handle);
        if (!a || a.network === 'github') continue;
        const posts = pop.recentPosts(a, 30);
        expect(posts.length).to.be.at.most(Math.min(30, a.posts));
        for (let k = 1; k < posts.length; k++)
          expect(Date.parse(posts[k]?.at ?? '')).to.be.below(Date.parse(posts[k - 1]?.at ?? ''));
        if (posts[0]) expect(posts[0].at).to.equal(a.lastPostAt);
        if (a.state === 'dormant' && posts[0]) {
          checkedDormant++;
          expect(NOW.getTime() - Date.parse(posts[0].at)).to.be.above(90 * 86_400_000);
        }
        for (const p of posts) expect(p.likes).to.be.at.least(0);
      }
    }
    expect(checkedDormant).to.equal(20);
  });

  it('lists GitHub repos with forks and stars', () => {
    const t = firstTruthWhere((x) => x.network === 'github' && (pop.account('github', x.handle)?.posts ?? 0) > 5);
    const a = pop.account('github', t.handle);
    if (!a) throw new Error('no account');
    const repos = pop.repos(a, 100);
    expect(repos.length).to.equal(Math.min(100, a.posts));
    expect(a.totalViews).to.equal(repos.filter((r) => !r.fork).reduce((s, r) => s + r.stars, 0));
  });

  it('keeps memory flat: 200,000 people generated without growing the heap by much', () => {
    global.gc?.();
    const before = process.memoryUsage().heapUsed;
    let chars = 0;
    for (let i = 0; i < 200_000; i++) chars += pop.person(i).email.length;
    global.gc?.();
    expect(chars).to.be.above(0);
    expect(process.memoryUsage().heapUsed - before).to.be.below(60 * 1024 * 1024);
  });

  function firstTruthWhere(ok: (t: ReturnType<typeof pop.truth>[number]) => boolean, from = 0) {
    for (let i = from; i < 100_000; i++) {
      const t = pop.truth(i).find(ok);
      if (t) return t;
    }
    throw new Error('none found');
  }
  function firstTruth(network: SandboxNetwork) {
    return firstTruthWhere((t) => t.network === network && t.state === 'active');
  }
  function firstTruthAbove(network: SandboxNetwork, from: number) {
    return firstTruthWhere((t) => t.network === network && t.state === 'active', from);
  }
});
