// Composition root: which CRM connector, which providers, which model. Each part lives in its own `open-*.ts`
// file, imported only when a command needs it, so a missing part fails only the commands that need it.
import type { CrmConnector, CrmContact, CrmName } from '../crm/contract.ts';
import type { Identity, RejectedHandle } from '../identity/types.ts';
import type { ProviderAdapter } from '../providers/contract.ts';
import type { ScoreFunction, Tier } from '../scoring/types.ts';
import type { Connection } from '../store/contract.ts';
import { scoringKeyOf } from '../sync/fields.ts';
import { describeIssues } from '../zod-issues.ts';
import type { CliContext } from './context.ts';

export type OpenContext = CliContext;

export interface OpenedCrm {
  /** The store's connection id for this CRM org / portal (saved by `open`). */
  connectionId: string;
  connector: CrmConnector;
}

export interface OpenedProviders {
  providers: ProviderAdapter[];
  /** Changes with every import of counts (see ImportedCountsStore.stamp); null when none were imported. */
  importStamp: string | null;
  resolveIdentities: (contact: CrmContact) => { identities: Identity[]; rejected: RejectedHandle[] };
}

export interface OpenedModel {
  score: ScoreFunction;
  modelVersion: string;
  /**
   * What decides a contact's result besides its record and metrics (model version, scoring options, handle-field
   * mapping): when it changes, the next run re-reads and re-scores every contact.
   */
  scoringKey: string;
  /** The admin's tier labels, for connectors that can show them on the tier field. */
  tierLabels: Record<Tier, string>;
}

/**
 * The CRM connector: the org or portal the environment names, or the installed one. With `connection`, that
 * connection's own (a worker runs many orgs and portals, each with the credentials the store holds for it).
 */
export async function openCrm(crm: CrmName, ctx: OpenContext, connection?: Connection): Promise<OpenedCrm> {
  const module = crm === 'salesforce' ? await import('./open-salesforce.ts') : await import('./open-hubspot.ts');
  return module.open(ctx, connection);
}

export interface ProviderOpenOptions {
  /** Longest wait for a network's rate-limit reset (default: CRM_INFLUENCE_RATE_LIMIT_WAIT). */
  maxRateLimitWaitSeconds?: number;
}

export async function openProviders(ctx: OpenContext, options: ProviderOpenOptions = {}): Promise<OpenedProviders> {
  const module = await import('./open-providers.ts');
  return module.open(ctx, options);
}

/**
 * The scoring model, with options from the connection's settings when it has any. `importStamp` (from
 * openProviders) joins the scoring key: new imported counts reach every contact on the next run.
 */
export async function openModel(
  settings: Record<string, unknown> = {},
  importStamp: string | null = null,
): Promise<OpenedModel> {
  const { createScorer, MODEL_VERSION, ScoringOptionsSchema } = await import('../scoring/index.ts');
  const parsed = ScoringOptionsSchema.safeParse(settings.scoring ?? {});
  if (!parsed.success) {
    const problems = describeIssues(parsed.error, { prefix: 'scoring.' });
    throw new Error(`the connection's scoring settings are invalid: ${problems}`);
  }
  return {
    score: createScorer(parsed.data),
    modelVersion: MODEL_VERSION,
    scoringKey:
      scoringKeyOf(MODEL_VERSION, parsed.data, settings) + (importStamp === null ? '' : ` imports ${importStamp}`),
    tierLabels: parsed.data.tiers.labels,
  };
}
