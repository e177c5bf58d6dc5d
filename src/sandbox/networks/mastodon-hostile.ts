// A hostile Mastodon instance: what anyone who runs an instance (or types one into a CRM field) can answer, as
// reproduced in issue 18. The Mastodon emulator serves it for accounts on HOSTILE_INSTANCE, beside the honest ones,
// so tests and the soak reach it through the real adapter. Each answer is legal HTTP used against the caller: a
// redirect inward (RFC 9110 §15.4: Location may name any URL), a body of any size (§6.4), Retry-After of any length
// (§10.2.3), and a body that drips forever.
import { Readable } from 'node:stream';

import type { Reply } from './server.ts';

export const HOSTILE_INSTANCE = 'hostile-instance.social';

/** One account per trick, as a CRM field would hold it. */
export const HOSTILE_HANDLES = {
  /** 302 to an internal URL (the cloud metadata service unless told otherwise). */
  redirectInward: `redirect@${HOSTILE_INSTANCE}`,
  /** 302 to the same lookup, forever. */
  redirectLoop: `loop@${HOSTILE_INSTANCE}`,
  /** 200 with a 50 MB body. */
  hugeBody: `huge@${HOSTILE_INSTANCE}`,
  /** 429 with `Retry-After: 899`, every time. */
  retryAfter: `ratelimited@${HOSTILE_INSTANCE}`,
  /** 200 whose body arrives one byte a second, never ending. */
  trickle: `slow@${HOSTILE_INSTANCE}`,
} as const;

export interface HostileInstanceOptions {
  /** Where `redirect@` points (tests: a canary server on 127.0.0.1 that must never be hit). */
  inwardUrl?: string;
  /** Size of `huge@`'s body. */
  hugeBodyBytes?: number;
  /** Gap between the bytes of `slow@`'s body. */
  trickleIntervalMs?: number;
}

export interface HostileInstance {
  /** The answer to a lookup of `acct`, or null when the account is not on the hostile instance. */
  lookup(acct: string, selfUrl: string): Reply | null;
  /** Body bytes handed to the socket so far (how much of a huge body a client let through). */
  bytesSent(): number;
  /** Redirects inward served so far (each one a request the client must refuse to follow). */
  redirectsInward(): number;
}

const METADATA_URL = 'http://169.254.169.254/latest/meta-data/iam/security-credentials/';

export function hostileInstance(options: HostileInstanceOptions = {}): HostileInstance {
  let sent = 0;
  let inward = 0;
  const hugeBytes = options.hugeBodyBytes ?? 50 * 1024 * 1024;

  function hugeBody(acct: string): Readable {
    const head = Buffer.from(`{"id":"666","acct":"${acct}","note":"`);
    const filler = Buffer.alloc(64 * 1024, 'a');
    return Readable.from(
      (function* () {
        sent += head.length;
        yield head;
        for (let left = hugeBytes - head.length - 2; left > 0; left -= filler.length) {
          const chunk = left >= filler.length ? filler : filler.subarray(0, left);
          sent += chunk.length;
          yield chunk;
        }
        sent += 2;
        yield Buffer.from('"}');
      })(),
    );
  }

  function trickle(): Readable {
    let timer: NodeJS.Timeout | undefined;
    return new Readable({
      read() {
        timer ??= setInterval(() => {
          sent += 1;
          this.push(' ');
        }, options.trickleIntervalMs ?? 1000);
      },
      destroy(error, callback) {
        clearInterval(timer);
        callback(error);
      },
    });
  }

  return {
    bytesSent: () => sent,
    redirectsInward: () => inward,
    lookup(acct, selfUrl): Reply | null {
      const [user = '', instance = ''] = acct.trim().replace(/^@/, '').toLowerCase().split('@');
      if (instance !== HOSTILE_INSTANCE) return null;
      switch (`${user}@${instance}`) {
        case HOSTILE_HANDLES.redirectInward:
          inward += 1;
          return { status: 302, headers: { location: options.inwardUrl ?? METADATA_URL } };
        case HOSTILE_HANDLES.redirectLoop:
          return {
            status: 302,
            headers: { location: `${selfUrl}/api/v1/accounts/lookup?acct=${encodeURIComponent(acct)}` },
          };
        case HOSTILE_HANDLES.hugeBody:
          return { status: 200, stream: hugeBody(acct) };
        case HOSTILE_HANDLES.retryAfter:
          return { status: 429, body: { error: 'Too many requests' }, headers: { 'retry-after': '899' } };
        case HOSTILE_HANDLES.trickle:
          return { status: 200, stream: trickle() };
        default:
          return { status: 404, body: { error: 'Record not found' } };
      }
    },
  };
}
