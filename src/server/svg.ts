// Charts as inline SVG drawn from numbers (no script, no external library): each has a <title> and an aria-label
// and the page shows the same figures as a table, so screen readers get the data too.
import type { SafeHtml } from './html.ts';
import { escapeHtml, raw } from './html.ts';

const fmt = (n: number): string => (Math.round(n * 10) / 10).toString();

export function histogram(bars: readonly { label: string; n: number }[], title: string): SafeHtml {
  const width = 640;
  const height = 220;
  const pad = { left: 48, bottom: 36, top: 12, right: 8 };
  const max = Math.max(1, ...bars.map((b) => b.n));
  const slot = (width - pad.left - pad.right) / Math.max(1, bars.length);
  const plotH = height - pad.top - pad.bottom;
  const rects = bars
    .map((b, i) => {
      const h = (b.n / max) * plotH;
      const x = pad.left + i * slot + 2;
      const y = pad.top + plotH - h;
      return (
        `<g class="bar"><rect x="${fmt(x)}" y="${fmt(y)}" width="${fmt(slot - 4)}" height="${fmt(h)}"><title>${escapeHtml(`${b.label}: ${b.n}`)}</title></rect>` +
        `<text x="${fmt(x + (slot - 4) / 2)}" y="${height - pad.bottom + 16}" text-anchor="middle">${escapeHtml(b.label)}</text></g>`
      );
    })
    .join('');
  const axis =
    `<text x="${pad.left - 6}" y="${pad.top + 10}" text-anchor="end">${max}</text><text x="${pad.left - 6}" y="${pad.top + plotH}" text-anchor="end">0</text>` +
    `<line x1="${pad.left}" y1="${pad.top + plotH}" x2="${width - pad.right}" y2="${pad.top + plotH}" class="axis"/>`;
  return raw(
    `<svg class="chart histogram" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeHtml(title)}"><title>${escapeHtml(title)}</title>${axis}${rects}</svg>`,
  );
}

/** Score history as a line, oldest on the left (points are given most recent first, as the store returns them). */
export function sparkline(points: readonly { at: string; score: number | null }[], title: string): SafeHtml {
  const width = 240;
  const height = 48;
  const scored = [...points].reverse().filter((p): p is { at: string; score: number } => p.score !== null);
  if (scored.length === 0) return raw(`<span class="muted">no scored history</span>`);
  const step = scored.length === 1 ? 0 : (width - 8) / (scored.length - 1);
  const coords = scored.map((p, i) => `${fmt(4 + i * step)},${fmt(height - 4 - (p.score / 100) * (height - 8))}`);
  const last = coords[coords.length - 1] ?? '0,0';
  const [lx, ly] = last.split(',');
  return raw(
    `<svg class="chart sparkline" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeHtml(title)}"><title>${escapeHtml(title)}</title>` +
      `<polyline points="${coords.join(' ')}"/><circle cx="${lx ?? 0}" cy="${ly ?? 0}" r="3"/></svg>`,
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

/** Tier counts per day as stacked bars. */
export function stackedDays(
  days: readonly { day: string; tiers: Record<string, number> }[],
  order: readonly string[],
  title: string,
): SafeHtml {
  const width = 640;
  const height = 160;
  const plotH = height - 30;
  if (days.length === 0) return raw('<p class="muted">No scores recorded in the last 30 days.</p>');
  const max = Math.max(1, ...days.map((d) => Object.values(d.tiers).reduce((a, b) => a + b, 0)));
  const slot = (width - 8) / days.length;
  const bars = days
    .map((d, i) => {
      let y = plotH;
      return order
        .map((tier) => {
          const n = d.tiers[tier] ?? 0;
          const h = (n / max) * (plotH - 8);
          y -= h;
          return n === 0
            ? ''
            : `<rect class="tier-${escapeHtml(tier)}" x="${fmt(4 + i * slot)}" y="${fmt(y)}" width="${fmt(Math.max(1, slot - 2))}" height="${fmt(h)}"><title>${escapeHtml(`${d.day} ${tier}: ${n}`)}</title></rect>`;
        })
        .join('');
    })
    .join('');
  const first = days[0]?.day ?? '';
  const lastDay = days[days.length - 1]?.day ?? '';
  return raw(
    `<svg class="chart stacked" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeHtml(title)}"><title>${escapeHtml(title)}</title>${bars}` +
      `<text x="4" y="${height - 6}">${escapeHtml(first)}</text><text x="${width - 4}" y="${height - 6}" text-anchor="end">${escapeHtml(lastDay)}</text></svg>` +
      `<ul class="legend" aria-hidden="true">${order.map((tier) => `<li><span class="swatch tier-${escapeHtml(tier)}"></span>${escapeHtml(tier)}</li>`).join('')}</ul>`,
  );
}
