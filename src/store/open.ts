// Opens the store the configuration asks for: PostgreSQL when DATABASE_URL is set, else SQLite at CRM_INFLUENCE_DB.
import type { AppConfig } from '../config.ts';
import type { Store } from './contract.ts';
import { SqliteStore } from './sqlite.ts';

export async function openStore(
  config: Pick<AppConfig, 'DATABASE_URL' | 'CRM_INFLUENCE_DB' | 'CRM_INFLUENCE_SECRET_KEY'>,
): Promise<Store> {
  const options = config.CRM_INFLUENCE_SECRET_KEY === undefined ? {} : { secretKey: config.CRM_INFLUENCE_SECRET_KEY };
  if (config.DATABASE_URL !== undefined) {
    throw new Error('not available yet: needs the PostgreSQL store (src/store/postgres.ts); unset DATABASE_URL to use SQLite');
  }
  return SqliteStore.open(config.CRM_INFLUENCE_DB, options);
}
