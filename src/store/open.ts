// Opens the store the configuration asks for: PostgreSQL when DATABASE_URL is set, else SQLite at CRM_INFLUENCE_DB.
// A PostgreSQL schema other than the default can be chosen in the URL: `?options=-c%20search_path%3Dmyschema`.
import path from 'node:path';

import type { AppConfig } from '../config.ts';
import type { Store } from './contract.ts';
import { PostgresStore } from './postgres.ts';
import { SqliteStore } from './sqlite.ts';

export async function openStore(
  config: Pick<AppConfig, 'DATABASE_URL' | 'CRM_INFLUENCE_DB' | 'CRM_INFLUENCE_SECRET_KEY'>,
): Promise<Store> {
  const options = config.CRM_INFLUENCE_SECRET_KEY === undefined ? {} : { secretKey: config.CRM_INFLUENCE_SECRET_KEY };
  if (config.DATABASE_URL !== undefined)
    return PostgresStore.open({ connectionString: config.DATABASE_URL, ...options });
  try {
    return await SqliteStore.open(config.CRM_INFLUENCE_DB, options);
  } catch (error) {
    const words = describeDatabasePathError(error, config.CRM_INFLUENCE_DB);
    throw words === null ? error : new Error(words, { cause: error });
  }
}

/**
 * A SQLite file that cannot be created or opened, in words that name CRM_INFLUENCE_DB, the path and what to do; null
 * for other errors (a corrupt file, a failed migration), which say what they are themselves.
 */
export function describeDatabasePathError(error: unknown, file: string): string | null {
  const { code, path: where } = error as NodeJS.ErrnoException;
  const message = error instanceof Error ? error.message : String(error);
  const resolved = path.resolve(file);
  const setting = `CRM_INFLUENCE_DB=${file}`;
  const elsewhere = 'or set CRM_INFLUENCE_DB to another file path';
  if (code === 'ENOTDIR' || code === 'EEXIST')
    return `${setting}: cannot create the folder ${path.dirname(resolved)}: ${where ?? 'a part of it'} is a file, not a folder. Move that file, ${elsewhere}.`;
  if (code === 'EISDIR')
    return `${setting} is a folder, not a database file: set CRM_INFLUENCE_DB to a file in it, e.g. ${path.join(file, 'crm-influence.db')}.`;
  if (/file is not a database/i.test(message))
    return `${setting}: ${resolved} is not a SQLite database (another file is in the way). Move it, ${elsewhere}.`;
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS' || /readonly|unable to open database/i.test(message))
    return `${setting}: cannot write ${resolved} (${code ?? message}: a read-only folder, file or disk). Give this user write access to ${path.dirname(resolved)}, ${elsewhere}; SQLite also writes ${path.basename(resolved)}-wal and -shm beside it.`;
  return null;
}
