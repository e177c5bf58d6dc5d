// The outbound guard. A host chosen by CRM data or by a third party (a Mastodon instance from a handle, a redirect's
// Location) is called only over https, on port 443, at a public address — and the address is checked inside the
// connection's own DNS lookup, so the address judged is the address connected to: a name that resolves inward, or
// answers public first and private on the connect (DNS rebinding), never gets a request. Hosts an operator configured
// (the networks' base URLs, the sandbox on 127.0.0.1) are the allow-list and skip the guard: see HttpClient.
import type { LookupAddress, LookupOptions } from 'node:dns';
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';

import { Agent } from 'undici';

import { isPublicAddress } from './address.ts';

/** Every address a name resolves to (the test seam: a fake DNS). */
export type Resolver = (hostname: string) => Promise<LookupAddress[]>;

const systemResolver: Resolver = (hostname) => dnsLookup(hostname, { all: true });

/** Thrown inside the connection (and before it, for the URL's own faults) when a destination is not allowed. */
export class DestinationRefusedError extends Error {
  readonly code = 'ERR_DESTINATION_REFUSED';
  readonly host: string;
  readonly reason: string;

  constructor(host: string, reason: string) {
    super(`refused to call ${host}: ${reason}`);
    this.host = host;
    this.reason = reason;
    this.name = 'DestinationRefusedError';
  }
}

/**
 * Limits for hosts that CRM data chose: a hostile instance may not make us wait long (Retry-After: 899) or retry
 * much. Applied to every request to a host outside the allow-list, and to every request of a client whose hosts
 * come from CRM data even when an operator routes them through a configured base URL (the sandbox).
 */
export const USER_DERIVED_LIMITS = { maxRetries: 1, maxWaitMs: 60_000 } as const;

/** Why the URL itself may not be called as a user-derived destination (scheme, port, a literal address), or null. */
export function urlRefusal(url: URL): string | null {
  if (url.protocol !== 'https:') return `${url.protocol.replace(/:$/, '')} is not https`;
  if (url.port !== '') return `port ${url.port} is not the standard https port`;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) !== 0 && !isPublicAddress(host)) return `${host} is not a public address`;
  return null;
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for net/tls.connect that resolves the name and refuses it unless every address is public (a name that
 * also points inward is hostile or broken; either way it is not called).
 */
export function guardedLookup(resolve: Resolver = systemResolver) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    resolve(hostname).then(
      (answers) => {
        const inward = answers.find((a) => !isPublicAddress(a.address));
        if (inward) {
          callback(new DestinationRefusedError(hostname, `it resolves to ${inward.address}, not a public address`), '');
          return;
        }
        const usable = options.family ? answers.filter((a) => a.family === options.family) : answers;
        const first = usable[0];
        if (!first) {
          const error: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${hostname}`);
          error.code = 'ENOTFOUND';
          callback(error, '');
          return;
        }
        if (options.all) callback(null, usable);
        else callback(null, first.address, first.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, ''),
    );
  };
}

/** The undici dispatcher that user-derived requests go through: its connections resolve with the guarded lookup. */
export function guardedDispatcher(resolve?: Resolver): Agent {
  return new Agent({ connect: { lookup: guardedLookup(resolve) } });
}

/** The refusal behind a failed fetch (the connection's lookup threw it), if that is why it failed. */
export function refusalOf(error: unknown): DestinationRefusedError | null {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    if (e instanceof DestinationRefusedError) return e;
  }
  return null;
}
