/** Durations in the config and on the command line: plain seconds or 30s / 10m / 1h / 1d / 1w. */
const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/**
 * The longest duration accepted: 100 years. Beyond some 270,000 years a ban's end is no longer a valid
 * date (`--duration 999999999w` was an internal error); no window or ban needs more than this.
 */
export const MAX_DURATION_SEC = 100 * 365 * 86400;

/** Parses "300", "10m", "1d" to seconds; null when malformed or longer than MAX_DURATION_SEC. */
export function parseDuration(text: string): number | null {
  const m = /^\s*(\d{1,9})\s*([smhdw]?)\s*$/i.exec(text);
  // "1M" is a month to many readers, and a minute here would be a short ban no one meant: refused.
  if (!m || m[2] === 'M') return null;
  const sec = Number(m[1]) * (UNITS[(m[2] || 's').toLowerCase()] ?? 1);
  return sec > MAX_DURATION_SEC ? null : sec;
}

/** Parses a ban duration: like parseDuration, plus `0` / `permanent` / `never` meaning no expiry (null). */
export function parseBanDuration(text: string): number | null | undefined {
  if (/^\s*(permanent|never|forever)\s*$/i.test(text)) return null;
  const s = parseDuration(text);
  if (s === null) return undefined;
  return s === 0 ? null : s;
}

const FORMAT_UNITS = [['d', 86400], ['h', 3600], ['m', 60], ['s', 1]] as const;

/** Formats seconds compactly for humans, in at most two units: 90061 → "1d1h", 86400 → "1d". */
export function formatDuration(sec: number): string {
  if (sec < 1) return '0s';
  const rest = Math.round(sec);
  let i = 0;
  while (i < 3 && rest < FORMAT_UNITS[i]![1]) i++;
  const [u1, s1] = FORMAT_UNITS[i]!;
  const first = Math.floor(rest / s1);
  const next = FORMAT_UNITS[i + 1];
  const second = next ? Math.floor((rest - first * s1) / next[1]) : 0;
  return second > 0 ? `${first}${u1}${second}${(next as (typeof FORMAT_UNITS)[number])[0]}` : `${first}${u1}`;
}

/**
 * The time left until `until`, for humans: rounded up to the second, so a ban made a moment ago shows its
 * length ("1s", "10m"), not "0s" or "9m59s" for the milliseconds spent committing it. Past: "0s".
 */
export function formatRemaining(until: Date, now: Date): string {
  return formatDuration(Math.ceil((until.getTime() - now.getTime()) / 1000));
}
