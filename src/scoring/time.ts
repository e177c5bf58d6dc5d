// Fast ISO-8601 → epoch ms: the model reads ~60 timestamps per contact, and Date.parse dominated the profile.
const DAY_MS = 86_400_000;

function digits(s: string, from: number, count: number): number {
  let value = 0;
  for (let i = from; i < from + count; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return Number.NaN;
    value = value * 10 + d;
  }
  return value;
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
    const year = digits(s, 0, 4);
    const month = digits(s, 5, 2);
    const day = digits(s, 8, 2);
    const hour = digits(s, 11, 2);
    const minute = digits(s, 14, 2);
    let i = 16;
    let seconds = 0;
    let fractionMs = 0;
    if (s.charCodeAt(i) === 58) {
      seconds = digits(s, i + 1, 2);
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
      offsetMinutes = (tz === 45 ? -1 : 1) * (digits(s, i + 1, 2) * 60 + digits(s, i + 4, 2));
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
