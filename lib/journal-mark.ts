/**
 * Where a journal entry stands, apart from its cursor (pure; lib/scan-state.ts loads it without the reader and
 * its child_process): what a scan needs to go on after the last entry read when journalctl refuses the cursor.
 */

/**
 * Where an entry stands in the journal, kept beside the cursor (positions.json) so that a cursor journalctl
 * refuses still tells where the last read ended: its __REALTIME_TIMESTAMP, and its cursor's seqnum_id (s=) and
 * seqnum (i=, hex), which order one journald's entries exactly, across its rotated files ('' when the cursor
 * has none).
 */
export interface JournalMark {
  /** µs since the epoch. */
  us: number;
  s: string;
  i: string;
}

/** An entry's mark from its __CURSOR and __REALTIME_TIMESTAMP; null without a usable time. */
export function markOf(cursor: string, realtime: unknown): JournalMark | null {
  const us = typeof realtime === 'string' && /^\d{1,17}$/.test(realtime) ? Number(realtime) : NaN;
  if (!Number.isSafeInteger(us)) return null;
  const f = (k: string) => new RegExp(`(?:^|;)${k}=([0-9a-f]{1,32})(?:;|$)`).exec(cursor)?.[1] ?? '';
  const s = f('s');
  const i = f('i');
  return s && i ? { us, s, i } : { us, s: '', i: '' };
}

/** A mark as read back from positions.json (our own file, but edited or damaged: checked), or null. */
export function checkMark(v: unknown): JournalMark | null {
  const m = v as JournalMark;
  if (!m || typeof m !== 'object' || !Number.isSafeInteger(m.us) || m.us < 0 || typeof m.s !== 'string' || typeof m.i !== 'string') return null;
  const hex = /^(?:[0-9a-f]{1,32})?$/;
  if (!hex.test(m.s) || !hex.test(m.i) || (m.s === '') !== (m.i === '')) return null;
  return { us: m.us, s: m.s, i: m.i };
}

/**
 * Whether entry `e` was read already by the read that ended on `last`: by seqnum when both come from the same
 * sequence (exact, also for several entries in one microsecond or a clock set back), by time otherwise (a new
 * sequence: a volatile journal after a reboot, a journal directory copied from elsewhere).
 */
export function readBefore(e: JournalMark, last: JournalMark): boolean {
  if (e.s !== '' && e.s === last.s) return BigInt(`0x${e.i}`) <= BigInt(`0x${last.i}`);
  return e.us <= last.us;
}
