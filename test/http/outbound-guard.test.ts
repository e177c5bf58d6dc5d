// The outbound guard: hosts chosen by CRM data reach only public addresses over https on 443, judged on the address
// the connection resolves; redirects are followed by hand (each hop checked, at most 3); bodies stop at a cap.
// Real servers on 127.0.0.1 stand for "the sandbox" (trusted) and for "an internal service" (must never be hit).
import type { LookupAddress, LookupOptions } from 'node:dns';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { expect } from 'chai';

import {
  DestinationRefusedError,
  guardedLookup,
  HttpClient,
  type HttpClientOptions,
  HttpError,
  isPublicAddress,
  MAX_REDIRECTS,
  type Resolver,
} from '../../src/http/index.ts';

interface LocalServer {
  url: string;
  hits: IncomingMessage[];
  close(): Promise<void>;
}

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<LocalServer> {
  const hits: IncomingMessage[] = [];
  const server = createServer((req, res) => {
    hits.push(req);
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A fake DNS that answers every name with the given addresses, and records what it was asked. */
function fakeDns(...addresses: string[]): Resolver & { asked: string[] } {
  const asked: string[] = [];
  const resolve = (hostname: string) => {
    asked.push(hostname);
    return Promise.resolve(addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));
  };
  return Object.assign(resolve, { asked });
}

function lookupOnce(
  resolve: Resolver,
  hostname: string,
  options: LookupOptions,
): Promise<{ error: Error | null; address: string | LookupAddress[] }> {
  return new Promise((done) => {
    guardedLookup(resolve)(hostname, options, (error, address) => done({ error, address }));
  });
}

async function failure(promise: Promise<unknown>): Promise<HttpError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error, 'the request should have failed').to.be.instanceOf(HttpError);
  return error as HttpError;
}

const instant: Partial<HttpClientOptions> = { sleep: () => Promise.resolve(), random: () => 0.5 };

const INWARD = [
  '127.0.0.1',
  '127.8.9.10',
  '10.0.0.5',
  '172.16.5.4',
  '192.168.1.1',
  '169.254.169.254',
  '100.64.0.1',
  '0.0.0.0',
  '224.0.0.1',
  '255.255.255.255',
  '198.18.0.1',
  '192.0.2.1',
  '::1',
  '::',
  'fd00::1',
  'fc00::5',
  'fe80::1',
  'ff02::1',
  '::ffff:127.0.0.1',
  '::ffff:7f00:1',
  '::ffff:169.254.169.254',
  '::127.0.0.1',
  '64:ff9b::a9fe:a9fe',
  '2002:7f00:1::1',
  '2001:db8::1',
  '2001::1',
  '[::1]',
  'not-an-address',
];
const PUBLIC = [
  '93.184.215.14',
  '8.8.8.8',
  '100.63.255.255',
  '100.128.0.1',
  '172.32.0.1',
  '2606:4700::1111',
  '2a00:1450:4001::200e',
  '::ffff:8.8.8.8',
  '64:ff9b::808:808',
];

describe('http: the outbound guard', () => {
  it('knows which addresses are public (v4, v6, and v6 forms that carry a v4 address)', () => {
    expect(INWARD.filter((a) => isPublicAddress(a))).to.deep.equal([]);
    expect(PUBLIC.filter((a) => !isPublicAddress(a))).to.deep.equal([]);
  });

  it('the connection lookup refuses a name that resolves inward, passes a public one through as resolved', async () => {
    for (const address of [
      '127.0.0.1',
      '10.0.0.5',
      '169.254.169.254',
      '::ffff:127.0.0.1',
      '::1',
      'fd00::1',
      '100.64.0.1',
    ]) {
      for (const all of [true, false]) {
        const { error } = await lookupOnce(fakeDns(address), 'attacker.example', { all });
        expect(error, `${address} (all: ${all})`).to.be.instanceOf(DestinationRefusedError);
        expect(error?.message).to.include(address);
      }
    }
    expect((await lookupOnce(fakeDns('93.184.215.14'), 'good.example', { all: false })).address).to.equal(
      '93.184.215.14',
    );
    expect(
      (await lookupOnce(fakeDns('93.184.215.14', '2606:4700::1111'), 'good.example', { all: true })).address,
    ).to.deep.equal([
      { address: '93.184.215.14', family: 4 },
      { address: '2606:4700::1111', family: 6 },
    ]);
    // One inward answer among public ones is enough to refuse the name.
    expect(
      (await lookupOnce(fakeDns('93.184.215.14', '10.0.0.5'), 'mixed.example', { all: true })).error,
    ).to.be.instanceOf(DestinationRefusedError);
  });

  it('DNS rebinding: each connection is judged on its own answer, so "public, then private" is refused the second time', async () => {
    let calls = 0;
    const rebinding: Resolver = () => {
      calls += 1;
      return Promise.resolve([{ address: calls === 1 ? '93.184.215.14' : '127.0.0.1', family: 4 }]);
    };
    const lookup = guardedLookup(rebinding);
    const ask = () =>
      new Promise<Error | null>((done) => lookup('rebind.example', { all: true }, (error) => done(error)));
    expect(await ask()).to.equal(null);
    expect(await ask()).to.be.instanceOf(DestinationRefusedError);
  });

  it('a request to a user-derived host that resolves inward is refused at connect, counted, and not retried', async () => {
    for (const address of ['127.0.0.1', '169.254.169.254', '::ffff:127.0.0.1', '::1', 'fd00::1', '100.64.0.1']) {
      const dns = fakeDns(address);
      const http = new HttpClient({ name: 'mastodon', resolve: dns, ...instant });
      const error = await failure(http.request('https://metadata.attacker.example/latest/meta-data/'));
      expect(error.code, address).to.equal('refused');
      expect(error.message).to.include(address);
      // The lookup inside the connection said no (not a check before it), once: a refusal is final.
      expect(dns.asked).to.deep.equal(['metadata.attacker.example']);
      expect(http.stats().refused).to.equal(1);
      expect(http.stats().retries).to.equal(0);
    }
  });

  it('with the system resolver too: https://localhost/ resolves to loopback and is refused at connect', async () => {
    const http = new HttpClient({ name: 'mastodon', ...instant });
    const error = await failure(http.request('https://localhost/api/v1/accounts/lookup'));
    expect(error.code).to.equal('refused');
    expect(http.stats().refused).to.equal(1);
  });

  it('refuses user-derived URLs that are not https, use another port, or name an inward address, without DNS', async () => {
    const dns = fakeDns('93.184.215.14');
    const http = new HttpClient({ name: 'mastodon', resolve: dns, ...instant });
    for (const url of [
      'http://instance.example/api',
      'https://instance.example:8443/api',
      'https://127.0.0.1/api',
      'https://[::1]/api',
      'https://[::ffff:7f00:1]/api',
      'https://169.254.169.254/latest/meta-data/',
      'https://0x7f.1/',
      'https://2130706433/',
    ]) {
      expect((await failure(http.request(url))).code, url).to.equal('refused');
    }
    expect(dns.asked).to.deep.equal([]);
    expect(http.stats()).to.include({ refused: 8, calls: 0 });
  });

  describe('redirects', () => {
    let internal: LocalServer;
    let sandbox: LocalServer;
    let other: LocalServer;
    before(async () => {
      internal = await serve((_req, res) => res.end('{"AccessKeyId":"ASIA-SECRET"}'));
      other = await serve((_req, res) => res.end('{"ok":true}'));
      sandbox = await serve((req, res) => {
        const url = new URL(req.url ?? '/', 'http://x');
        const hops = /^\/hops\/(\d+)$/.exec(url.pathname);
        if (hops) {
          const left = Number(hops[1]);
          if (left === 0) res.end('{"arrived":true}');
          else res.writeHead(302, { location: `/hops/${left - 1}` }).end();
        } else if (url.pathname === '/inward') {
          res.writeHead(302, { location: `${internal.url}/latest/meta-data/iam/security-credentials/` }).end();
        } else if (url.pathname === '/inward-by-name') {
          res.writeHead(301, { location: 'https://metadata.google.internal/computeMetadata/v1/' }).end();
        } else if (url.pathname === '/elsewhere') {
          res.writeHead(307, { location: `${other.url}/landed` }).end();
        } else if (url.pathname === '/see-other') {
          res.writeHead(303, { location: '/hops/0' }).end();
        } else res.writeHead(404).end();
      });
    });
    after(async () => {
      await Promise.all([internal.close(), sandbox.close(), other.close()]);
    });
    beforeEach(() => {
      for (const s of [internal, sandbox, other]) s.hits.length = 0;
    });

    function client(extra: Partial<HttpClientOptions> = {}) {
      return new HttpClient({ name: 'mastodon', trustedOrigins: [sandbox.url], ...instant, ...extra });
    }

    it('a redirect from a trusted host to an inward one is refused, and the inward host never hears of it', async () => {
      const http = client({ resolve: fakeDns('169.254.169.254') });
      expect((await failure(http.request(`${sandbox.url}/inward`))).code).to.equal('refused');
      expect((await failure(http.request(`${sandbox.url}/inward-by-name`))).code).to.equal('refused');
      expect(internal.hits).to.have.length(0);
      expect(http.stats().refused).to.equal(2);
    });

    it(`follows at most ${MAX_REDIRECTS} redirects; one more is refused`, async () => {
      const http = client();
      const res = await http.request(`${sandbox.url}/hops/${MAX_REDIRECTS}`);
      expect(res.body).to.deep.equal({ arrived: true });
      expect(sandbox.hits).to.have.length(MAX_REDIRECTS + 1);
      sandbox.hits.length = 0;
      expect((await failure(http.request(`${sandbox.url}/hops/${MAX_REDIRECTS + 1}`))).code).to.equal('refused');
      expect(sandbox.hits).to.have.length(MAX_REDIRECTS + 1);
    });

    it('credentials do not follow a redirect to another origin; 303 turns a POST into a GET', async () => {
      const http = client({
        trustedOrigins: [sandbox.url, other.url],
        headers: { authorization: 'Bearer sekret-token-0123456789' },
      });
      expect((await http.request(`${sandbox.url}/elsewhere`)).body).to.deep.equal({ ok: true });
      expect(sandbox.hits[0]?.headers.authorization).to.equal('Bearer sekret-token-0123456789');
      expect(other.hits[0]?.headers.authorization).to.equal(undefined);
      await http.request(`${sandbox.url}/see-other`, { json: { q: 1 } });
      expect(sandbox.hits.slice(1).map((r) => r.method)).to.deep.equal(['POST', 'GET']);
    });

    it('a redirect to another (untrusted) local port is refused even over the loopback the sandbox uses', async () => {
      const http = client();
      expect((await failure(http.request(`${sandbox.url}/elsewhere`))).code).to.equal('refused');
      expect(other.hits).to.have.length(0);
    });
  });

  describe('resource limits', () => {
    let server: LocalServer;
    let bytesSent = 0;
    before(async () => {
      server = await serve((req, res) => {
        if (req.url === '/huge') {
          // 50 MB of JSON-looking text, written as fast as the client reads it.
          bytesSent = 0;
          const chunk = Buffer.alloc(64 * 1024, 'a');
          res.writeHead(200, { 'content-type': 'application/json' });
          const pump = () => {
            while (bytesSent < 50 * 1024 * 1024) {
              bytesSent += chunk.length;
              if (!res.write(chunk)) {
                res.once('drain', pump);
                return;
              }
            }
            res.end();
          };
          res.on('close', () => res.removeAllListeners('drain'));
          pump();
        } else if (req.url === '/declared') {
          res.writeHead(200, { 'content-length': String(50 * 1024 * 1024) });
          res.write('{');
        } else if (req.url === '/busy') {
          res.writeHead(503, { 'retry-after': '30' }).end('{}');
        } else if (req.url === '/slow-down') {
          res.writeHead(429, { 'retry-after': '899' }).end('{}');
        } else res.end('{}');
      });
    });
    after(() => server.close());

    it('a 50 MB body stops at the cap: too_large, not retried, only a few MB ever sent', async () => {
      const http = new HttpClient({ name: 'x', trustedOrigins: [server.url], maxBodyBytes: 1024 * 1024, ...instant });
      const error = await failure(http.request(`${server.url}/huge`));
      expect(error.code).to.equal('too_large');
      expect(http.stats().calls).to.equal(1);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(bytesSent, 'bytes the server got to write').to.be.below(16 * 1024 * 1024);
      expect((await failure(http.request(`${server.url}/declared`))).code).to.equal('too_large');
    });

    it('user-derived hosts get one retry and no wait longer than 60 s (Retry-After: 899 is handed back)', async () => {
      const waits: number[] = [];
      const http = new HttpClient({
        name: 'mastodon',
        trustedOrigins: [server.url],
        hostsFromUserData: true,
        maxWaitMs: 900_000,
        maxRetries: 4,
        random: () => 0.5,
        sleep: (ms) => {
          waits.push(ms);
          return Promise.resolve();
        },
      });
      const slow = await http.request(`${server.url}/slow-down`);
      expect(slow.status).to.equal(429);
      expect(slow.retryAfterSeconds).to.equal(899);
      expect(waits).to.deep.equal([]);
      const busy = await http.request(`${server.url}/busy`);
      expect(busy.status).to.equal(503);
      expect(waits).to.have.length(1);
      expect(http.stats().calls).to.equal(3);
    });

    it("the caller's signal cuts a wait short (a per-handle budget is not held by Retry-After)", async () => {
      const http = new HttpClient({ name: 'x', trustedOrigins: [server.url], maxRetries: 3 });
      const error = await failure(http.request(`${server.url}/busy`, { signal: AbortSignal.timeout(100) }));
      expect(error.code).to.equal('timeout');
      expect(error.message).to.include('time budget');
      expect(http.stats().calls).to.equal(1);
    });
  });
});
