// Errors a command ends with; main.ts prints the message (never a stack) and exits with the code.

export class CliError extends Error {
  override readonly name: string = 'CliError';
  readonly exitCode: number;

  constructor(message: string, exitCode = 1) {
    super(message);
    this.exitCode = exitCode;
  }
}

/** Bad flags or arguments (exit code 2, like commander's own usage errors). */
export class UsageError extends CliError {
  override readonly name = 'UsageError';
  constructor(message: string) {
    super(message, 2);
  }
}

/** A part of the product this command needs is not built yet. Never a fake success. */
export class NotAvailableError extends CliError {
  override readonly name = 'NotAvailableError';
  readonly part: string;

  constructor(part: string) {
    super(`not available yet: needs ${part}`, 3);
    this.part = part;
  }
}
