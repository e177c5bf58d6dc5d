// A runtime schema of the Salesforce Metadata API, extracted from @salesforce/types (generated from the Metadata
// WSDL; no npm package ships the XSD itself), and a checker that walks a *-meta.xml file against it. It catches what
// SDR does not: misspelled elements, bad enum values, non-boolean booleans, missing required children.
import fs from 'node:fs';
import { createRequire } from 'node:module';

import { XMLParser } from 'fast-xml-parser';
import ts from 'typescript';

export const METADATA_NAMESPACE = 'http://soap.sforce.com/2006/04/metadata';

interface PropSpec {
  type: string;
  optional: boolean;
  array: boolean;
}
interface ComplexType {
  bases: string[];
  props: Map<string, PropSpec>;
}
export interface MetadataSchema {
  types: Map<string, ComplexType>;
  enums: Map<string, Set<string>>;
  aliases: Map<string, string>;
}

function typeNodeName(node: ts.TypeNode): { type: string; array: boolean } {
  if (ts.isArrayTypeNode(node)) return { type: typeNodeName(node.elementType).type, array: true };
  if (ts.isTypeReferenceNode(node)) return { type: node.typeName.getText(), array: false };
  switch (node.kind) {
    case ts.SyntaxKind.StringKeyword:
      return { type: 'string', array: false };
    case ts.SyntaxKind.NumberKeyword:
      return { type: 'number', array: false };
    case ts.SyntaxKind.BooleanKeyword:
      return { type: 'boolean', array: false };
    default:
      return { type: 'any', array: false };
  }
}

function readProps(literal: ts.TypeLiteralNode, into: Map<string, PropSpec>): void {
  for (const member of literal.members) {
    if (!ts.isPropertySignature(member) || member.type === undefined) continue;
    const { type, array } = typeNodeName(member.type);
    into.set(member.name.getText().replace(/^'|'$/g, ''), {
      type,
      array,
      optional: member.questionToken !== undefined,
    });
  }
}

function stringLiterals(node: ts.TypeNode): string[] | undefined {
  const members = ts.isUnionTypeNode(node) ? node.types : [node];
  const values: string[] = [];
  for (const member of members) {
    if (!ts.isLiteralTypeNode(member) || !ts.isStringLiteral(member.literal)) return undefined;
    values.push(member.literal.text);
  }
  return values;
}

let cached: MetadataSchema | undefined;

export function loadMetadataSchema(): MetadataSchema {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  const file = require.resolve('@salesforce/types/metadata').replace(/\.js$/, '.d.ts');
  const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const schema: MetadataSchema = { types: new Map(), enums: new Map(), aliases: new Map() };
  for (const statement of source.statements) {
    if (!ts.isTypeAliasDeclaration(statement)) continue;
    const name = statement.name.text;
    const node = statement.type;
    const literals = stringLiterals(node);
    if (literals) {
      schema.enums.set(name, new Set(literals));
    } else if (ts.isTypeLiteralNode(node)) {
      const type: ComplexType = { bases: [], props: new Map() };
      readProps(node, type.props);
      schema.types.set(name, type);
    } else if (ts.isIntersectionTypeNode(node)) {
      const type: ComplexType = { bases: [], props: new Map() };
      for (const part of node.types) {
        if (ts.isTypeReferenceNode(part)) type.bases.push(part.typeName.getText());
        else if (ts.isTypeLiteralNode(part)) readProps(part, type.props);
      }
      schema.types.set(name, type);
    } else if (ts.isTypeReferenceNode(node)) {
      schema.aliases.set(name, node.typeName.getText());
    }
  }
  cached = schema;
  return schema;
}

function resolve(schema: MetadataSchema, name: string): string {
  let current = name;
  for (let i = 0; i < 10 && schema.aliases.has(current); i++) current = schema.aliases.get(current)!;
  return current;
}

function allProps(schema: MetadataSchema, typeName: string): Map<string, PropSpec> | undefined {
  const type = schema.types.get(resolve(schema, typeName));
  if (!type) return undefined;
  const props = new Map<string, PropSpec>();
  for (const base of type.bases) for (const [k, v] of allProps(schema, base) ?? []) props.set(k, v);
  for (const [k, v] of type.props) props.set(k, v);
  return props;
}

type XmlNode = string | { [key: string]: XmlNode[] | string };

const parser = new XMLParser({
  ignoreAttributes: false,
  parseTagValue: false,
  trimValues: true,
  isArray: (_name, _jpath, _isLeaf, isAttribute) => !isAttribute,
});

/**
 * Elements the WSDL types as a string that hold XML of their own in source format (a Lightning component's
 * `targetConfigs`, with per-target attributes): not checked here; their tests check them.
 */
const EMBEDDED_XML = new Set(['LightningComponentBundle/targetConfigs']);

function checkValue(schema: MetadataSchema, spec: PropSpec, value: XmlNode, where: string, problems: string[]): void {
  const typeName = resolve(schema, spec.type);
  if (typeof value === 'object' && EMBEDDED_XML.has(where)) return;
  if (typeof value === 'object') {
    const props = allProps(schema, typeName);
    if (!props) {
      problems.push(`${where}: expected a ${typeName} value, found child elements`);
      return;
    }
    checkElement(schema, typeName, props, value, where, problems);
    return;
  }
  const text = value;
  if (typeName === 'boolean' && text !== 'true' && text !== 'false')
    problems.push(`${where}: "${text}" is not true/false`);
  else if (typeName === 'number' && !/^-?\d+(\.\d+)?$/.test(text)) problems.push(`${where}: "${text}" is not a number`);
  else if (schema.enums.has(typeName) && !schema.enums.get(typeName)!.has(text)) {
    problems.push(
      `${where}: "${text}" is not a ${typeName} (${[...schema.enums.get(typeName)!].slice(0, 8).join(', ')}…)`,
    );
  } else if (schema.types.has(typeName) && text !== '')
    problems.push(`${where}: expected child elements of ${typeName}`);
}

function checkElement(
  schema: MetadataSchema,
  typeName: string,
  props: Map<string, PropSpec>,
  node: XmlNode,
  where: string,
  problems: string[],
): void {
  if (typeof node !== 'object') return;
  for (const [key, raw] of Object.entries(node)) {
    if (key.startsWith('@_')) continue;
    if (key === '#text') {
      problems.push(`${where}: stray text inside <${typeName}>`);
      continue;
    }
    const spec = props.get(key);
    if (!spec) {
      problems.push(`${where}: <${key}> is not an element of ${typeName}`);
      continue;
    }
    const values = Array.isArray(raw) ? raw : [raw];
    if (!spec.array && values.length > 1)
      problems.push(`${where}: <${key}> appears ${values.length} times in ${typeName}`);
    values.forEach((value, i) =>
      checkValue(schema, spec, value, `${where}/${key}${values.length > 1 ? `[${i}]` : ''}`, problems),
    );
  }
  for (const [key, spec] of props) {
    if (!spec.optional && !spec.array && !(key in node)) problems.push(`${where}: ${typeName} needs <${key}>`);
  }
}

/** Problems found in one metadata XML document (empty = valid against the WSDL-derived schema). */
export function checkMetadataXml(xml: string, rules: { oauthScopes?: boolean } = { oauthScopes: true }): string[] {
  const schema = loadMetadataSchema();
  const problems: string[] = [];
  const doc = parser.parse(xml) as Record<string, XmlNode[]>;
  const roots = Object.keys(doc).filter((k) => k !== '?xml');
  if (roots.length !== 1) return [`expected one root element, found ${roots.length}`];
  const rootName = roots[0]!;
  const root = doc[rootName]![0]!;
  const props = allProps(schema, rootName);
  if (!props) return [`<${rootName}> is not a Metadata API type`];
  if (typeof root === 'object' && root['@_xmlns'] !== METADATA_NAMESPACE) {
    problems.push(`<${rootName}> must declare xmlns="${METADATA_NAMESPACE}"`);
  }
  checkElement(schema, rootName, props, root, rootName, problems);
  // Scopes hide inside one comma-separated string, so the schema alone cannot see them.
  if (rules.oauthScopes && typeof root === 'object' && 'commaSeparatedOauthScopes' in root) {
    const scopes = schema.enums.get('ConnectedAppOauthAccessScope')!;
    const raw = root.commaSeparatedOauthScopes;
    const first = Array.isArray(raw) ? raw[0] : raw;
    const text = typeof first === 'string' ? first : '';
    for (const token of text.split(',').map((s) => s.trim())) {
      if (!scopes.has(token))
        problems.push(`${rootName}/commaSeparatedOauthScopes: "${token}" is not a ConnectedAppOauthAccessScope`);
    }
  }
  return problems;
}

/** Parsed metadata XML with every element as an array (uniform access in tests). */
export function parseMetadataXml(xml: string): Record<string, XmlNode[]> {
  return parser.parse(xml) as Record<string, XmlNode[]>;
}
export type { XmlNode };

/** The document element of a metadata XML file (`<CustomField>`, `<FlexiPage>`…). */
export function metadataRoot(xml: string): XmlNode {
  const doc = parseMetadataXml(xml);
  const key = Object.keys(doc).find((k) => k !== '?xml')!;
  return doc[key]![0]!;
}

/** Text of each `<name>` child of a parsed element. */
export function texts(node: XmlNode | undefined, name: string): string[] {
  if (node === undefined || typeof node === 'string') return [];
  const raw = node[name];
  if (raw === undefined) return [];
  return (Array.isArray(raw) ? raw : [raw]).map((v) => (typeof v === 'string' ? v : ''));
}

/** The `<name>` child elements of a parsed element. */
export function children(node: XmlNode | undefined, name: string): XmlNode[] {
  if (node === undefined || typeof node === 'string') return [];
  const raw = node[name];
  if (raw === undefined || typeof raw === 'string') return [];
  return raw;
}
