// ARCHITECTURE.md "rooms depend downwards only", checked on every relative import of src/ and connectors/: a new upward
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

/** What each room may import besides itself, read from ARCHITECTURE.md's rooms table (the doc is the rule). */
function roomsTable(): Record<string, readonly string[]> {
  const doc = readFileSync(path.join(ROOT, 'ARCHITECTURE.md'), 'utf8');
  const table = /<!-- rooms:start[^>]*-->([\s\S]*?)<!-- rooms:end -->/.exec(doc)?.[1] ?? '';
  const rooms: Record<string, readonly string[]> = {};
  for (const line of table.split('\n')) {
    const cells = line.split('|').map((cell) => cell.trim());
    const room = /^`([^`]+)`$/.exec(cells[1] ?? '')?.[1];
    if (room) rooms[room] = [...(cells[3] ?? '').matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
  }
  return rooms;
}

const MAY_IMPORT = roomsTable();

describe('architecture: rooms depend downwards only (ARCHITECTURE.md)', () => {
  const all = imports();

  it('finds the imports it checks and the rooms table it checks them against', () => {
    expect(all.length).to.be.greaterThan(50);
    expect(Object.keys(MAY_IMPORT)).to.include.members(['scoring', 'sync', 'server', 'connectors/hubspot']);
    expect(MAY_IMPORT['sync']).to.include('store');
    expect(MAY_IMPORT['scoring']).to.deep.equal([]);
    expect(all.some((i) => i.fromRoom === 'sync' && i.toRoom === 'store')).to.equal(true);
  });

  it('every import between rooms goes where ARCHITECTURE.md allows', () => {
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
