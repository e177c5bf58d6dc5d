// Gravatar discovery: e-mail → SHA-256 → public profile → the accounts its owner verified. These are suggestions
// (`discovered`, unconfirmed): the caller normalises them into identities and scores them only once confirmed.
import { createHash } from 'node:crypto';

import { z } from 'zod';

import type { RawHandle } from '../crm/contract.ts';
import { type HttpClient, type HttpResponse, mapConcurrent, rateLimitHeaders } from '../http/index.ts';
import { type AdapterOptions, createHttp, parsePayload, ProviderUnusableError } from './common.ts';

/** docs.gravatar.com/rest-api (rate limits). */
const GRAVATAR_RATE_LIMIT = rateLimitHeaders({
  limit: 'x-ratelimit-limit',
  remaining: 'x-ratelimit-remaining',
  reset: 'x-ratelimit-reset',
  format: 'epoch-seconds',
});

/** Gravatar's `service_type` → our network hint; others pass as `any` (their URL decides, or they are rejected). */
const SERVICE_NETWORK: Record<string, RawHandle['network']> = {
  twitter: 'x',
  x: 'x',
  github: 'github',
  mastodon: 'mastodon',
  bluesky: 'bluesky',
  youtube: 'youtube',
  linkedin: 'linkedin',
};

const ProfileSchema = z.object({
  hash: z.string().optional(),
  verified_accounts: z
    .array(
      z
        .object({
          service_type: z.string(),
          url: z.string(),
          is_hidden: z.boolean().optional(),
        })
        .loose(),
    )
    .optional(),
});

export type DiscoveryResult =
  | { status: 'ok'; handles: RawHandle[] }
  | { status: 'not_found' }
  | { status: 'unavailable'; reason: string; retryAfterSeconds?: number };

export function gravatarHash(email: string): string {
  return createHash('sha256').update(email.trim().toLowerCase()).digest('hex');
}

export interface GravatarOptions extends AdapterOptions {
  apiKey?: string;
}

export class GravatarDiscovery {
  private readonly http: HttpClient;

  private readonly options: GravatarOptions;

  constructor(options: GravatarOptions) {
    this.options = options;
    this.http = createHttp('gravatar', options, {
      headers: options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {},
      rateLimit: GRAVATAR_RATE_LIMIT,
      // One profile per answer.
      maxBodyBytes: 1024 * 1024,
    });
  }

  usage() {
    return { calls: this.http.stats().calls };
  }

  /** One result per e-mail address (keyed as given). Hidden accounts are skipped. */
  async discover(emails: readonly string[]): Promise<Map<string, DiscoveryResult>> {
    const unique = [...new Set(emails)];
    const results = await mapConcurrent(unique, this.options.concurrency ?? 4, (email) => this.discoverOne(email));
    return new Map(unique.map((email, i) => [email, results[i] as DiscoveryResult]));
  }

  private async discoverOne(email: string): Promise<DiscoveryResult> {
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email.trim())) return { status: 'not_found' };
    let response: HttpResponse;
    try {
      response = await this.http.request(`${this.options.baseUrl}/profiles/${gravatarHash(email)}`);
    } catch (error) {
      const e = error as { code?: string; retryAfterSeconds?: number };
      return {
        status: 'unavailable',
        reason: e.code ?? 'network',
        ...(e.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: e.retryAfterSeconds }),
      };
    }
    if (response.status === 404) return { status: 'not_found' };
    if (response.status === 401 || response.status === 403) {
      throw new ProviderUnusableError(
        'gravatar',
        `Gravatar refused the API key (HTTP ${response.status}): check GRAVATAR_API_KEY or unset it`,
      );
    }
    if (response.status !== 200) {
      return {
        status: 'unavailable',
        reason: response.status === 429 ? 'rate_limited' : `http_${response.status}`,
        ...(response.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: response.retryAfterSeconds }),
      };
    }
    const profile = parsePayload(ProfileSchema, response.body);
    if (profile === null) return { status: 'unavailable', reason: 'invalid_payload' };
    const handles = (profile.verified_accounts ?? [])
      .filter((a) => a.is_hidden !== true)
      .map((a) => ({
        field: `gravatar:${a.service_type}`,
        network: SERVICE_NETWORK[a.service_type.toLowerCase()] ?? 'any',
        value: a.url,
      }));
    return { status: 'ok', handles };
  }
}
