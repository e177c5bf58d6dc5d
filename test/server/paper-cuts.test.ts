// Issue 19's paper cuts on the admin UI: the contact page (e-mail, reasons in the CRM's words, dates in UTC, a history
// chart readable with one point and honest words without one), the dashboard charts (titled, ticked axes; tiers on an
// ordered scale; "history starts today"), the favicon. Layout (login button, card row) is checked in browser.test.ts.
import { readFileSync } from 'node:fs';

import { expect } from 'chai';

import { reasonLabels } from '../../src/cli/commands/serve.ts';
import { REASON_CODES } from '../../src/scoring/reasons.ts';
import { histogram, scoreHistory, stackedDays, ticks } from '../../src/server/svg.ts';
import type { TestServer } from './helpers.ts';
import { Client, startTestServer, testConnection } from './helpers.ts';

const CSS = readFileSync(new URL('../../src/server/public/app.css', import.meta.url), 'utf8');

function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

describe('admin UI paper cuts', function () {
  this.timeout(30_000);
  let server: TestServer;
  let client: Client;

  before(async () => {
    server = await startTestServer({ reasonLabels: reasonLabels() });
    await server.store.saveConnection(testConnection('sf1', 'salesforce'));
    const fields = {
      score: 81,
      tier: 'A',
      confidence: 'high',
      scoredAt: '2026-11-21T03:00:00.000Z',
      topFactors: '+65 GitHub: 7.2k stars',
      reasonCodes: ['STRONG_AMPLIFICATION', 'HIGH_ENGAGEMENT'],
      trend: 'New',
      orgPercentile: 97,
    } as const;
    await server.store.putSyncStates('sf1', [
      {
        recordId: '003ONE',
        objectType: 'Contact',
        writtenAt: fields.scoredAt,
        fingerprint: 'f',
        lastWritten: { ...fields, reasonCodes: [...fields.reasonCodes] },
        email: 'ada@example.com',
        name: 'Ada Lovelace',
      },
      {
        // Above A's threshold but written B: hysteresis held it (the tier as written is what the Dashboard counts).
        recordId: '003HELD',
        objectType: 'Contact',
        writtenAt: fields.scoredAt,
        fingerprint: 'h',
        lastWritten: { ...fields, score: 66, tier: 'B', reasonCodes: ['TIER_HELD'] },
      },
      {
        recordId: '003NONE',
        objectType: 'Contact',
        writtenAt: fields.scoredAt,
        fingerprint: 'g',
        lastWritten: {
          ...fields,
          score: null,
          tier: 'Unscored',
          topFactors: '',
          reasonCodes: ['NO_IDENTITY'],
          orgPercentile: null,
        },
      },
    ]);
    await server.store.appendHistory('sf1', [
      { recordId: '003ONE', at: '2026-11-21T03:00:00.000Z', score: 81, tier: 'A' },
      { recordId: '003NONE', at: '2026-11-14T03:00:00.000Z', score: null, tier: 'Unscored' },
      { recordId: '003NONE', at: '2026-11-21T03:00:00.000Z', score: null, tier: 'Unscored' },
    ]);
    client = new Client(server.url);
    await client.login();
  });
  after(async () => {
    await server.close();
  });

  it('shows a contact with its name and e-mail as last synced, reasons in the picklist words and the score date in UTC', async () => {
    const page = await (await client.request('/contacts?id=003ONE')).text();
    expect(page).to.include('<dd class="email">ada@example.com</dd>');
    expect(page).to.include('<h2>Ada Lovelace <span class="muted">003ONE · Contact · sf1</span></h2>');
    expect(page).to.include('<dd class="name">Ada Lovelace</dd>');
    expect(page).to.include('<span class="reason" title="STRONG_AMPLIFICATION">Strong amplification</span>');
    expect(page).to.include('High engagement');
    expect(page).to.include('<dd class="scored-at">2026-11-21 03:00:00 UTC</dd>');
    expect(page).to.not.include('2026-11-21T03:00:00.000Z');
  });

  it('Settings preview counts tiers as the Dashboard does (same summary); unchanged thresholds preview no change', async () => {
    const dashboard = (await (await client.request('/api/?connection=sf1')).json()) as {
      summary: { tiers: Record<string, number> };
    };
    const preview = async (tierA: number) =>
      (
        (await (
          await client.request('/api/settings', {
            method: 'POST',
            json: {
              connection: 'sf1',
              action: 'preview',
              schedule: '0 3 * * *',
              refreshDays: 7,
              tierA,
              tierB: 45,
              tierC: 25,
            },
            headers: { 'x-csrf-token': await client.csrf() },
          })
        ).json()) as { preview: { tiersNow: Record<string, number>; tiersWithSettings: Record<string, number> } }
      ).preview;
    const same = await preview(65);
    expect(same.tiersNow).to.deep.equal({ A: 1, B: 1, C: 0, D: 0 });
    expect(same.tiersNow.A).to.equal(dashboard.summary.tiers.A);
    expect(same.tiersNow.B).to.equal(dashboard.summary.tiers.B);
    expect(same.tiersWithSettings, 'no change, no move').to.deep.equal(same.tiersNow);
    // A at 82: the 81 leaves A for B.
    expect((await preview(82)).tiersWithSettings).to.deep.equal({ A: 0, B: 2, C: 0, D: 0 });
  });

  it('knows words for every reason code the model gives', () => {
    const labels = reasonLabels();
    for (const code of REASON_CODES) expect(labels[code], code).to.be.a('string').and.not.equal(code);
  });

  it('draws one history point readably: the score labelled, its date, and "1 scored point"', async () => {
    const page = await (await client.request('/contacts?id=003ONE')).text();
    const chart = /<svg class="chart history"[\s\S]*?<\/svg>/.exec(page)?.[0] ?? '';
    expect(chart.match(/<circle /g)).to.have.length(1);
    expect(chart).to.include('<text class="value"').and.include('>81</text>').and.include('2026-11-21');
    expect(page).to.include('1 scored point; latest 2026-11-21 03:00:00 UTC.');
    expect(page).to.not.include('no scored history');
  });

  it('says in words why there is no chart, without a point count beside it', async () => {
    const page = await (await client.request('/contacts?id=003NONE')).text();
    expect(page).to.include('No scored history: 2 runs left it Unscored, the latest 2026-11-21 03:00:00 UTC.');
    expect(page).to.not.match(/\d+ points?/);
    expect(page).to.not.include('class="chart history"');
  });

  it('titles and ticks the histogram axes', () => {
    expect(ticks(208)).to.deep.equal([0, 50, 100, 150, 200, 250]);
    expect(ticks(1)).to.deep.equal([0, 1]);
    expect(ticks(7)).to.deep.equal([0, 2, 4, 6, 8]);
    const svg = histogram(
      [
        { label: '0–9', n: 3 },
        { label: '10–19', n: 7 },
      ],
      'Contacts per score band',
      { x: 'Score', y: 'Contacts' },
    ).value;
    expect(svg)
      .to.match(/class="axis-title"[^>]*>Score</)
      .and.match(/class="axis-title"[^>]*>Contacts</);
    for (const t of [0, 2, 4, 6, 8]) expect(svg, `tick ${t}`).to.include(`text-anchor="end">${t}</text>`);
  });

  it('puts tiers on an ordered scale: A darkest, D lighter than C', () => {
    const colour = (tier: string) => new RegExp(`--tier-${tier}: (#[0-9a-f]{6});`).exec(CSS)?.[1] ?? '';
    const scale = ['A', 'B', 'C', 'D'].map((t) => luminance(colour(t)));
    expect(scale).to.deep.equal([...scale].sort((a, b) => a - b));
    expect(new Set(scale).size).to.equal(4);
    // Every tier swatch and bar takes its colour from the scale.
    for (const t of ['A', 'B', 'C', 'D', 'Unscored'])
      expect(CSS).to.include(`.tier-${t} {\n  fill: var(--tier-${t});\n  background: var(--tier-${t});`);
  });

  it('says "history starts today" on day one and keeps the 30-day axis (one narrow bar, at the right)', () => {
    const one = stackedDays(
      [{ day: '2026-12-07', tiers: { A: 3, Unscored: 9 } }],
      ['A', 'Unscored'],
      'Tiers',
      '2026-12-07',
    ).value;
    expect(one).to.include('History starts today');
    const widths = [...one.matchAll(/<rect [^>]*width="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(widths).to.have.length(2);
    for (const w of widths) expect(w).to.be.below(640 / 30);
    expect(one).to.include('>2026-11-08</text>').and.include('>2026-12-07</text>');
    const later = stackedDays(
      [
        { day: '2026-12-01', tiers: { A: 1 } },
        { day: '2026-12-07', tiers: { A: 2 } },
      ],
      ['A'],
      'Tiers',
      '2026-12-09',
    ).value;
    expect(later).to.include('History starts 2026-12-01.');
    const full = stackedDays([{ day: '2026-11-01', tiers: { A: 1 } }], ['A'], 'Tiers', '2026-11-30').value;
    expect(full).to.not.include('History starts');
  });

  it('serves a favicon every page names, and answers /favicon.ico with it', async () => {
    const page = await (await client.request('/')).text();
    expect(page).to.include('<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">');
    const icon = await client.request('/static/favicon.svg');
    expect(icon.status).to.equal(200);
    expect(icon.headers.get('content-type')).to.match(/^image\/svg\+xml/);
    const legacy = await new Client(server.url).request('/favicon.ico');
    expect(legacy.status).to.equal(301);
    expect(legacy.headers.get('location')).to.equal('/static/favicon.svg');
  });

  it('draws no empty chart for a history without scores', () => {
    expect(scoreHistory([{ at: '2026-11-21T03:00:00.000Z', score: null }], 'x').value).to.equal('');
  });
});
