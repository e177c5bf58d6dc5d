// End to end: the real `crm-influence score` command, spawned on plain Node (its own type stripping) on temp files.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { expect } from 'chai';

import { csvToRecords } from '../../src/cli/commands/score.ts';
import { ScoreResultSchema } from '../../src/scoring/types.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const cli = (args: string[], input?: string): { status: number | null; stdout: string; stderr: string } =>
  spawnSync(process.execPath, [path.join(root, 'src/cli/main.ts'), 'score', ...args], {
    cwd: root,
    encoding: 'utf8',
    input,
    timeout: 30_000,
  });

const FETCHED = '2026-06-01T00:00:00Z';
/** A Bluesky account whose four recent posts each drew `likes` likes (plus 3 reposts and 2 replies). */
const good = (id: string, followers: number, likes: number): string =>
  JSON.stringify({
    id,
    networks: [
      {
        network: 'bluesky',
        handle: `${id}.bsky.social`,
        followers,
        following: 100,
        posts: 500,
        fetchedAt: FETCHED,
        recentPosts: [0, 3, 9, 20].map((d) => ({
          at: new Date(Date.parse(FETCHED) - d * 86_400_000).toISOString(),
          reshares: 3,
          replies: 2,
          likes,
        })),
      },
    ],
  });

describe('crm-influence score (end to end)', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'score-cli-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('scores the good JSONL lines, reports the bad one with line number and field, and exits 0', () => {
    const input = path.join(dir, 'metrics.jsonl');
    const out = path.join(dir, 'scores.jsonl');
    const bad = JSON.stringify({
      id: 'c2',
      networks: [
        { network: 'x', handle: 'b', followers: -3, following: 0, posts: 0, recentPosts: [], fetchedAt: FETCHED },
      ],
    });
    writeFileSync(input, [good('c1', 2_000, 25), bad, '', good('c3', 40_000, 400)].join('\n') + '\n');
    const result = cli(['--in', input, '--out', out, '--now', FETCHED]);
    expect(result.status, result.stderr).to.equal(0);
    expect(result.stderr).to.include(`${input}:2: networks[0].followers:`);
    expect(result.stderr).to.include('scored 2 contact(s), skipped 1 bad line(s)');
    const lines = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: string });
    expect(lines.map((l) => l.id)).to.deep.equal(['c1', 'c3']);
    for (const line of lines) ScoreResultSchema.parse(line);
    const [small, large] = lines as unknown as { score: number }[];
    expect(large!.score).to.be.above(small!.score);
  });

  it('takes JSONL without recentPosts, warns of a repeated id and of posts dated in the future, rejects absurd counts by line', () => {
    const input = path.join(dir, 'cuts.jsonl');
    const account = (id: string, followers: number, extra: Record<string, unknown> = {}): string =>
      JSON.stringify({
        id,
        networks: [{ network: 'github', handle: id, followers, following: 3, posts: 40, fetchedAt: FETCHED, ...extra }],
      });
    const future = '2026-06-20T00:00:00.000Z';
    writeFileSync(
      input,
      [
        account('no-posts', 800),
        account('absurd', 1e12),
        account('no-posts', 900),
        account('ahead', 500, { recentPosts: [{ at: future, reshares: 1, replies: 0, likes: 5 }] }),
      ].join('\n') + '\n',
    );
    const result = cli(['--in', input, '--now', FETCHED]);
    expect(result.status, result.stderr).to.equal(0);
    const ids = result.stdout
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { id: string }).id);
    expect(ids, 'recentPosts may be left out; a repeated id is scored too').to.deep.equal([
      'no-posts',
      'no-posts',
      'ahead',
    ]);
    expect(result.stderr).to.include(`${input}:2: networks[0].followers: is not a plausible count`);
    expect(result.stderr).to.include(`${input}:3: warning: id no-posts: already on line 1; both are scored`);
    expect(result.stderr).to.include(
      `${input}:4: warning: id ahead: 1 post(s) dated after the time scored at (2026-06-01T00:00:00.000Z), not counted: github ${future}`,
    );
    expect(result.stderr).to.include('scored 3 contact(s), skipped 1 bad line(s), 2 warning(s)');
  });

  it('CSV: the same id and network twice is warned, the later row ignored', () => {
    const { records, problems } = csvToRecords(
      [
        'id,network,handle,followers,following,posts,fetched_at',
        `a,github,ada,10,1,5,${FETCHED}`,
        `a,github,ada,99,1,5,${FETCHED}`,
      ].join('\n'),
    );
    expect(records.map((r) => r.record.networks.map((n) => n.followers))).to.deep.equal([[10]]);
    expect(problems).to.deep.equal([
      { line: 3, message: 'id a: github already on line 2; this row is ignored', warning: true },
    ]);
  });

  it('reads the documented CSV columns (one row per contact and network) and skips a contact with a bad row', () => {
    const input = path.join(dir, 'metrics.csv');
    writeFileSync(
      input,
      [
        'id,network,handle,followers,following,posts,fetched_at,created_at,verified,followers_hidden,provenance,stale,extra,recent_posts',
        `c1,github,octo,3100,9,40,${FETCHED},,,,,,stars=1200;forks=90,`,
        `c1,bluesky,octo.bsky.social,800,200,300,${FETCHED},2023-01-01T00:00:00Z,,,discovered,,,"2026-05-30T10:00:00Z|4|2|31;2026-05-28T10:00:00Z|0|1|12"`,
        `c2,x,bob,lots,1,1,${FETCHED},,,,,,,`,
      ].join('\r\n'),
    );
    const result = cli(['--in', input, '--now', FETCHED]);
    expect(result.status, result.stderr).to.equal(0);
    expect(result.stderr).to.include(`${input}:4: followers:`);
    const lines = result.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: string; networks: Record<string, number> });
    expect(lines).to.have.length(1);
    expect(lines[0]!.id).to.equal('c1');
    expect(Object.keys(lines[0]!.networks).sort()).to.deep.equal(['bluesky', 'github']);
  });

  it('exits non-zero when nothing could be scored, or the file cannot be read', () => {
    const nothing = cli([], 'not json\n');
    expect(nothing.status).to.not.equal(0);
    expect(nothing.stderr).to.include('stdin:1: not valid JSON');
    expect(nothing.stderr).to.include('nothing could be scored');
    const missing = cli(['--in', path.join(dir, 'absent.jsonl')]);
    expect(missing.status).to.not.equal(0);
    expect(missing.stderr).to.include('cannot read');
  });

  it('documents the CSV columns in --help', () => {
    const help = cli(['--help']);
    expect(help.status).to.equal(0);
    expect(help.stdout).to.include('recent_posts');
    expect(help.stdout).to.include('at|reshares|replies|likes');
  });
});
