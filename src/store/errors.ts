// Errors the store raises; each names what it concerns and how to fix it.

/** A stored row cannot be read back (invalid JSON, a value outside its schema). */
export class CorruptRowError extends Error {
  readonly table: string;
  readonly rowId: string;
  readonly column: string;
  constructor(table: string, rowId: string, column: string, problem: string) {
    super(`corrupt row in ${table} (id ${rowId}), column ${column}: ${problem}`);
    this.name = 'CorruptRowError';
    this.table = table;
    this.rowId = rowId;
    this.column = column;
  }
}

/** Stored credentials cannot be encrypted or decrypted (no key, another key, damaged ciphertext). */
export class CredentialsError extends Error {
  readonly connectionId: string;
  constructor(connectionId: string, message: string) {
    super(message);
    this.name = 'CredentialsError';
    this.connectionId = connectionId;
  }
}
