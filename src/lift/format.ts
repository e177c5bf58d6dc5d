// The lift table as text (the CLI), CSV (downloads) and one line (the demo's last word).
import type { LiftReport, LiftRow } from './report.ts';

const percent = (x: number | null): string => (x === null ? '—' : `${(x * 100).toFixed(1)} %`);
const money = (x: number | null): string => (x === null ? '—' : Math.round(x).toLocaleString('en-US'));
const interval = (r: LiftRow): string =>
  r.winRateInterval === null
    ? '—'
    : `${(r.winRateInterval.low * 100).toFixed(1)}–${(r.winRateInterval.high * 100).toFixed(1)} %`;

export function liftRows(report: LiftReport): LiftRow[] {
  return [...report.tiers, report.unscored, report.org];
}

export function liftTableText(report: LiftReport): string {
  const header = [
    'Tier',
    'Contacts',
    'With deal',
    'Closed',
    'Win rate',
    '95 % interval',
    'Lift',
    'Pipeline/100',
    'Median days',
    'Verdict',
  ];
  const lines = liftRows(report).map((r) => [
    r.group,
    String(r.contacts),
    percent(r.shareWithDeals),
    String(r.closed),
    percent(r.winRate),
    interval(r),
    r.lift === null ? '—' : `${r.lift.toFixed(2)}×`,
    money(r.pipelinePer100),
    r.medianDaysToClose === null ? '—' : String(Math.round(r.medianDaysToClose)),
    r.verdict ?? '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const render = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [render(header), ...lines.map(render), '', report.framing].join('\n');
}

/** One line per tier that can be judged, e.g. "Tier A wins 41.2 % (34.0–48.8 %) vs 30.1 % overall: higher". */
export function liftHeadline(report: LiftReport): string {
  const a = report.tiers[0]!;
  if (a.winRate === null || report.org.winRate === null)
    return 'Revenue lift: no closed deals credited to contacts yet';
  return `Revenue lift: tier A wins ${percent(a.winRate)} (${interval(a)}, ${a.closed} closed deals) vs ${percent(report.org.winRate)} overall: ${a.verdict ?? ''}`;
}

const CSV_COLUMNS: (
  Exclude<keyof LiftRow, 'winRateInterval' | 'difference'> | 'winRateLow' | 'winRateHigh' | 'kind'
)[] = [
  'kind',
  'group',
  'contacts',
  'contactsWithDeals',
  'shareWithDeals',
  'deals',
  'closed',
  'won',
  'winRate',
  'winRateLow',
  'winRateHigh',
  'lift',
  'avgWonAmount',
  'pipelinePer100',
  'medianDaysToClose',
  'verdict',
];

function csvCell(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'number' ? String(Math.round(value * 1e6) / 1e6) : String(value);
  // Quote when needed; a leading =, +, -, @ would be a formula in a spreadsheet.
  const safe = /^[=+\-@]/.test(text) && typeof value !== 'number' ? `'${text}` : text;
  return /[",\n\r]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

export function liftCsv(report: LiftReport): string {
  const rows = [
    ...report.tiers.map((r) => ['tier', r] as const),
    ['tier', report.unscored] as const,
    ['org', report.org] as const,
    ...report.bands.map((r) => ['score band', r] as const),
  ];
  const lines = rows.map(([kind, r]) =>
    CSV_COLUMNS.map((c) =>
      csvCell(
        c === 'kind'
          ? kind
          : c === 'winRateLow'
            ? r.winRateInterval?.low
            : c === 'winRateHigh'
              ? r.winRateInterval?.high
              : r[c],
      ),
    ).join(','),
  );
  return `${[CSV_COLUMNS.join(','), ...lines].join('\r\n')}\r\n`;
}
