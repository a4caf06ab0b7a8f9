/** lib/journal-mark.ts: where a journal entry stands apart from its cursor, and which entries a read has had. */
import { checkMark, markOf, readBefore } from '../../lib/journal-mark';

const S = '739ad463348b4ceca5a9e69c95a3c93f';
const cursor = (i: string, s = S) => `s=${s};i=${i};b=6f1d3c1e2d4b4c0f9a1e2b3c4d5e6f70;m=1c9c380;t=5f7a1b2c3d4e5;x=9f8e7d6c5b4a3921`;

test('markOf takes the seqnum_id and seqnum from a real cursor and the time from __REALTIME_TIMESTAMP', () => {
  expect(markOf(cursor('4ece7'), '1795311410123456')).toEqual({ us: 1795311410123456, s: S, i: '4ece7' });
  // Not a cursor journald wrote (a test's stand-in): ordered by time alone.
  expect(markOf('c4', '1795311410123456')).toEqual({ us: 1795311410123456, s: '', i: '' });
  expect(markOf(cursor('1'), undefined)).toBeNull();
  expect(markOf(cursor('1'), '-5')).toBeNull();
  expect(markOf(cursor('1'), '99999999999999999')).toBeNull(); // past Number.MAX_SAFE_INTEGER
});

test('readBefore: by seqnum within one sequence (several entries in one microsecond, a clock set back), by time across sequences', () => {
  const last = { us: 1795311410123456, s: S, i: '4ece7' };
  const at = (i: string, us: number, s = S) => ({ us, s, i });
  expect(readBefore(at('4ece7', last.us), last)).toBe(true); // the last entry itself
  expect(readBefore(at('4ece6', last.us), last)).toBe(true);
  expect(readBefore(at('4ece8', last.us), last)).toBe(false); // same microsecond, written after
  expect(readBefore(at('4ece8', last.us - 60e6), last)).toBe(false); // the clock was set back a minute
  expect(readBefore(at('fffffffffffffffff0', 0), at('fffffffffffffffff1', 0))).toBe(true); // seqnums past 2^53
  // Another sequence (a volatile journal after a reboot): only the time can tell.
  expect(readBefore(at('1', last.us, 'aa'), last)).toBe(true);
  expect(readBefore(at('1', last.us + 1, 'aa'), last)).toBe(false);
  expect(readBefore({ us: last.us, s: '', i: '' }, last)).toBe(true);
});

test('checkMark accepts only what markOf makes', () => {
  const m = { us: 1795311410123456, s: S, i: '4ece7' };
  expect(checkMark(m)).toEqual(m);
  expect(checkMark({ us: 5, s: '', i: '' })).toEqual({ us: 5, s: '', i: '' });
  for (const bad of [null, 'x', [], { ...m, us: '1' }, { ...m, us: -1 }, { ...m, us: 1.5 }, { ...m, s: 'zz' }, { ...m, i: '' }, { us: 5, s: '', i: '1' }, { ...m, i: undefined }]) expect(checkMark(bad)).toBeNull();
});
