// Opens the store the configuration asks for: PostgreSQL when DATABASE_URL is set, else SQLite at CRM_INFLUENCE_DB.
import type { AppConfig } from '../config.ts';
import type { Store } from './contract.ts';
import { SqliteStore } from './sqlite.ts';

export async function openStore(
  config: Pick<AppConfig, 'DATABASE_URL' | 'CRM_INFLUENCE_DB' | 'CRM_INFLUENCE_SECRET_KEY'>,
): Promise<Store> {
  const options = config.CRM_INFLUENCE_SECRET_KEY === undefined ? {} : { secretKey: config.CRM_INFLUENCE_SECRET_KEY };
  if (config.DATABASE_URL !== undefined) {
    const { PostgresStore } = await import('./postgres.ts');
    return PostgresStore.open({ connectionString: config.DATABASE_URL, ...options });
  }
  return SqliteStore.open(config.CRM_INFLUENCE_DB, options);
}
