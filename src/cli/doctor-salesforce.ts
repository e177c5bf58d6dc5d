// `doctor`'s Salesforce-only checks: how the integration user signs in. A dedicated integration user on the
// *Minimum Access – API Only Integrations* profile cannot sign in through a browser, so the JWT bearer flow (the
// External Client App's certificate, the user pre-authorised by the app's policy) is the way in for it.
import { jwtAudience } from '../../connectors/salesforce/auth.ts';
import type { AppConfig } from '../config.ts';
import type { Check } from './commands/doctor.ts';

export function salesforceSignInChecks(config: AppConfig): Check[] {
  if (config.SALESFORCE_JWT_KEY !== undefined && config.SALESFORCE_USERNAME !== undefined) {
    const audience = jwtAudience(config.SALESFORCE_LOGIN_URL);
    return [
      {
        name: 'salesforce: sign-in',
        ok: true,
        detail: `JWT bearer flow as ${config.SALESFORCE_USERNAME} (token from ${config.SALESFORCE_LOGIN_URL}, audience ${audience})`,
        fix: `"user hasn't approved this consumer": in the External Client App's policies choose "Admin approved users are pre-authorized" and add the Social_Influence_Integration permission set; "audience is invalid": set SALESFORCE_LOGIN_URL to https://login.salesforce.com (https://test.salesforce.com for a sandbox)`,
      },
    ];
  }
  if (config.SALESFORCE_REFRESH_TOKEN !== undefined || config.SALESFORCE_ACCESS_TOKEN !== undefined) {
    return [
      {
        name: 'salesforce: sign-in',
        ok: true,
        detail:
          config.SALESFORCE_REFRESH_TOKEN !== undefined
            ? 'refresh token (the user who connected the org)'
            : 'access token only (expires: for a quick try)',
        fix: 'for a dedicated integration user (Minimum Access – API Only Integrations), use the JWT bearer flow: SALESFORCE_JWT_KEY and SALESFORCE_USERNAME',
      },
    ];
  }
  return [];
}
