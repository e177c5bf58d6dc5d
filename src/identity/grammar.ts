// Each network's handle grammar: validate a bare handle and return its canonical form, or a reason it is not one.
import type { Network } from '../scoring/types.ts';

export type GrammarResult = { ok: true; handle: string } | { ok: false; reason: RejectReason };

/** Why a value did not become an identity (machine-readable; the engine reports it per record). */
export type RejectReason =
  | 'empty'
  | 'placeholder'
  | 'unknown_network'
  | 'ambiguous_network'
  | 'unsupported_network'
  | 'invalid_grammar'
  | 'reserved_name'
  | 'not_a_profile'
  | 'looks_like_email'
  | 'incomplete_handle'
  /** The host part names no public host: an IP address, a single label, a private or special-use TLD. */
  | 'reserved_host';

const ok = (handle: string): GrammarResult => ({ ok: true, handle });
const no = (reason: RejectReason): GrammarResult => ({ ok: false, reason });

/** Path segments of x.com that are pages, not accounts. */
const X_RESERVED = new Set([
  'home',
  'i',
  'search',
  'explore',
  'intent',
  'share',
  'hashtag',
  'settings',
  'messages',
  'notifications',
  'login',
  'logout',
  'signup',
  'tos',
  'privacy',
  'compose',
  'about',
  'download',
  'jobs',
  'account',
  'oauth',
  'following',
  'followers',
  'lists',
  'topics',
  'x',
  'twitter',
  'help',
]);

/** X usernames: 1–15 of letters, digits and underscore; case-insensitive. */
export function xHandle(raw: string): GrammarResult {
  const value = raw.replace(/^@/, '');
  if (value === '') return no('empty');
  if (!/^[A-Za-z0-9_]{1,15}$/.test(value)) return no('invalid_grammar');
  const handle = value.toLowerCase();
  if (X_RESERVED.has(handle)) return no('reserved_name');
  return ok(handle);
}

const GITHUB_RESERVED = new Set([
  'about',
  'settings',
  'orgs',
  'organizations',
  'marketplace',
  'features',
  'topics',
  'explore',
  'login',
  'logout',
  'join',
  'signup',
  'pricing',
  'enterprise',
  'notifications',
  'issues',
  'pulls',
  'search',
  'trending',
  'collections',
  'new',
  'security',
  'site',
  'apps',
  'team',
  'customer-stories',
  'readme',
  'codespaces',
  'github',
  'users',
  'repos',
]);

/** GitHub logins: 1–39 letters, digits and single hyphens, not at either end; case-insensitive. */
export function githubHandle(raw: string): GrammarResult {
  const value = raw.replace(/^@/, '');
  if (value === '') return no('empty');
  if (value.length > 39 || !/^[A-Za-z0-9](?:-?[A-Za-z0-9])*$/.test(value)) return no('invalid_grammar');
  const handle = value.toLowerCase();
  if (GITHUB_RESERVED.has(handle)) return no('reserved_name');
  return ok(handle);
}

/** A DNS hostname with at least two labels and a non-numeric TLD (the atproto handle rule). */
export function isDomainName(value: string): boolean {
  if (value.length > 253) return false;
  const labels = value.split('.');
  if (labels.length < 2) return false;
  const label = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;
  if (!labels.every((l) => label.test(l))) return false;
  return /^[a-z]/i.test(labels[labels.length - 1] ?? '');
}

/**
 * TLDs that never name a host on the public internet: special-use names (RFC 6761: localhost, invalid, test,
 * example; RFC 6762: local; RFC 8375: home.arpa under arpa; RFC 7686: onion; RFC 9476: alt), ICANN's private-use
 * `internal` (2024), Kubernetes service names (`svc`, `cluster.local`), and names private networks use unofficially.
 */
const RESERVED_TLDS = new Set([
  'localhost',
  'invalid',
  'test',
  'example',
  'local',
  'arpa',
  'onion',
  'alt',
  'internal',
  'svc',
  'localdomain',
  'lan',
  'home',
  'corp',
  'intranet',
  'private',
]);

/**
 * Why a host taken from CRM data (an instance, a handle's domain) cannot be a public host we may call, or null. The
 * HTTP guard checks the address again at connect (a public-looking name can still resolve inward: *.nip.io).
 */
export function reservedHost(host: string): RejectReason | null {
  const name = host.toLowerCase().replace(/\.$/, '');
  // Not shaped like a host at all: the grammar says why.
  if (!/^[a-z0-9.[\]:-]+$/.test(name)) return null;
  const labels = name.split('.');
  const tld = labels[labels.length - 1] ?? '';
  // An address, not a name: 169.254.169.254, 0x7f.1, 2130706433, [::1].
  if (/[[\]:]/.test(name) || /^\d/.test(tld)) return 'reserved_host';
  if (labels.length < 2 || RESERVED_TLDS.has(tld)) return 'reserved_host';
  return null;
}

/** Mastodon usernames: letters, digits, underscore; dots and hyphens inside (Mastodon's USERNAME_RE). */
const MASTODON_USER = /^[a-z0-9_]+(?:[a-z0-9_.-]+[a-z0-9_])?$/i;

/** `user@instance` or `@user@instance`; canonical `user@instance`, lowercased. */
export function mastodonHandle(raw: string): GrammarResult {
  const value = raw.replace(/^@/, '');
  if (value === '') return no('empty');
  const at = value.indexOf('@');
  if (at < 0) return MASTODON_USER.test(value) ? no('incomplete_handle') : no('invalid_grammar');
  return mastodonAcct(value.slice(0, at), value.slice(at + 1));
}

export function mastodonAcct(user: string, instance: string): GrammarResult {
  if (user.length === 0 || user.length > 30 || !MASTODON_USER.test(user)) return no('invalid_grammar');
  const host = instance.toLowerCase().replace(/\.$/, '');
  const reserved = reservedHost(host);
  if (reserved) return no(reserved);
  if (!isDomainName(host)) return no('invalid_grammar');
  return ok(`${user.toLowerCase()}@${host}`);
}

/** did:plc (24 base32 chars) or did:web:<domain>. */
const DID = /^did:(?:plc:[a-z2-7]{24}|web:[a-z0-9.-]+(?::\d+)?)$/;

/** Bluesky: a domain handle (`ada.bsky.social`, `ada.dev`) or a DID; handles lowercased, DIDs as given. */
export function blueskyHandle(raw: string): GrammarResult {
  const value = raw.replace(/^@/, '');
  if (value === '') return no('empty');
  if (value.toLowerCase().startsWith('did:')) {
    const did = value.startsWith('did:plc:') ? value : value.toLowerCase();
    return DID.test(did) ? ok(did) : no('invalid_grammar');
  }
  const handle = value.toLowerCase().replace(/\.$/, '');
  if (!handle.includes('.')) return /^[a-z0-9-]+$/.test(handle) ? no('incomplete_handle') : no('invalid_grammar');
  // The atproto spec disallows reserved TLDs in handles too.
  const reserved = reservedHost(handle);
  if (reserved) return no(reserved);
  if (!isDomainName(handle)) return no('invalid_grammar');
  return ok(handle);
}

/** YouTube channel ids: `UC` + 22 base64url characters (case-sensitive). */
export const YOUTUBE_CHANNEL_ID = /^UC[A-Za-z0-9_-]{22}$/;

/**
 * YouTube: `@handle` (3–30 of letters, digits, `.`, `_`, `-`; case-insensitive) → `@handle`; a channel id → as is;
 * a legacy `/user/` name → `user:name` (looked up with `forUsername`).
 */
export function youtubeHandle(raw: string): GrammarResult {
  const value = raw.trim();
  if (value === '' || value === '@') return no('empty');
  if (YOUTUBE_CHANNEL_ID.test(value)) return ok(value);
  const handle = value.replace(/^@/, '');
  if (!/^[A-Za-z0-9._-]{3,30}$/.test(handle) || /^[._-]|[._-]$/.test(handle)) return no('invalid_grammar');
  return ok(`@${handle.toLowerCase()}`);
}

export function youtubeLegacyUser(name: string): GrammarResult {
  return /^[A-Za-z0-9]{1,40}$/.test(name) ? ok(`user:${name.toLowerCase()}`) : no('invalid_grammar');
}

/** LinkedIn public profile slugs (`/in/<slug>`): 3–100 letters, digits, hyphens (plus %-escapes). */
export function linkedinHandle(raw: string): GrammarResult {
  let value = raw.replace(/^@/, '');
  try {
    value = decodeURIComponent(value);
  } catch {
    return no('invalid_grammar');
  }
  if (value === '') return no('empty');
  if (!/^[\p{L}\p{N}_-]{3,100}$/u.test(value)) return no('invalid_grammar');
  return ok(value.toLowerCase());
}

/** The grammar for a value the CRM mapping says belongs to `network`. */
export function handleFor(network: Network, raw: string): GrammarResult {
  switch (network) {
    case 'x':
      return xHandle(raw);
    case 'github':
      return githubHandle(raw);
    case 'mastodon':
      return mastodonHandle(raw);
    case 'bluesky':
      return blueskyHandle(raw);
    case 'youtube':
      return youtubeHandle(raw);
    case 'linkedin':
      return linkedinHandle(raw);
  }
}
