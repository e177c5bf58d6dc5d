// startSandbox: the whole outside world on 127.0.0.1 — the social-network emulators and (when built) the
// Salesforce and HubSpot emulators — over one seeded population, with the environment variables that point the
// product at them. Every server takes a random port unless told otherwise.
import { z } from 'zod';

import { describeIssues } from '../zod-issues.ts';
import type { SandboxCounters } from './counters.ts';
import type { FaultSchedule } from './faults.ts';
import { startBlueskySandbox } from './networks/bluesky.ts';
import { startGitHubSandbox } from './networks/github.ts';
import { startGravatarSandbox } from './networks/gravatar.ts';
import { startMastodonSandbox } from './networks/mastodon.ts';
import type { HostileInstanceOptions } from './networks/mastodon-hostile.ts';
import type { LimitSetting } from './networks/server.ts';
import { startXSandbox } from './networks/x.ts';
import { startYouTubeSandbox } from './networks/youtube.ts';
import type { Population } from './population.ts';
import { createPopulation } from './population.ts';

export type { CountersSnapshot } from './counters.ts';
export { SandboxCounters } from './counters.ts';
export { HOSTILE_HANDLES, HOSTILE_INSTANCE, type HostileInstanceOptions } from './networks/mastodon-hostile.ts';
export type { Population, SandboxAccount, SandboxNetwork, SandboxPerson } from './population.ts';
export { createPopulation } from './population.ts';

export const NETWORK_SERVERS = ['x', 'github', 'mastodon', 'bluesky', 'youtube', 'gravatar'] as const;
export const CRM_SERVERS = ['salesforce', 'hubspot'] as const;
export type NetworkServerName = (typeof NETWORK_SERVERS)[number];
export type CrmServerName = (typeof CRM_SERVERS)[number];
export type SandboxServerName = NetworkServerName | CrmServerName;

const OptionsSchema = z.object({
  contacts: z.number().int().min(1, 'must be at least 1').max(10_000_000, 'must be at most 10,000,000'),
  seed: z.union([z.string().min(1, 'must not be empty'), z.number().finite()]),
  /** Fault schedules: `all` applies to every server, a server's own entry replaces it. */
  faults: z.record(z.string(), z.unknown()).optional(),
  /** `real`: the networks' published limits. `relaxed`: 100× (for hand-driven demos on big populations). */
  networkLimits: z.enum(['real', 'relaxed']).default('real'),
  /** Start only these servers (default: all). */
  only: z.array(z.enum([...NETWORK_SERVERS, ...CRM_SERVERS])).optional(),
  now: z.date().optional(),
  hostileMastodon: z
    .object({
      inwardUrl: z.url().optional(),
      hugeBodyBytes: z.number().int().min(2).optional(),
      trickleIntervalMs: z.number().int().min(1).optional(),
    })
    .optional(),
});

export interface SandboxOptions {
  contacts: number;
  seed: string | number;
  faults?: Partial<Record<SandboxServerName | 'all', FaultSchedule>>;
  networkLimits?: 'real' | 'relaxed';
  only?: SandboxServerName[];
  now?: Date;
  /** The hostile Mastodon instance's settings (where it redirects, how big its body is). */
  hostileMastodon?: HostileInstanceOptions;
}

/** The CRM emulators' counters have their own shapes (owned by their engineers). */
export interface SandboxCountersByServer {
  x?: SandboxCounters;
  github?: SandboxCounters;
  mastodon?: SandboxCounters;
  bluesky?: SandboxCounters;
  youtube?: SandboxCounters;
  gravatar?: SandboxCounters;
  salesforce?: unknown;
  hubspot?: unknown;
}

export interface Sandbox {
  population: Population;
  urls: Partial<Record<SandboxServerName, string>>;
  /** Environment variables that point every command at the sandbox. */
  env: Record<string, string>;
  counters: SandboxCountersByServer;
  /** Servers that could not start (a CRM emulator not built yet), with the reason. */
  skipped: { server: SandboxServerName; reason: string }[];
  close(): Promise<void>;
}

interface Started {
  url: string;
  env: Record<string, string>;
  counters: unknown;
  close(): Promise<void>;
}

function scaled(setting: LimitSetting, relaxed: boolean): LimitSetting {
  return relaxed ? { limit: setting.limit * 100, windowSeconds: setting.windowSeconds } : setting;
}

/** Loads a CRM emulator's start function, or explains why it is not there. */
async function loadCrm(
  server: CrmServerName,
): Promise<((options: { population: Population; faults?: FaultSchedule }) => Promise<Started>) | string> {
  const specifier = server === 'salesforce' ? './salesforce/index.ts' : './hubspot/index.ts';
  const exportName = server === 'salesforce' ? 'startSalesforceSandbox' : 'startHubSpotSandbox';
  try {
    const module = (await import(specifier)) as Record<string, unknown>;
    const start = module[exportName];
    if (typeof start !== 'function') return `src/sandbox/${server}/index.ts does not export ${exportName} yet`;
    return start as (options: { population: Population; faults?: FaultSchedule }) => Promise<Started>;
  } catch (error) {
    return `src/sandbox/${server} is not available (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`;
  }
}

export async function startSandbox(options: SandboxOptions): Promise<Sandbox> {
  const parsed = OptionsSchema.safeParse(options);
  if (!parsed.success) {
    throw new Error(`startSandbox: ${describeIssues(parsed.error, { root: 'options' })}`);
  }
  const { contacts, seed, networkLimits, only, now, hostileMastodon } = parsed.data;
  const population = createPopulation({ seed, size: contacts, ...(now ? { now } : {}) });
  const faults = options.faults ?? {};
  const faultsFor = (server: SandboxServerName): FaultSchedule | undefined => faults[server] ?? faults.all;
  const relaxed = networkLimits === 'relaxed';
  const wanted = (server: SandboxServerName) => only === undefined || only.includes(server);

  const started: { name: SandboxServerName; server: Started }[] = [];
  const skipped: Sandbox['skipped'] = [];
  const closeAll = async () => {
    await Promise.allSettled(started.map(({ server }) => server.close()));
  };

  try {
    const starters: [NetworkServerName, () => Promise<Started>][] = [
      [
        'x',
        () =>
          startXSandbox({
            population,
            faults: faultsFor('x'),
            limits: {
              users: scaled({ limit: 300, windowSeconds: 900 }, relaxed),
              tweets: scaled({ limit: 10_000, windowSeconds: 900 }, relaxed),
            },
          }),
      ],
      [
        'github',
        () =>
          startGitHubSandbox({
            population,
            faults: faultsFor('github'),
            limits: {
              anonymous: scaled({ limit: 60, windowSeconds: 3600 }, relaxed),
              authenticated: scaled({ limit: 5000, windowSeconds: 3600 }, relaxed),
              graphql: scaled({ limit: 5000, windowSeconds: 3600 }, relaxed),
            },
          }),
      ],
      [
        'mastodon',
        () =>
          startMastodonSandbox({
            population,
            faults: faultsFor('mastodon'),
            limits: { requests: scaled({ limit: 300, windowSeconds: 300 }, relaxed) },
            ...(hostileMastodon ? { hostile: hostileMastodon } : {}),
          }),
      ],
      [
        'bluesky',
        () =>
          startBlueskySandbox({
            population,
            faults: faultsFor('bluesky'),
            limits: { requests: scaled({ limit: 3000, windowSeconds: 300 }, relaxed) },
          }),
      ],
      [
        'youtube',
        () =>
          startYouTubeSandbox({ population, faults: faultsFor('youtube'), dailyQuota: relaxed ? 1_000_000 : 10_000 }),
      ],
      [
        'gravatar',
        () =>
          startGravatarSandbox({
            population,
            faults: faultsFor('gravatar'),
            limits: {
              anonymous: scaled({ limit: 100, windowSeconds: 3600 }, relaxed),
              authenticated: scaled({ limit: 1000, windowSeconds: 3600 }, relaxed),
            },
          }),
      ],
    ];
    for (const [name, start] of starters) {
      if (wanted(name)) started.push({ name, server: await start() });
    }
    for (const name of CRM_SERVERS) {
      if (!wanted(name)) continue;
      const start = await loadCrm(name);
      if (typeof start === 'string') {
        skipped.push({ server: name, reason: start });
        continue;
      }
      const fault = faultsFor(name);
      started.push({ name, server: await start({ population, ...(fault ? { faults: fault } : {}) }) });
    }
  } catch (error) {
    await closeAll();
    throw error;
  }

  const urls: Sandbox['urls'] = {};
  const env: Record<string, string> = {};
  const counters: SandboxCountersByServer = {};
  for (const { name, server } of started) {
    urls[name] = server.url;
    Object.assign(env, server.env);
    (counters as Record<string, unknown>)[name] = server.counters;
  }
  return { population, urls, env, counters, skipped, close: closeAll };
}
