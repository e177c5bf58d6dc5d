// Revenue lift by influence tier: pure computation over deal outcomes and the tiers we wrote (see report.ts).
export { liftCsv, liftHeadline, liftRows, liftTableText } from './format.ts';
export type { LiftFilters, LiftReport, LiftRow, ScoredContact } from './report.ts';
export {
  computeLift,
  FRAMING,
  LiftFiltersSchema,
  LiftReportSchema,
  MIN_CLOSED_DEALS,
  MIN_CONTACTS,
  SCORE_BANDS,
  scoreBand,
} from './report.ts';
export { median, rateDifference, wilson, Z95, zFor } from './stats.ts';
