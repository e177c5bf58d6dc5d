// Where a CRM record is opened by a person. HubSpot portals live in a data centre (account-info's
// `dataHostingLocation`: na1, eu1…), and their pages on its `uiDomain`: app.hubspot.com, app-eu1.hubspot.com.
// The domain comes from HubSpot and is kept with the connection (`settings.hubspot.uiDomain`); only these hosts pass.
export const HUBSPOT_UI_DOMAIN = /^app(-[a-z]{2,4}\d{1,2})?\.hubspot\.com$/;

/** The portal's uiDomain as stored with its connection, or app.hubspot.com when none (or a bad one) is. */
export function hubspotUiDomainOf(settings: Record<string, unknown>): string {
  const section = settings.hubspot;
  const stored =
    section !== null && typeof section === 'object' ? (section as Record<string, unknown>).uiDomain : undefined;
  return typeof stored === 'string' && HUBSPOT_UI_DOMAIN.test(stored) ? stored : 'app.hubspot.com';
}
