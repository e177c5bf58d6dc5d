// LinkedIn: no API gives other members' follower counts, so there is no adapter; its counts come from CSV import
// (csv-import.ts, `crm-influence import`). The descriptor still says so in `doctor` and sets its cache lifetime.
import { DEFAULT_PROVIDER_TTL_SECONDS, defineNetwork } from './descriptor.ts';

export const LINKEDIN_NETWORK = defineNetwork({
  network: 'linkedin',
  variables: [],
  cacheTtlSeconds: DEFAULT_PROVIDER_TTL_SECONDS,
  rateLimit: null,
  example: { handle: 'ada-lovelace', profileUrl: 'https://www.linkedin.com/in/ada-lovelace' },
  sandboxTwin: null,
  describe: () => ({
    network: 'linkedin',
    enabled: false,
    detail: "LinkedIn has no API for other members' follower counts",
    howToEnable:
      'import counts from CSV: `crm-influence import --file counts.csv` (columns: `crm-influence import --help`)',
  }),
  create: () => null,
});
