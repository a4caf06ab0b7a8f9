import { parseSshd } from '../../../lib/parsers/sshd';
import { parseProftpd } from '../../../lib/parsers/proftpd';

const line = (stamp: string) => `${stamp} host sshd[1]: Failed password for root from 192.0.2.1 port 1 ssh2`;

describe('times come from the log line', () => {
  test('year-less syslog date takes the current year', () => {
    const ev = parseSshd(line('Nov 26 16:12:20'), { nowMs: new Date(2026, 10, 27).getTime() });
    expect(ev!.timeMs).toBe(new Date(2026, 10, 26, 16, 12, 20).getTime());
  });
  test('a date that would be in the future belongs to the previous year (New Year rollover)', () => {
    const ev = parseSshd(line('Dec 31 23:59:58'), { nowMs: new Date(2027, 0, 1, 0, 5).getTime() });
    expect(ev!.timeMs).toBe(new Date(2026, 11, 31, 23, 59, 58).getTime());
  });
  test('impossible dates are no dates (never rolled into the next month); Feb 29 is last leap year\'s', () => {
    const now = { nowMs: new Date(2026, 11, 4).getTime() };
    for (const stamp of ['Feb 29 00:00:05', 'Feb 30 00:00:05', 'Nov 31 00:00:05', 'Apr 31 10:00:00']) expect(parseSshd(line(stamp), now)).toBeNull();
    expect(parseSshd(line('Feb 29 00:00:05'), { nowMs: new Date(2028, 2, 1).getTime() })!.timeMs).toBe(new Date(2028, 1, 29, 0, 0, 5).getTime());
    expect(parseSshd(line('Feb 29 00:00:05'), { nowMs: new Date(2029, 0, 10).getTime() })!.timeMs).toBe(new Date(2028, 1, 29, 0, 0, 5).getTime());
    expect(parseSshd(line('Feb 29 00:00:05'), { nowMs: new Date(2027, 0, 10).getTime() })).toBeNull(); // neither 2027 nor 2026 had one
    for (const stamp of ['2026-02-30T00:00:05+00:00', '2026-04-31T00:00:05Z']) expect(parseSshd(line(stamp), now)).toBeNull();
    expect(parseProftpd('2026-02-30 01:32:05,187 host proftpd[1] 127.0.0.1 (c[192.0.2.7]): USER bob (Login failed): Incorrect password', now)).toBeNull();
    expect(parseProftpd('[31/Apr/2026:01:32:05 +0100] 192.0.2.7 PASS 530 bob', now)).toBeNull();
  });
  test('RFC 3339 stamps keep their zone', () => {
    const ev = parseSshd(line('2026-11-22T01:36:50.392818+02:00'), { nowMs: 0 });
    expect(new Date(ev!.timeMs).toISOString()).toBe('2026-11-21T23:36:50.392Z');
  });
  test('sshd -E lines carry no time: the scan time stands in', () => {
    const now = Date.parse('2026-11-22T10:00:00Z');
    expect(parseSshd('Failed password for root from 192.0.2.1 port 1 ssh2', { nowMs: now })!.timeMs).toBe(now);
  });
  test('ProFTPD SystemLog time is local time with milliseconds', () => {
    const ev = parseProftpd('2026-11-22 01:32:05,187 host proftpd[1] 127.0.0.1 (c[192.0.2.7]): USER bob (Login failed): Incorrect password', { nowMs: 0 });
    expect(ev!.timeMs).toBe(new Date(2026, 10, 22, 1, 32, 5, 187).getTime());
  });
  test('ExtendedLog %t time honours its offset', () => {
    const ev = parseProftpd('[22/Nov/2026:01:32:05 +0100] 192.0.2.7 PASS 530 bob', { nowMs: 0 });
    expect(new Date(ev!.timeMs).toISOString()).toBe('2026-11-22T00:32:05.000Z');
  });
});

describe('ProFTPD local date-times (the second is remembered between lines)', () => {
  const { parseLocalDateTime } = require('../../../lib/parsers/time') as typeof import('../../../lib/parsers/time');
  const at = (ms: number) => new Date(2026, 10, 22, 1, 32, 5, ms).getTime();
  test.each([
    ['2026-11-22 01:32:05,187', at(187)],
    ['2026-11-22 01:32:05', at(0)],
    ['2026-11-22 01:32:05.5', at(500)],
    ['2026-11-22 01:32:05,123456', at(123)],
    ['2026-11-22 01:32:05,1234567', NaN],
    ['2026-11-22 01:32:05,', NaN],
    ['2026-11-22 01:32:05,12a', NaN],
    ['2026-11-22 01:32:05x', NaN],
    ['2026-11-22 01:32:05 ', NaN],
    ['2026-11-22T01:32:05,001', at(1)],
    ['2026-11-22 01:32:06,001', at(1001)],
  ])('%s', (text, want) => {
    // Parsed right after a line of the same second, and on its own: the same answer.
    parseLocalDateTime('2026-11-22 01:32:05,000');
    expect(parseLocalDateTime(text)).toEqual(want);
    parseLocalDateTime('2001-01-01 00:00:00');
    expect(parseLocalDateTime(text)).toEqual(want);
  });
});

describe('year-less syslog dates around New Year', () => {
  test("a January line read just before midnight on New Year's Eve is minutes old, not a year", () => {
    // The scan's "now" is taken when it starts; lines appended while it reads can be a little ahead of it.
    const ev = parseSshd(line('Jan  1 00:00:05'), { nowMs: new Date(2026, 11, 31, 23, 59, 50).getTime() });
    expect(ev!.timeMs).toBe(new Date(2027, 0, 1, 0, 0, 5).getTime());
  });
  test('a January line more than an hour ahead of a December now stays this January', () => {
    const ev = parseSshd(line('Jan  5 00:00:05'), { nowMs: new Date(2026, 11, 31, 23, 59, 50).getTime() });
    expect(ev!.timeMs).toBe(new Date(2026, 0, 5, 0, 0, 5).getTime());
    const old = parseSshd(line('Jan  1 05:00:00'), { nowMs: new Date(2026, 11, 31, 10, 0, 0).getTime() });
    expect(old!.timeMs).toBe(new Date(2026, 0, 1, 5, 0, 0).getTime());
  });
});

test('a syslog time with anything but digits in its fields is no time', () => {
  const now = { nowMs: new Date(2026, 11, 4).getTime() };
  for (const stamp of ['Nov 26 -1:-1:-1', 'Nov 26 16x12x20', 'Nov 2. 1.:1.:1.', 'Nov -6 16:12:20', 'Nov 26 +1:12:20', 'Nov 26 16:12: 0', 'Nov  x 16:12:20']) {
    expect([stamp, parseSshd(line(stamp), now)]).toEqual([stamp, null]);
  }
  expect(parseSshd(line('Nov  6 16:12:20'), now)!.timeMs).toBe(new Date(2026, 10, 6, 16, 12, 20).getTime());
  expect(parseSshd(line('Nov 06 16:12:20'), now)!.timeMs).toBe(new Date(2026, 10, 6, 16, 12, 20).getTime());
});
