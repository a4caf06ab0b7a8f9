/**
 * The reconciler's memory is two generations of at most 10,000 connections. Connections that keep coming
 * back move between generations; whatever the pattern, it must stay bounded and never stall (it runs under
 * the state lock, on lines a local user can write with `logger`).
 */
import { createDeduper } from '../../lib/dedup';
import type { LoginEvent } from '../../lib/types';

const ev = (conn: number | string, ip = '192.0.2.4', evidence: LoginEvent['evidence'] = 'attempt'): LoginEvent => ({
  timeMs: 1_000_000,
  parser: 'sshd',
  outcome: 'failure',
  kind: 'password',
  ip,
  user: '',
  count: 1,
  conn,
  evidence,
});

test('connections coming back generation after generation: bounded, and each attempt still counted once', () => {
  const d = createDeduper();
  let next = 0;
  const live: number[] = [];
  const started = Date.now();
  for (let gen = 0; gen < 8; gen++) {
    // 10,000 new connections, then every connection seen so far once more (moved back from the older generation).
    // Summed, not one expect() per call: 80,000 expect calls took seconds, and the time bound below is for the deduper.
    const fresh: number[] = [];
    let firsts = 0;
    for (let i = 0; i < 10_000; i++) {
      fresh.push(next);
      firsts += d.count(ev(next++));
    }
    expect(firsts).toBe(10_000);
    let counted = 0;
    for (const k of live) counted += d.count(ev(k));
    // A connection still remembered adds one more attempt; a forgotten one counts as a new connection's first.
    expect(counted).toBe(live.length);
    live.push(...fresh);
  }
  expect(Date.now() - started).toBeLessThan(10_000);
});

test('the same PAM and sshd report of one attempt counts once; "ip:port" keys and pid reuse by another address', () => {
  const d = createDeduper();
  expect(d.count(ev(7, '192.0.2.4', 'pam'))).toBe(1);
  expect(d.count(ev(7, '192.0.2.4', 'attempt'))).toBe(0);
  expect(d.count(ev(7, '192.0.2.5', 'attempt'))).toBe(1); // pid 7 now serves another address: a new connection
  d.seenV4(7, 0xc0000204); // a banned 192.0.2.4 line on pid 7: the 192.0.2.5 connection is over
  expect(d.count(ev(7, '192.0.2.5', 'attempt'))).toBe(1);
  expect(d.count(ev('192.0.2.6:4022', '192.0.2.6', 'pam'))).toBe(1);
  expect(d.count(ev('192.0.2.6:4022', '192.0.2.6', 'attempt'))).toBe(0);
  // 30,000 other named connections later (two generations turned over), the old one is forgotten: counts anew.
  for (let i = 0; i < 30_000; i++) d.count(ev(`198.51.100.1:${i}`, '198.51.100.1'));
  expect(d.count(ev('192.0.2.6:4022', '192.0.2.6', 'attempt'))).toBe(1);
});

test('the tables grow from a small start without forgetting or confusing a connection', () => {
  // 9,000 connections (one generation's worth: the table doubles several times on the way), every other
  // one ended by a banned line on its pid, then each pid's second report of the same attempt.
  const d = createDeduper();
  const ip = (i: number) => `198.51.${100 + (i >> 8)}.${i & 255}`;
  const v4 = (i: number) => ((198 << 24) | (51 << 16) | ((100 + (i >> 8)) << 8) | (i & 255)) >>> 0;
  for (let i = 0; i < 9_000; i++) {
    expect(d.count(ev(i, ip(i), 'pam'))).toBe(1);
    if (i % 2) d.seenV4(i, 0xc0000201); // 192.0.2.1 (banned) now holds pid i: connection i is over
  }
  let counted = 0;
  for (let i = 0; i < 9_000; i++) counted += d.count({ ...ev(i, ip(i), 'attempt') }, v4(i));
  // Remembered connections (even pids) add nothing for the sshd line of the attempt PAM already reported;
  // ended ones (odd pids) start anew and count it.
  expect(counted).toBe(4_500);
  for (let i = 0; i < 9_000; i += 2) expect(d.count(ev(i, ip(i), 'pam'))).toBe(1); // the second attempt on each
});
