// Which portal a private app token belongs to: HubSpot's "access token info" for private apps
// (POST /oauth/v2/private-apps/get/access-token-info, body { tokenKey } → { hubId, appId, userId, scopes }).
// A connection is named by this id, so a mistyped or rotated token never becomes a connection of its own.
import { z } from 'zod';

import { NeedsReauthError } from '../../src/crm/errors.ts';
import { HUBSPOT_UI_DOMAIN } from '../../src/crm/record-url.ts';

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

const AccountDetailsSchema = z.object({ uiDomain: z.string().regex(HUBSPOT_UI_DOMAIN) });

/**
 * The portal's `uiDomain` from HubSpot's account details (GET /account-info/v3/details; developers.hubspot.com/docs/
 * api-reference/latest/account/account-information/get-account-details), which follows its data centre
 * (`dataHostingLocation`: na1, eu1…). Null when HubSpot does not say (the record links then use app.hubspot.com);
 * never fails a run: links are a convenience.
 */
export async function portalUiDomain(baseUrl: string, accessToken: string): Promise<string | null> {
  try {
    const response = await fetch(`${baseUrl}/account-info/v3/details`, {
      headers: { Authorization: `Bearer ${accessToken}` },
      signal: AbortSignal.timeout(10_000),
    });
    if (!response.ok) return null;
    const parsed = AccountDetailsSchema.safeParse(await response.json());
    return parsed.success ? parsed.data.uiDomain : null;
  } catch {
    return null;
  }
}
