// A small GraphQL reader for the GitHub emulator: one query operation with variables, aliases, arguments
// (strings, numbers, booleans, null, enums, lists, objects, $variables) and nested selections. No fragments,
// directives or mutations: a request using them gets a GraphQL parse error, as an unsupported document would.

export type GqlValue = string | number | boolean | null | GqlValue[] | { [key: string]: GqlValue } | { enum: string };

export interface GqlField {
  alias: string;
  name: string;
  args: Record<string, GqlValue>;
  selections: GqlField[];
  line: number;
  column: number;
}

export class GqlSyntaxError extends Error {
  readonly line: number;
  readonly column: number;

  constructor(message: string, line: number, column: number) {
    super(message);
    this.line = line;
    this.column = column;
  }
}

type Token = {
  kind: 'punct' | 'name' | 'string' | 'number' | 'variable' | 'spread' | 'eof';
  text: string;
  line: number;
  column: number;
};

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const at = () => ({ line, column: i - lineStart + 1 });
  while (i < source.length) {
    const c = source.charAt(i);
    if (c === '\n') {
      line++;
      i++;
      lineStart = i;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r' || c === ',' || c === '\ufeff') {
      i++;
      continue;
    }
    if (c === '#') {
      while (i < source.length && source.charAt(i) !== '\n') i++;
      continue;
    }
    const pos = at();
    if (source.startsWith('...', i)) {
      tokens.push({ kind: 'spread', text: '...', ...pos });
      i += 3;
      continue;
    }
    if ('{}()[]:!=@'.includes(c)) {
      tokens.push({ kind: 'punct', text: c, ...pos });
      i++;
      continue;
    }
    if (c === '$') {
      const m = /^\$[_A-Za-z][_0-9A-Za-z]*/.exec(source.slice(i));
      if (!m)
        throw new GqlSyntaxError(`Parse error on "$" (error) at [${pos.line}, ${pos.column}]`, pos.line, pos.column);
      tokens.push({ kind: 'variable', text: m[0].slice(1), ...pos });
      i += m[0].length;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      let text = '';
      while (j < source.length && source.charAt(j) !== '"') {
        if (source.charAt(j) === '\\') {
          const next = source.charAt(j + 1);
          if (next === 'u') {
            text += String.fromCharCode(Number.parseInt(source.slice(j + 2, j + 6), 16));
            j += 6;
            continue;
          }
          text += ({ n: '\n', t: '\t', r: '\r', b: '\b', f: '\f' } as Record<string, string>)[next] ?? next;
          j += 2;
          continue;
        }
        text += source.charAt(j++);
      }
      if (j >= source.length)
        throw new GqlSyntaxError(
          `Parse error on unterminated string at [${pos.line}, ${pos.column}]`,
          pos.line,
          pos.column,
        );
      tokens.push({ kind: 'string', text, ...pos });
      i = j + 1;
      continue;
    }
    const number = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(source.slice(i, i + 40));
    if (number) {
      tokens.push({ kind: 'number', text: number[0], ...pos });
      i += number[0].length;
      continue;
    }
    const name = /^[_A-Za-z][_0-9A-Za-z]*/.exec(source.slice(i, i + 200));
    if (name) {
      tokens.push({ kind: 'name', text: name[0], ...pos });
      i += name[0].length;
      continue;
    }
    throw new GqlSyntaxError(`Parse error on "${c}" (error) at [${pos.line}, ${pos.column}]`, pos.line, pos.column);
  }
  tokens.push({ kind: 'eof', text: '', ...at() });
  return tokens;
}

/** Parses a query document and substitutes variables; returns the top-level selections. */
export function parseQuery(source: string, variables: Record<string, unknown> = {}): GqlField[] {
  const tokens = tokenize(source);
  let p = 0;
  const peek = () => tokens[p] as Token;
  const fail = (token: Token): never => {
    throw new GqlSyntaxError(
      `Parse error on "${token.text || 'end of file'}" (${token.kind.toUpperCase()}) at [${token.line}, ${token.column}]`,
      token.line,
      token.column,
    );
  };
  const expect = (text: string) => {
    const token = peek();
    if (token.text !== text || token.kind !== 'punct') fail(token);
    p++;
  };

  function value(): GqlValue {
    const token = peek();
    p++;
    switch (token.kind) {
      case 'string':
        return token.text;
      case 'number':
        return Number(token.text);
      case 'variable': {
        if (!(token.text in variables)) return null;
        return variables[token.text] as GqlValue;
      }
      case 'name':
        if (token.text === 'true') return true;
        if (token.text === 'false') return false;
        if (token.text === 'null') return null;
        return { enum: token.text };
      case 'punct':
        if (token.text === '[') {
          const list: GqlValue[] = [];
          while (peek().text !== ']') {
            if (peek().kind === 'eof') fail(peek());
            list.push(value());
          }
          p++;
          return list;
        }
        if (token.text === '{') {
          const object: Record<string, GqlValue> = {};
          while (peek().text !== '}') {
            const key = peek();
            if (key.kind !== 'name') fail(key);
            p++;
            expect(':');
            object[key.text] = value();
          }
          p++;
          return object;
        }
        return fail(token);
      default:
        return fail(token);
    }
  }

  function selectionSet(): GqlField[] {
    expect('{');
    const fields: GqlField[] = [];
    while (peek().text !== '}') {
      const token = peek();
      if (token.kind === 'spread') {
        throw new GqlSyntaxError('Fragments are not supported by the sandbox', token.line, token.column);
      }
      if (token.kind !== 'name') fail(token);
      p++;
      const alias = token.text;
      let name = token.text;
      if (peek().text === ':' && peek().kind === 'punct') {
        p++;
        const real = peek();
        if (real.kind !== 'name') fail(real);
        p++;
        name = real.text;
      }
      const args: Record<string, GqlValue> = {};
      if (peek().text === '(' && peek().kind === 'punct') {
        p++;
        while (peek().text !== ')') {
          const key = peek();
          if (key.kind !== 'name') fail(key);
          p++;
          expect(':');
          args[key.text] = value();
        }
        p++;
      }
      if (peek().text === '@') fail(peek());
      const selections = peek().text === '{' && peek().kind === 'punct' ? selectionSet() : [];
      fields.push({ alias, name, args, selections, line: token.line, column: token.column });
    }
    p++;
    return fields;
  }

  function skipVariableDefinitions(): void {
    expect('(');
    let depth = 1;
    while (depth > 0) {
      const token = peek();
      if (token.kind === 'eof') fail(token);
      if (token.text === '(') depth++;
      if (token.text === ')') depth--;
      p++;
    }
  }

  const first = peek();
  if (first.kind === 'name') {
    if (first.text !== 'query') {
      throw new GqlSyntaxError(
        `The sandbox supports only query operations, not "${first.text}"`,
        first.line,
        first.column,
      );
    }
    p++;
    if (peek().kind === 'name') p++;
    if (peek().text === '(') skipVariableDefinitions();
  }
  const selections = selectionSet();
  if (peek().kind !== 'eof') fail(peek());
  return selections;
}

export function enumValue(value: GqlValue | undefined): string | undefined {
  if (typeof value === 'string') return value;
  return value !== null && typeof value === 'object' && !Array.isArray(value) && typeof value.enum === 'string'
    ? value.enum
    : undefined;
}
