// ARCHITECTURE.md "rooms depend downwards only", checked on every relative import of src/ and connectors/: a new upward
// or sideways import fails here, naming the file and the rule, instead of drifting unnoticed.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { expect } from 'chai';
import ts from 'typescript';

import { loadConfig, VARIABLES } from '../src/config.ts';
import { handleFor, parseProfileUrl, resolveIdentities } from '../src/identity/index.ts';
import {
  createProviders,
  describeProviders,
  NETWORK_DESCRIPTORS,
  NETWORK_LIST,
  PROVIDER_TTL_SECONDS,
} from '../src/providers/index.ts';
import { NETWORK_SERVERS, type NetworkServerName, startSandbox } from '../src/sandbox/index.ts';
import { NETWORKS } from '../src/scoring/types.ts';

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

  it('the scoring model and the sandbox import nothing of the rest of the product (the sandbox: its zod errors worded alike)', () => {
    expect(
      all
        .filter((i) => i.fromRoom === 'scoring' || (i.fromRoom === 'sandbox' && i.toRoom !== 'zod-issues'))
        .map((i) => `${i.from} → ${i.toRoom}`),
    ).to.deep.equal([]);
  });
});

describe('architecture: every network descriptor is wired (ARCHITECTURE.md, "Where to add a network")', () => {
  it('one descriptor per network of the model, keyed by its own name, with a cache lifetime', () => {
    expect(Object.keys(NETWORK_DESCRIPTORS)).to.have.members([...NETWORKS]);
    expect(NETWORK_LIST.map((d) => d.network)).to.deep.equal([...NETWORKS]);
    for (const [key, descriptor] of Object.entries(NETWORK_DESCRIPTORS)) {
      expect(descriptor.network, key).to.equal(key);
      expect(PROVIDER_TTL_SECONDS[descriptor.network], key).to.equal(descriptor.cacheTtlSeconds).and.be.above(0);
    }
  });

  it("each network's configuration variables are the rows of src/config.ts named after it, and only its own", () => {
    const claimed = NETWORK_LIST.flatMap((d) => d.variables);
    expect(new Set(claimed).size, 'a variable named by two descriptors').to.equal(claimed.length);
    for (const descriptor of NETWORK_LIST) {
      const prefix = `${descriptor.network.toUpperCase()}_`;
      const rows = Object.keys(VARIABLES).filter((name) => name.startsWith(prefix));
      expect([...descriptor.variables], descriptor.network).to.have.members(rows);
    }
  });

  it('src/identity reads each network from its handle and its profile URL alike', () => {
    for (const { network, example } of NETWORK_LIST) {
      const byHandle = handleFor(network, example.handle);
      expect(byHandle, `${network} handle ${example.handle}`).to.deep.equal({ ok: true, handle: example.handle });
      expect(parseProfileUrl(example.profileUrl), example.profileUrl).to.deep.equal({
        ok: true,
        network,
        handle: example.handle,
      });
      expect(resolveIdentities({ handles: [{ field: 'Social__c', network: 'any', value: example.profileUrl }] }))
        .to.have.property('identities')
        .that.deep.equals([{ network, handle: example.handle, provenance: 'crm-field', sourceField: 'Social__c' }]);
    }
  });

  it('each network with an API has its sandbox twin, which sets its variables, and `doctor` describes it', async function () {
    this.timeout(30_000);
    const twinned = NETWORK_LIST.filter((d) => d.sandboxTwin !== null);
    expect(twinned.map((d) => d.network)).to.include.members(['x', 'github', 'mastodon', 'bluesky', 'youtube']);
    for (const { network, sandboxTwin } of twinned) {
      expect(existsSync(path.join(ROOT, sandboxTwin!)), `${network}: ${sandboxTwin}`).to.equal(true);
      expect(NETWORK_SERVERS, network).to.include(network);
    }
    const sandbox = await startSandbox({
      contacts: 10,
      seed: 'architecture',
      only: twinned.map((d) => d.network as NetworkServerName),
    });
    try {
      for (const { network, variables } of twinned) {
        expect(Object.keys(sandbox.env), network).to.include.members([...variables]);
      }
      const config = loadConfig(sandbox.env);
      expect(createProviders(config).map((adapter) => adapter.network)).to.deep.equal(twinned.map((d) => d.network));
      const described = describeProviders(config);
      for (const { network } of NETWORK_LIST) {
        expect(described.find((d) => d.network === network)?.detail, network).to.be.a('string').that.is.not.empty;
      }
    } finally {
      await sandbox.close();
    }
  });
});

/** The contracts table of ARCHITECTURE.md: each row's contract names and the file it says holds them. */
function contractsTable(): { names: string[]; file: string }[] {
  const doc = readFileSync(path.join(ROOT, 'ARCHITECTURE.md'), 'utf8');
  const table = /<!-- contracts:start[^>]*-->([\s\S]*?)<!-- contracts:end -->/.exec(doc)?.[1] ?? '';
  const rows: { names: string[]; file: string }[] = [];
  for (const line of table.split('\n')) {
    const [, contracts, where] = line.split('|').map((cell) => cell.trim());
    const file = /^`([^`]+)`$/.exec(where ?? '')?.[1];
    if (contracts === undefined || file === undefined) continue;
    rows.push({ names: [...contracts.matchAll(/`([^`]+)`/g)].map((m) => m[1]!), file });
  }
  return rows;
}

/** Types a module exports under their own name: interfaces, type aliases and classes (`export type { X }` too). */
function exportedTypes(file: string): Set<string> {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false);
  const names = new Set<string>();
  const exported = (node: ts.Node) =>
    ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
  for (const statement of source.statements) {
    if (
      (ts.isInterfaceDeclaration(statement) ||
        ts.isTypeAliasDeclaration(statement) ||
        ts.isClassDeclaration(statement)) &&
      statement.name !== undefined &&
      exported(statement)
    )
      names.add(statement.name.text);
    if (ts.isExportDeclaration(statement) && statement.exportClause && ts.isNamedExports(statement.exportClause))
      for (const element of statement.exportClause.elements) names.add(element.name.text);
  }
  return names;
}

/** Backticked names in a section of ARCHITECTURE.md that look like files (`src/…`, `routes/index.ts`, `html.ts`). */
function filesNamedIn(section: string): string[] {
  return [...section.matchAll(/`([\w./<>-]+\.(?:ts|md|json|xml))`/g)].map((m) => m[1]!);
}

function allFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) allFiles(full, out);
    else out.push(path.relative(ROOT, full).split(path.sep).join('/'));
  }
  return out;
}

describe('architecture: the contracts table and "Where to add" name what exists (ARCHITECTURE.md)', () => {
  it('each contract the table names is an exported type of the file it names', () => {
    const rows = contractsTable();
    expect(rows.length, 'the contracts table between its markers').to.be.greaterThan(8);
    const problems: string[] = [];
    for (const { names, file } of rows) {
      const full = path.join(ROOT, file);
      if (!existsSync(full)) {
        problems.push(`${file} (for ${names.join(', ')}) does not exist`);
        continue;
      }
      const types = exportedTypes(full);
      for (const name of names)
        if (!types.has(name)) problems.push(`${name} is not an exported type, interface or class of ${file}`);
    }
    expect(problems, 'fix the contracts table of ARCHITECTURE.md or the code').to.deep.equal([]);
  });

  it('catches a contract renamed or moved', () => {
    const crm = path.join(ROOT, 'src/crm/contract.ts');
    expect(exportedTypes(crm).has('CrmConnector')).to.equal(true);
    expect(exportedTypes(crm).has('CrmConnectorRenamed')).to.equal(false);
    expect(exportedTypes(path.join(ROOT, 'src/store/contract.ts')).has('CrmConnector')).to.equal(false);
  });

  it('every file a "Where to add" step names exists (a <placeholder> path: its folder)', () => {
    const doc = readFileSync(path.join(ROOT, 'ARCHITECTURE.md'), 'utf8');
    const section = /## Where to add\n([\s\S]*?)(?=\n## |$)/.exec(doc)?.[1] ?? '';
    const named = filesNamedIn(section);
    expect(named.length, 'the section names files').to.be.greaterThan(10);
    const files = allFiles(ROOT);
    const missing = named.filter((name) => {
      if (name.includes('<')) return !existsSync(path.join(ROOT, path.dirname(name)));
      // A path from the root, or a file named within its room (`routes/index.ts`, `html.ts`).
      return !existsSync(path.join(ROOT, name)) && !files.some((file) => file.endsWith(`/${name}`));
    });
    expect(missing, 'files named in "Where to add" that do not exist').to.deep.equal([]);
  });
});
