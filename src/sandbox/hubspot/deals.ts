// The portal's deals, generated from the population's deals (../deals.ts), as far as the lift analytics read them:
// - `POST /crm/v3/objects/deals/search`: filters and one sort on the deal properties below, pages of ≤ 200 and the
//   10,000-result cap, as for contacts (the CRM search guide; crm-apis.md §2.2);
// - `POST /crm/v4/associations/deals/contacts/batch/read`: ≤ 1,000 ids, each deal's contacts with association type 3
//   "deal to contact" (associations v4 guide, type ids table; @hubspot/api-client's
//   BatchResponsePublicAssociationMultiWithLabel);
// - `GET /crm/v3/pipelines/deals`: the default sales pipeline with HubSpot's internal stage ids and an "Enterprise"
//   pipeline with numeric stage ids, as custom pipelines have: which stage is won or lost is only in each stage's
//   `metadata` (`isClosed`, `probability` "1.0" won / "0.0" lost; the pipelines guide).
// Deals need the `crm.objects.deals.read` scope.
import type { DealSource, DealWorldOptions, SandboxDeal } from '../deals.ts';
import { generateDeals } from '../deals.ts';
import { validationError } from './errors.ts';
import { parseSearchRequest, SEARCH_RESULT_CAP } from './search.ts';

export const DEAL_TO_CONTACT = 3;
export const ASSOCIATION_BATCH_LIMIT = 1000;
const DEAL_ID_BASE = 5_000_000_000;

interface Stage {
  id: string;
  label: string;
  isClosed: boolean;
  probability: string;
}
const PIPELINES: { id: string; label: string; stages: Stage[] }[] = [
  {
    id: 'default',
    label: 'Sales Pipeline',
    stages: [
      { id: 'appointmentscheduled', label: 'Appointment Scheduled', isClosed: false, probability: '0.2' },
      { id: 'qualifiedtobuy', label: 'Qualified To Buy', isClosed: false, probability: '0.4' },
      { id: 'contractsent', label: 'Contract Sent', isClosed: false, probability: '0.9' },
      { id: 'closedwon', label: 'Closed Won', isClosed: true, probability: '1.0' },
      { id: 'closedlost', label: 'Closed Lost', isClosed: true, probability: '0.0' },
    ],
  },
  {
    id: '75123456',
    label: 'Enterprise',
    stages: [
      { id: '75123457', label: 'Discovery', isClosed: false, probability: '0.1' },
      { id: '75123458', label: 'Security review', isClosed: false, probability: '0.5' },
      { id: '75123459', label: 'Signed', isClosed: true, probability: '1.0' },
      { id: '75123460', label: 'Lost to competitor', isClosed: true, probability: '0.0' },
    ],
  },
];

const NUMERIC = new Set(['amount', 'closedate', 'createdate', 'hs_lastmodifieddate', 'hs_object_id']);
const PROPERTIES = new Set(['dealname', 'dealstage', 'pipeline', ...NUMERIC]);

function stageOf(deal: SandboxDeal): { pipeline: string; stage: string } {
  const pipeline = PIPELINES[deal.pipeline === 'default' ? 0 : 1]!;
  const stages = pipeline.stages;
  const stage = !deal.isClosed
    ? stages[deal.index % (stages.length - 2)]!
    : stages.find((s) => s.isClosed && (s.probability === '1.0') === deal.isWon)!;
  return { pipeline: pipeline.id, stage: stage.id };
}

export class DealStore {
  private deals: SandboxDeal[] | undefined;
  private readonly values: Map<string, string | null>[] = [];
  private readonly source: DealSource;
  private readonly world: DealWorldOptions;
  private readonly now: number;

  constructor(source: DealSource, world: DealWorldOptions, now: number) {
    this.source = source;
    this.world = world;
    this.now = now;
  }

  all(): SandboxDeal[] {
    if (this.deals === undefined) {
      this.deals = generateDeals(this.source, this.world, this.now);
      for (const deal of this.deals) {
        const { pipeline, stage } = stageOf(deal);
        const modified = Math.min(this.now, deal.isClosed ? deal.closeAt + 43_200_000 : deal.createdAt);
        this.values.push(
          new Map<string, string | null>([
            ['hs_object_id', String(DEAL_ID_BASE + deal.index + 1)],
            ['dealname', `Deal ${deal.index + 1}`],
            ['amount', String(deal.amount)],
            ['pipeline', pipeline],
            ['dealstage', stage],
            ['createdate', new Date(deal.createdAt).toISOString()],
            ['closedate', new Date(deal.closeAt).toISOString()],
            ['hs_lastmodifieddate', new Date(modified).toISOString()],
          ]),
        );
      }
    }
    return this.deals;
  }

  private indexOf(id: string): number | undefined {
    this.all();
    const index = Number(id) - DEAL_ID_BASE - 1;
    return Number.isInteger(index) && index >= 0 && index < this.values.length ? index : undefined;
  }

  /** A person moves a deal (another stage, amount…): hs_lastmodifieddate moves. */
  edit(id: string, properties: Record<string, string | null>, at: number): void {
    const index = this.indexOf(id);
    if (index === undefined) throw new Error(`sandbox: no deal with id ${id}`);
    for (const [name, value] of Object.entries(properties)) this.values[index]!.set(name, value);
    this.values[index]!.set('hs_lastmodifieddate', new Date(at).toISOString());
  }

  private view(index: number, properties: readonly string[]) {
    const values = this.values[index]!;
    const out: Record<string, string | null> = {};
    for (const name of new Set(['hs_object_id', 'createdate', 'hs_lastmodifieddate', ...properties]))
      if (PROPERTIES.has(name)) out[name] = values.get(name) ?? null;
    return {
      id: values.get('hs_object_id')!,
      properties: out,
      createdAt: values.get('createdate')!,
      updatedAt: values.get('hs_lastmodifieddate')!,
      archived: false,
    };
  }

  search(body: unknown, baseUrl: string) {
    this.all();
    const req = parseSearchRequest(body);
    if (req.after >= SEARCH_RESULT_CAP)
      throw validationError(
        `Search results are limited to ${SEARCH_RESULT_CAP} per query; after=${req.after} pages past that limit. Narrow the query (for example by hs_lastmodifieddate) instead of paging further.`,
      );
    for (const name of [
      ...req.filterGroups.flatMap((g) => g.filters.map((f) => f.propertyName)),
      ...req.sorts.map((s) => s.propertyName),
    ])
      if (!PROPERTIES.has(name)) throw validationError(`Property "${name}" does not exist on object type deals.`);
    const key = (index: number, name: string): number | string | null => {
      const raw = this.values[index]!.get(name) ?? null;
      if (raw === null || !NUMERIC.has(name)) return raw?.toLowerCase() ?? null;
      return /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : Date.parse(raw);
    };
    const given = (name: string, value: string | undefined): number | string => {
      if (value === undefined) return '';
      if (!NUMERIC.has(name)) return value.toLowerCase();
      return /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : Date.parse(value);
    };
    const matches = (index: number): boolean =>
      req.filterGroups.length === 0 ||
      req.filterGroups.some((g) =>
        g.filters.every((f) => {
          const actual = key(index, f.propertyName);
          const value = given(f.propertyName, f.value);
          if (f.operator === 'HAS_PROPERTY') return actual !== null;
          if (f.operator === 'NOT_HAS_PROPERTY') return actual === null;
          if (actual === null) return false;
          switch (f.operator) {
            case 'EQ':
              return actual === value;
            case 'NEQ':
              return actual !== value;
            case 'GT':
              return actual > value;
            case 'GTE':
              return actual >= value;
            case 'LT':
              return actual < value;
            case 'LTE':
              return actual <= value;
            case 'IN':
              return (f.values ?? []).some((v) => given(f.propertyName, v) === actual);
            default:
              throw validationError(`The sandbox does not filter deals with ${f.operator}.`);
          }
        }),
      );
    const hits = this.values.map((_, i) => i).filter(matches);
    const sort = req.sorts[0];
    if (sort !== undefined) {
      const dir = sort.direction === 'DESCENDING' ? -1 : 1;
      hits.sort((a, b) => {
        const x = key(a, sort.propertyName);
        const y = key(b, sort.propertyName);
        if (x === y) return a - b;
        if (x === null) return 1;
        if (y === null) return -1;
        return (x < y ? -1 : 1) * dir;
      });
    }
    const end = Math.min(req.after + req.limit, SEARCH_RESULT_CAP);
    const properties = req.properties ?? ['dealname', 'amount', 'dealstage', 'pipeline', 'closedate'];
    const next = req.after + req.limit;
    return {
      total: hits.length,
      results: hits.slice(req.after, end).map((i) => this.view(i, properties)),
      ...(req.limit > 0 && next < hits.length
        ? { paging: { next: { after: String(next), link: `${baseUrl}/crm/v3/objects/deals/search?after=${next}` } } }
        : {}),
    };
  }

  associations(body: unknown) {
    const inputs = (body as { inputs?: unknown } | undefined)?.inputs;
    if (!Array.isArray(inputs) || inputs.some((i) => typeof (i as { id?: unknown })?.id !== 'string'))
      throw validationError('Invalid input JSON: inputs must be an array of { "id": string }');
    if (inputs.length > ASSOCIATION_BATCH_LIMIT)
      throw validationError(
        `Batch input limit exceeded: got ${inputs.length} inputs; the limit is ${ASSOCIATION_BATCH_LIMIT}.`,
      );
    const deals = this.all();
    const startedAt = new Date().toISOString();
    const results = [];
    for (const { id } of inputs as { id: string }[]) {
      const index = this.indexOf(id);
      if (index === undefined) continue;
      const deal = deals[index]!;
      const contacts = [deal.personIndex, ...(deal.secondPersonIndex === null ? [] : [deal.secondPersonIndex])];
      results.push({
        from: { id },
        // The SDK's model types toObjectId as a string (int64) and label as optional; the guide's examples show a
        // number and `label: null`. The connector reads either.
        to: contacts.map((person) => ({
          toObjectId: String(person + 1),
          associationTypes: [{ category: 'HUBSPOT_DEFINED', typeId: DEAL_TO_CONTACT }],
        })),
      });
    }
    return { status: 'COMPLETE', results, startedAt, completedAt: new Date().toISOString() };
  }

  pipelines() {
    const at = new Date(this.now - 400 * 86_400_000).toISOString();
    return {
      results: PIPELINES.map((p, i) => ({
        id: p.id,
        label: p.label,
        displayOrder: i,
        archived: false,
        createdAt: at,
        updatedAt: at,
        stages: p.stages.map((s, k) => ({
          id: s.id,
          label: s.label,
          displayOrder: k,
          archived: false,
          createdAt: at,
          updatedAt: at,
          writePermissions: 'CRM_PERMISSIONS_ENFORCEMENT',
          metadata: { isClosed: String(s.isClosed), probability: s.probability },
        })),
      })),
    };
  }
}
