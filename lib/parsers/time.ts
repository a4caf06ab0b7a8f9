/**
 * Timestamps found in log lines. Pure: the year of a year-less syslog date is inferred from `now`
 * (a date that would lie in the future belongs to the previous year, which handles New Year's Eve logs).
 */
const MONTHS: Record<string, number> = { Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11 };

/** Days in month `mon` (0-11) of `year`: a "Feb 30" or "Apr 31" is no date (Date would roll it into the next month). */
function daysIn(year: number, mon: number): number {
  return new Date(Date.UTC(year, mon + 1, 0)).getUTCDate();
}

/** Lines a little ahead of `now` (clock steps, NTP) still count as this year. */
const FUTURE_SLACK_MS = 86_400_000;
/** How far ahead of `now` a January line read in December may be to count as next year's. */
const NEXT_YEAR_SLACK_MS = 3_600_000;

/** The decimal digit at text[i], or NaN. */
function digit(text: string, i: number): number {
  const c = text.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : NaN;
}

/** Parses "Nov 26 16:12:20" (local time) to epoch ms, or NaN. */
export function parseSyslogTime(text: string, nowMs: number): number {
  // text is exactly 15 characters: "Mmm dd hh:mm:ss" (day space-padded).
  const mon = MONTHS[text.slice(0, 3)];
  if (mon === undefined || text.charCodeAt(3) !== 32 || text.charCodeAt(6) !== 32) return NaN;
  if (text.length !== 15 || text.charCodeAt(9) !== 58 || text.charCodeAt(12) !== 58) return NaN;
  // Digits only (Number() would take "-1", "1." or " 1" and roll "-1:-1:-1" into the day before).
  const d1 = text.charCodeAt(4);
  const day = (d1 === 32 ? 0 : digit(text, 4) * 10) + digit(text, 5);
  const h = digit(text, 7) * 10 + digit(text, 8);
  const mi = digit(text, 10) * 10 + digit(text, 11);
  const s = digit(text, 13) * 10 + digit(text, 14);
  if (!(day >= 1 && day <= 31 && h <= 23 && mi <= 59 && s <= 60)) return NaN;
  const nowDate = new Date(nowMs);
  let year = nowDate.getFullYear();
  // A January line read in December is next year's when that is at most the slack ahead: a line written just
  // after midnight on New Year's Eve, read by a scan whose "now" was taken just before it, is minutes old, not
  // a year (it would fall outside every window and never count).
  // Only within the hour: a year-old "Jan  1" line of a long-kept log read on Dec 31 stays a year old.
  if (mon === 0 && nowDate.getMonth() === 11) {
    const next = new Date(year + 1, mon, day, h, mi, s).getTime();
    if (next <= nowMs + NEXT_YEAR_SLACK_MS) return next;
  }
  let t = day <= daysIn(year, mon) ? new Date(year, mon, day, h, mi, s).getTime() : NaN;
  // In the future (or "Feb 29" of a common year): last year's, if that year has the day.
  if (!(t <= nowMs + FUTURE_SLACK_MS)) {
    year--;
    t = day <= daysIn(year, mon) ? new Date(year, mon, day, h, mi, s).getTime() : NaN;
  }
  return t;
}

/** A real calendar date and time of day (a leap second, :60, is allowed as syslog allows it). */
function validDate(year: number, mon: number, day: number, h: number, mi: number, s: number): boolean {
  return mon >= 0 && mon <= 11 && day >= 1 && day <= daysIn(year, mon) && h <= 23 && mi <= 59 && s <= 60;
}

/** The last "YYYY-MM-DD HH:MM:SS" parsed and its epoch ms: consecutive log lines mostly share their second. */
let lastSecond = '';
let lastSecondMs = NaN;

/** Milliseconds of a fraction "[,.]d{1,6}" at text[19..] ("" → 0), or -1 when it is not one. */
function fractionMs(text: string): number {
  const n = text.length - 20;
  if (text.length === 19) return 0;
  const sep = text.charCodeAt(19);
  if ((sep !== 44 && sep !== 46) || n < 1 || n > 6) return -1;
  let ms = 0;
  for (let i = 0; i < 3; i++) {
    const c = i < n ? text.charCodeAt(20 + i) : 48;
    if (c < 48 || c > 57) return -1;
    ms = ms * 10 + (c - 48);
  }
  for (let i = 3; i < n; i++) {
    const c = text.charCodeAt(20 + i);
    if (c < 48 || c > 57) return -1;
  }
  return ms;
}

/** Parses "2026-11-22 01:32:05,187" or "2026-11-22 01:32:05" (local time, ProFTPD) to epoch ms, or NaN. */
export function parseLocalDateTime(text: string): number {
  if (lastSecond !== '' && text.startsWith(lastSecond)) {
    const ms = fractionMs(text);
    return ms < 0 ? NaN : lastSecondMs + ms;
  }
  const m = /^(\d{4})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)(?:[,.](\d{1,6}))?$/.exec(text);
  if (!m) return NaN;
  const ms = m[7] ? Number(m[7].slice(0, 3).padEnd(3, '0')) : 0;
  if (!validDate(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]))) return NaN;
  const t = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]), ms).getTime();
  lastSecond = text.slice(0, 19);
  lastSecondMs = t - ms;
  return t;
}

/** Parses RFC 3339 "2026-11-22T01:36:50.392818+00:00" (rsyslog's high-precision format) to epoch ms, or NaN. */
export function parseRfc3339(text: string): number {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:?\d\d)$/.exec(text);
  if (!m) return NaN;
  const frac = m[2] ? `.${m[2].slice(0, 3).padEnd(3, '0')}` : '';
  const d = m[1] as string;
  if (!validDate(Number(d.slice(0, 4)), Number(d.slice(5, 7)) - 1, Number(d.slice(8, 10)), Number(d.slice(11, 13)), Number(d.slice(14, 16)), Number(d.slice(17, 19)))) return NaN;
  return Date.parse(`${m[1]}${frac}${m[3]}`);
}

/** Parses CLF "[22/Nov/2026:01:32:05 +0000]" (ProFTPD %t) to epoch ms, or NaN. */
export function parseClfTime(text: string): number {
  const m = /^\[(\d\d)\/([A-Z][a-z]{2})\/(\d{4}):(\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)\]$/.exec(text);
  if (!m) return NaN;
  const mon = MONTHS[m[2] as string];
  if (mon === undefined || !validDate(Number(m[3]), mon, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6]))) return NaN;
  const utc = Date.UTC(Number(m[3]), mon, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6]));
  const off = (Number(m[8]) * 60 + Number(m[9])) * 60_000;
  return m[7] === '+' ? utc - off : utc + off;
}
