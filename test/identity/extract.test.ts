import { expect } from 'chai';

import type { RawHandle } from '../../src/crm/contract.ts';
import { resolveIdentities } from '../../src/identity/index.ts';

type Hint = RawHandle['network'];
/** [field hint, raw value, expected `network:handle` list or `!reason`] */
type Case = [Hint, string, string[] | `!${string}`];

const CASES: Case[] = [
  // X
  ['x', '@Ada_Lovelace', ['x:ada_lovelace']],
  ['x', 'ada_lovelace', ['x:ada_lovelace']],
  ['x', '  @ada  ', ['x:ada']],
  ['x', '@ ada', ['x:ada']],
  ['x', 'https://twitter.com/Ada', ['x:ada']],
  ['x', 'https://x.com/ada?s=21&t=abc', ['x:ada']],
  ['x', 'http://www.twitter.com/ada/', ['x:ada']],
  ['x', 'twitter.com/ada', ['x:ada']],
  ['x', 'https://mobile.twitter.com/ada', ['x:ada']],
  ['x', 'https://twitter.com/#!/ada', ['x:ada']],
  ['x', 'https://x.com/ada/status/1790000000000000000', ['x:ada']],
  ['x', 'https://twitter.com/intent/user?screen_name=Ada', ['x:ada']],
  ['x', 'https://x.com/home', '!reserved_name'],
  ['x', 'https://x.com/', '!not_a_profile'],
  ['x', '@this_is_way_too_long_for_x', '!invalid_grammar'],
  ['x', 'ada lovelace!', '!invalid_grammar'],
  ['x', 'ada@example.com', '!looks_like_email'],
  ['x', 'karen@mstdn.social', ['mastodon:karen@mstdn.social']],
  ['mastodon', 'ada.bsky.social', ['bluesky:ada.bsky.social']],
  ['x', 'N/A', '!placeholder'],
  ['x', '-', '!placeholder'],
  ['x', '\u200B@ada\u200B', ['x:ada']],
  ['x', '＠ａｄａ', ['x:ada']],
  ['x', '"@ada"', ['x:ada']],
  ['x', '@ada.', ['x:ada']],
  // GitHub
  ['github', 'Octocat', ['github:octocat']],
  ['github', '@octocat', ['github:octocat']],
  ['github', 'https://github.com/octocat', ['github:octocat']],
  ['github', 'github.com/octocat/hello-world', ['github:octocat']],
  ['github', 'https://www.github.com/Octo-Cat?tab=repositories', ['github:octo-cat']],
  ['github', 'https://gist.github.com/octocat/6cad326836d38bd3a7ae', ['github:octocat']],
  ['github', 'https://github.com/sponsors/octocat', ['github:octocat']],
  ['github', 'https://octocat.github.io/', ['github:octocat']],
  ['github', '-octocat', '!invalid_grammar'],
  ['github', 'octo--cat', '!invalid_grammar'],
  ['github', 'a'.repeat(40), '!invalid_grammar'],
  ['github', 'https://github.com/settings', '!reserved_name'],
  ['github', 'https://github.com', '!not_a_profile'],
  // Mastodon
  ['mastodon', '@jane@mastodon.social', ['mastodon:jane@mastodon.social']],
  ['mastodon', 'jane@Mastodon.Social', ['mastodon:jane@mastodon.social']],
  ['mastodon', 'https://fosstodon.org/@Jane', ['mastodon:jane@fosstodon.org']],
  ['mastodon', 'https://hachyderm.io/@jane/112233445566', ['mastodon:jane@hachyderm.io']],
  ['mastodon', 'https://mastodon.social/users/jane', ['mastodon:jane@mastodon.social']],
  ['mastodon', 'https://mastodon.social/@jane@fosstodon.org', ['mastodon:jane@fosstodon.org']],
  ['mastodon', '@jane', '!incomplete_handle'],
  ['mastodon', 'jane@', '!invalid_grammar'],
  // Hosts that are not on the public internet never become an instance we call (issue 18: SSRF through handles).
  ['mastodon', 'jane@localhost', '!reserved_host'],
  ['mastodon', 'a@metadata.google.internal', '!reserved_host'],
  ['mastodon', 'a@kubernetes.default.svc', '!reserved_host'],
  ['mastodon', 'a@kubernetes.default.svc.cluster.local', '!reserved_host'],
  ['mastodon', 'a@db.internal', '!reserved_host'],
  ['mastodon', '@a@printer.home.arpa', '!reserved_host'],
  ['mastodon', 'a@169.254.169.254', '!reserved_host'],
  ['mastodon', 'a@[::1]', '!reserved_host'],
  ['mastodon', 'a@0x7f.1', '!reserved_host'],
  ['mastodon', 'a@intranet', '!reserved_host'],
  ['any', 'https://metadata.google.internal/@a', '!reserved_host'],
  ['any', 'https://169.254.169.254/@a', '!reserved_host'],
  ['any', 'http://localhost:3000/users/a', '!reserved_host'],
  ['mastodon', 'https://mastodon.social/@a@db.internal', '!reserved_host'],
  // A public-looking name that resolves inward passes the grammar: the HTTP guard refuses it at connect.
  ['mastodon', 'a@169.254.169.254.nip.io', ['mastodon:a@169.254.169.254.nip.io']],
  ['x', '@jane@mastodon.social', ['mastodon:jane@mastodon.social']],
  ['any', 'https://infosec.exchange/@jane', ['mastodon:jane@infosec.exchange']],
  // Bluesky
  ['bluesky', 'ada.bsky.social', ['bluesky:ada.bsky.social']],
  ['bluesky', '@Ada.Bsky.Social', ['bluesky:ada.bsky.social']],
  ['bluesky', 'https://bsky.app/profile/ada.bsky.social', ['bluesky:ada.bsky.social']],
  [
    'bluesky',
    'https://bsky.app/profile/did:plc:z72i7hdynmk6r22z27h6tvur/post/3k',
    ['bluesky:did:plc:z72i7hdynmk6r22z27h6tvur'],
  ],
  ['bluesky', 'did:plc:z72i7hdynmk6r22z27h6tvur', ['bluesky:did:plc:z72i7hdynmk6r22z27h6tvur']],
  ['bluesky', 'did:plc:short', '!invalid_grammar'],
  ['bluesky', 'jay.dev', ['bluesky:jay.dev']],
  ['bluesky', 'ada', '!incomplete_handle'],
  ['bluesky', 'ada.local', '!reserved_host'],
  ['bluesky', 'https://bsky.app/', '!not_a_profile'],
  ['x', 'ada.bsky.social', ['bluesky:ada.bsky.social']],
  ['any', 'ada.bsky.social', ['bluesky:ada.bsky.social']],
  // YouTube
  ['youtube', '@GoogleDevelopers', ['youtube:@googledevelopers']],
  ['youtube', 'https://www.youtube.com/@GoogleDevelopers/videos', ['youtube:@googledevelopers']],
  ['youtube', 'https://youtube.com/channel/UC_x5XG1OV2P6uZZ5FSM9Ttw', ['youtube:UC_x5XG1OV2P6uZZ5FSM9Ttw']],
  ['youtube', 'UC_x5XG1OV2P6uZZ5FSM9Ttw', ['youtube:UC_x5XG1OV2P6uZZ5FSM9Ttw']],
  ['youtube', 'https://m.youtube.com/c/GoogleDevelopers', ['youtube:@googledevelopers']],
  ['youtube', 'https://www.youtube.com/user/GoogleDevelopers', ['youtube:user:googledevelopers']],
  ['youtube', 'https://www.youtube.com/watch?v=dQw4w9WgXcQ', '!not_a_profile'],
  ['youtube', 'https://youtu.be/dQw4w9WgXcQ', '!not_a_profile'],
  ['youtube', 'https://youtube.com/channel/UCshort', '!invalid_grammar'],
  ['youtube', '@ab', '!invalid_grammar'],
  ['any', 'UC_x5XG1OV2P6uZZ5FSM9Ttw', ['youtube:UC_x5XG1OV2P6uZZ5FSM9Ttw']],
  // LinkedIn (CSV import only)
  ['any', 'https://www.linkedin.com/in/ada-lovelace-12345/', ['linkedin:ada-lovelace-12345']],
  ['any', 'https://de.linkedin.com/in/J%C3%BCrgen-M', ['linkedin:jürgen-m']],
  ['any', 'https://www.linkedin.com/company/acme', '!not_a_profile'],
  // Wrong field: the URL's host decides
  ['x', 'https://github.com/octocat', ['github:octocat']],
  ['github', 'https://twitter.com/ada', ['x:ada']],
  ['youtube', 'https://bsky.app/profile/ada.bsky.social', ['bluesky:ada.bsky.social']],
  // Several values in one field
  ['any', 'https://x.com/ada, https://github.com/ada', ['x:ada', 'github:ada']],
  ['any', 'https://x.com/ada | https://x.com/ADA', ['x:ada']],
  ['x', '@ada / @lovelace', '!invalid_grammar'],
  // Junk and unsupported
  ['any', 'https://www.facebook.com/ada', '!unsupported_network'],
  ['any', 'https://instagram.com/ada', '!unsupported_network'],
  ['any', 'https://medium.com/@ada', '!unsupported_network'],
  ['any', 'https://ada.dev', '!unknown_network'],
  ['any', 'https://ada.dev/blog/post', '!unknown_network'],
  ['any', '@ada', '!ambiguous_network'],
  ['any', 'jane@acme.com', '!looks_like_email'],
  ['any', 'mailto:jane@acme.com', '!looks_like_email'],
  ['any', 'ftp://x.com/ada', '!invalid_grammar'],
  ['any', 'none', '!placeholder'],
  ['any', 'https://', '!invalid_grammar'],
];

function run(hint: Hint, value: string) {
  return resolveIdentities({ handles: [{ field: 'F', network: hint, value }] });
}

describe('identity: extraction table', () => {
  it('has at least 60 cases', () => {
    expect(CASES.length).to.be.at.least(60);
  });

  for (const [hint, value, expected] of CASES) {
    it(`${hint} ${JSON.stringify(value)} → ${Array.isArray(expected) ? expected.join(', ') : expected}`, () => {
      const { identities, rejected } = run(hint, value);
      if (Array.isArray(expected)) {
        expect(identities.map((i) => `${i.network}:${i.handle}`)).to.deep.equal(expected);
        for (const identity of identities) {
          expect(identity.provenance).to.equal('crm-field');
          expect(identity.sourceField).to.equal('F');
        }
      } else {
        expect(identities, 'no identity').to.deep.equal([]);
        expect(rejected.map((r) => r.reason)).to.include(expected.slice(1));
        expect(rejected[0]).to.include({ sourceField: 'F', value });
      }
    });
  }
});

describe('identity: a contact', () => {
  it('dedupes across fields, keeps the first field, and ignores empty fields', () => {
    const { identities, rejected } = resolveIdentities({
      handles: [
        { field: 'Twitter__c', network: 'x', value: '@Ada' },
        { field: 'Website__c', network: 'any', value: 'https://twitter.com/ada' },
        { field: 'GitHub__c', network: 'github', value: '' },
        { field: 'Bluesky__c', network: 'bluesky', value: '   ' },
      ],
    });
    expect(identities).to.deep.equal([
      { network: 'x', handle: 'ada', provenance: 'crm-field', sourceField: 'Twitter__c' },
    ]);
    expect(rejected).to.deep.equal([]);
  });

  it('keeps good identities beside rejected junk in the same contact', () => {
    const { identities, rejected } = resolveIdentities({
      handles: [
        { field: 'X', network: 'x', value: 'not a handle at all' },
        { field: 'GH', network: 'github', value: 'octocat' },
      ],
    });
    expect(identities.map((i) => i.handle)).to.deep.equal(['octocat']);
    expect(rejected).to.have.length(1);
    expect(rejected[0]?.reason).to.equal('invalid_grammar');
  });
});

describe('identity: against the sandbox population ground truth', () => {
  it('finds ≥ 99.5 % of listed accounts with ≥ 99.9 % precision over 5,000 messy people', async () => {
    const { createPopulation } = await import('../../src/sandbox/population.ts');
    const population = createPopulation({ seed: 'identity-test', size: 5000, now: new Date('2026-07-01T00:00:00Z') });
    let listed = 0;
    let found = 0;
    let resolved = 0;
    for (let i = 0; i < population.size; i++) {
      const person = population.person(i);
      const handles = Object.entries(person.handles).map(([field, value]) => ({
        field,
        network: (field === 'website' ? 'any' : field) as Hint,
        value: value ?? '',
      }));
      const { identities } = resolveIdentities({ handles });
      resolved += identities.length;
      const got = new Set(identities.map((x) => `${x.network}:${x.handle.replace(/^@/, '')}`));
      for (const truth of population.truth(i)) {
        listed += 1;
        const id = /(did:plc:[a-z2-7]{24}|UC[A-Za-z0-9_-]{22})/.exec(truth.raw)?.[1];
        if (got.has(`${truth.network}:${truth.handle}`) || (id && got.has(`${truth.network}:${id}`))) found += 1;
      }
    }
    expect(found / listed, 'recall').to.be.at.least(0.995);
    expect(found / resolved, 'precision').to.be.at.least(0.999);
  });
});
