// A SOQL subset parser: what a sync connector sends (field lists with one-level relationships, WHERE with
// comparisons, IN, LIKE, AND/OR/NOT and parentheses, NULL, datetime literals, escaped strings; ORDER BY; LIMIT;
// OFFSET; COUNT()). Anything else — including a value whose quote was not escaped — is MALFORMED_QUERY, as on
// Salesforce.

export class SoqlError extends Error {
  readonly errorCode: 'MALFORMED_QUERY' | 'INVALID_FIELD' | 'INVALID_TYPE' | 'INVALID_QUERY_FILTER_OPERATOR';

  constructor(
    errorCode: 'MALFORMED_QUERY' | 'INVALID_FIELD' | 'INVALID_TYPE' | 'INVALID_QUERY_FILTER_OPERATOR',
    message: string,
  ) {
    super(message);
    this.errorCode = errorCode;
  }
}

export interface FieldRef {
  path: string[];
}
export type Literal =
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: number }
  | { kind: 'boolean'; value: boolean }
  | { kind: 'null' }
  | { kind: 'datetime'; value: number; text: string };

export type Comparison = '=' | '!=' | '<' | '>' | '<=' | '>=';
export type Condition =
  | { op: 'and' | 'or'; items: Condition[] }
  | { op: 'not'; item: Condition }
  | { op: 'cmp'; field: FieldRef; cmp: Comparison; value: Literal }
  | { op: 'in'; field: FieldRef; negate: boolean; values: Literal[] }
  | { op: 'like'; field: FieldRef; pattern: string };

export interface OrderBy {
  field: FieldRef;
  descending: boolean;
  nullsLast: boolean;
}
export interface SoqlQuery {
  select: FieldRef[] | 'count';
  from: string;
  where?: Condition;
  orderBy: OrderBy[];
  limit?: number;
  offset?: number;
}

type Token =
  | { type: 'word'; text: string; pos: number }
  | { type: 'string'; value: string; pos: number }
  | { type: 'number'; value: number; text: string; pos: number }
  | { type: 'datetime'; value: number; text: string; pos: number }
  | { type: 'punct'; text: string; pos: number };

const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?(Z|[+-]\d{2}:?\d{2})/;
const DATE = /^\d{4}-\d{2}-\d{2}(?![\dT])/;
const NUMBER = /^-?\d+(\.\d+)?/;
const WORD = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*/;
// `\%` and `\_` stay distinguishable from `%`/`_` (wildcards in LIKE) through private-use placeholders.
const LITERAL_PERCENT = '\uE000';
const LITERAL_UNDERSCORE = '\uE001';
const ESCAPES: Record<string, string> = {
  n: '\n',
  r: '\r',
  t: '\t',
  b: '\b',
  f: '\f',
  '"': '"',
  "'": "'",
  '\\': '\\',
  '%': LITERAL_PERCENT,
  _: LITERAL_UNDERSCORE,
};

function malformed(soql: string, pos: number, detail: string): SoqlError {
  const column = pos + 1;
  return new SoqlError(
    'MALFORMED_QUERY',
    `\n${soql}\n${' '.repeat(Math.max(0, pos))}^\nERROR at Row:1:Column:${column}\n${detail}`,
  );
}

function tokenize(soql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < soql.length) {
    const ch = soql[i]!;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    const rest = soql.slice(i);
    if (ch === "'") {
      let value = '';
      let j = i + 1;
      for (;;) {
        if (j >= soql.length)
          throw malformed(soql, i, 'line 1:' + String(i) + " mismatched character '<EOF>' expecting '''");
        const c = soql[j]!;
        if (c === '\\') {
          const next = soql[j + 1] ?? '';
          if (next === 'u' && /^[0-9a-fA-F]{4}$/.test(soql.slice(j + 2, j + 6))) {
            value += String.fromCharCode(parseInt(soql.slice(j + 2, j + 6), 16));
            j += 6;
            continue;
          }
          const escaped = ESCAPES[next];
          if (escaped === undefined)
            throw malformed(
              soql,
              j,
              `Invalid string literal '${soql.slice(i, j + 2)}'. Illegal escape sequence '\\${next}'`,
            );
          value += escaped;
          j += 2;
          continue;
        }
        if (c === "'") break;
        value += c;
        j++;
      }
      tokens.push({ type: 'string', value, pos: i });
      i = j + 1;
      continue;
    }
    const dt = DATETIME.exec(rest);
    if (dt) {
      const value = Date.parse(dt[0].replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
      if (Number.isNaN(value)) throw malformed(soql, i, `invalid datetime literal: ${dt[0]}`);
      tokens.push({ type: 'datetime', value, text: dt[0], pos: i });
      i += dt[0].length;
      continue;
    }
    const date = DATE.exec(rest);
    if (date) {
      tokens.push({ type: 'datetime', value: Date.parse(`${date[0]}T00:00:00Z`), text: date[0], pos: i });
      i += date[0].length;
      continue;
    }
    const num = NUMBER.exec(rest);
    if (num && (ch !== '-' || /[\s(,=<>]$/.test(soql.slice(0, i)) || i === 0)) {
      tokens.push({ type: 'number', value: Number(num[0]), text: num[0], pos: i });
      i += num[0].length;
      continue;
    }
    const word = WORD.exec(rest);
    if (word) {
      tokens.push({ type: 'word', text: word[0], pos: i });
      i += word[0].length;
      continue;
    }
    const two = rest.slice(0, 2);
    if (two === '!=' || two === '<>' || two === '<=' || two === '>=') {
      tokens.push({ type: 'punct', text: two === '<>' ? '!=' : two, pos: i });
      i += 2;
      continue;
    }
    if ('(),=<>'.includes(ch)) {
      tokens.push({ type: 'punct', text: ch, pos: i });
      i++;
      continue;
    }
    throw malformed(soql, i, `unexpected token: '${ch}'`);
  }
  return tokens;
}

const KEYWORDS = new Set([
  'select',
  'from',
  'where',
  'and',
  'or',
  'not',
  'in',
  'like',
  'order',
  'by',
  'asc',
  'desc',
  'nulls',
  'first',
  'last',
  'limit',
  'offset',
  'true',
  'false',
  'null',
  'includes',
  'excludes',
  'group',
  'having',
]);

class Parser {
  private i = 0;
  private readonly soql: string;
  private readonly tokens: Token[];

  constructor(soql: string, tokens: Token[]) {
    this.soql = soql;
    this.tokens = tokens;
  }

  private peek(): Token | undefined {
    return this.tokens[this.i];
  }
  private fail(detail?: string): never {
    const token = this.peek();
    const pos = token?.pos ?? this.soql.length;
    throw malformed(
      this.soql,
      pos,
      detail ?? (token ? `unexpected token: '${tokenText(token)}'` : 'unexpected end of query'),
    );
  }
  private isWord(text: string): boolean {
    const t = this.peek();
    return t?.type === 'word' && t.text.toLowerCase() === text;
  }
  private expectWord(text: string): void {
    if (!this.isWord(text)) this.fail(`expecting '${text.toUpperCase()}'`);
    this.i++;
  }
  private isPunct(text: string): boolean {
    const t = this.peek();
    return t?.type === 'punct' && t.text === text;
  }
  private expectPunct(text: string): void {
    if (!this.isPunct(text)) this.fail(`expecting '${text}'`);
    this.i++;
  }

  parse(): SoqlQuery {
    this.expectWord('select');
    let select: SoqlQuery['select'];
    if (
      this.isWord('count') &&
      this.tokens[this.i + 1]?.type === 'punct' &&
      (this.tokens[this.i + 1] as { text: string }).text === '('
    ) {
      this.i += 2;
      this.expectPunct(')');
      select = 'count';
    } else {
      const fields = [this.fieldRef()];
      while (this.isPunct(',')) {
        this.i++;
        fields.push(this.fieldRef());
      }
      select = fields;
    }
    this.expectWord('from');
    const from = this.peek();
    if (from?.type !== 'word' || from.text.includes('.')) this.fail();
    this.i++;
    const query: SoqlQuery = { select, from: from.text, orderBy: [] };
    if (this.isWord('where')) {
      this.i++;
      query.where = this.orExpr();
    }
    if (this.isWord('order')) {
      this.i++;
      this.expectWord('by');
      do {
        if (this.isPunct(',')) this.i++;
        const field = this.fieldRef();
        let descending = false;
        if (this.isWord('asc')) this.i++;
        else if (this.isWord('desc')) {
          this.i++;
          descending = true;
        }
        let nullsLast = descending;
        if (this.isWord('nulls')) {
          this.i++;
          if (this.isWord('first')) nullsLast = false;
          else if (this.isWord('last')) nullsLast = true;
          else this.fail();
          this.i++;
        }
        query.orderBy.push({ field, descending, nullsLast });
      } while (this.isPunct(','));
    }
    if (this.isWord('limit')) {
      this.i++;
      query.limit = this.integer();
    }
    if (this.isWord('offset')) {
      this.i++;
      query.offset = this.integer();
    }
    if (this.peek()) this.fail();
    return query;
  }

  private integer(): number {
    const t = this.peek();
    if (t?.type !== 'number' || !Number.isInteger(t.value) || t.value < 0) this.fail();
    this.i++;
    return t.value;
  }

  private fieldRef(): FieldRef {
    const t = this.peek();
    if (t?.type !== 'word' || KEYWORDS.has(t.text.toLowerCase())) this.fail();
    this.i++;
    return { path: t.text.split('.') };
  }

  private orExpr(): Condition {
    const items = [this.andExpr()];
    while (this.isWord('or')) {
      this.i++;
      items.push(this.andExpr());
    }
    return items.length === 1 ? items[0]! : { op: 'or', items };
  }

  private andExpr(): Condition {
    const items = [this.notExpr()];
    while (this.isWord('and')) {
      this.i++;
      items.push(this.notExpr());
    }
    return items.length === 1 ? items[0]! : { op: 'and', items };
  }

  private notExpr(): Condition {
    if (this.isWord('not')) {
      this.i++;
      return { op: 'not', item: this.notExpr() };
    }
    if (this.isPunct('(')) {
      this.i++;
      const inner = this.orExpr();
      this.expectPunct(')');
      return inner;
    }
    const field = this.fieldRef();
    if (this.isWord('not')) {
      this.i++;
      if (!this.isWord('in')) this.fail("expecting 'IN'");
      this.i++;
      return { op: 'in', field, negate: true, values: this.literalList() };
    }
    if (this.isWord('in')) {
      this.i++;
      return { op: 'in', field, negate: false, values: this.literalList() };
    }
    if (this.isWord('like')) {
      this.i++;
      const t = this.peek();
      if (t?.type !== 'string') this.fail('LIKE needs a string literal');
      this.i++;
      return { op: 'like', field, pattern: t.value };
    }
    const t = this.peek();
    if (t?.type !== 'punct' || !['=', '!=', '<', '>', '<=', '>='].includes(t.text)) this.fail();
    this.i++;
    return { op: 'cmp', field, cmp: t.text as Comparison, value: this.literal() };
  }

  private literalList(): Literal[] {
    this.expectPunct('(');
    const values = [this.literal()];
    while (this.isPunct(',')) {
      this.i++;
      values.push(this.literal());
    }
    this.expectPunct(')');
    return values;
  }

  private literal(): Literal {
    const t = this.peek();
    if (!t) this.fail();
    this.i++;
    switch (t.type) {
      case 'string':
        return { kind: 'string', value: t.value };
      case 'number':
        return { kind: 'number', value: t.value };
      case 'datetime':
        return { kind: 'datetime', value: t.value, text: t.text };
      case 'word': {
        const lower = t.text.toLowerCase();
        if (lower === 'true' || lower === 'false') return { kind: 'boolean', value: lower === 'true' };
        if (lower === 'null') return { kind: 'null' };
        break;
      }
      case 'punct':
        break;
    }
    this.i--;
    return this.fail();
  }
}

function tokenText(t: Token): string {
  return t.type === 'string' ? `'${t.value}'` : t.text;
}

export function parseSoql(soql: string): SoqlQuery {
  return new Parser(soql, tokenize(soql)).parse();
}

/** SOQL LIKE: `%` any run, `_` one character, case-insensitive; `\%`/`\_` are literal. */
export function likeToRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === LITERAL_PERCENT) source += '%';
    else if (c === LITERAL_UNDERSCORE) source += '_';
    else if (c === '%') source += '[\\s\\S]*';
    else if (c === '_') source += '[\\s\\S]';
    else source += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 'i');
}

/** The string as compared with `=`: escaped `\%` / `\_` are plain characters there. */
export function plainString(value: string): string {
  return value.replaceAll(LITERAL_PERCENT, '%').replaceAll(LITERAL_UNDERSCORE, '_');
}
