// The emulator's response value: handlers return one; the server (or Composite, for subrequests) sends it.

export interface ApiResponse {
  status: number;
  /** JSON body (sent as `application/json;charset=UTF-8`). */
  json?: unknown;
  /** Text body with its own content type (CSV, HTML). */
  text?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

export function json(status: number, body: unknown): ApiResponse {
  return { status, json: body };
}

/** Salesforce's REST error envelope: a JSON array of `{ message, errorCode, fields? }`. */
export function apiError(status: number, errorCode: string, message: string, fields?: string[]): ApiResponse {
  return { status, json: [{ message, errorCode, ...(fields ? { fields } : {}) }] };
}
