// Opens the store the configuration asks for: PostgreSQL when DATABASE_URL is set, else SQLite at CRM_INFLUENCE_DB.
// A PostgreSQL schema other than the default can be chosen in the URL: `?options=-c%20search_path%3Dmyschema`.
import type { AppConfig } from '../config.ts';
import type { Store } from './contract.ts';
import { PostgresStore } from './postgres.ts';
import { SqliteStore } from './sqlite.ts';

export function openStore(
  config: Pick<AppConfig, 'DATABASE_URL' | 'CRM_INFLUENCE_DB' | 'CRM_INFLUENCE_SECRET_KEY'>,
): Promise<Store> {
  const options = config.CRM_INFLUENCE_SECRET_KEY === undefined ? {} : { secretKey: config.CRM_INFLUENCE_SECRET_KEY };
  if (config.DATABASE_URL !== undefined)
    return PostgresStore.open({ connectionString: config.DATABASE_URL, ...options });
  return SqliteStore.open(config.CRM_INFLUENCE_DB, options);
}
