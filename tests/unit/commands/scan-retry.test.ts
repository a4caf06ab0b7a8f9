/** When the scan gives up on a rotated file it keeps having to leave to the next run (lib/commands/scan.ts). */
import { givenUp, leftAgain } from '../../../lib/commands/scan';
import type { FilePosition, Retry } from '../../../lib/log-reader';

const u: Retry = { file: '/var/log/auth.log.1.xz', why: 'xz was killed by SIGKILL', brief: 'xz was killed by SIGKILL', retry: true, dev: 1, ino: 9 };
const T0 = Date.UTC(2026, 10, 22, 1, 0, 0);
const MIN = 60_000;
const pos = (retried?: FilePosition['retried']): FilePosition => ({ dev: 1, ino: 2, offset: 10, head: 'first', ...(retried ? { retried } : {}) });

/** `runs` runs, each `gapMin` minutes after the one before: given up on at the last? */
function afterRuns(runs: number, gapMin: number): boolean {
  let p: FilePosition = pos();
  let x = leftAgain(p, u, T0);
  for (let i = 1; i < runs; i++) {
    p = pos([{ dev: u.dev, ino: u.ino, runs: x.runs, ...(x.since === undefined ? {} : { since: x.since }) }]);
    x = leftAgain(p, u, T0 + i * gapMin * MIN);
  }
  return givenUp(x, T0 + (runs - 1) * gapMin * MIN);
}

test.each([
  [3, 15, true], // cron */15: the third run, 30 minutes after the first
  [3, 12.5, true], // 25 minutes: the jitter sleep may shorten the cron gaps a little
  [2, 60, false], // never before the third run, however long
  [3, 0.3, false], // three runs by hand within a minute: a slow decompression, not given up on
  [20, 1, false], // 19 minutes of runs every minute
  [26, 1, true], // … and once 25 minutes have passed
])('%i runs %f minutes apart: given up on = %s', (runs, gap, expected) => {
  expect(afterRuns(runs, gap)).toBe(expected);
});

test('a record of an earlier version (no time): the run count alone decides; another file starts its own count and time', () => {
  const old = pos([{ dev: 1, ino: 9, runs: 2 }]);
  expect(givenUp(leftAgain(old, u, T0), T0)).toBe(true);
  expect(leftAgain(old, { ...u, ino: 10 }, T0)).toEqual({ u: { ...u, ino: 10 }, runs: 1, since: T0 });
});

test('a clock set back does not put the first failure in the future (which would hold the file back for as long)', () => {
  const x = leftAgain(pos([{ dev: 1, ino: 9, runs: 2, since: T0 + 24 * 60 * MIN }]), u, T0);
  expect(x).toMatchObject({ runs: 3, since: T0 });
});
