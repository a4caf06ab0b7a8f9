/**
 * Date#toISOString without the runtime call: a commit of a first big scan formats two dates for each of
 * tens of thousands of bans. Same text for every date in years 0000–9999 (tests/unit/iso-time.test.ts);
 * anything else is left to toISOString.
 */
const D2 = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));
const D3 = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));
const DAY_MS = 86_400_000;
const MAX_MS = 253_402_300_800_000; // 10000-01-01T00:00:00Z

// Bans found in one scan mostly share their day, and their expiry another: two days' texts are kept (one
// would be made again for every ban, which formats its start and its end).
let lastDay = NaN;
let lastDayText = '';
let otherDay = NaN;
let otherDayText = '';

/** "YYYY-MM-DDThh:mm:ss.sssZ" of `d`, exactly as d.toISOString(). */
export function isoTime(d: Date): string {
  const ms = d.getTime();
  if (!(ms >= 0 && ms < MAX_MS)) return d.toISOString();
  const days = Math.floor(ms / DAY_MS);
  let rem = ms - days * DAY_MS;
  if (days !== lastDay && days === otherDay) {
    otherDay = lastDay;
    lastDay = days;
    const text = lastDayText;
    lastDayText = otherDayText;
    otherDayText = text;
  } else if (days !== lastDay) {
    // Civil date from days since 1970-01-01 (H. Hinnant's days_from_civil, inverted).
    const z = days + 719_468;
    const era = Math.floor(z / 146_097);
    const doe = z - era * 146_097;
    const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
    const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
    const mp = Math.floor((5 * doy + 2) / 153);
    const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
    const month = mp < 10 ? mp + 3 : mp - 9;
    const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
    otherDay = lastDay;
    otherDayText = lastDayText;
    lastDay = days;
    lastDayText = `${String(year).padStart(4, '0')}-${D2[month]}-${D2[day]}T`;
  }
  const h = Math.floor(rem / 3_600_000);
  rem -= h * 3_600_000;
  const mi = Math.floor(rem / 60_000);
  rem -= mi * 60_000;
  const s = Math.floor(rem / 1000);
  return `${lastDayText}${D2[h]}:${D2[mi]}:${D2[s]}.${D3[rem - s * 1000]}Z`;
}
