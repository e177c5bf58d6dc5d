// Every value the connector places in SOQL goes through here: strings quoted and escaped, datetimes as unquoted
// UTC literals, ids checked by shape, field names checked against the API-name grammar. Nothing is concatenated
// raw, so a handle like `x' OR Name LIKE '%` stays a string.

const ESCAPES: Record<string, string> = {
  '\\': '\\\\',
  "'": "\\'",
  '"': '\\"',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\b': '\\b',
  '\f': '\\f',
};

/** A SOQL string literal (with quotes) for any text. */
export function soqlString(value: string): string {
  return `'${value.replace(/[\\'"\n\r\t\b\f]/g, (c) => ESCAPES[c]!)}'`;
}

/** A SOQL datetime literal (unquoted, UTC, second precision as Salesforce stores SystemModstamp). */
export function soqlDatetime(value: Date | string): string {
  const date = typeof value === 'string' ? new Date(value) : value;
  if (Number.isNaN(date.getTime())) throw new Error(`not a date/time for SOQL: ${String(value)}`);
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const ID = /^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$/;

/** A quoted record id; throws on anything that is not a 15/18-character Salesforce id. */
export function soqlId(value: string): string {
  if (!ID.test(value)) throw new Error(`not a Salesforce record id: ${JSON.stringify(value)}`);
  return `'${value}'`;
}

const FIELD = /^[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)?$/;

/** A field API name (optionally one relationship deep) safe to place in a SELECT or WHERE. */
export function soqlField(name: string): string {
  if (!FIELD.test(name)) {
    throw new Error(`not a Salesforce field API name: ${JSON.stringify(name)}`);
  }
  return name;
}
