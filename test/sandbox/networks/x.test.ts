import { expect } from 'chai';

import type { XSandbox } from '../../../src/sandbox/networks/x.ts';
import { startXSandbox } from '../../../src/sandbox/networks/x.ts';
import { accounts, getJson, missingHandles, population } from './helpers.ts';

describe('sandbox X API v2', () => {
  let x: XSandbox;
  let auth: RequestInit;
  before(async () => {
    x = await startXSandbox({ population, limits: { users: { limit: 20, windowSeconds: 900 } } });
    auth = { headers: { authorization: `Bearer ${x.env.X_BEARER_TOKEN}` } };
  });
  after(() => x.close());
  beforeEach(() => {
    x.counters.reset();
    x.setRemaining('users', 20);
  });

  const usersBy = (names: string[], fields = 'public_metrics,created_at,verified,protected') =>
    `${x.url}/2/users/by?usernames=${names.join(',')}&user.fields=${fields}`;

  it('looks up a batch: data for found users in their own case, errors[] for missing and suspended', async () => {
    const found = accounts('x', 3);
    const suspended = accounts('x', 1, (a) => a.state === 'suspended')[0]?.handle ?? '';
    const missing = missingHandles('x', 1)[0] ?? '';
    const { status, body, headers } = await getJson(
      usersBy([...found.map((a) => a.handle.toUpperCase()), suspended, missing]),
      auth,
    );
    expect(status).to.equal(200);
    const { data, errors } = body as { data: Record<string, unknown>[]; errors: Record<string, string>[] };
    expect(data.map((u) => u.username)).to.deep.equal(found.map((a) => a.displayHandle));
    const first = found[0];
    expect(data[0]).to.deep.include({
      id: first?.id,
      created_at: first?.createdAt,
      protected: false,
      verified: first?.verified,
    });
    expect(data[0]?.public_metrics).to.deep.include({
      followers_count: first?.followers,
      following_count: first?.following,
      tweet_count: first?.posts,
    });
    expect(errors).to.have.length(2);
    expect(errors[0]).to.deep.include({
      value: suspended,
      title: 'Forbidden',
      detail: `User has been suspended: [${suspended}].`,
    });
    expect(errors[1]).to.deep.include({
      value: missing,
      title: 'Not Found Error',
      type: 'https://api.twitter.com/2/problems/resource-not-found',
    });
    expect(headers.get('x-rate-limit-limit')).to.equal('20');
    expect(headers.get('x-rate-limit-remaining')).to.equal('19');
    expect(Number(headers.get('x-rate-limit-reset'))).to.be.above(Date.now() / 1000);
    expect(x.counters.snapshot().largestBatch).to.equal(5);
  });

  it('returns only requested fields and 200 with only errors[] when nobody is found', async () => {
    const [a] = accounts('x', 1);
    const { body } = await getJson(`${x.url}/2/users/by?usernames=${a?.handle}`, auth);
    expect((body as { data: object[] }).data[0]).to.have.keys('id', 'name', 'username');
    const none = await getJson(usersBy(missingHandles('x', 2)), auth);
    expect(none.status).to.equal(200);
    expect(none.body).to.have.keys('errors');
  });

  it('rejects 101 usernames, bad usernames and unknown fields with 400 invalid-request', async () => {
    const names = Array.from({ length: 101 }, (_, i) => `user${i}`);
    const tooMany = await getJson(usersBy(names), auth);
    expect(tooMany.status).to.equal(400);
    expect(tooMany.body).to.deep.include({
      title: 'Invalid Request',
      type: 'https://api.twitter.com/2/problems/invalid-request',
    });
    expect(JSON.stringify(tooMany.body)).to.include('[101] is not between 1 and 100');
    expect((await getJson(usersBy(['bad-name']), auth)).status).to.equal(400);
    expect((await getJson(usersBy(['ok'], 'public_metrics,bogus'), auth)).status).to.equal(400);
    expect(x.counters.snapshot().largestBatch).to.equal(101);
  });

  it('demands the bearer token', async () => {
    const { status, body } = await getJson(usersBy(['abc']));
    expect(status).to.equal(401);
    expect(body).to.deep.include({ title: 'Unauthorized', status: 401 });
    expect((await getJson(usersBy(['abc']), { headers: { authorization: 'Bearer wrong' } })).status).to.equal(401);
  });

  it('answers 429 with the X body and reset header when the window is spent', async () => {
    x.setRemaining('users', 1);
    expect((await getJson(usersBy(['abc']), auth)).status).to.equal(200);
    const limited = await getJson(usersBy(['abc']), auth);
    expect(limited.status).to.equal(429);
    expect(limited.body).to.deep.equal({
      title: 'Too Many Requests',
      detail: 'Too Many Requests',
      type: 'about:blank',
      status: 429,
    });
    expect(limited.headers.get('x-rate-limit-remaining')).to.equal('0');
    expect(x.counters.snapshot().served429).to.equal(1);
  });

  it('serves original posts newest first with public_metrics, honouring exclude and paginating with next_token', async () => {
    const [a] = accounts('x', 1, (acc) => acc.state === 'active' && acc.posts > 60 && acc.kind === 'human');
    if (!a) throw new Error('no account');
    const url = `${x.url}/2/users/${a.id}/tweets?max_results=20&tweet.fields=created_at,public_metrics&exclude=retweets,replies`;
    const first = await getJson(url, auth);
    expect(first.status).to.equal(200);
    const page = first.body as {
      data: { id: string; created_at: string; public_metrics: Record<string, number> }[];
      meta: { result_count: number; next_token?: string };
    };
    expect(page.data).to.have.length(20);
    expect(page.meta.result_count).to.equal(20);
    const originals = population.recentPosts(a, 200).filter((p) => !p.isRepost && !p.isReply);
    expect(page.data.map((t) => t.id)).to.deep.equal(originals.slice(0, 20).map((p) => p.id));
    expect(page.data[0]?.public_metrics).to.have.keys(
      'retweet_count',
      'reply_count',
      'like_count',
      'quote_count',
      'bookmark_count',
      'impression_count',
    );
    expect(page.meta.next_token).to.be.a('string');
    const second = await getJson(`${url}&pagination_token=${page.meta.next_token}`, auth);
    const ids = (second.body as { data: { id: string }[] }).data.map((t) => t.id);
    expect(ids).to.deep.equal(originals.slice(20, 40).map((p) => p.id));
    expect((await getJson(`${x.url}/2/users/${a.id}/tweets?max_results=101`, auth)).status).to.equal(400);
    expect((await getJson(`${x.url}/2/users/${a.id}/tweets?max_results=4`, auth)).status).to.equal(400);
  });

  it('answers 429 UsageCapExceeded once the monthly post-read cap is spent', async () => {
    const [a] = accounts('x', 1, (acc) => acc.state === 'active' && acc.posts > 30);
    x.setPostReadsRemaining(5);
    const url = `${x.url}/2/users/${a?.id ?? ''}/tweets?max_results=10&tweet.fields=created_at,public_metrics`;
    expect((await getJson(url, auth)).status).to.equal(200);
    const capped = await getJson(url, auth);
    expect(capped.status).to.equal(429);
    expect(capped.body).to.deep.include({
      title: 'UsageCapExceeded',
      type: 'https://api.twitter.com/2/problems/usage-capped',
      period: 'Monthly',
    });
    x.setPostReadsRemaining(1_000_000);
  });

  it('refuses posts of protected users with an authorization problem in errors[]', async () => {
    const [p] = accounts('x', 1, (a) => a.state === 'protected');
    const { status, body } = await getJson(`${x.url}/2/users/${p?.id}/tweets`, auth);
    expect(status).to.equal(200);
    expect(JSON.stringify(body)).to.include('not-authorized-for-resource');
  });

  it('follows the fault schedule: a `timeout` call gets no answer, and its connection closes after holdMs', async () => {
    const faulty = await startXSandbox({ population, faults: { timeout: 2, holdMs: 300 } });
    try {
      const init = { headers: { authorization: `Bearer ${faulty.env.X_BEARER_TOKEN}` } };
      expect((await fetch(`${faulty.url}/2/users/by?usernames=abc`, init)).status).to.equal(200);
      const started = Date.now();
      const held = await fetch(`${faulty.url}/2/users/by?usernames=abc`, init).then(
        (r) => r.status,
        () => 'closed without an answer',
      );
      expect(held).to.equal('closed without an answer');
      expect(Date.now() - started).to.be.at.least(280);
    } finally {
      await faulty.close();
    }
  });

  it('follows the fault schedule: every 3rd call 429, latency added, dropped connections', async () => {
    const faulty = await startXSandbox({ population, faults: { status429: 3, dropConnection: 5, latencyMs: 20 } });
    try {
      const init = { headers: { authorization: `Bearer ${faulty.env.X_BEARER_TOKEN}` } };
      const statuses: (number | 'dropped')[] = [];
      const started = Date.now();
      for (let i = 0; i < 6; i++) {
        try {
          statuses.push((await fetch(`${faulty.url}/2/users/by?usernames=abc`, init)).status);
        } catch {
          statuses.push('dropped');
        }
      }
      expect(statuses).to.deep.equal([200, 200, 429, 200, 'dropped', 429]);
      expect(Date.now() - started).to.be.at.least(6 * 20);
      const snap = faulty.counters.snapshot();
      expect(snap.served429).to.equal(2);
      expect(snap.droppedConnections).to.equal(1);
      expect(snap.calls['GET /2/users/by']).to.equal(6);
    } finally {
      await faulty.close();
    }
  });
});
