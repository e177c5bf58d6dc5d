// Secrets never leave in a message: known values and credential-looking query parameters are replaced.

const SECRET_PARAMS =
  /([?&](?:key|api_key|apikey|access_token|token|client_secret|secret|password|sig|signature)=)[^&#\s]*/gi;
const BEARER = /(bearer\s+)[A-Za-z0-9._~+/=-]{8,}/gi;

export function redact(text: string, secrets: readonly string[] = []): string {
  let out = text;
  // Longest first, so a token is not half-replaced by one of its own parts.
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    if (secret.length >= 4) out = out.split(secret).join('[redacted]');
  }
  return out.replace(SECRET_PARAMS, '$1[redacted]').replace(BEARER, '$1[redacted]');
}
