/**
 * Property: whatever an attacker puts in a user name, the event's address is the real client's.
 * For every message format that carries a user name, fast-check plants random addresses (and the
 * fixed phrases that surround real addresses) into the name.
 */
import fc from 'fast-check';
import { parseSshd } from '../../lib/parsers/sshd';
import { parseProftpd } from '../../lib/parsers/proftpd';
import { parseIp } from '../../lib/ip';
import { EVENT, FALLBACK, NONE, newByteEvent } from '../../lib/parsers/bytes';
import { proftpdBytes } from '../../lib/parsers/proftpd-bytes';

const ctx = { nowMs: Date.parse('2026-11-27T00:00:00Z') };
const REAL = '192.0.2.10';

/** Planted text: an address in one of the shapes the real messages use, possibly repeated. */
const planted = fc
  .tuple(
    fc.oneof(fc.ipV4(), fc.ipV6()),
    fc.constantFrom(
      (ip: string) => `from ${ip}`,
      (ip: string) => `from ${ip} port 22`,
      (ip: string) => `from ${ip} port 22 ssh2`,
      (ip: string) => `from ${ip} port 22 ssh2:`,
      (ip: string) => `ssh2: from ${ip}`,
      (ip: string) => `ruser from ${ip}`,
      (ip: string) => `rhost=${ip}`,
      (ip: string) => ` user=x rhost=${ip}`,
      (ip: string) => `${ip} port 1: Too many authentication failures`,
      (ip: string) => `not allowed because x from ${ip}`,
      (ip: string) => `(x[${ip}])`,
      (ip: string) => `x[${ip}]): USER`,
      (ip: string) => `${ip} PASS 530`,
      (ip: string) => `: no such user found from ${ip} [${ip}] to 127.0.0.1:21`,
      (ip: string) => ` (Login failed): `,
      (ip: string) => `x ${ip} port 1: Change of username or service not allowed: (`,
    ),
    fc.string({ maxLength: 8 }),
    fc.integer({ min: 1, max: 3 }),
  )
  .map(([ip, shape, junk, times]) => Array.from({ length: times }, () => `${junk}${shape(ip)}`).join(' '));

const user = fc.tuple(fc.string({ maxLength: 6 }), planted, fc.string({ maxLength: 6 })).map(([a, p, b]) => `${a}${p}${b}`.replace(/[\r\n]/g, ' '));

const SSHD_FORMATS: ((u: string) => string)[] = [
  (u) => `Nov 26 16:14:00 host sshd[1]: Invalid user ${u} from ${REAL} port 41000`,
  (u) => `Nov 26 16:14:00 host sshd[1]: Invalid user ${u} from ${REAL}`,
  (u) => `Nov 26 16:14:00 host sshd[1]: Failed password for invalid user ${u} from ${REAL} port 58946 ssh2`,
  (u) => `Nov 26 16:14:00 host sshd[1]: Failed password for ${u} from ${REAL} port 58946 ssh2`,
  (u) => `Nov 26 16:14:00 host sshd[1]: Failed publickey for ${u} from ${REAL} port 58946 ssh2: RSA SHA256:abcDEF123`,
  (u) => `Nov 26 16:14:00 host sshd[1]: Accepted password for ${u} from ${REAL} port 58946 ssh2`,
  (u) => `Nov 26 16:14:00 host sshd[1]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=${REAL}  user=${u}`,
  (u) => `Nov 26 16:14:00 host sshd[1]: PAM 2 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=${REAL}  user=${u}`,
  (u) => `Nov 26 16:14:00 host sshd[1]: error: PAM: Authentication failure for ${u} from ${REAL}`,
  (u) => `Nov 26 16:14:00 host sshd[1]: User ${u} from ${REAL} not allowed because not listed in AllowUsers`,
  (u) => `Nov 26 16:14:00 host sshd[1]: error: maximum authentication attempts exceeded for ${u} from ${REAL} port 1 ssh2 [preauth]`,
  (u) => `Nov 26 16:14:00 host sshd[1]: Disconnecting invalid user ${u} ${REAL} port 5555: Too many authentication failures [preauth]`,
  (u) => `Nov 26 16:14:00 host sshd[1]: error: PAM: User not known to the underlying authentication module for illegal user ${u} from ${REAL}`,
  (u) => `Nov 26 16:14:00 host sshd[1]: error: PAM: authentication error for ${u} from ${REAL}`,
  // sshd cuts a user name at its first ":" (the BSD auth style) before it logs it; the service name is not cut.
  (u) => `Nov 26 16:14:00 host sshd[1]: Disconnecting invalid user ${u.replaceAll(':', '')} ${REAL} port 5555: Change of username or service not allowed: (${u.replaceAll(':', '')},ssh-connection) -> (x,${u}) [preauth]`,
  (u) => `Nov 26 16:14:00 host sshd[1]: Disconnecting authenticating user ${u.replaceAll(':', '')} ${REAL} port 5555: Change of username or service not allowed: (${u.replaceAll(':', '')},${u} [preauth]`,
  (u) => `Failed password for invalid user ${u} from ${REAL} port 58946 ssh2`,
];

const PROFTPD_FORMATS: ((u: string) => string)[] = [
  (u) => `2026-11-22 01:33:00,000 host proftpd[1] 127.0.0.1 (${REAL}[${REAL}]): USER ${u} (Login failed): Incorrect password`,
  (u) => `2026-11-22 01:33:00,000 host proftpd[1] 127.0.0.1 (${REAL}[${REAL}]): USER ${u}: no such user found from ${REAL} [${REAL}] to 127.0.0.1:21`,
  (u) => `2026-11-22 01:33:00,000 host proftpd[1] 127.0.0.1 (${REAL}[${REAL}]): USER ${u}: Login successful.`,
  (u) => `Nov 22 01:32:05 host proftpd[1]: 127.0.0.1 (client[${REAL}]) - USER ${u} (Login failed): Incorrect password`,
  (u) => `[22/Nov/2026:01:32:05 +0000] ${REAL} PASS 530 ${u}`,
  (u) => `2026-11-22 01:33:00,000 host proftpd[1] 127.0.0.1 (${REAL}[${REAL}]): ANON ${u} (Login failed): Limit access denies login`,
  (u) => `2026-11-22 01:33:00,000 host proftpd[1] 127.0.0.1 (${REAL}[${REAL}]): ANON ${u} (Login failed): Limit access denies login.`,
  (u) => `Nov 22 01:32:05 host proftpd[1]: 127.0.0.1 (client[${REAL}]) - ANON ${u} (Login failed): Limit access denies login`,
  (u) => `2026-11-22 01:33:00,000 host proftpd[1] 127.0.0.1 (${REAL}[${REAL}]): ANON ${u}: AnonRejectPasswords denies login`,
];

test.each(SSHD_FORMATS.map((f, i) => [i, f] as const))('sshd format %i: a planted address never replaces the client', (_i, format) => {
  fc.assert(
    fc.property(user, (u) => {
      const ev = parseSshd(format(u), ctx);
      // A name that makes the line unrecognisable is fine (nothing banned); a recognised line must name the client.
      return ev === null || ev.ip === REAL;
    }),
    { numRuns: 300 },
  );
});

test.each(PROFTPD_FORMATS.map((f, i) => [i, f] as const))('proftpd format %i: a planted address never replaces the client', (_i, format) => {
  fc.assert(
    fc.property(user, (u) => {
      const ev = parseProftpd(format(u), ctx);
      return ev === null || ev.ip === REAL;
    }),
    { numRuns: 300 },
  );
});

/** Lines ProFTPD writes with the USER argument in them that are not failures, whatever the name says. */
const PROFTPD_NOT_FAILURES: ((u: string) => string)[] = [
  (u) => `2026-11-22 01:33:00,000 host proftpd[1] 127.0.0.1 (${REAL}[${REAL}]): USER ${u}: Login successful.`,
  (u) => `2026-11-22 01:33:00,000 host proftpd[1] 127.0.0.1 (${REAL}[${REAL}]): USER ${u}: Authenticated without password`,
  (u) => `Nov 22 01:32:05 host proftpd[1]: 127.0.0.1 (client[${REAL}]) - USER ${u}: Authenticated without password`,
  (u) => `2026-11-22 01:33:00,000 host proftpd[1] 127.0.0.1 (${REAL}[${REAL}]): ANON AUTH: User ftp, authenticating using alias ${u}`,
];

/** Names that try to end the real message early or start a new one: ProFTPD logs the USER argument as sent. */
const forging = fc
  .tuple(
    fc.string({ maxLength: 4 }),
    fc.constantFrom(' (Login failed): ', ' (Login failed): Incorrect password', ' (Login failed): Limit access denies login', 'ANON AUTH: ', ': AnonRejectPasswords denies login', ': no such user found from a [198.51.100.1] to b:21', ') (client[198.51.100.1]): ', ']): USER y', ': Login successful.', '\r', '\t', '\u00e9', '\udc80', '\u0000'),
    fc.string({ maxLength: 4 }),
    fc.constantFrom(' (Login failed): Incorrect password', ' (Login failed): No such user found', ' (Login failed): Limit access denies login', ' (Login failed): Limit access denies login.', ': ', ']', ')', ''),
  )
  .map(([a, b, c, d]) => `${a}${b}${c}${d}`.replace(/\n/g, ' '));

test.each(PROFTPD_NOT_FAILURES.map((f, i) => [i, f] as const))('proftpd non-failure %i: no name makes it a failure', (_i, format) => {
  fc.assert(
    fc.property(fc.oneof(user, forging), (u) => {
      const ev = parseProftpd(format(u), ctx);
      return ev === null || (ev.outcome === 'success' && ev.ip === REAL);
    }),
    { numRuns: 300 },
  );
});

test.each([...PROFTPD_FORMATS, ...PROFTPD_NOT_FAILURES].map((f, i) => [i, f] as const))('proftpd format %i: the byte path agrees with the reference parser whatever the name', (_i, format) => {
  fc.assert(
    fc.property(fc.oneof(user, forging), (u) => {
      // The scan reads bytes: the reference parser sees the line as decoded from them.
      const b = Buffer.from(`${format(u)}\n`);
      const line = b.toString('utf8', 0, b.length - 1);
      const ref = parseProftpd(line, ctx);
      const ev = newByteEvent();
      const r = proftpdBytes(b, 0, b.length - 1, ev);
      if (r === FALLBACK) return true;
      if (r === NONE) return ref === null;
      expect(r).toBe(EVENT);
      const got = { ip: b.toString('latin1', ev.ipFrom, ev.ipTo), user: b.toString('utf8', ev.userFrom, ev.userTo), outcome: ev.outcome, kind: ev.kind, timeMs: ev.timeMs, conn: ev.conn };
      expect([line, got]).toEqual([line, ref && { ip: ref.ip, user: ref.user, outcome: ref.outcome, kind: ref.kind, timeMs: ref.timeMs, conn: ref.conn }]);
      return true;
    }),
    { numRuns: 300 },
  );
});

test('the planted shapes are recognised in ordinary names (the formats above really are parsed)', () => {
  for (const f of [...SSHD_FORMATS]) expect(parseSshd(f('bob'), ctx)?.ip).toBe(REAL);
  for (const f of [...PROFTPD_FORMATS]) expect(parseProftpd(f('bob'), ctx)?.ip).toBe(REAL);
  expect(parseProftpd(PROFTPD_NOT_FAILURES[0]!('bob'), ctx)?.outcome).toBe('success');
});

test('an address at the very end of a line is captured whole', () => {
  const ev = parseSshd('Nov 26 16:14:05 host sshd[1]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=192.0.2.25', ctx);
  expect(ev?.ip).toBe('192.0.2.25');
  expect(parseIp('192.0.2.25')).toBe('192.0.2.25');
});
