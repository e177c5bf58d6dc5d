// HubSpot's error bodies, shaped as the real API sends them (held to the SDK's models by
// test/sandbox/hubspot/contract.test.ts).
import { randomUUID } from 'node:crypto';

export interface HubSpotErrorBody {
  status: string;
  message: string;
  correlationId: string;
  category?: string;
  errorType?: string;
  policyName?: string;
  groupName?: string;
  errors?: unknown[];
  context?: Record<string, unknown>;
  subCategory?: string;
}

/** An error the emulator answers with: an HTTP status and the body HubSpot sends for it. */
export class HubSpotHttpError extends Error {
  readonly status: number;
  readonly body: HubSpotErrorBody;
  readonly headers: Record<string, string>;

  constructor(status: number, body: HubSpotErrorBody, headers: Record<string, string> = {}) {
    super(body.message);
    this.status = status;
    this.body = body;
    this.headers = headers;
  }
}

export function hubspotError(
  status: number,
  category: string,
  message: string,
  extra: Partial<HubSpotErrorBody> = {},
): HubSpotHttpError {
  return new HubSpotHttpError(status, { status: 'error', message, correlationId: randomUUID(), category, ...extra });
}

export type RateLimitPolicy = 'TEN_SECONDLY_ROLLING' | 'SECONDLY' | 'DAILY';

const RATE_LIMIT_MESSAGES: Record<RateLimitPolicy, string> = {
  TEN_SECONDLY_ROLLING: 'You have reached your ten_secondly_rolling limit.',
  // The client's RetryDecorator matches this exact sentence.
  SECONDLY: 'You have reached your secondly limit.',
  DAILY: 'You have reached your daily limit.',
};

export function rateLimitError(policy: RateLimitPolicy, headers: Record<string, string> = {}): HubSpotHttpError {
  return new HubSpotHttpError(
    429,
    {
      status: 'error',
      message: RATE_LIMIT_MESSAGES[policy],
      errorType: 'RATE_LIMIT',
      correlationId: randomUUID(),
      policyName: policy,
      groupName: policy === 'SECONDLY' ? 'search' : 'api-calls',
    },
    headers,
  );
}

export function validationError(message: string, extra: Partial<HubSpotErrorBody> = {}): HubSpotHttpError {
  return hubspotError(400, 'VALIDATION_ERROR', message, extra);
}
