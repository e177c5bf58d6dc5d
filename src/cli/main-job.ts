// The main job (`npm start`): sync the CRM whose credentials are in the environment, else run the sandbox demo.
import type { AppConfig } from '../config.ts';
import { salesforceInEnvironment } from './open-salesforce.ts';

export function mainJobArgs(config: AppConfig, extra: readonly string[]): string[] {
  const salesforce = salesforceInEnvironment(config);
  const hubspot = config.HUBSPOT_ACCESS_TOKEN !== undefined;
  if (salesforce && hubspot) {
    throw new Error(
      'both Salesforce and HubSpot credentials are set: run `npm run cli -- sync --crm salesforce` or `--crm hubspot`',
    );
  }
  if (salesforce) return ['sync', '--crm', 'salesforce', ...extra];
  if (hubspot) return ['sync', '--crm', 'hubspot', ...extra];
  return ['demo', ...extra];
}
