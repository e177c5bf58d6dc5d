// Looking contacts up for the Contacts page: by CRM record id or by the e-mail they had at their last sync, in every
// connection or one; each with its last written fields, factor lines and score history.
import { hubspotUiDomainOf } from '../crm/record-url.ts';
import type { Connection, Store } from '../store/contract.ts';
import { HttpError } from './security.ts';

async function describeContact(store: Store, connectionId: string, recordId: string) {
  const state = (await store.getSyncStates(connectionId, [recordId])).get(recordId);
  if (state === undefined) return null;
  const history = await store.getHistory(connectionId, recordId, 24);
  return {
    connection: connectionId,
    recordId,
    objectType: state.objectType,
    /** As of the last sync (neither is kept for opted-out contacts). */
    name: state.name ?? null,
    email: state.email ?? null,
    fields: state.lastWritten,
    writtenAt: state.writtenAt,
    factors: (state.lastWritten?.topFactors ?? '')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== ''),
    history,
  };
}

export type FoundContact = NonNullable<Awaited<ReturnType<typeof describeContact>>>;

export async function findContactById(
  store: Store,
  recordId: string,
  connectionId: string | undefined,
): Promise<FoundContact[]> {
  const out: FoundContact[] = [];
  for (const c of await store.listConnections()) {
    if (connectionId !== undefined && c.id !== connectionId) continue;
    const found = await describeContact(store, c.id, recordId);
    if (found !== null) out.push(found);
  }
  return out;
}

/** Every record (in every connection, or the one asked for) whose last recorded e-mail is this one. */
export async function findContactsByEmail(
  store: Store,
  email: string,
  connectionId: string | undefined,
): Promise<FoundContact[]> {
  if (store.findRecordIdsByEmail === undefined)
    throw new HttpError(501, 'This store cannot look contacts up by e-mail; use the record id.');
  const out: FoundContact[] = [];
  for (const match of await store.findRecordIdsByEmail(connectionId, email)) {
    const found = await describeContact(store, match.connectionId, match.recordId);
    if (found !== null) out.push(found);
  }
  return out;
}

/** The record in its CRM: Lightning record page (Salesforce), contact record page on the portal's uiDomain (HubSpot); null when unknown. */
export function crmRecordUrl(connection: Connection, objectType: string, recordId: string): string | null {
  if (connection.crm === 'salesforce') {
    const stored = connection.credentials.instanceUrl;
    // Connections made from the environment keep no instance URL: their name holds its host.
    const host = typeof stored === 'string' ? new URL(stored).host : /\(([^)\s]+)\)$/.exec(connection.name)?.[1];
    if (host === undefined) return null;
    return `https://${host}/lightning/r/${encodeURIComponent(objectType)}/${encodeURIComponent(recordId)}/view`;
  }
  const hubId = /^hubspot-(\d+)$/.exec(connection.id)?.[1];
  // An EU portal's records open on app-eu1.hubspot.com (its uiDomain, stored with the connection).
  return hubId === undefined
    ? null
    : `https://${hubspotUiDomainOf(connection.settings)}/contacts/${hubId}/record/0-1/${encodeURIComponent(recordId)}`;
}
