// What most commands need: validated configuration, the store and a logger (on stderr, so stdout stays clean for
// `--json` and tables). Opened once per command and always closed.
import { HubSpotPortals } from '../../connectors/hubspot/portals.ts';
import type { AppConfig } from '../config.ts';
import { ConfigError, loadConfig, loadConfigOf } from '../config.ts';
import type { SharedRateLimits } from '../http/rate-limit.ts';
import type { Logger } from '../log.ts';
import { createLogger } from '../log.ts';
import type { Store } from '../store/contract.ts';
import { openStore } from '../store/open.ts';
import { CliError } from './errors.ts';
import { stderrTerminal } from './terminal.ts';

export interface CliContext {
  config: AppConfig;
  store: Store;
  logger: Logger;
  /** What connectors of one HubSpot portal share in this process (limiter, token refresh); one per command. */
  hubspotPortals?: HubSpotPortals;
  /** The networks' rate-limit budgets shared with other workers (PostgreSQL); unset: this process's own. */
  networkBudgets?: SharedRateLimits;
}

export function loadCliConfig(env: Record<string, string | undefined> = process.env): AppConfig {
  try {
    return loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(error.message);
    throw error;
  }
}

/** Logs go to stderr as plain lines (`--log-format json`: JSON lines), never through the live progress line. */
/** What a command that reads only the store needs (`runs`, `migrate`): a bad schedule or network URL cannot stop it. */
export const STORE_VARIABLES = [
  'DATABASE_URL',
  'CRM_INFLUENCE_DB',
  'CRM_INFLUENCE_SECRET_KEY',
  'CRM_INFLUENCE_LOG_LEVEL',
] as const;
export type StoreConfig = Pick<AppConfig, (typeof STORE_VARIABLES)[number]>;

export function loadStoreConfig(env: Record<string, string | undefined> = process.env): StoreConfig {
  try {
    return loadConfigOf(STORE_VARIABLES, env);
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(error.message);
    throw error;
  }
}

/** Opens the store from its variables alone and always closes it. */
export async function withStore<T>(run: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(loadStoreConfig());
  try {
    return await run(store);
  } finally {
    await store.close();
  }
}

export function createCliLogger(config: Pick<AppConfig, 'CRM_INFLUENCE_LOG_LEVEL'>): Logger {
  return createLogger({
    level: config.CRM_INFLUENCE_LOG_LEVEL,
    destination: stderrTerminal.logDestination(),
    pretty: false,
  });
}

export async function withContext<T>(run: (ctx: CliContext) => Promise<T>): Promise<T> {
  const config = loadCliConfig();
  const logger = createCliLogger(config);
  const store = await openStore(config);
  try {
    return await run({ config, store, logger, hubspotPortals: new HubSpotPortals() });
  } finally {
    await store.close();
  }
}
