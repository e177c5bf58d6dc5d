// The route layout (issue 21): one route per file under src/server/routes, every one in the registration list once,
// no method + path claimed twice, and each page answering as HTML at its path and as JSON at /api + path.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { expect } from 'chai';

import { ROUTES } from '../../src/server/routes/index.ts';
import type { Route } from '../../src/server/routes/route.ts';
import type { TestServer } from './helpers.ts';
import { Client, startTestServer } from './helpers.ts';

const DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/server/routes');

function isRoute(value: unknown): value is Route {
  return typeof value === 'object' && value !== null && 'method' in value && 'path' in value && 'handler' in value;
}

describe('admin server routes', function () {
  this.timeout(30_000);

  it('keeps one route per file, each registered once', async () => {
    const files = readdirSync(DIR).filter((f) => f.endsWith('.ts') && f !== 'route.ts' && f !== 'index.ts');
    expect(files.length).to.be.greaterThan(5);
    const fromFiles: Route[] = [];
    for (const file of files) {
      const exported = Object.values(
        (await import(pathToFileURL(path.join(DIR, file)).href)) as Record<string, unknown>,
      ).filter(isRoute);
      expect(exported, file).to.have.length(1);
      fromFiles.push(exported[0]!);
    }
    const key = (r: Route) => `${r.method} ${String(r.path)}`;
    expect(ROUTES.map(key).sort()).to.deep.equal(fromFiles.map(key).sort());
    const claimed = ROUTES.flatMap((r) =>
      (typeof r.path === 'string' ? [r.path] : [...r.path]).map((p) => `${r.method} ${p}`),
    );
    expect(claimed).to.have.length(new Set(claimed).size);
  });

  describe('as served', () => {
    let server: TestServer;
    let client: Client;
    before(async () => {
      server = await startTestServer();
      client = new Client(server.url);
      await client.login();
    });
    after(async () => {
      await server.close();
    });

    it('answers each page as HTML at its path and as JSON at /api + path', async () => {
      const pages = ROUTES.filter((r) => r.method === 'get' && r.jsonOnly !== true).flatMap((r) =>
        typeof r.path === 'string' ? [r.path] : [...r.path],
      );
      expect(pages).to.include.members(['/', '/connections', '/runs', '/contacts', '/settings']);
      for (const page of pages.filter((p) => !p.includes(':'))) {
        const html = await client.request(page);
        expect(html.status, page).to.equal(200);
        expect(html.headers.get('content-type'), page).to.match(/text\/html/);
        const json = await client.request(page === '/' ? '/api' : `/api${page}`);
        expect(json.status, `/api${page}`).to.equal(200);
        expect(json.headers.get('content-type'), `/api${page}`).to.match(/application\/json/);
      }
    });

    it('serves the session route once, at /api/session only', async () => {
      expect((await client.request('/api/session')).status).to.equal(200);
      expect((await client.request('/session', { headers: { accept: 'application/json' } })).status).to.equal(404);
    });
  });
});
