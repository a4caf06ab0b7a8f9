/**
 * The reconciler's memory is two generations of at most 10,000 connections. Connections that keep coming
 * back move between generations; whatever the pattern, it must stay bounded and never stall (it runs under
 * the state lock, on lines a local user can write with `logger`).
 */
import { checkDedupState, createDeduper } from '../../lib/dedup';
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

test('what a run leaves open carries on into the next run: one attempt logged on both sides of the end counts once', () => {
  const a = createDeduper();
  const at = (conn: number | string, evidence: LoginEvent['evidence'], timeMs: number, count = 1): LoginEvent => ({ ...ev(conn, '192.0.2.4', evidence), timeMs, count });
  expect(a.count(at(7, 'attempt', 1_000))).toBe(1);
  expect(a.count(at(7, 'attempt', 2_000))).toBe(1);
  expect(a.count(at('192.0.2.4:4022', 'pam', 2_000))).toBe(1);
  const saved = JSON.parse(JSON.stringify(a.save())); // as history.bin keeps it
  const b = createDeduper(checkDedupState(saved) ?? undefined);
  // "PAM 2 more authentication failures": the first PAM failure and two more, the two Failed lines already counted.
  expect(b.count(at(7, 'pam_more', 3_000, 2))).toBe(1);
  expect(b.count(at('192.0.2.4:4022', 'attempt', 3_000))).toBe(0);
  // A fresh deduper (what every run had before) counts the summary line's three again.
  expect(createDeduper().count(at(7, 'pam_more', 3_000, 2))).toBe(3);
});

test('what is carried to the next run stays bounded: 20,000 attacking connections keep the newest 10,000, idle ones are dropped', () => {
  const d = createDeduper();
  const t0 = 1_790_000_000_000;
  // 20,000 connections, one a second (5.5 hours), each from its own address, each with one failure.
  const ip = (i: number) => `198.51.${100 + (i >> 8)}.${i & 255}`;
  for (let i = 0; i < 20_000; i++) d.count({ ...ev(i, ip(i), 'attempt'), timeMs: t0 + i * 1_000 });
  let s = d.save();
  // Only those within 6 minutes of the newest line (older ones are past any login deadline: over).
  expect(s && s.c.length / 9).toBe(361);
  expect(Math.min(...(s?.c.filter((_, j) => j % 9 === 0) as number[]))).toBe(20_000 - 361);
  // 20,000 connections within a minute: the newest 10,000.
  const e = createDeduper();
  for (let i = 0; i < 20_000; i++) e.count({ ...ev(i, ip(i), 'attempt'), timeMs: t0 + i * 3 });
  s = e.save();
  expect(s && s.c.length / 9).toBe(10_000);
  expect(JSON.stringify(s).length).toBeLessThan(500_000);
  const keys = new Set(s?.c.filter((_, j) => j % 9 === 0));
  expect([keys.has(9_999), keys.has(10_000), keys.has(19_999)]).toEqual([false, true, true]);
  // Carried on: the newest connections are remembered, the oldest count as new ones.
  const f = createDeduper(s ?? undefined);
  expect(f.count({ ...ev(19_999, ip(19_999), 'pam_more'), timeMs: t0 + 60_001 })).toBe(1);
  expect(f.count({ ...ev(5, ip(5), 'pam_more'), timeMs: t0 + 60_001 })).toBe(2);
  expect(createDeduper().save()).toBeNull();
});

test('a damaged carried state is refused whole (a scan then counts as a fresh one would), never a crash', () => {
  const good = { t: 5_000, c: [7, '192.0.2.4', 2, 0, 0, 0, 2, 0, 1_000] };
  expect(checkDedupState(good)).toBe(good);
  // A connection whose lines so far named a host (address ''), and one whose end was logged (connection 2 | 1).
  const held = { t: 5_000, c: [8, '', 0, 2, 0, 0, 0, 0, 1_000, 9, '192.0.2.4', 1, 0, 0, 3, 1, 0, 0] };
  expect(checkDedupState(held)).toBe(held);
  const bad: unknown[] = [
    null,
    'x',
    { t: 5_000 },
    { t: 'soon', c: good.c },
    { ...good, c: good.c.slice(0, 8) },
    { ...good, c: [-1, ...good.c.slice(1)] },
    { ...good, c: [2 ** 40, ...good.c.slice(1)] },
    { ...good, c: [7, 42, ...good.c.slice(2)] },
    { ...good, c: [7, '192.0.2.4', 2.5, ...good.c.slice(3)] },
    { ...good, c: [...good.c.slice(0, 5), 4, ...good.c.slice(6)] },
    { ...good, c: [...good.c.slice(0, 8), 16 * 60_000] },
    { t: 5_000, c: new Array(9 * 10_001).fill(0) },
  ];
  for (const b of bad) expect(checkDedupState(b)).toBeNull();
});

describe('UseDNS yes: PAM lines that name the client by host name (ip "") are held on their pid', () => {
  const T = 1_790_000_000_000;
  const at = (conn: number | string | undefined, ip: string, evidence: LoginEvent['evidence'], dt: number, count = evidence === 'address' || evidence === 'address_open' ? 0 : 1): LoginEvent => ({ ...ev(0, ip, evidence), conn, timeMs: T + dt, count });
  const named = (conn: number | undefined, dt: number, evidence: LoginEvent['evidence'] = 'pam') => at(conn, '', evidence, dt);

  test('counted for the address a later line of the same pid names, once, and never for the name', () => {
    const d = createDeduper();
    // keyboard-interactive: "error: PAM: Authentication failure for U from host.example.net" twice, then
    // "Connection closed by authenticating user U 203.0.113.5 port N [preauth]".
    expect(d.count(named(31, 0))).toBe(0);
    expect(d.count(named(31, 2_000))).toBe(0);
    const close = at(31, '203.0.113.5', 'address', 4_000);
    expect(d.count(close)).toBe(2);
    expect(close.ip).toBe('203.0.113.5');
    // An address line with nothing held counts nothing.
    expect(d.count(at(77, '203.0.113.6', 'address', 4_000))).toBe(0);
    // A host-named line without a pid (sshd -E's PAM lines in syslog) cannot be told to a connection.
    expect(d.count(named(undefined, 5_000))).toBe(0);
  });

  test('a pid whose address is known counts a host-named line at once, for that address', () => {
    const d = createDeduper();
    expect(d.count(at(43, '203.0.113.5', 'connection', 0))).toBe(1); // "Invalid user nosuch from 203.0.113.5 port N"
    const e = named(43, 1_000);
    expect(d.count(e)).toBe(0); // the same attempt as the connection's first
    expect(d.count(named(43, 2_000))).toBe(1);
    const third = named(43, 3_000);
    expect(d.count(third)).toBe(1);
    expect(third.ip).toBe('203.0.113.5');
    expect(d.count(at(43, '203.0.113.5', 'attempt', 3_001))).toBe(0); // its "Failed keyboard-interactive/pam" line
  });

  test('after its connection ended, a pid is another connection: its host-named lines never go to the earlier address', () => {
    const d = createDeduper();
    expect(d.count(at(48, '192.0.2.7', 'attempt', 0))).toBe(1);
    expect(d.count(at(48, '192.0.2.7', 'address', 1_000))).toBe(0);
    // "PAM 1 more authentication failure; … rhost=host" comes after the end and belongs to that connection.
    expect(d.count(named(48, 1_001, 'pam_more'))).toBe(1);
    // Pid 48 serves a new connection: its host-named line waits for that connection's own address.
    expect(d.count(named(48, 60_000))).toBe(0);
    expect(d.count(named(48, 62_000))).toBe(0);
    expect(d.count(at(48, '198.51.100.9', 'address', 63_000))).toBe(2);
  });

  test('held longer than a login can last, or its address banned: dropped, not counted', () => {
    const d = createDeduper();
    expect(d.count(named(60, 0))).toBe(0);
    expect(d.count(at(60, '203.0.113.5', 'address', 6 * 60_000 + 1))).toBe(0);
    expect(d.count(named(61, 0))).toBe(0);
    d.seenV4(61, 0xcb007105); // a line of pid 61 about 203.0.113.5, already banned
    expect(d.count(at(61, '203.0.113.5', 'address', 1_000))).toBe(0);
  });

  test('"Postponed keyboard-interactive … from IP" (address_open) gives held lines their address and the connection goes on', () => {
    // MaxAuthTries 6, LogLevel INFO: 3 host-named failures, then the 4th attempt's Postponed line, then its own.
    for (const fast of [false, true]) {
      const d = createDeduper();
      for (const dt of [0, 2_000, 4_000]) expect(d.count(named(35, dt))).toBe(0);
      const postponed = at(35, '203.0.113.5', 'address_open', 4_010);
      if (fast) {
        expect(d.address(35, '203.0.113.5', T + 4_010, false)).toBe(true);
      }
      expect(d.count(postponed)).toBe(3);
      expect(postponed.ip).toBe('203.0.113.5');
      // Not ended: the next host-named line is this connection's, counted at once.
      const fourth = named(35, 6_000);
      expect(d.count(fourth)).toBe(1);
      expect(fourth.ip).toBe('203.0.113.5');
      // Its "Failed keyboard-interactive/pam" line, the next Postponed line: nothing again.
      expect(d.count(at(35, '203.0.113.5', 'attempt', 6_001))).toBe(0);
      expect(d.address(35, '203.0.113.5', T + 6_010, false)).toBe(false);
      expect(d.count(at(35, '203.0.113.5', 'address_open', 6_010))).toBe(0);
      // Left to LoginGraceTime: nothing more is logged; 4 counted.
    }
    // With nothing held it counts nothing and remembers nothing.
    const d = createDeduper();
    expect(d.address(36, '203.0.113.5', T, false)).toBe(false);
    expect(d.count(at(36, '203.0.113.5', 'address_open', 0))).toBe(0);
    expect(d.save()).toBeNull();
  });

  test('what is held where a run ends is carried to the next run (address "")', () => {
    const a = createDeduper();
    expect(a.count(named(31, 0))).toBe(0);
    const saved = JSON.parse(JSON.stringify(a.save()));
    const b = createDeduper(checkDedupState(saved) ?? undefined);
    expect(b.count(named(31, 2_000))).toBe(0);
    expect(b.count(at(31, '203.0.113.5', 'address', 4_000))).toBe(2);
  });
});

test('a line dated in the future neither pushes the real connections out of the carried state nor stays in it forever', () => {
  const T = 1_790_000_000_000;
  const at = (conn: number, ip: string, dt: number): LoginEvent => ({ ...ev(conn, ip, 'attempt'), timeMs: T + dt });
  const carried = (s: ReturnType<ReturnType<typeof createDeduper>['save']>) => (s ? s.c.filter((_, j) => j % 9 === 0) : []);
  const a = createDeduper();
  a.count(at(1, '192.0.2.1', 0));
  a.count(at(2, '192.0.2.2', 86_400_000)); // dated a day ahead (a clock ahead, or a forged line)
  a.count(at(3, '192.0.2.3', 10_000)); // the read ends here
  // Before, the carried connections were those near the NEWEST time: pid 2 alone, run after run.
  expect(carried(a.save())).toEqual([1, 3]);
  // Read last, it is carried once; the next run, whose lines are of today again, drops it.
  const b = createDeduper();
  b.count(at(1, '192.0.2.1', 0));
  b.count(at(2, '192.0.2.2', 86_400_000));
  const s = JSON.parse(JSON.stringify(b.save()));
  expect(carried(s)).toEqual([2]);
  const c = createDeduper(checkDedupState(s) ?? undefined);
  c.count(at(4, '192.0.2.4', 20_000));
  expect(carried(c.save())).toEqual([4]);
});
