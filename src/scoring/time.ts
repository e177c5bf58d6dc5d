// Fast ISO-8601 → epoch ms: the model reads ~60 timestamps per contact, and Date.parse dominated the profile.
const DAY_MS = 86_400_000;

/** Two ASCII digits at `i` as a number (NaN when either is not a digit). */
function two(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48;
  const b = s.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : Number.NaN;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/** Epoch milliseconds of an ISO date-time (`YYYY-MM-DDTHH:MM[:SS[.fff]](Z|±HH:MM)`); other shapes fall back to Date.parse. */
export function parseIsoMs(s: string): number {
  if (s.length >= 17 && s.charCodeAt(4) === 45 && s.charCodeAt(7) === 45 && s.charCodeAt(13) === 58) {
    const year = two(s, 0) * 100 + two(s, 2);
    const month = two(s, 5);
    const day = two(s, 8);
    const hour = two(s, 11);
    const minute = two(s, 14);
    let i = 16;
    let seconds = 0;
    let fractionMs = 0;
    if (s.charCodeAt(i) === 58) {
      seconds = two(s, i + 1);
      i += 3;
      if (s.charCodeAt(i) === 46) {
        let scale = 100;
        i++;
        while (i < s.length) {
          const d = s.charCodeAt(i) - 48;
          if (d < 0 || d > 9) break;
          fractionMs += d * scale;
          scale /= 10;
          i++;
        }
      }
    }
    let offsetMinutes = Number.NaN;
    const tz = s.charCodeAt(i);
    if (tz === 90 /* Z */ && i === s.length - 1) offsetMinutes = 0;
    else if ((tz === 43 || tz === 45) && s.length === i + 6) {
      offsetMinutes = (tz === 45 ? -1 : 1) * (two(s, i + 1) * 60 + two(s, i + 4));
    }
    const ms =
      (daysFromCivil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + seconds - offsetMinutes * 60) * 1000 +
      Math.round(fractionMs);
    if (Number.isFinite(ms) && month >= 1 && month <= 12 && day >= 1 && day <= 31) return ms;
  }
  return Date.parse(s);
}

export function daysBetween(laterMs: number, earlierMs: number): number {
  return (laterMs - earlierMs) / DAY_MS;
}
