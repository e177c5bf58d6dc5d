// Charts as inline SVG drawn from numbers (no script, no external library): each has a <title> and an aria-label
// and the page shows the same figures as a table, so screen readers get the data too.
import type { SafeHtml } from './html.ts';
import { escapeHtml, raw } from './html.ts';

const fmt = (n: number): string => (Math.round(n * 10) / 10).toString();

/** Round tick values (1, 2 or 5 × 10ⁿ apart, at least 1) from 0 to the first at or above `max`. */
export function ticks(max: number, count = 5): number[] {
  const rough = Math.max(1, max / count);
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= rough) ?? 10 * magnitude;
  const top = Math.max(step, Math.ceil(max / step) * step);
  return Array.from({ length: Math.round(top / step) + 1 }, (_, i) => i * step);
}

/** Bars with a titled, ticked count axis (left) and a titled band axis (bottom). */
export function histogram(
  bars: readonly { label: string; n: number }[],
  title: string,
  axes: { x: string; y: string },
): SafeHtml {
  const width = 640;
  const height = 240;
  const pad = { left: 64, bottom: 52, top: 12, right: 8 };
  const yTicks = ticks(Math.max(1, ...bars.map((b) => b.n)));
  const max = yTicks[yTicks.length - 1] ?? 1;
  const slot = (width - pad.left - pad.right) / Math.max(1, bars.length);
  const plotH = height - pad.top - pad.bottom;
  const yOf = (n: number) => pad.top + plotH - (n / max) * plotH;
  const grid = yTicks
    .map(
      (t) =>
        `<line x1="${pad.left}" y1="${fmt(yOf(t))}" x2="${width - pad.right}" y2="${fmt(yOf(t))}" class="${t === 0 ? 'axis' : 'grid'}"/>` +
        `<text x="${pad.left - 6}" y="${fmt(yOf(t) + 4)}" text-anchor="end">${t.toLocaleString('en-US')}</text>`,
    )
    .join('');
  const rects = bars
    .map((b, i) => {
      const x = pad.left + i * slot + 2;
      return (
        `<g class="bar"><rect x="${fmt(x)}" y="${fmt(yOf(b.n))}" width="${fmt(slot - 4)}" height="${fmt(plotH - (yOf(b.n) - pad.top))}"><title>${escapeHtml(`${b.label}: ${b.n}`)}</title></rect>` +
        `<text x="${fmt(x + (slot - 4) / 2)}" y="${pad.top + plotH + 16}" text-anchor="middle">${escapeHtml(b.label)}</text></g>`
      );
    })
    .join('');
  const titles =
    `<text class="axis-title" x="${fmt(pad.left + (width - pad.left - pad.right) / 2)}" y="${height - 8}" text-anchor="middle">${escapeHtml(axes.x)}</text>` +
    `<text class="axis-title" x="14" y="${fmt(pad.top + plotH / 2)}" text-anchor="middle" transform="rotate(-90 14 ${fmt(pad.top + plotH / 2)})">${escapeHtml(axes.y)}</text>`;
  return raw(
    `<svg class="chart histogram" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeHtml(title)}"><title>${escapeHtml(title)}</title>${grid}${rects}${titles}</svg>`,
  );
}

/**
 * Score history on a 0–100 scale, oldest on the left (points are given most recent first, as the store returns them).
 * Each point carries its score and date; the latest is labelled, so one point alone still reads as "81 on 7 Dec".
 */
export function scoreHistory(points: readonly { at: string; score: number | null }[], title: string): SafeHtml {
  const width = 320;
  const height = 96;
  const pad = { left: 28, right: 28, top: 10, bottom: 22 };
  const scored = [...points].reverse().filter((p): p is { at: string; score: number } => p.score !== null);
  if (scored.length === 0) return raw('');
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const xOf = (i: number) =>
    scored.length === 1 ? pad.left + plotW / 2 : pad.left + (i / (scored.length - 1)) * plotW;
  const yOf = (score: number) => pad.top + plotH - (score / 100) * plotH;
  const grid = [0, 50, 100]
    .map(
      (t) =>
        `<line x1="${pad.left}" y1="${fmt(yOf(t))}" x2="${width - pad.right}" y2="${fmt(yOf(t))}" class="grid"/>` +
        `<text x="${pad.left - 4}" y="${fmt(yOf(t) + 4)}" text-anchor="end">${t}</text>`,
    )
    .join('');
  const day = (at: string) => at.slice(0, 10);
  const line =
    scored.length > 1
      ? `<polyline points="${scored.map((p, i) => `${fmt(xOf(i))},${fmt(yOf(p.score))}`).join(' ')}"/>`
      : '';
  const dots = scored
    .map(
      (p, i) =>
        `<circle cx="${fmt(xOf(i))}" cy="${fmt(yOf(p.score))}" r="3.5"><title>${escapeHtml(`${p.score} on ${day(p.at)}`)}</title></circle>`,
    )
    .join('');
  const last = scored[scored.length - 1]!;
  const lastX = xOf(scored.length - 1);
  const value = `<text class="value" x="${fmt(lastX + 6)}" y="${fmt(yOf(last.score) - 6)}">${last.score}</text>`;
  const first = scored[0]!;
  const dates =
    scored.length === 1
      ? `<text x="${fmt(lastX)}" y="${height - 6}" text-anchor="middle">${escapeHtml(day(last.at))}</text>`
      : `<text x="${pad.left}" y="${height - 6}">${escapeHtml(day(first.at))}</text><text x="${width - pad.right}" y="${height - 6}" text-anchor="end">${escapeHtml(day(last.at))}</text>`;
  return raw(
    `<svg class="chart history" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeHtml(title)}"><title>${escapeHtml(title)}</title>${grid}${line}${dots}${value}${dates}</svg>`,
  );
}

/** A half-circle gauge of the API budget left (fraction 0–1), red below the floor. */
export function gauge(fraction: number | null, floor: number, title: string): SafeHtml {
  const width = 200;
  const height = 116;
  const r = 80;
  const cx = 100;
  const cy = 100;
  const arc = (f: number): string => {
    const angle = Math.PI * (1 - Math.min(1, Math.max(0, f)));
    return `${fmt(cx + r * Math.cos(angle))} ${fmt(cy - r * Math.sin(angle))}`;
  };
  const track = `<path class="track" d="M ${cx - r} ${cy} A ${r} ${r} 0 0 1 ${cx + r} ${cy}"/>`;
  if (fraction === null) {
    return raw(
      `<svg class="chart gauge" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeHtml(title)}: unknown"><title>${escapeHtml(title)}</title>${track}<text x="${cx}" y="${cy - 10}" text-anchor="middle">unknown</text></svg>`,
    );
  }
  const low = fraction < floor ? ' low' : '';
  const value = `<path class="value${low}" d="M ${cx - r} ${cy} A ${r} ${r} 0 0 1 ${arc(fraction)}"/>`;
  const label = `${Math.round(fraction * 100)}% left`;
  return raw(
    `<svg class="chart gauge" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeHtml(`${title}: ${label}`)}"><title>${escapeHtml(title)}</title>${track}${value}` +
      `<text x="${cx}" y="${cy - 10}" text-anchor="middle">${escapeHtml(label)}</text></svg>`,
  );
}

const DAY_MS = 86_400_000;

/**
 * Tier counts per day as stacked bars on a fixed axis of the last `span` days ending `today` (YYYY-MM-DD), so one day
 * of history is one bar at the right, not a band across the chart; says where the history starts.
 */
export function stackedDays(
  days: readonly { day: string; tiers: Record<string, number> }[],
  order: readonly string[],
  title: string,
  today: string,
  span = 30,
): SafeHtml {
  if (days.length === 0) return raw(`<p class="muted">No scores recorded in the last ${span} days.</p>`);
  const width = 640;
  const height = 180;
  const pad = { left: 56, right: 8, top: 8, bottom: 24 };
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const end = Date.parse(`${today}T00:00:00Z`);
  const start = end - (span - 1) * DAY_MS;
  const yTicks = ticks(Math.max(1, ...days.map((d) => Object.values(d.tiers).reduce((a, b) => a + b, 0))), 3);
  const max = yTicks[yTicks.length - 1] ?? 1;
  const slot = plotW / span;
  const grid = yTicks
    .map((t) => {
      const y = pad.top + plotH - (t / max) * plotH;
      return (
        `<line x1="${pad.left}" y1="${fmt(y)}" x2="${width - pad.right}" y2="${fmt(y)}" class="${t === 0 ? 'axis' : 'grid'}"/>` +
        `<text x="${pad.left - 6}" y="${fmt(y + 4)}" text-anchor="end">${t.toLocaleString('en-US')}</text>`
      );
    })
    .join('');
  const bars = days
    .map((d) => {
      const index = Math.round((Date.parse(`${d.day}T00:00:00Z`) - start) / DAY_MS);
      if (!(index >= 0 && index < span)) return '';
      let y = pad.top + plotH;
      return order
        .map((tier) => {
          const n = d.tiers[tier] ?? 0;
          const h = (n / max) * plotH;
          y -= h;
          return n === 0
            ? ''
            : `<rect class="tier-${escapeHtml(tier)}" x="${fmt(pad.left + index * slot + 1)}" y="${fmt(y)}" width="${fmt(Math.max(1, slot - 2))}" height="${fmt(h)}"><title>${escapeHtml(`${d.day} ${tier}: ${n}`)}</title></rect>`;
        })
        .join('');
    })
    .join('');
  const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  const first = [...days].map((d) => d.day).sort()[0] ?? today;
  const note =
    first === today
      ? 'History starts today: a bar is added for each day with a run.'
      : first > isoDay(start)
        ? `History starts ${first}.`
        : '';
  return raw(
    `<svg class="chart stacked" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeHtml(title)}"><title>${escapeHtml(title)}</title>${grid}${bars}` +
      `<text x="${pad.left}" y="${height - 6}">${escapeHtml(isoDay(start))}</text><text x="${width - pad.right}" y="${height - 6}" text-anchor="end">${escapeHtml(today)}</text></svg>` +
      `<ul class="legend" aria-hidden="true">${order.map((tier) => `<li><span class="swatch tier-${escapeHtml(tier)}"></span>${escapeHtml(tier)}</li>`).join('')}</ul>` +
      (note === '' ? '' : `<p class="muted history-note">${escapeHtml(note)}</p>`),
  );
}

/**
 * Rates with their intervals: a dot per group and a whisker from low to high on a 0–100 % axis, a dashed line at the
 * reference rate (the org's), and the sample size under each label. A group without a rate shows "no closed deals".
 */
export function intervalChart(
  rows: readonly {
    label: string;
    rate: number | null;
    low: number | null;
    high: number | null;
    n: number;
    tier?: string;
  }[],
  title: string,
  axes: { x: string; y: string },
  reference: number | null,
): SafeHtml {
  const width = 640;
  const height = 260;
  const pad = { left: 56, bottom: 66, top: 12, right: 8 };
  const top = Math.min(1, Math.max(0.2, ...rows.map((r) => r.high ?? 0), reference ?? 0));
  const max = Math.ceil(top * 10) / 10;
  const plotH = height - pad.top - pad.bottom;
  const yOf = (p: number) => pad.top + plotH - (p / max) * plotH;
  const slot = (width - pad.left - pad.right) / Math.max(1, rows.length);
  const yTicks = Array.from({ length: Math.round(max * 10) + 1 }, (_, i) => i / 10).filter(
    (t, i, all) => all.length <= 6 || i % 2 === 0,
  );
  const grid = yTicks
    .map(
      (t) =>
        `<line x1="${pad.left}" y1="${fmt(yOf(t))}" x2="${width - pad.right}" y2="${fmt(yOf(t))}" class="${t === 0 ? 'axis' : 'grid'}"/>` +
        `<text x="${pad.left - 6}" y="${fmt(yOf(t) + 4)}" text-anchor="end">${Math.round(t * 100)} %</text>`,
    )
    .join('');
  const marks = rows
    .map((r, i) => {
      const cx = pad.left + i * slot + slot / 2;
      const label =
        `<text x="${fmt(cx)}" y="${pad.top + plotH + 16}" text-anchor="middle">${escapeHtml(r.label)}</text>` +
        `<text x="${fmt(cx)}" y="${pad.top + plotH + 30}" text-anchor="middle" class="n">n = ${r.n.toLocaleString('en-US')}</text>`;
      if (r.rate === null || r.low === null || r.high === null)
        return `<g>${label}<text x="${fmt(cx)}" y="${fmt(yOf(0) - 8)}" text-anchor="middle" class="none">no closed deals</text></g>`;
      const text = `${r.label}: ${(r.rate * 100).toFixed(1)} % (95 % interval ${(r.low * 100).toFixed(1)}–${(r.high * 100).toFixed(1)} %), ${r.n} closed deals`;
      const cls = r.tier === undefined ? '' : ` tier-${escapeHtml(r.tier)}`;
      return (
        `<g class="interval"><title>${escapeHtml(text)}</title>` +
        `<line class="whisker" x1="${fmt(cx)}" y1="${fmt(yOf(r.low))}" x2="${fmt(cx)}" y2="${fmt(yOf(r.high))}"/>` +
        `<line class="whisker" x1="${fmt(cx - 8)}" y1="${fmt(yOf(r.low))}" x2="${fmt(cx + 8)}" y2="${fmt(yOf(r.low))}"/>` +
        `<line class="whisker" x1="${fmt(cx - 8)}" y1="${fmt(yOf(r.high))}" x2="${fmt(cx + 8)}" y2="${fmt(yOf(r.high))}"/>` +
        `<circle class="dot${cls}" cx="${fmt(cx)}" cy="${fmt(yOf(r.rate))}" r="6"/>${label}</g>`
      );
    })
    .join('');
  const ref =
    reference === null
      ? ''
      : `<line class="reference" x1="${pad.left}" y1="${fmt(yOf(reference))}" x2="${width - pad.right}" y2="${fmt(yOf(reference))}"/>` +
        `<text class="reference-label" x="${pad.left + 4}" y="${fmt(yOf(reference) - 5)}" text-anchor="start">all contacts ${(reference * 100).toFixed(1)} %</text>`;
  const titles =
    `<text class="axis-title" x="${fmt(pad.left + (width - pad.left - pad.right) / 2)}" y="${height - 8}" text-anchor="middle">${escapeHtml(axes.x)}</text>` +
    `<text class="axis-title" x="14" y="${fmt(pad.top + plotH / 2)}" text-anchor="middle" transform="rotate(-90 14 ${fmt(pad.top + plotH / 2)})">${escapeHtml(axes.y)}</text>`;
  return raw(
    `<svg class="chart intervals" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeHtml(title)}"><title>${escapeHtml(title)}</title>${grid}${ref}${marks}${titles}</svg>`,
  );
}
