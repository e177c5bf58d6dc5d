// The sandbox population: a seeded, lazy generator of CRM people and their social-network accounts.
// Person i is a pure function of (seed, i); nothing is stored, so 1,000,000 people cost no memory. Every canonical
// handle carries the person index (e.g. `adalovelace42`, `ada_l42@hachyderm.io`, `ada-lovelace42.bsky.social`),
// so `account(network, handle)` re-derives the owner from the handle alone and checks it against person(i).
import { z } from 'zod';

import { describeIssues } from '../zod-issues.ts';

export const SANDBOX_NETWORKS = ['x', 'github', 'mastodon', 'bluesky', 'youtube'] as const;
export type SandboxNetwork = (typeof SANDBOX_NETWORKS)[number];

export interface SandboxPerson {
  index: number;
  firstName: string;
  lastName: string;
  email: string;
  company: string;
  title: string;
  objectType: 'Contact' | 'Lead';
  /** Raw, messy values as people type them into a CRM: URLs, @-prefixes, spaces, wrong case, wrong network. */
  handles: { x?: string; github?: string; mastodon?: string; bluesky?: string; youtube?: string; website?: string };
  optedOut: boolean;
  createdAt: string; // ISO
}

export type AccountState = 'active' | 'protected' | 'suspended' | 'not_found' | 'dormant';
export type AccountKind = 'human' | 'bot' | 'follow_back' | 'brand';

export interface SandboxAccount {
  network: SandboxNetwork;
  /** Canonical handle: lower case; Mastodon `user@instance`; Bluesky full domain; YouTube without `@`. */
  handle: string;
  state: AccountState;
  kind: AccountKind;
  followers: number;
  following: number;
  posts: number;
  createdAt: string;
  verified: boolean;
  // ---- additive fields (the emulators need them) ----
  /** The network's own id: X/GitHub numeric id, Mastodon id, Bluesky DID, YouTube `UC…` channel id. */
  id: string;
  /** The handle in the owner's preferred case (X `AdaLovelace42`, GitHub `Ada-Lovelace42`). */
  displayHandle: string;
  displayName: string;
  personIndex: number;
  /** Average posts per day while active (bots post a lot). */
  postsPerDay: number;
  /** Mean (likes + reshares + replies) / followers per original post. */
  engagementRate: number;
  /** Newest post; null when the account never posted. Dormant accounts: > 90 days ago. */
  lastPostAt: string | null;
  /** The owner asked not to be indexed (Mastodon `noindex`/`discoverable:false`, Bluesky `!no-unauthenticated`). */
  networkOptOut: boolean;
  /** YouTube hides the subscriber count. */
  followersHidden: boolean;
  /** YouTube total channel views; GitHub total stars of own non-fork repos; 0 elsewhere. */
  totalViews: number;
}

export interface SandboxPost {
  id: string;
  at: string;
  reshares: number;
  replies: number;
  likes: number;
  quotes: number;
  views: number;
  isRepost: boolean;
  isReply: boolean;
}

export interface SandboxRepo {
  name: string;
  fork: boolean;
  archived: boolean;
  stars: number;
  forks: number;
  pushedAt: string;
  createdAt: string;
}

/** What a perfect normaliser should extract from person(i): one entry per account the person has listed. */
export interface SandboxIdentityTruth {
  network: SandboxNetwork;
  /** Canonical handle (as `account()` accepts it). */
  handle: string;
  /** The CRM field the raw value sits in (may be the wrong network's field, or `website`). */
  field: keyof SandboxPerson['handles'];
  raw: string;
  /** `not_found` when the handle points at nothing (typo, deleted account). */
  state: AccountState;
}

export interface Population {
  readonly seed: string;
  readonly size: number;
  person(index: number): SandboxPerson;
  /**
   * Look up a network account by its canonical handle (as the network would); undefined = does not exist.
   * Case-insensitive, a leading `@` is ignored; Bluesky also takes a DID, YouTube a `UC…` channel id. A handle
   * whose person is `not_found` on that network (a typo'd or deleted account) is undefined, so `state` is never
   * `not_found` here — `truth(i)` carries that state.
   */
  account(network: SandboxAccount['network'], handle: string): SandboxAccount | undefined;
  /** The newest `count` posts (reposts and replies included, flagged), newest first. */
  recentPosts(account: SandboxAccount, count: number): SandboxPost[];
  // ---- additive ----
  /** Look up by the network's id (X/GitHub numeric id, Mastodon id, Bluesky DID, YouTube channel id). */
  accountById(network: SandboxNetwork, id: string): SandboxAccount | undefined;
  /** GitHub repositories of an account (owner repos, newest push first). */
  repos(account: SandboxAccount, count: number): SandboxRepo[];
  /** Ground truth for identity tests: the accounts person(i) listed and where. */
  truth(index: number): SandboxIdentityTruth[];
  /** Whether person(i)'s email has a public Gravatar profile (listing their existing accounts). */
  hasGravatar(index: number): boolean;
  /** person(i).email without generating the rest of the person (hash indexes over big populations). */
  email(index: number): string;
  /** The email when person(i) has a Gravatar profile, else undefined (one pass for the Gravatar index). */
  gravatarEmail(index: number): string | undefined;
  /**
   * Person i's latent influence: the standard-normal popularity their accounts' audiences are drawn from (the
   * model sees it only through those accounts). The deal generator plants outcome effects on it.
   */
  latentInfluence(index: number): number;
  /**
   * Person i's LinkedIn profile (listed in the website field) and its counts as a LinkedIn export would give them, or
   * undefined. Only with the `linkedinShare` option: LinkedIn has no API, so these are the rows a team would import.
   */
  linkedin(index: number): SandboxLinkedIn | undefined;
}

export interface SandboxLinkedIn {
  url: string;
  followers: number;
  connections: number;
}

const OptionsSchema = z.object({
  seed: z.union([z.string().min(1), z.number().finite()]),
  size: z.number().int().min(1).max(100_000_000),
  now: z.date().optional(),
  /** Share of people without a website who list a LinkedIn profile URL there (default 0: none). */
  linkedinShare: z.number().min(0).max(1).default(0),
});

/** X's snowflake epoch (2010-11-04T01:42:54.657Z): an id's top bits are milliseconds since it (the sandbox imports nothing of the product, so it has its own). */
export const X_SNOWFLAKE_EPOCH_MS = 1_288_834_974_657;

/** The X post id for a post at `atMs`; `low` (mod 2²²) keeps ids of posts in the same millisecond apart. */
export function xSnowflake(atMs: number, low: number): string {
  return ((BigInt(Math.floor(atMs) - X_SNOWFLAKE_EPOCH_MS) << 22n) | BigInt(low % 4_194_304)).toString();
}

// ---------------------------------------------------------------- PRNG

/** 32-bit avalanche (murmur3 finaliser). */
function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return mix32(h);
}

/** mulberry32 over a state seeded from (seed, index, stream). */
class Rng {
  private state: number;
  constructor(seedHash: number, index: number, stream: number) {
    this.state = mix32(seedHash ^ mix32(Math.imul(index, 0x9e3779b1) + Math.imul(stream + 1, 0x7feb352d)));
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }
  normal(): number {
    const u = 1 - this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }
  logNormal(median: number, sigma: number): number {
    return median * Math.exp(sigma * this.normal());
  }
}

// Streams: one per purpose, so adding a draw to one never shifts another.
const STREAM_CORE = 0;
const STREAM_MESS = 1;
const STREAM_ACCOUNT = 10; // + network number
const STREAM_POSTS = 20; // + network number
const STREAM_REPOS = 30;
const STREAM_LINKEDIN = 40;

// ---------------------------------------------------------------- vocabulary

const FIRST_NAMES = [
  'Ada',
  'Alan',
  'Grace',
  'Linus',
  'Margaret',
  'Dennis',
  'Barbara',
  'Ken',
  'Frances',
  'Tim',
  'Radia',
  'Vint',
  'Hedy',
  'Donald',
  'Katherine',
  'John',
  'Mary',
  'James',
  'Patricia',
  'Robert',
  'Jennifer',
  'Michael',
  'Linda',
  'William',
  'Elizabeth',
  'David',
  'Susan',
  'Richard',
  'Jessica',
  'Joseph',
  'Sarah',
  'Thomas',
  'Karen',
  'Charles',
  'Nancy',
  'Daniel',
  'Lisa',
  'Matthew',
  'Betty',
  'Anthony',
  'Sandra',
  'Mark',
  'Ashley',
  'Paul',
  'Emily',
  'Steven',
  'Michelle',
  'Andrew',
  'Amanda',
  'Kevin',
  'Melissa',
  'Brian',
  'Deborah',
  'George',
  'Stephanie',
  'Edward',
  'Rebecca',
  'Ronald',
  'Laura',
  'Timothy',
  'Helen',
  'Jason',
  'Sharon',
  'Jeffrey',
  'Cynthia',
  'Ryan',
  'Kathleen',
  'Jacob',
  'Amy',
  'Gary',
  'Angela',
  'Nicholas',
  'Anna',
  'Eric',
  'Brenda',
  'Jonathan',
  'Emma',
  'Stephen',
  'Olivia',
  'Larry',
  'Sophia',
  'José',
  'María',
  'Luis',
  'Carmen',
  'Juan',
  'Lucía',
  'Carlos',
  'Sofía',
  'Javier',
  'Elena',
  'Mateo',
  'Valentina',
  'Wei',
  'Mei',
  'Jun',
  'Li',
  'Hiroshi',
  'Yuki',
  'Haruto',
  'Sakura',
  'Min-jun',
  'Ji-woo',
  'Arjun',
  'Priya',
  'Rahul',
  'Ananya',
  'Vikram',
  'Deepa',
  'Mohammed',
  'Fatima',
  'Omar',
  'Aisha',
  'Yusuf',
  'Layla',
  'Chidi',
  'Ngozi',
  'Kwame',
  'Amara',
  'Tunde',
  'Zainab',
  'Björn',
  'Astrid',
  'Søren',
  'Ingrid',
  'Lars',
  'Freya',
  'Łukasz',
  'Zofia',
  'Jan',
  'Agnieszka',
  'Pierre',
  'Chloé',
  'Louis',
  'Camille',
  'Hugo',
  'Léa',
  'Matteo',
  'Giulia',
  'Lorenzo',
  'Chiara',
  'Lukas',
  'Lena',
  'Felix',
  'Hannah',
  'Noah',
  'Mia',
  'Liam',
  'Zoë',
  'Ethan',
  'Ava',
  'Oliver',
  'Isla',
  'Dmitri',
  'Olga',
  'Ivan',
  'Natasha',
  'Mehmet',
  'Elif',
  'Tomás',
  'Inês',
  'Kai',
  'Nia',
  'Rohan',
  'Sana',
  'Diego',
  'Camila',
  'Andrés',
  'Paula',
] as const;

const LAST_NAMES = [
  'Lovelace',
  'Turing',
  'Hopper',
  'Torvalds',
  'Hamilton',
  'Ritchie',
  'Liskov',
  'Thompson',
  'Allen',
  'Berners-Lee',
  'Perlman',
  'Cerf',
  'Lamarr',
  'Knuth',
  'Johnson',
  'Smith',
  'Williams',
  'Brown',
  'Jones',
  'Garcia',
  'Miller',
  'Davis',
  'Rodriguez',
  'Martinez',
  'Hernandez',
  'Lopez',
  'Gonzalez',
  'Wilson',
  'Anderson',
  'Taylor',
  'Moore',
  'Jackson',
  'Martin',
  'Lee',
  'Perez',
  'White',
  'Harris',
  'Sanchez',
  'Clark',
  'Ramirez',
  'Lewis',
  'Robinson',
  'Walker',
  'Young',
  'King',
  'Wright',
  'Scott',
  'Torres',
  'Nguyen',
  'Hill',
  'Flores',
  'Green',
  'Adams',
  'Nelson',
  'Baker',
  'Hall',
  'Rivera',
  'Campbell',
  'Mitchell',
  'Carter',
  'Roberts',
  'Wang',
  'Zhang',
  'Chen',
  'Liu',
  'Yang',
  'Huang',
  'Zhao',
  'Tanaka',
  'Suzuki',
  'Sato',
  'Takahashi',
  'Watanabe',
  'Kim',
  'Park',
  'Choi',
  'Jung',
  'Patel',
  'Sharma',
  'Singh',
  'Kumar',
  'Gupta',
  'Iyer',
  'Reddy',
  'Khan',
  'Ahmed',
  'Hassan',
  'Ali',
  'Okafor',
  'Adeyemi',
  'Mensah',
  'Okonkwo',
  'Diallo',
  'Andersson',
  'Johansson',
  'Nielsen',
  'Larsen',
  'Kowalski',
  'Nowak',
  'Wiśniewski',
  'Dubois',
  'Lefèvre',
  'Moreau',
  'Rossi',
  'Russo',
  'Ferrari',
  'Esposito',
  'Müller',
  'Schmidt',
  'Schneider',
  'Fischer',
  'Weber',
  'Becker',
  "O'Brien",
  'Murphy',
  'Kelly',
  'Walsh',
  'MacDonald',
  'Ivanov',
  'Petrov',
  'Smirnova',
  'Yılmaz',
  'Demir',
  'Silva',
  'Santos',
  'Oliveira',
  'Costa',
  'Pereira',
  'van der Berg',
  'de Vries',
  'Jansen',
  'Bakker',
  'Novak',
  'Horvat',
] as const;

const COMPANY_STEMS = [
  'Acme',
  'Globex',
  'Initech',
  'Umbrella',
  'Hooli',
  'Stark',
  'Wayne',
  'Wonka',
  'Cyberdyne',
  'Tyrell',
  'Soylent',
  'Vandelay',
  'Pied Piper',
  'Aperture',
  'Black Mesa',
  'Gringotts',
  'Monarch',
  'Oscorp',
  'Massive Dynamic',
  'Nakatomi',
  'Northwind',
  'Contoso',
  'Fabrikam',
  'Tailspin',
  'Litware',
  'Adatum',
  'Proseware',
  'Wingtip',
  'Blue Yonder',
  'Bluebird',
  'Redwood',
  'Granite',
  'Summit',
  'Harbor',
  'Lighthouse',
  'Meridian',
  'Beacon',
  'Evergreen',
  'Sterling',
  'Cobalt',
  'Quantum',
  'Nimbus',
  'Vertex',
  'Helix',
  'Orbit',
  'Pioneer',
  'Keystone',
  'Atlas',
  'Falcon',
  'Juniper',
  'Maple',
  'Cedar',
  'Willow',
  'Aurora',
  'Zenith',
  'Polaris',
  'Nova',
  'Lumen',
  'Arbor',
  'Crescent',
  'Ironclad',
] as const;
const COMPANY_SUFFIXES = [
  'Inc.',
  'Labs',
  'Systems',
  'Software',
  'Analytics',
  'Corp',
  'Group',
  'Technologies',
  'Health',
  'Logistics',
  'Capital',
  'Partners',
  'Robotics',
  'Media',
  'Consulting',
  'AI',
  'Cloud',
  'Networks',
  'Foods',
  'Energy',
] as const;
const COMPANY_TLDS = ['com', 'com', 'com', 'io', 'co', 'ai', 'net', 'de', 'co.uk', 'fr'] as const;
const PERSONAL_EMAIL_DOMAINS = [
  'gmail.com',
  'gmail.com',
  'outlook.com',
  'yahoo.com',
  'icloud.com',
  'proton.me',
  'hotmail.com',
] as const;

const TITLES = [
  'Software Engineer',
  'Senior Software Engineer',
  'Staff Engineer',
  'Engineering Manager',
  'VP Engineering',
  'CTO',
  'Developer Advocate',
  'Head of Developer Relations',
  'Product Manager',
  'Senior Product Manager',
  'Head of Product',
  'Marketing Manager',
  'Content Marketing Lead',
  'Head of Growth',
  'CMO',
  'Sales Director',
  'Account Executive',
  'Customer Success Manager',
  'Data Scientist',
  'Data Engineer',
  'Designer',
  'UX Researcher',
  'CEO',
  'Founder',
  'Co-founder',
  'COO',
  'Operations Manager',
  'Recruiter',
  'Community Manager',
  'Solutions Architect',
  'Consultant',
  'Analyst',
  'Journalist',
  'Editor',
  'Podcast Host',
  'Student',
  'Professor',
  'Researcher',
  '',
  'Intern',
] as const;

const MASTODON_INSTANCES = [
  'mastodon.social',
  'mastodon.social',
  'mastodon.social',
  'hachyderm.io',
  'fosstodon.org',
  'mas.to',
  'infosec.exchange',
  'mstdn.social',
  'mastodon.online',
  'techhub.social',
  'indieweb.social',
  'sigmoid.social',
] as const;
const BLUESKY_DOMAIN_TLDS = ['dev', 'com', 'io', 'me', 'net', 'xyz', 'social'] as const;
const JUNK_VALUES = ['n/a', 'N/A', '-', 'none', 'None', 'TBD', '?', 'no', '.', 'null', 'x', 'see website'] as const;

// ---------------------------------------------------------------- network parameters

interface NetworkProfile {
  number: number;
  /** Share of all people with an account on the network. */
  coverage: number;
  followersMedian: number;
  followersSigma: number;
  protected: number;
  suspended: number;
  notFound: number;
  dormant: number;
  bot: number;
  followBack: number;
  brand: number;
  networkOptOut: number;
}

const NETWORK: Record<SandboxNetwork, NetworkProfile> = {
  x: {
    number: 0,
    coverage: 0.35,
    followersMedian: 250,
    followersSigma: 1.9,
    protected: 0.06,
    suspended: 0.02,
    notFound: 0.03,
    dormant: 0.15,
    bot: 0.04,
    followBack: 0.05,
    brand: 0.03,
    networkOptOut: 0,
  },
  github: {
    number: 1,
    coverage: 0.15,
    followersMedian: 15,
    followersSigma: 1.6,
    protected: 0,
    suspended: 0.01,
    notFound: 0.03,
    dormant: 0.12,
    bot: 0.01,
    followBack: 0.01,
    brand: 0.02,
    networkOptOut: 0,
  },
  mastodon: {
    number: 2,
    coverage: 0.08,
    followersMedian: 120,
    followersSigma: 1.5,
    protected: 0.04,
    suspended: 0.01,
    notFound: 0.04,
    dormant: 0.2,
    bot: 0.03,
    followBack: 0.02,
    brand: 0.02,
    networkOptOut: 0.06,
  },
  bluesky: {
    number: 3,
    coverage: 0.15,
    followersMedian: 180,
    followersSigma: 1.7,
    protected: 0,
    suspended: 0.01,
    notFound: 0.03,
    dormant: 0.18,
    bot: 0.03,
    followBack: 0.04,
    brand: 0.03,
    networkOptOut: 0.02,
  },
  youtube: {
    number: 4,
    coverage: 0.05,
    followersMedian: 300,
    followersSigma: 2.3,
    protected: 0,
    suspended: 0.01,
    notFound: 0.04,
    dormant: 0.25,
    bot: 0.01,
    followBack: 0,
    brand: 0.05,
    networkOptOut: 0,
  },
};

/** Share of people with any social account; the rest have none at all. */
const SOCIAL_SHARE = 0.65;
const TOTAL_COVERAGE = SANDBOX_NETWORKS.reduce((sum, n) => sum + NETWORK[n].coverage, 0);
/** Social people get one primary network (weighted by coverage) plus others with a probability tuned to hit coverage. */
const SECONDARY_CHANCE: Record<SandboxNetwork, number> = Object.fromEntries(
  SANDBOX_NETWORKS.map((n) => {
    const primary = NETWORK[n].coverage / TOTAL_COVERAGE;
    return [n, (NETWORK[n].coverage / SOCIAL_SHARE - primary) / (1 - primary)];
  }),
) as Record<SandboxNetwork, number>;

const DAY_MS = 86_400_000;
/** Oldest possible account per network (the network's age, roughly). */
const MAX_AGE_DAYS: Record<SandboxNetwork, number> = {
  x: 19 * 365,
  github: 17 * 365,
  mastodon: 9 * 365,
  bluesky: 3 * 365,
  youtube: 20 * 365,
};
const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

// ---------------------------------------------------------------- helpers

/** Scrambles the index inside ids so they do not look sequential; XOR is its own inverse. */
function idMask(seedHash: number): number {
  return (seedHash >>> 2) & 0x3fffffff;
}

const FOLD: Record<string, string> = { ł: 'l', ø: 'o', ß: 'ss', æ: 'ae', ı: 'i', đ: 'd' };

/** ASCII lower-case letters only: `Wiśniewski` → `wisniewski`, `O'Brien` → `obrien`. */
function slug(name: string): string {
  return name
    .toLowerCase()
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[łøßæıđ]/g, (c) => FOLD[c] ?? '')
    .replace(/[^a-z]/g, '');
}

const FIRST_SLUGS = FIRST_NAMES.map(slug);
const LAST_SLUGS = LAST_NAMES.map(slug);

function capitalise(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

function encode(value: number, alphabet: string, width: number): string {
  let out = '';
  for (let i = 0; i < width; i++) {
    out = alphabet.charAt(value % alphabet.length) + out;
    value = Math.floor(value / alphabet.length);
  }
  return out;
}

function decode(text: string, alphabet: string): number {
  let value = 0;
  for (const c of text) {
    const digit = alphabet.indexOf(c);
    if (digit < 0) return -1;
    value = value * alphabet.length + digit;
  }
  return value;
}

function randomChars(rng: Rng, alphabet: string, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet.charAt(rng.int(alphabet.length));
  return out;
}

function clampInt(value: number, min: number, max: number): number {
  return Math.max(min, Math.min(max, Math.round(value)));
}

/** Index encoded as the trailing digits of a name label (`adalovelace42` → 42); -1 when absent. */
function trailingIndex(label: string): number {
  const match = /(\d+)$/.exec(label);
  if (!match?.[1] || match[1].length > 9 || (match[1].length > 1 && match[1].startsWith('0'))) return -1;
  return Number(match[1]);
}

// ---------------------------------------------------------------- the person core (cheap, shared by person and account)

interface Core {
  index: number;
  first: string;
  last: string;
  firstSlug: string;
  lastSlug: string;
  companyStem: number;
  companySuffix: number;
  companyTld: number;
  title: string;
  objectType: 'Contact' | 'Lead';
  optedOut: boolean;
  createdAt: number;
  personalEmail: boolean;
  emailStyle: number;
  /** Latent popularity shared by the person's accounts (cross-network correlation). */
  popularity: number;
  handleStyle: number;
  networks: Set<SandboxNetwork>;
  mastodonInstance: string;
  blueskyDomain: string | null;
  hasWebsite: boolean;
  gravatar: boolean;
}

interface Handle {
  canonical: string;
  display: string;
  id: string;
}

function computeCore(seedHash: number, index: number, now: number): Core {
  const rng = new Rng(seedHash, index, STREAM_CORE);
  const firstAt = rng.int(FIRST_NAMES.length);
  const lastAt = rng.int(LAST_NAMES.length);
  const core: Core = {
    index,
    first: FIRST_NAMES[firstAt] ?? 'Ada',
    last: LAST_NAMES[lastAt] ?? 'Lovelace',
    firstSlug: FIRST_SLUGS[firstAt] ?? 'ada',
    lastSlug: LAST_SLUGS[lastAt] ?? 'lovelace',
    companyStem: rng.int(COMPANY_STEMS.length),
    companySuffix: rng.int(COMPANY_SUFFIXES.length),
    companyTld: rng.int(COMPANY_TLDS.length),
    title: rng.pick(TITLES),
    objectType: rng.chance(0.7) ? 'Contact' : 'Lead',
    optedOut: rng.chance(0.02),
    createdAt: now - Math.floor(rng.next() * 6 * 365 * DAY_MS),
    personalEmail: false,
    emailStyle: rng.int(4),
    popularity: rng.normal(),
    handleStyle: rng.int(5),
    networks: new Set(),
    mastodonInstance: rng.pick(MASTODON_INSTANCES),
    blueskyDomain: rng.chance(0.15) ? rng.pick(BLUESKY_DOMAIN_TLDS) : null,
    hasWebsite: rng.chance(0.18),
    gravatar: rng.chance(0.25),
  };
  core.personalEmail = rng.chance(core.objectType === 'Lead' ? 0.3 : 0.05);
  if (rng.chance(SOCIAL_SHARE)) {
    let pick = rng.next() * TOTAL_COVERAGE;
    for (const network of SANDBOX_NETWORKS) {
      pick -= NETWORK[network].coverage;
      if (pick < 0) {
        core.networks.add(network);
        break;
      }
    }
    if (core.networks.size === 0) core.networks.add('x');
    for (const network of SANDBOX_NETWORKS) {
      if (rng.chance(SECONDARY_CHANCE[network])) core.networks.add(network);
    }
  }
  return core;
}

/** Name part of a handle in the person's style, words joined by `sep`, at most `max` characters with the index. */
function namePart(core: Core, sep: string, max: number): string[] {
  const { firstSlug: f, lastSlug: l } = core;
  const words = [[f, l], [f, l], [f.charAt(0), l], [f, l.charAt(0)], [f]][core.handleStyle] ?? [f, l];
  const room = max - String(core.index).length;
  const out: string[] = [];
  let used = 0;
  for (const word of words) {
    const cost = word.length + (out.length > 0 ? sep.length : 0);
    if (used + cost > room) {
      const left = room - used - (out.length > 0 ? sep.length : 0);
      if (left > 0) out.push(word.slice(0, left));
      break;
    }
    out.push(word);
    used += cost;
  }
  if (out.length === 0) out.push(f.slice(0, Math.max(1, room)));
  return out;
}

function handleFor(core: Core, network: SandboxNetwork, seedHash: number): Handle {
  const n = String(core.index);
  const scrambled = (core.index ^ idMask(seedHash)) >>> 0;
  const sep = core.handleStyle === 1 ? '_' : '';
  switch (network) {
    case 'x': {
      const words = namePart(core, sep, 15);
      return {
        canonical: words.join(sep) + n,
        display: words.map(capitalise).join(sep) + n,
        id: String(17 + (seedHash % 80)) + String(scrambled).padStart(10, '0'),
      };
    }
    case 'github': {
      const ghSep = sep === '' ? '' : '-';
      const words = namePart(core, ghSep, 39);
      return {
        canonical: words.join(ghSep) + n,
        display: words.map(capitalise).join(ghSep) + n,
        id: String(10_000_000 + scrambled),
      };
    }
    case 'mastodon': {
      const user = namePart(core, sep, 30).join(sep) + n;
      return {
        canonical: `${user}@${core.mastodonInstance}`,
        display: `${user}@${core.mastodonInstance}`,
        id: `109${String(scrambled).padStart(12, '0')}`,
      };
    }
    case 'bluesky': {
      const label = namePart(core, sep === '' ? '' : '-', 40).join(sep === '' ? '' : '-') + n;
      const handle = core.blueskyDomain ? `${label}.${core.blueskyDomain}` : `${label}.bsky.social`;
      const rng = new Rng(seedHash, core.index, STREAM_ACCOUNT + 9);
      return {
        canonical: handle,
        display: handle,
        id: `did:plc:${randomChars(rng, BASE32, 16)}${encode(scrambled, BASE32, 8)}`,
      };
    }
    case 'youtube': {
      const ytSep = sep === '' ? '' : '.';
      const words = namePart(core, ytSep, 30);
      const rng = new Rng(seedHash, core.index, STREAM_ACCOUNT + 8);
      return {
        canonical: words.join(ytSep) + n,
        display: words.map(capitalise).join(ytSep) + n,
        id: `UC${randomChars(rng, BASE64URL, 16)}${encode(scrambled, BASE64URL, 6)}`,
      };
    }
  }
}

function companyName(core: Core): string {
  return `${COMPANY_STEMS[core.companyStem] ?? 'Acme'} ${COMPANY_SUFFIXES[core.companySuffix] ?? 'Inc.'}`;
}

const COMPANY_STEM_SLUGS = COMPANY_STEMS.map(slug);
const COMPANY_SUFFIX_SLUGS = COMPANY_SUFFIXES.map(slug);

function companyDomain(core: Core): string {
  const stem = COMPANY_STEM_SLUGS[core.companyStem] ?? 'acme';
  return `${stem}${COMPANY_SUFFIX_SLUGS[core.companySuffix] ?? ''}.${COMPANY_TLDS[core.companyTld] ?? 'com'}`;
}

function emailOf(core: Core): string {
  const { firstSlug: f, lastSlug: l, index: n } = core;
  const local =
    [`${f}.${l}${n}`, `${f.charAt(0)}${l}${n}`, `${f}${n}`, `${f}_${l}.${n}`][core.emailStyle] ?? `${f}.${l}${n}`;
  const domain = core.personalEmail
    ? (PERSONAL_EMAIL_DOMAINS[n % PERSONAL_EMAIL_DOMAINS.length] ?? 'gmail.com')
    : companyDomain(core);
  return `${local}@${domain}`;
}

// ---------------------------------------------------------------- messy raw values

function messyRaw(network: SandboxNetwork, h: Handle, rng: Rng): string {
  const display = h.display;
  let value: string;
  switch (network) {
    case 'x':
      value = rng.pick([
        display,
        `@${display}`,
        `@${display}`,
        `https://twitter.com/${display}`,
        `https://x.com/${display}`,
        `x.com/${h.canonical}/`,
        `https://mobile.twitter.com/${display}?lang=en`,
        `twitter.com/@${display}`,
        display.toUpperCase(),
        `http://www.twitter.com/#!/${display}`,
      ]);
      break;
    case 'github':
      value = rng.pick([
        display,
        h.canonical,
        `https://github.com/${display}`,
        `github.com/${h.canonical}/`,
        `@${display}`,
        `https://github.com/${h.canonical}?tab=repositories`,
        `https://www.github.com/${display}/`,
      ]);
      break;
    case 'mastodon': {
      const [user, instance] = h.canonical.split('@') as [string, string];
      value = rng.pick([
        `@${user}@${instance}`,
        `${user}@${instance}`,
        `https://${instance}/@${user}`,
        `https://${instance}/users/${user}`,
        `@${capitalise(user)}@${capitalise(instance)}`,
        `${instance}/@${user}/`,
      ]);
      break;
    }
    case 'bluesky':
      value = rng.pick([
        h.canonical,
        `@${h.canonical}`,
        `https://bsky.app/profile/${h.canonical}`,
        `bsky.app/profile/${h.canonical}/`,
        capitalise(h.canonical),
        h.id,
      ]);
      break;
    case 'youtube':
      value = rng.pick([
        `@${display}`,
        `https://www.youtube.com/@${display}`,
        `youtube.com/@${h.canonical}/videos`,
        `https://www.youtube.com/channel/${h.id}`,
        h.id,
        `https://m.youtube.com/@${display}/`,
      ]);
      break;
  }
  // People paste with stray spaces.
  if (rng.chance(0.08)) value = ` ${value} `;
  else if (rng.chance(0.04)) value = `${value}\t`;
  return value;
}

/** A handle with a typo (not_found): the index survives, one name letter changes. */
function typo(h: Handle, network: SandboxNetwork): Handle {
  // Replace the first letter with a different one; the trailing digits still decode to the same person,
  // but the canonical handle no longer matches, so the network says "not found".
  const c = h.canonical.charAt(0) === 'q' ? 'z' : 'q';
  const canonical = c + h.canonical.slice(1);
  const display = network === 'mastodon' || network === 'bluesky' ? canonical : c.toUpperCase() + h.display.slice(1);
  return { canonical, display, id: h.id };
}

// ---------------------------------------------------------------- the population

export function createPopulation(options: {
  seed: string | number;
  size: number;
  now?: Date;
  linkedinShare?: number;
}): Population {
  const parsed = OptionsSchema.safeParse(options);
  if (!parsed.success) {
    throw new Error(`createPopulation: invalid options: ${describeIssues(parsed.error)}`);
  }
  const seed = String(parsed.data.seed);
  const size = parsed.data.size;
  const seedHash = hashString(seed);
  // Default "now" is today's UTC midnight, so two populations built the same day agree exactly.
  const now = parsed.data.now?.getTime() ?? Math.floor(Date.now() / DAY_MS) * DAY_MS;

  const core = (index: number): Core => computeCore(seedHash, index, now);
  const linkedinShare = parsed.data.linkedinShare;

  /** Its own random stream, so the option leaves everyone's other values as they were. */
  function linkedinOf(c: Core): SandboxLinkedIn | undefined {
    if (linkedinShare === 0 || c.hasWebsite) return undefined;
    const rng = new Rng(seedHash, c.index, STREAM_LINKEDIN);
    if (!rng.chance(linkedinShare)) return undefined;
    return {
      url: `https://www.linkedin.com/in/${c.firstSlug}-${c.lastSlug}-${c.index}`,
      // Long-tailed like other networks: most a few hundred, a few tens of thousands.
      followers: Math.round(80 * Math.exp(rng.next() * 6)),
      connections: 50 + rng.int(450),
    };
  }

  /** The state of person i's account on a network (drawn before stats so it is cheap to ask). */
  function stateOf(index: number, network: SandboxNetwork): { state: AccountState; rng: Rng } {
    const p = NETWORK[network];
    const rng = new Rng(seedHash, index, STREAM_ACCOUNT + p.number);
    const u = rng.next();
    let state: AccountState = 'active';
    if (u < p.notFound) state = 'not_found';
    else if (u < p.notFound + p.suspended) state = 'suspended';
    else if (u < p.notFound + p.suspended + p.protected) state = 'protected';
    else if (u < p.notFound + p.suspended + p.protected + p.dormant) state = 'dormant';
    return { state, rng };
  }

  /** The handle person i listed for a network (a typo'd one when the account is not found). */
  function listedHandle(c: Core, network: SandboxNetwork): { handle: Handle; state: AccountState } {
    const real = handleFor(c, network, seedHash);
    const { state } = stateOf(c.index, network);
    return { handle: state === 'not_found' ? typo(real, network) : real, state };
  }

  function buildAccount(c: Core, network: SandboxNetwork, h: Handle): SandboxAccount | undefined {
    const p = NETWORK[network];
    const { state, rng } = stateOf(c.index, network);
    if (state === 'not_found') return undefined;
    const k = rng.next();
    const kind: AccountKind =
      k < p.bot
        ? 'bot'
        : k < p.bot + p.followBack
          ? 'follow_back'
          : k < p.bot + p.followBack + p.brand
            ? 'brand'
            : 'human';
    const latent = 0.6 * c.popularity + 0.8 * rng.normal();
    let followers = p.followersMedian * Math.exp(p.followersSigma * latent);
    // A thin Pareto tail on top of the log-normal body: the rare celebrity.
    if (rng.chance(0.004)) followers *= Math.pow(1 - rng.next(), -1 / 1.1);
    let following =
      rng.logNormal(network === 'github' ? 10 : 280, 1.1) * Math.pow(Math.max(followers, 1) / p.followersMedian, 0.15);
    let postsPerDay = rng.logNormal(network === 'github' ? 0.03 : network === 'youtube' ? 0.02 : 0.4, 1.0);
    let engagementRate = Math.min(0.25, 0.03 * Math.pow(Math.max(followers, 10) / 1000, -0.2) * rng.logNormal(1, 0.5));
    switch (kind) {
      case 'bot':
        followers = rng.logNormal(60, 1.2);
        following = rng.logNormal(900, 0.8);
        postsPerDay = rng.logNormal(40, 0.6);
        engagementRate = rng.logNormal(0.0004, 0.5);
        break;
      case 'follow_back':
        followers = 1500 + rng.logNormal(3000, 0.9);
        following = followers * (0.9 + 0.2 * rng.next());
        postsPerDay = rng.logNormal(4, 0.7);
        engagementRate = rng.logNormal(0.0015, 0.5);
        break;
      case 'brand':
        followers *= 12;
        following = rng.logNormal(150, 1.0);
        postsPerDay = rng.logNormal(2, 0.6);
        engagementRate *= 0.3;
        break;
      case 'human':
        break;
    }
    const ageDays = 30 + rng.int(MAX_AGE_DAYS[network] - 30);
    const createdAt = now - ageDays * DAY_MS - rng.int(DAY_MS);
    let lastPostAt: number | null =
      now - Math.floor(rng.next() * Math.min(10, 1 / postsPerDay) * DAY_MS) - rng.int(3_600_000);
    let activeDays = ageDays;
    if (state === 'dormant') {
      // Silent for more than 90 days; an account too young for that never posted at all.
      const silentDays = Math.min(91 + rng.int(900), ageDays);
      lastPostAt = now - silentDays * DAY_MS - rng.int(DAY_MS);
      activeDays = ageDays - silentDays;
    }
    // GitHub "posts" are public repositories: even busy bots rarely own more than a few thousand.
    const posts = clampInt(
      postsPerDay * activeDays * (0.7 + 0.6 * rng.next()),
      0,
      network === 'github' ? 3000 : 5_000_000,
    );
    if (posts === 0) lastPostAt = null;
    const followersInt = clampInt(followers, 0, 250_000_000);
    const verified =
      network === 'x'
        ? rng.chance(followersInt > 50_000 ? 0.6 : 0.03)
        : network === 'bluesky'
          ? followersInt > 100_000 && rng.chance(0.3)
          : false;
    let totalViews = 0;
    if (network === 'youtube')
      totalViews = clampInt(followersInt * rng.logNormal(120, 1.0) + posts * 50, 0, Number.MAX_SAFE_INTEGER);
    const account: SandboxAccount = {
      network,
      handle: h.canonical,
      state,
      kind,
      followers: state === 'suspended' && network === 'mastodon' ? 0 : followersInt,
      following: clampInt(following, 0, 1_000_000),
      posts,
      createdAt: new Date(createdAt).toISOString(),
      verified,
      id: h.id,
      displayHandle: h.display,
      displayName: kind === 'brand' ? companyName(c) : `${c.first} ${c.last}`,
      personIndex: c.index,
      postsPerDay,
      engagementRate,
      lastPostAt: lastPostAt === null ? null : new Date(lastPostAt).toISOString(),
      networkOptOut: rng.chance(p.networkOptOut),
      followersHidden: network === 'youtube' && rng.chance(0.06),
      totalViews,
    };
    if (network === 'github')
      account.totalViews = repoList(account, 100).reduce((s, r) => s + (r.fork ? 0 : r.stars), 0);
    return account;
  }

  function accountOfIndex(
    network: SandboxNetwork,
    index: number,
    matches: (h: Handle) => boolean,
  ): SandboxAccount | undefined {
    if (index < 0 || index >= size) return undefined;
    const c = core(index);
    if (!c.networks.has(network)) return undefined;
    const h = handleFor(c, network, seedHash);
    if (!matches(h)) return undefined;
    return buildAccount(c, network, h);
  }

  function account(network: SandboxNetwork, handle: string): SandboxAccount | undefined {
    const trimmed = handle.trim().replace(/^@/, '');
    if (network === 'youtube' && /^UC[A-Za-z0-9_-]{22}$/.test(trimmed)) return accountById('youtube', trimmed);
    if (network === 'bluesky' && trimmed.startsWith('did:')) return accountById('bluesky', trimmed);
    const wanted = trimmed.toLowerCase();
    const label =
      network === 'mastodon'
        ? (wanted.split('@')[0] ?? '')
        : network === 'bluesky'
          ? (wanted.split('.')[0] ?? '')
          : wanted;
    return accountOfIndex(network, trailingIndex(label), (h) => h.canonical === wanted);
  }

  function accountById(network: SandboxNetwork, id: string): SandboxAccount | undefined {
    let scrambled = -1;
    switch (network) {
      case 'x':
        if (/^\d{12}$/.test(id)) scrambled = Number(id.slice(2));
        break;
      case 'github':
        if (/^\d+$/.test(id)) scrambled = Number(id) - 10_000_000;
        break;
      case 'mastodon':
        if (/^109\d{12}$/.test(id)) scrambled = Number(id.slice(3));
        break;
      case 'bluesky':
        if (/^did:plc:[a-z2-7]{24}$/.test(id)) scrambled = decode(id.slice(-8), BASE32);
        break;
      case 'youtube':
        if (/^UC[A-Za-z0-9_-]{22}$/.test(id)) scrambled = decode(id.slice(-6), BASE64URL);
        break;
    }
    const index = scrambled < 0 || scrambled > 0x3fffffff ? -1 : (scrambled ^ idMask(seedHash)) >>> 0;
    return accountOfIndex(network, index, (h) => h.id === id);
  }

  type Field = keyof SandboxPerson['handles'];

  /** person(i) plus where each listed network's value ended up (for `truth`). */
  function buildPerson(index: number): { person: SandboxPerson; placement: Map<SandboxNetwork, Field> } {
    if (!Number.isInteger(index) || index < 0 || index >= size) {
      throw new RangeError(`person(${index}): index must be an integer in [0, ${size})`);
    }
    const c = core(index);
    const rng = new Rng(seedHash, index, STREAM_MESS);
    const handles: SandboxPerson['handles'] = {};
    const placement = new Map<SandboxNetwork, Field>();
    for (const network of SANDBOX_NETWORKS) {
      if (!c.networks.has(network)) continue;
      const { handle } = listedHandle(c, network);
      handles[network] = messyRaw(network, handle, rng);
      placement.set(network, network);
    }
    if (c.hasWebsite) {
      handles.website = rng.pick([
        `https://${c.firstSlug}${c.lastSlug}.dev`,
        `${c.firstSlug}${c.lastSlug}.com`,
        `https://www.${c.firstSlug}-${c.lastSlug}.net/`,
        `https://linktr.ee/${c.firstSlug}${c.index}`,
      ]);
    }
    const linkedin = linkedinOf(c);
    if (linkedin !== undefined) handles.website = linkedin.url;
    // ~3%: a value lands in the wrong field (a GitHub URL in the X field, a Bluesky handle in the website field…).
    // Only values that name their network (URLs, user@instance, domains) move, so a reader can still recognise them.
    const movable = SANDBOX_NETWORKS.filter((n) => /[/.@]/.test((handles[n] ?? '').trim().slice(1)));
    if (movable.length > 0 && rng.chance(0.03)) {
      const from = rng.pick(movable);
      const targets = (['website', ...SANDBOX_NETWORKS] as const).filter((f) => handles[f] === undefined);
      if (targets.length > 0) {
        const to = rng.pick(targets);
        handles[to] = handles[from];
        delete handles[from];
        placement.set(from, to);
      }
    }
    // ~2%: junk in an empty field.
    if (rng.chance(0.02)) {
      const empty = SANDBOX_NETWORKS.filter((n) => handles[n] === undefined);
      if (empty.length > 0) handles[rng.pick(empty)] = rng.pick(JUNK_VALUES);
    }
    const person: SandboxPerson = {
      index,
      firstName: c.first,
      lastName: c.last,
      email: emailOf(c),
      company: companyName(c),
      title: c.title,
      objectType: c.objectType,
      handles,
      optedOut: c.optedOut,
      createdAt: new Date(c.createdAt).toISOString(),
    };
    return { person, placement };
  }

  function truth(index: number): SandboxIdentityTruth[] {
    const { person: p, placement } = buildPerson(index);
    const c = core(index);
    const out: SandboxIdentityTruth[] = [];
    for (const [network, field] of placement) {
      const { handle, state } = listedHandle(c, network);
      out.push({ network, handle: handle.canonical, field, raw: p.handles[field] ?? '', state });
    }
    return out;
  }

  function recentPosts(acc: SandboxAccount, count: number): SandboxPost[] {
    const n = Math.max(0, Math.min(Math.floor(count), acc.posts));
    if (n === 0 || acc.lastPostAt === null) return [];
    const p = NETWORK[acc.network];
    const rng = new Rng(seedHash, acc.personIndex, STREAM_POSTS + p.number);
    const out: SandboxPost[] = [];
    let at = Date.parse(acc.lastPostAt);
    const created = Date.parse(acc.createdAt);
    const repostShare = acc.kind === 'bot' ? 0.4 : acc.network === 'github' || acc.network === 'youtube' ? 0 : 0.15;
    const replyShare = acc.network === 'github' || acc.network === 'youtube' ? 0 : acc.kind === 'bot' ? 0.05 : 0.25;
    for (let k = 0; k < n; k++) {
      if (k > 0) at -= Math.max(60_000, (-Math.log(1 - rng.next()) / acc.postsPerDay) * DAY_MS);
      if (at < created) break;
      const isRepost = rng.chance(repostShare);
      const isReply = !isRepost && rng.chance(replyShare);
      // Engagement scales with followers times the account's rate, with per-post noise; replies get less.
      const base = acc.followers * acc.engagementRate * rng.logNormal(1, 0.9) * (isReply ? 0.1 : 1);
      const likes = clampInt(base * 0.75, 0, 1e9);
      const reshares = clampInt(base * 0.15 * rng.logNormal(1, 0.4), 0, 1e9);
      const replies = clampInt(base * 0.08 * rng.logNormal(1, 0.4), 0, 1e9);
      const quotes = clampInt(base * 0.02 * rng.logNormal(1, 0.5), 0, 1e9);
      const views =
        acc.network === 'x' || acc.network === 'youtube'
          ? clampInt(
              acc.followers * (acc.network === 'youtube' ? 2 : 0.3) * rng.logNormal(1, 1.0) + likes * 20,
              0,
              1e11,
            )
          : 0;
      out.push({
        id: postId(acc, k, at),
        at: new Date(at).toISOString(),
        reshares,
        replies,
        likes,
        quotes,
        views,
        isRepost,
        isReply,
      });
    }
    return out;
  }

  function postId(acc: SandboxAccount, k: number, at: number): string {
    // X and Mastodon ids grow with time (snowflakes): the newest post (k = 0) has the largest id.
    const sequence = String(999_999 - Math.min(k, 999_999)).padStart(6, '0');
    switch (acc.network) {
      case 'x':
        // A real snowflake: milliseconds since X's epoch above 22 low bits (docs.x.com/resources/fundamentals/x-ids).
        return xSnowflake(at, acc.personIndex);
      case 'mastodon':
        return `113${String(acc.personIndex).padStart(10, '0')}${sequence}`;
      case 'bluesky':
        return `at://${acc.id}/app.bsky.feed.post/3l${encode(acc.personIndex, BASE32, 6)}${encode(k, BASE32, 5)}`;
      case 'youtube':
        return encode(acc.personIndex * 1000 + k, BASE64URL, 11);
      case 'github':
        return `${acc.personIndex}-${k}`;
    }
  }

  function repoList(acc: SandboxAccount, count: number): SandboxRepo[] {
    if (acc.network !== 'github') return [];
    const rng = new Rng(seedHash, acc.personIndex, STREAM_REPOS);
    const total = Math.min(count, Math.max(0, Math.round(acc.posts)));
    const words = [
      'api',
      'cli',
      'dotfiles',
      'blog',
      'toolkit',
      'parser',
      'sdk',
      'bot',
      'notes',
      'infra',
      'ui',
      'lib',
      'demo',
      'sync',
      'graph',
    ];
    const out: SandboxRepo[] = [];
    let pushed = acc.lastPostAt ? Date.parse(acc.lastPostAt) : Date.parse(acc.createdAt);
    const created = Date.parse(acc.createdAt);
    for (let k = 0; k < total; k++) {
      const fork = rng.chance(0.3);
      const stars = fork ? rng.int(3) : clampInt(Math.max(acc.followers, 1) * 0.4 * rng.logNormal(1, 1.6), 0, 500_000);
      pushed -= rng.int(60) * DAY_MS + rng.int(DAY_MS);
      out.push({
        name: `${rng.pick(words)}-${rng.pick(words)}${k}`,
        fork,
        archived: rng.chance(0.08),
        stars,
        forks: clampInt(stars * 0.15 * rng.logNormal(1, 0.6), 0, 200_000),
        pushedAt: new Date(Math.max(pushed, created)).toISOString(),
        createdAt: new Date(Math.max(created, pushed - rng.int(700) * DAY_MS)).toISOString(),
      });
    }
    return out;
  }

  return {
    seed,
    size,
    person: (index: number) => buildPerson(index).person,
    account,
    accountById,
    recentPosts,
    truth,
    repos: repoList,
    hasGravatar: (index: number) => index >= 0 && index < size && core(index).gravatar,
    gravatarEmail: (index: number) => {
      if (index < 0 || index >= size) return undefined;
      const c = core(index);
      return c.gravatar ? emailOf(c) : undefined;
    },
    email: (index: number) => {
      if (!Number.isInteger(index) || index < 0 || index >= size)
        throw new RangeError(`email(${index}): index must be an integer in [0, ${size})`);
      return emailOf(core(index));
    },
    latentInfluence: (index: number) => core(index).popularity,
    linkedin: (index: number) => (index >= 0 && index < size ? linkedinOf(core(index)) : undefined),
  };
}
