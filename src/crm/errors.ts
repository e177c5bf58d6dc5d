// Errors a connector throws when a whole run must stop; the engine turns each into a run status.

/** The CRM's shared API budget reached the floor (or its daily limit): stop cleanly, resume next run. */
export class BudgetReachedError extends Error {
  override readonly name = 'BudgetReachedError';
}

/** Credentials no longer work (e.g. `invalid_grant`): the admin must reconnect; no retries until then. */
export class NeedsReauthError extends Error {
  override readonly name = 'NeedsReauthError';
}

/** The CRM is missing something we need (a field, a permission, a scope); `fix` says what to do. */
export class SetupError extends Error {
  override readonly name = 'SetupError';
  readonly fix: string;

  constructor(message: string, fix: string) {
    super(`${message} Fix: ${fix}`);
    this.fix = fix;
  }
}
