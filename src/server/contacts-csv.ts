// The filtered contacts list (every page of it) as CSV, for a spreadsheet or a CRM import (GET /contacts?format=csv).
import type { Response } from 'express';

import type { ContactCursor, ContactListFilter } from '../store/contact-list.ts';
import { listContacts } from '../store/contact-list.ts';
import type { Connection, SqlAccess } from '../store/contract.ts';
import { crmRecordUrl } from './contacts.ts';

const EXPORT_PAGE = 1000;
const COLUMNS = [
  'record_id',
  'object_type',
  'name',
  'email',
  'score',
  'tier',
  'confidence',
  'trend',
  'scored_at',
  'tier_since',
  'networks',
  'reason_codes',
  'crm_url',
] as const;

/** RFC 4180 cell; a leading = + - @ is quoted with a ' so a spreadsheet never runs it as a formula. */
export function csvCell(value: string | number | null): string {
  if (value === null) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** Streams the list page by page (keyset), so an export of 1M contacts holds one page in memory. */
export async function sendContactsCsv(
  res: Response,
  db: SqlAccess,
  connection: Connection,
  filter: ContactListFilter,
): Promise<void> {
  res.type('text/csv; charset=utf-8');
  res.attachment(`contacts-${connection.id}.csv`);
  res.write(`${COLUMNS.join(',')}\r\n`);
  let after: ContactCursor | null = null;
  do {
    const page: Awaited<ReturnType<typeof listContacts>> = await listContacts(db, connection.id, filter, {
      after,
      limit: EXPORT_PAGE,
    });
    const lines = page.rows.map((r) =>
      [
        r.recordId,
        r.objectType,
        r.name,
        r.email,
        r.score,
        r.profiled ? r.tier : 'opted out',
        r.confidence,
        r.trend,
        r.scoredAt,
        r.tierSince,
        r.networks.join(';'),
        r.reasonCodes.join(';'),
        crmRecordUrl(connection, r.objectType, r.recordId),
      ]
        .map(csvCell)
        .join(','),
    );
    if (lines.length > 0) res.write(`${lines.join('\r\n')}\r\n`);
    after = page.next;
  } while (after !== null);
  res.end();
}
