// Deal outcomes for the lift analytics: deals changed since the checkpoint through the search API (pages of 200,
// oldest change first, a new window from the last change seen when a search reaches HubSpot's 10,000-result cap),
// their contacts through the associations v4 batch read (1,000 deals a call), and which stage is won or lost from
// each pipeline's stage metadata (`isClosed`, `probability` 1.0 / 0.0: custom pipelines have numeric stage ids).
// So 10,000 changed deals cost 1 + 50 + 10 calls. Needs the `crm.objects.deals.read` scope. Read-only.
import { z } from 'zod';

import { SetupError } from '../../src/crm/errors.ts';
import type { Outcome, OutcomePage } from '../../src/crm/outcomes.ts';
import { parseOutcome } from '../../src/crm/outcomes.ts';
import type { HubSpotApi } from './api.ts';
import { HubSpotApiError } from './api.ts';

export const DEAL_SEARCH_PAGE = 200;
export const ASSOCIATION_BATCH = 1000;
const SEARCH_CAP = 10_000;
const PROPERTIES = ['amount', 'dealstage', 'pipeline', 'closedate', 'createdate', 'hs_lastmodifieddate'];

const CheckpointSchema = z.object({ v: z.literal(1), since: z.iso.datetime() });

const text = z.string().nullish();
const DealSchema = z.object({
  id: z.string().min(1),
  properties: z.object({
    amount: text,
    dealstage: text,
    pipeline: text,
    closedate: text,
    createdate: z.string(),
    hs_lastmodifieddate: z.string(),
  }),
});
type Deal = z.infer<typeof DealSchema>;

const AssociationsSchema = z.object({
  results: z.array(
    z.object({
      _from: z.object({ id: z.string() }),
      to: z.array(z.object({ toObjectId: z.union([z.string(), z.number()]).transform(String) })),
    }),
  ),
});

const PipelinesSchema = z.object({
  results: z.array(
    z.object({
      id: z.string(),
      stages: z.array(z.object({ id: z.string(), metadata: z.record(z.string(), z.string()).optional() })),
    }),
  ),
});

type StageOutcome = { isClosed: boolean; isWon: boolean };

const SCOPE_FIX =
  'add the crm.objects.deals.read scope to the private app (or reconnect the portal), then run it again';

async function readOrExplain<T>(
  api: HubSpotApi,
  lane: 'api' | 'search',
  what: string,
  fn: () => Promise<T>,
): Promise<T> {
  try {
    return await api.call('read', lane, what, fn);
  } catch (error) {
    if (error instanceof HubSpotApiError && error.status === 403)
      throw new SetupError(
        `HubSpot refused the ${what} (${error.category ?? 'HTTP 403'}): deals cannot be read`,
        SCOPE_FIX,
      );
    throw error;
  }
}

/** `pipeline/stage` → closed and won, from every deal pipeline's stage metadata. */
async function stageOutcomes(api: HubSpotApi): Promise<Map<string, StageOutcome>> {
  const answer = PipelinesSchema.parse(
    await readOrExplain(api, 'api', 'deal pipelines read', () => api.pipelines.pipelinesApi.getAll('deals')),
  );
  const stages = new Map<string, StageOutcome>();
  for (const pipeline of answer.results)
    for (const stage of pipeline.stages) {
      const isClosed = stage.metadata?.isClosed === 'true';
      stages.set(`${pipeline.id}/${stage.id}`, {
        isClosed,
        isWon: isClosed && Number(stage.metadata?.probability) === 1,
      });
    }
  return stages;
}

async function contactsOf(api: HubSpotApi, dealIds: readonly string[]): Promise<Map<string, string[]>> {
  const found = new Map<string, string[]>();
  for (let i = 0; i < dealIds.length; i += ASSOCIATION_BATCH) {
    const inputs = dealIds.slice(i, i + ASSOCIATION_BATCH).map((id) => ({ id }));
    const answer = AssociationsSchema.parse(
      await readOrExplain(api, 'api', 'deal associations batch read', () =>
        api.associations.batchApi.getPage('deals', 'contacts', { inputs }),
      ),
    );
    for (const r of answer.results)
      found.set(r._from.id, [...(found.get(r._from.id) ?? []), ...r.to.map((t) => t.toObjectId)]);
  }
  return found;
}

function toOutcome(raw: unknown, stages: Map<string, StageOutcome>, contacts: Map<string, string[]>) {
  const id = (raw as { id?: unknown } | null)?.id;
  const deal = typeof id === 'string' ? id : '(no id)';
  return parseOutcome(DealSchema, raw, deal, `HubSpot deal ${deal}`, (d: Deal) => {
    const p = d.properties;
    const stage = stages.get(`${p.pipeline ?? ''}/${p.dealstage ?? ''}`) ?? { isClosed: false, isWon: false };
    const amount = p.amount === null || p.amount === undefined || p.amount === '' ? null : Number(p.amount);
    return {
      id: d.id,
      contactIds: [...new Set(contacts.get(d.id) ?? [])],
      pipeline: p.pipeline ?? null,
      stage: p.dealstage ?? '',
      ...stage,
      amount: Number.isFinite(amount) ? amount : p.amount,
      createdAt: p.createdate,
      closeDate: p.closedate ? p.closedate.slice(0, 10) : null,
      modifiedAt: p.hs_lastmodifieddate,
    };
  });
}

export async function* readOutcomes(
  api: HubSpotApi,
  checkpoint: string | null,
  options: { searchIndexLagMs: number; now: () => number },
): AsyncIterable<OutcomePage> {
  let since = checkpoint === null ? null : CheckpointSchema.parse(JSON.parse(checkpoint)).since;
  // The search index trails writes: a window ends this long ago, so a late-indexed change is read next time.
  const until = new Date(options.now() - options.searchIndexLagMs).toISOString();
  const stages = await stageOutcomes(api);
  let after = 0;
  let batch: unknown[] = [];
  let latest = since;
  for (;;) {
    const filters = [
      ...(since === null ? [] : [{ propertyName: 'hs_lastmodifieddate', operator: 'GTE' as const, value: since }]),
      { propertyName: 'hs_lastmodifieddate', operator: 'LTE' as const, value: until },
    ];
    const page = await readOrExplain(api, 'search', 'deals search', () =>
      api.deals.searchApi.doSearch({
        filterGroups: [{ filters: filters as never }],
        sorts: ['hs_lastmodifieddate'],
        properties: PROPERTIES,
        limit: DEAL_SEARCH_PAGE,
        after: String(after),
      }),
    );
    batch.push(...page.results);
    const next = page.paging?.next?.after;
    const end = next === undefined;
    const capped = !end && Number(next) >= SEARCH_CAP;
    if (batch.length >= ASSOCIATION_BATCH || end || capped) {
      const ids = batch.map((d) => String((d as { id?: unknown }).id));
      const contacts = await contactsOf(api, ids);
      const outcomes: Outcome[] = [];
      const invalid: OutcomePage['invalid'] = [];
      for (const raw of batch) {
        const parsed = toOutcome(raw, stages, contacts);
        if (parsed.ok) {
          outcomes.push(parsed.outcome);
          if (latest === null || parsed.outcome.modifiedAt > latest) latest = parsed.outcome.modifiedAt;
        } else invalid.push({ id: parsed.id, message: parsed.message });
      }
      batch = [];
      // Oldest change first: everything up to the last change seen is read (GTE re-reads its second, harmlessly).
      const moved = end ? until : latest;
      yield { outcomes, invalid, checkpoint: moved === null ? '' : JSON.stringify({ v: 1, since: moved }) };
    }
    if (end) return;
    if (capped) {
      // A new search from the last change seen: past 10,000 results HubSpot answers nothing more.
      if (latest === since)
        throw new Error(
          `more than ${SEARCH_CAP} HubSpot deals changed at ${String(since)}: the search cannot page past them`,
        );
      since = latest;
      after = 0;
    } else after = Number(next);
  }
}
