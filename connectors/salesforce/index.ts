// The Salesforce CrmConnector (jsforce): incremental SOQL read of Contacts and Leads, Composite/Bulk 2.0 write-back,
// describe-based setup checks, and the org's API budget — see read.ts, write.ts, setup.ts, budget.ts, auth.ts.
import { z } from 'zod';

import type {
  ApiUsage,
  ContactPage,
  CrmConnector,
  OwnerTask,
  OwnerTaskResult,
  ReadOptions,
  ScoreUpdate,
  SetupReport,
  WriteResult,
} from '../../src/crm/contract.ts';
import type { OutcomePage } from '../../src/crm/outcomes.ts';
import { describeIssues } from '../../src/zod-issues.ts';
import { SalesforceApi } from './api.ts';
import { openSession } from './auth.ts';
import { ApiBudget } from './budget.ts';
import { BulkQuery } from './bulk-read.ts';
import type { SalesforceHooks, SalesforceOptions, SalesforceOptionsInput } from './options.ts';
import { parseSalesforceOptions } from './options.ts';
import { readOutcomes } from './outcomes.ts';
import { readContacts, type ReadContext } from './read.ts';
import { checkSetup } from './setup.ts';
import { createOwnerTasks } from './tasks.ts';
import { COLLECTION_SIZE, COLLECTIONS_PER_COMPOSITE, type WriteContext, writeScores } from './write.ts';

export { DEFAULT_HANDLE_MAPPING, SALESFORCE_FIELDS } from './field-map.ts';
export type { SalesforceHooks, SalesforceOptionsInput, SalesforceTokens } from './options.ts';
export { SalesforceOptionsSchema } from './options.ts';

/** Ids as Salesforce writes them: 15 characters, or 18 with the case-safe suffix; an org's start with 00D. */
const IdentitySchema = z.object({
  organization_id: z.string().regex(/^00D[A-Za-z0-9]{12}([A-Za-z0-9]{3})?$/, 'must be a Salesforce org id (00D…)'),
  user_id: z.string().regex(/^005[A-Za-z0-9]{12}([A-Za-z0-9]{3})?$/, 'must be a Salesforce user id (005…)'),
});

export interface SalesforceIdentity {
  organizationId: string;
  userId: string;
}

export class SalesforceConnector implements CrmConnector {
  readonly crm = 'salesforce' as const;
  /** One Composite call: 5 collections × 200 records. */
  readonly writeBatchSize = COLLECTION_SIZE * COLLECTIONS_PER_COMPOSITE;
  readonly options: SalesforceOptions;
  private readonly budget: ApiBudget;
  private readonly api: SalesforceApi;
  private readonly reading: ReadContext;
  private readonly writing: WriteContext;
  private userId: string | undefined;

  constructor(input: SalesforceOptionsInput, hooks: SalesforceHooks = {}) {
    this.options = parseSalesforceOptions(input);
    this.budget = new ApiBudget(this.options.budgetFloor);
    const session = openSession(this.options, hooks);
    // The token response names the user (`id` = …/id/<org>/<user>): no identity call needed after a refresh.
    session.conn.on('refresh', (_token: string, res?: { id?: string }) => {
      const user = res?.id?.split('/').pop();
      if (user && /^005\w{12}(\w{3})?$/.test(user)) this.userId ??= user;
    });
    this.api = new SalesforceApi(session, this.budget, this.options, hooks);
    this.reading = {
      api: this.api,
      options: this.options,
      userId: () => this.integrationUserId(),
      bulk: new BulkQuery(this.api, this.options),
    };
    this.writing = {
      api: this.api,
      budget: this.budget,
      options: this.options,
      sleep: hooks.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    };
  }

  checkSetup(): Promise<SetupReport> {
    return checkSetup(this.api, this.budget, this.options);
  }

  readContacts(cursor: string | null, options: ReadOptions): AsyncIterable<ContactPage> {
    return readContacts(this.reading, cursor, options);
  }

  writeScores(updates: readonly ScoreUpdate[]): Promise<WriteResult[]> {
    return writeScores(this.writing, updates);
  }

  createOwnerTasks(tasks: readonly OwnerTask[]): Promise<OwnerTaskResult[]> {
    return createOwnerTasks(this.api, tasks, () => new Date());
  }

  readOutcomes(checkpoint: string | null): AsyncIterable<OutcomePage> {
    return readOutcomes(this.api, checkpoint === '' ? null : checkpoint, this.options.overlapSeconds);
  }

  apiUsage(): ApiUsage {
    return this.budget.usage();
  }

  /** The integration user's id (its writes are ours): from the versioned root's identity URL, without a token in a URL. */
  async integrationUserId(): Promise<string> {
    if (this.userId) return this.userId;
    const fromSession = this.api.conn.userInfo?.id;
    if (fromSession) return (this.userId = fromSession);
    return (await this.identity()).userId;
  }

  /**
   * The org and the integration user, from the identity URL the versioned root names (help.salesforce.com
   * "Identity URLs": `organization_id`, `user_id`): the org id names the connection, whatever token reached it. A
   * token Salesforce refuses fails here with NeedsReauthError.
   */
  async identity(): Promise<SalesforceIdentity> {
    const resources = await this.api.call('other', 'resources', () =>
      this.api.conn.request<{ identity?: string }>(`/services/data/v${this.options.apiVersion}`),
    );
    if (!resources.identity) throw new Error('Salesforce did not return the identity URL of the integration user');
    const answer = await this.api.call(
      'other',
      'identity',
      () => this.api.conn.request<unknown>(resources.identity!),
      0,
    );
    const parsed = IdentitySchema.safeParse(answer);
    if (!parsed.success)
      throw new Error(`Salesforce identity URL answered unexpectedly: ${describeIssues(parsed.error)}`);
    this.userId ??= parsed.data.user_id;
    return { organizationId: parsed.data.organization_id, userId: parsed.data.user_id };
  }
}
