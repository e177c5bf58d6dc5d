// Which portal a private app token belongs to: HubSpot's "access token info" for private apps
// (POST /oauth/v2/private-apps/get/access-token-info, body { tokenKey } → { hubId, appId, userId, scopes }).
// A connection is named by this id, so a mistyped or rotated token never becomes a connection of its own.
import { z } from 'zod';

import { NeedsReauthError } from '../../src/crm/errors.ts';

const TokenInfoSchema = z.object({ hubId: z.number().int().positive() });

export async function privateAppPortalId(baseUrl: string, token: string): Promise<number> {
  const response = await fetch(`${baseUrl}/oauth/v2/private-apps/get/access-token-info`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ tokenKey: token }),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  // HubSpot answers an unknown or revoked token with 401 (some versions 400 with category INVALID_AUTHENTICATION).
  if (response.status === 401 || (response.status === 400 && text.includes('INVALID_AUTHENTICATION'))) {
    throw new NeedsReauthError(`HubSpot refused HUBSPOT_ACCESS_TOKEN (HTTP ${response.status})`);
  }
  if (!response.ok) throw new Error(`HubSpot access token info failed: HTTP ${response.status}`);
  const parsed = TokenInfoSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error('HubSpot access token info: the answer has no numeric hubId');
  return parsed.data.hubId;
}
