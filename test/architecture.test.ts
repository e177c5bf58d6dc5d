// DESIGN §2 "rooms depend downwards only", checked on every relative import of src/ and connectors/: a new upward
// or sideways import fails here, naming the file and the rule, instead of drifting unnoticed.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { expect } from 'chai';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) sourceFiles(full, out);
    else if (/\.tsx?$/.test(name)) out.push(full);
  }
  return out;
}

/** `scoring`, `sync`, … for src/<room>/…; `connectors/hubspot` for connectors; top-level src files by name. */
function roomOf(file: string): string {
  const parts = path.relative(ROOT, file).split(path.sep);
  return parts[0] === 'src' ? parts[1]!.replace(/\.tsx?$/, '') : `${parts[0]}/${parts[1]}`;
}

interface Import {
  from: string;
  fromRoom: string;
  toRoom: string;
}

function imports(): Import[] {
  const found: Import[] = [];
  for (const file of [...sourceFiles(path.join(ROOT, 'src')), ...sourceFiles(path.join(ROOT, 'connectors'))]) {
    for (const match of readFileSync(file, 'utf8').matchAll(/^(?:import|export)[^'"]*?from\s+'(\.[^']+)'/gm)) {
      const target = path.resolve(path.dirname(file), match[1]!);
      const fromRoom = roomOf(file);
      const toRoom = roomOf(target);
      if (fromRoom !== toRoom) found.push({ from: path.relative(ROOT, file), fromRoom, toRoom });
    }
  }
  return found;
}

/** What each room may import besides itself. The app rooms (cli, server) sit on top; config and log are shared. */
const MAY_IMPORT: Record<string, readonly string[]> = {
  scoring: [],
  http: [],
  sandbox: [],
  config: [],
  log: [],
  crm: ['scoring'],
  identity: ['crm', 'scoring'],
  providers: ['crm', 'http', 'scoring', 'config'],
  store: ['crm', 'providers', 'scoring', 'config'],
  sync: ['crm', 'identity', 'providers', 'scoring', 'store', 'http', 'log'],
  server: ['crm', 'identity', 'providers', 'scoring', 'store', 'sync', 'log', 'config'],
  'connectors/salesforce': ['crm', 'http', 'scoring'],
  'connectors/hubspot': ['crm', 'http', 'scoring'],
};

describe('architecture: rooms depend downwards only (DESIGN §2)', () => {
  const all = imports();

  it('finds the imports it checks', () => {
    expect(all.length).to.be.greaterThan(50);
    expect(all.some((i) => i.fromRoom === 'sync' && i.toRoom === 'store')).to.equal(true);
  });

  it('every import between rooms goes where DESIGN §2 allows', () => {
    const wrong = all
      .filter((i) => i.fromRoom !== 'cli' && !(MAY_IMPORT[i.fromRoom] ?? []).includes(i.toRoom))
      .map((i) => `${i.from} (${i.fromRoom}) imports ${i.toRoom}`);
    expect(wrong, 'pass what the lower room needs in from the composition root (src/cli) instead').to.deep.equal([]);
  });

  it('the scoring model and the sandbox import nothing of the rest of the product', () => {
    expect(
      all.filter((i) => i.fromRoom === 'scoring' || i.fromRoom === 'sandbox').map((i) => `${i.from} → ${i.toRoom}`),
    ).to.deep.equal([]);
  });
});
