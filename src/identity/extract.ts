// CRM handle fields → normalised, de-duplicated identities, and a reason code for every value that is not one.
import type { CrmContact, RawHandle } from '../crm/contract.ts';
import type { Network } from '../scoring/types.ts';
import { blueskyHandle, handleFor, mastodonHandle, type RejectReason, YOUTUBE_CHANNEL_ID } from './grammar.ts';
import { looksLikeUrl, parseProfileUrl } from './profile-url.ts';
import type { Identity, RejectedHandle } from './types.ts';

export interface ResolvedIdentities {
  identities: Identity[];
  rejected: RejectedHandle[];
}

type One = { ok: true; network: Network; handle: string } | { ok: false; reason: RejectReason };

/** What people type when they mean "nothing". */
const PLACEHOLDERS = new Set([
  'n/a',
  'na',
  'none',
  'null',
  'nil',
  '-',
  '--',
  '—',
  '?',
  'tbd',
  'unknown',
  'no',
  'x',
  '@',
  '.',
  'test',
]);

/** The largest Mastodon instances: `user@<one of these>` is an account, not an e-mail address. */
const KNOWN_MASTODON_INSTANCES = new Set([
  'mastodon.social',
  'mastodon.online',
  'mstdn.social',
  'mas.to',
  'hachyderm.io',
  'fosstodon.org',
  'infosec.exchange',
  'techhub.social',
  'indieweb.social',
  'sigmoid.social',
  'mastodon.world',
  'mastodon.cloud',
  'universeodon.com',
  'mstdn.jp',
  'pawoo.net',
  'chaos.social',
  'social.vivaldi.net',
  'ioc.exchange',
  'toot.community',
  'mastodon.art',
  'mathstodon.xyz',
  'aus.social',
  'mastodon.green',
  'phpc.social',
  'ruby.social',
  'front-end.social',
]);

/** Longest value we try to parse; anything longer is pasted text, not a handle. */
const MAX_VALUE_LENGTH = 2048;

/** One raw CRM value → zero or more results (a field may hold several URLs separated by spaces, commas, `|`). */
export function extractFromValue(raw: RawHandle): One[] {
  const value = raw.value
    .normalize('NFKC')
    .replace(/[\u200B-\u200D\uFEFF]/g, '') // zero-width characters pasted from web pages
    .trim()
    .replace(/^["'<(]+|[>"')]+$/g, '')
    // "@ ada" → "@ada"
    .replace(/(^|\s)@\s+(?=\S)/g, '$1@');
  if (value === '') return [{ ok: false, reason: 'empty' }];
  if (value.length > MAX_VALUE_LENGTH) return [{ ok: false, reason: 'invalid_grammar' }];
  if (PLACEHOLDERS.has(value.toLowerCase())) return [{ ok: false, reason: 'placeholder' }];
  const parts = value.split(/[\s,;|]+/).filter((p) => p !== '');
  // Several profile URLs in one field are several identities; several words are a name or a sentence, not a handle.
  if (parts.length > 1 && !parts.every((p) => looksLikeUrl(p) || /^@[^@\s]+@[^@\s]+$/.test(p))) {
    return [{ ok: false, reason: 'invalid_grammar' }];
  }
  // Trailing sentence punctuation is never part of a handle or profile URL ("see x.com/ada.").
  return parts.map((part) => extractOne(part.replace(/[.,;:!]+$/, ''), raw.network));
}

function extractOne(value: string, hint: RawHandle['network']): One {
  if (value === '' || value === '@') return { ok: false, reason: 'empty' };
  if (PLACEHOLDERS.has(value.toLowerCase())) return { ok: false, reason: 'placeholder' };
  if (looksLikeUrl(value)) return parseProfileUrl(value);
  if (/^mailto:/i.test(value)) return { ok: false, reason: 'looks_like_email' };

  const lower = value.toLowerCase();
  // @user@instance is Mastodon whatever the field says.
  if (/^@[^@\s]+@[^@\s]+$/.test(value)) return withNetwork('mastodon', mastodonHandle(value));
  if (lower.startsWith('did:')) return withNetwork('bluesky', blueskyHandle(value));

  // A Bluesky handle typed into another network's field (`ada.bsky.social` in the X field).
  if (hint !== 'bluesky' && /\.bsky\.social$/i.test(value.replace(/^@/, '')))
    return withNetwork('bluesky', blueskyHandle(value));
  if (hint === 'any') return detect(value);
  if (hint === 'mastodon') return withNetwork('mastodon', mastodonHandle(value));
  if (value.includes('@', 1)) {
    // `user@instance` in another field: Mastodon only when the domain is a well-known instance, else an e-mail.
    const domain = value.slice(value.lastIndexOf('@') + 1).toLowerCase();
    return KNOWN_MASTODON_INSTANCES.has(domain)
      ? withNetwork('mastodon', mastodonHandle(value))
      : { ok: false, reason: 'looks_like_email' };
  }
  if (hint === 'youtube' && YOUTUBE_CHANNEL_ID.test(value)) return { ok: true, network: 'youtube', handle: value };
  return withNetwork(hint, handleFor(hint, value));
}

/** A value in a field with no network hint (a generic "social profile" field): only unambiguous forms. */
function detect(value: string): One {
  const bare = value.replace(/^@/, '');
  if (/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(value)) {
    const domain = value.slice(value.lastIndexOf('@') + 1).toLowerCase();
    return KNOWN_MASTODON_INSTANCES.has(domain)
      ? withNetwork('mastodon', mastodonHandle(value))
      : { ok: false, reason: 'looks_like_email' };
  }
  if (/\.bsky\.social$/i.test(bare)) return withNetwork('bluesky', blueskyHandle(bare));
  if (YOUTUBE_CHANNEL_ID.test(value)) return { ok: true, network: 'youtube', handle: value };
  // `@ada` or `ada` alone could be any network; a bare domain could be a website or a Bluesky handle.
  if (/^[A-Za-z0-9_.-]+$/.test(bare))
    return { ok: false, reason: bare.includes('.') ? 'unknown_network' : 'ambiguous_network' };
  return { ok: false, reason: 'invalid_grammar' };
}

function withNetwork(
  network: Network,
  result: { ok: true; handle: string } | { ok: false; reason: RejectReason },
): One {
  return result.ok ? { ok: true, network, handle: result.handle } : result;
}

/**
 * Every identity in a contact's mapped handle fields (provenance `crm-field`), de-duplicated by network and handle
 * (the first field wins), and every value that is not a usable handle with its reason.
 */
export function resolveIdentities(contact: Pick<CrmContact, 'handles'>): ResolvedIdentities {
  return resolveRawHandles(contact.handles, 'crm-field');
}

export function resolveRawHandles(
  handles: readonly RawHandle[],
  provenance: Identity['provenance'],
): ResolvedIdentities {
  const identities: Identity[] = [];
  const rejected: RejectedHandle[] = [];
  const seen = new Set<string>();
  for (const raw of handles) {
    for (const result of extractFromValue(raw)) {
      if (!result.ok) {
        // An empty optional field is normal, not an error worth reporting.
        if (result.reason !== 'empty')
          rejected.push({ sourceField: raw.field, value: raw.value, reason: result.reason });
        continue;
      }
      const key = `${result.network}\u0000${result.handle}`;
      if (seen.has(key)) continue;
      seen.add(key);
      identities.push({ network: result.network, handle: result.handle, provenance, sourceField: raw.field });
    }
  }
  return { identities, rejected };
}
