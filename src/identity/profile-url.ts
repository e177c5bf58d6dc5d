// Profile URLs → (network, canonical handle). The host decides the network, whatever field the URL was typed into.
import type { Network } from '../scoring/types.ts';
import {
  blueskyHandle,
  githubHandle,
  linkedinHandle,
  mastodonAcct,
  type RejectReason,
  xHandle,
  youtubeHandle,
  youtubeLegacyUser,
} from './grammar.ts';

export type UrlResult = { ok: true; network: Network; handle: string } | { ok: false; reason: RejectReason };

const X_HOSTS = new Set([
  'x.com',
  'twitter.com',
  'mobile.twitter.com',
  'mobile.x.com',
  'fxtwitter.com',
  'vxtwitter.com',
]);
const YOUTUBE_HOSTS = new Set(['youtube.com', 'm.youtube.com', 'music.youtube.com']);
const BLUESKY_HOSTS = new Set(['bsky.app', 'staging.bsky.app']);
/** Networks we recognise but have no adapter for (so the reason is "unsupported", not "unknown"). */
const UNSUPPORTED_HOSTS = [
  'facebook.com',
  'fb.com',
  'instagram.com',
  'tiktok.com',
  'threads.net',
  'threads.com',
  'medium.com',
  'reddit.com',
  'substack.com',
  'pinterest.com',
  'snapchat.com',
  't.me',
  'telegram.me',
  'twitch.tv',
  'stackoverflow.com',
  'news.ycombinator.com',
  'dribbble.com',
  'behance.net',
  'keybase.io',
  'linktr.ee',
  'xing.com',
  'gitlab.com',
];

/** True when the value is a URL or looks like one typed without a scheme (`github.com/ada`). */
export function looksLikeUrl(value: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(value) || /^(?:www\.)?(?:[a-z0-9-]+\.)+[a-z]{2,}(?::\d+)?\/\S*/i.test(value);
}

const fail = (reason: RejectReason): UrlResult => ({ ok: false, reason });

function fromGrammar(network: Network, result: ReturnType<typeof xHandle>): UrlResult {
  return result.ok ? { ok: true, network, handle: result.handle } : result;
}

function hostMatches(host: string, domain: string): boolean {
  return host === domain || host.endsWith(`.${domain}`);
}

export function parseProfileUrl(value: string): UrlResult {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `https://${value}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    return fail('invalid_grammar');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return fail('invalid_grammar');
  const host = url.hostname.toLowerCase().replace(/^www\./, '');
  // Old X links put the path in the fragment: twitter.com/#!/ada
  const rawPath = url.hash.startsWith('#!/') ? url.hash.slice(2) : url.pathname;
  const segments = rawPath
    .split('/')
    .filter((s) => s !== '')
    .map(safeDecode);
  const first = segments[0];

  if (X_HOSTS.has(host)) {
    if (first === 'intent' && (segments[1] === 'user' || segments[1] === 'follow')) {
      const name = url.searchParams.get('screen_name');
      return name ? fromGrammar('x', xHandle(name)) : fail('not_a_profile');
    }
    if (first === undefined) return fail('not_a_profile');
    return fromGrammar('x', xHandle(first));
  }

  if (host === 'github.com' || host === 'gist.github.com') {
    if (first === undefined) return fail('not_a_profile');
    // github.com/sponsors/ada and github.com/orgs/acme are about the named account.
    if ((first === 'sponsors' || first === 'orgs') && segments[1])
      return fromGrammar('github', githubHandle(segments[1]));
    return fromGrammar('github', githubHandle(first));
  }
  if (host.endsWith('.github.io')) {
    return fromGrammar('github', githubHandle(host.slice(0, -'.github.io'.length)));
  }

  if (BLUESKY_HOSTS.has(host)) {
    if (first !== 'profile' || !segments[1]) return fail('not_a_profile');
    return fromGrammar('bluesky', blueskyHandle(segments[1]));
  }

  if (YOUTUBE_HOSTS.has(host)) {
    if (first === undefined) return fail('not_a_profile');
    if (first.startsWith('@')) return fromGrammar('youtube', youtubeHandle(first));
    if (first === 'channel' && segments[1]) {
      return /^UC[A-Za-z0-9_-]{22}$/.test(segments[1])
        ? { ok: true, network: 'youtube', handle: segments[1] }
        : fail('invalid_grammar');
    }
    // Custom /c/ URLs were migrated to @handles in 2022; the API has no lookup for /c/ names, so try the handle.
    if (first === 'c' && segments[1]) return fromGrammar('youtube', youtubeHandle(segments[1]));
    if (first === 'user' && segments[1]) return fromGrammar('youtube', youtubeLegacyUser(segments[1]));
    return fail('not_a_profile');
  }
  if (host === 'youtu.be') return fail('not_a_profile');

  if (hostMatches(host, 'linkedin.com')) {
    if (first === 'in' && segments[1]) return fromGrammar('linkedin', linkedinHandle(segments[1]));
    if (first === 'pub' && segments[1]) return fromGrammar('linkedin', linkedinHandle(segments[1]));
    return fail('not_a_profile');
  }

  if (UNSUPPORTED_HOSTS.some((d) => hostMatches(host, d))) return fail('unsupported_network');

  // Mastodon (and other ActivityPub servers speaking its API): https://instance/@user or /users/user.
  if (first?.startsWith('@') && first.length > 1) {
    const rest = first.slice(1);
    // https://home.example/@user@other.example is a remote profile viewed on `home`; the account lives on `other`.
    const at = rest.indexOf('@');
    return at >= 0
      ? fromGrammar('mastodon', mastodonAcct(rest.slice(0, at), rest.slice(at + 1)))
      : fromGrammar('mastodon', mastodonAcct(rest, host));
  }
  if (first === 'users' && segments[1] && segments.length <= 3) {
    return fromGrammar('mastodon', mastodonAcct(segments[1], host));
  }
  return fail('unknown_network');
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
