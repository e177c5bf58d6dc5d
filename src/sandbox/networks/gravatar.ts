// Gravatar REST v3 emulator (base `/v3`): `GET /v3/profiles/:sha256` where the hash is
// sha256(trim(lowercase(email))). Profiles list the person's real accounts in `verified_accounts` (the discovery
// path); some entries are `is_hidden`. A Bearer API key adds the extra fields and raises the limit from 100/h to
// 1,000/h. `X-RateLimit-*` headers, 404 `{"error":"Profile not found"}`. Facts: docs.gravatar.com/rest-api.
//
// The hash → person index is built in the background at start (sliced, so the event loop stays free) as typed arrays
// (4-byte hash prefix + person index, sorted): a million people cost a few MB, not a million objects.
import { createHash, randomBytes } from 'node:crypto';

import { SandboxCounters } from '../counters.ts';
import type { Population } from '../population.ts';
import type { LimitSetting, NetworkRequest, NetworkServer, NetworkServerOptions, Reply } from './server.ts';
import { bearerToken, startNetworkServer, WindowLimit } from './server.ts';

export interface GravatarSandboxOptions extends NetworkServerOptions {
  population: Population;
  apiKey?: string;
  limits?: { anonymous?: LimitSetting; authenticated?: LimitSetting };
  clock?: () => number;
}

export interface GravatarSandbox extends NetworkServer {
  env: { GRAVATAR_API_BASE_URL: string; GRAVATAR_API_KEY: string };
  setRemaining(remaining: number, authenticated?: boolean): void;
}

export function gravatarHash(email: string): string {
  return createHash('sha256').update(email.trim().toLowerCase()).digest('hex');
}

interface HashIndex {
  prefixes: Uint32Array;
  people: Uint32Array;
}

/** Builds the index in slices, yielding between them, so a big population never stalls the event loop. */
async function buildIndex(population: Population, stopped: () => boolean): Promise<HashIndex> {
  const prefixes: number[] = [];
  const people: number[] = [];
  const SLICE = 5000;
  for (let start = 0; start < population.size && !stopped(); start += SLICE) {
    const end = Math.min(population.size, start + SLICE);
    for (let i = start; i < end; i++) {
      const email = population.gravatarEmail(i);
      if (email === undefined) continue;
      prefixes.push(Number.parseInt(gravatarHash(email).slice(0, 8), 16));
      people.push(i);
    }
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  const order = prefixes.map((_, k) => k).sort((a, b) => (prefixes[a] ?? 0) - (prefixes[b] ?? 0));
  return {
    prefixes: Uint32Array.from(order, (k) => prefixes[k] ?? 0),
    people: Uint32Array.from(order, (k) => people[k] ?? 0),
  };
}

const SERVICES = {
  x: { service_type: 'twitter', service_label: 'X', url: (h: string) => `https://x.com/${h}` },
  github: { service_type: 'github', service_label: 'GitHub', url: (h: string) => `https://github.com/${h}` },
  mastodon: {
    service_type: 'mastodon',
    service_label: 'Mastodon',
    url: (h: string) => {
      const [user = '', instance = ''] = h.split('@');
      return `https://${instance}/@${user}`;
    },
  },
  bluesky: { service_type: 'bluesky', service_label: 'Bluesky', url: (h: string) => `https://bsky.app/profile/${h}` },
  youtube: { service_type: 'youtube', service_label: 'YouTube', url: (h: string) => `https://youtube.com/@${h}` },
} as const;

export async function startGravatarSandbox(options: GravatarSandboxOptions): Promise<GravatarSandbox> {
  const { population } = options;
  const apiKey = options.apiKey ?? randomBytes(24).toString('hex');
  const clock = options.clock ?? Date.now;
  const counters = new SandboxCounters();
  const limits = {
    anonymous: new WindowLimit(
      options.limits?.anonymous?.limit ?? 100,
      (options.limits?.anonymous?.windowSeconds ?? 3600) * 1000,
      clock,
    ),
    authenticated: new WindowLimit(
      options.limits?.authenticated?.limit ?? 1000,
      (options.limits?.authenticated?.windowSeconds ?? 3600) * 1000,
      clock,
    ),
  };
  // Started at once in the background; the first look-ups wait for it.
  let closed = false;
  const indexReady = buildIndex(population, () => closed);

  async function findPerson(hash: string): Promise<number | undefined> {
    const index = await indexReady;
    const prefix = Number.parseInt(hash.slice(0, 8), 16);
    let lo = 0;
    let hi = index.prefixes.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((index.prefixes[mid] ?? 0) < prefix) lo = mid + 1;
      else hi = mid;
    }
    for (let k = lo; k < index.prefixes.length && index.prefixes[k] === prefix; k++) {
      const person = index.people[k] ?? 0;
      if (gravatarHash(population.email(person)) === hash) return person;
    }
    return undefined;
  }

  async function profile(request: NetworkRequest, hash: string): Promise<Reply> {
    const presented = bearerToken(request.headers);
    if (presented !== undefined && presented !== apiKey)
      return { status: 401, body: { error: 'Invalid API key', code: 'invalid_api_key' } };
    const limit = presented === undefined ? limits.anonymous : limits.authenticated;
    const state = limit.take();
    const headers = {
      'x-ratelimit-limit': String(limit.limit),
      'x-ratelimit-remaining': String(state.remaining),
      'x-ratelimit-reset': String(Math.ceil(state.resetMs / 1000)),
    };
    if (!state.allowed)
      return { status: 429, body: { error: 'Rate limit exceeded', code: 'rate_limit_exceeded' }, headers };
    const normalised = hash.toLowerCase();
    const personIndex = /^[0-9a-f]{64}$/.test(normalised) ? await findPerson(normalised) : undefined;
    if (personIndex === undefined) return { status: 404, body: { error: 'Profile not found' }, headers };
    const person = population.person(personIndex);
    const slug = `${person.firstName}${person.lastName}${personIndex}`
      .toLowerCase()
      .normalize('NFD')
      .replace(/[^a-z0-9]/g, '');
    const accounts = population
      .truth(personIndex)
      .filter((t) => t.state !== 'not_found')
      .map((t, k) => {
        const account = population.account(t.network, t.handle);
        const service = SERVICES[t.network];
        // Every fifth link is hidden by its owner: adapters must skip `is_hidden`.
        return {
          service_type: service.service_type,
          service_label: service.service_label,
          service_icon: `https://gravatar.com/icons/${service.service_type}.svg`,
          url: service.url(account?.displayHandle ?? t.handle),
          is_hidden: (personIndex + k) % 5 === 0,
        };
      });
    const body: Record<string, unknown> = {
      hash: normalised,
      display_name: `${person.firstName} ${person.lastName}`,
      profile_url: `https://gravatar.com/${slug}`,
      avatar_url: `https://0.gravatar.com/avatar/${normalised}`,
      avatar_alt_text: '',
      location: '',
      description: '',
      job_title: person.title,
      company: person.company,
      verified_accounts: accounts,
      pronunciation: '',
      pronouns: '',
    };
    if (presented !== undefined) {
      Object.assign(body, {
        timezone: '',
        languages: [],
        first_name: person.firstName,
        last_name: person.lastName,
        is_organization: false,
        links: [],
        interests: [],
        payments: { links: [], crypto_wallets: [] },
        contact_info: {},
        number_verified_accounts: accounts.length,
        last_profile_edit: person.createdAt,
        registration_date: person.createdAt,
      });
    }
    counters.read(1);
    return { status: 200, body, headers };
  }

  const server = await startNetworkServer(
    {
      routes: [
        {
          method: 'GET',
          pattern: /^\/v3\/profiles\/([^/]+)$/,
          endpoint: 'GET /v3/profiles/:hash',
          handle: (r, m) => profile(r, decodeURIComponent(m[1] ?? '')),
        },
      ],
      notFound: () => ({ status: 404, body: { error: 'Not found', code: 'rest_no_route' } }),
      fault: (kind) =>
        kind === '429'
          ? {
              status: 429,
              body: { error: 'Rate limit exceeded', code: 'rate_limit_exceeded' },
              headers: {
                'x-ratelimit-limit': '100',
                'x-ratelimit-remaining': '0',
                'x-ratelimit-reset': String(Math.ceil(clock() / 1000) + 60),
              },
            }
          : { status: 503, body: { error: 'Service unavailable', code: 'service_unavailable' } },
    },
    { ...options, counters },
  );

  return {
    ...server,
    close: async () => {
      closed = true;
      await server.close();
    },
    env: { GRAVATAR_API_BASE_URL: `${server.url}/v3`, GRAVATAR_API_KEY: apiKey },
    setRemaining: (remaining, authenticated = false) =>
      (authenticated ? limits.authenticated : limits.anonymous).setRemaining(remaining),
  };
}
