/**
 * Property: whatever an attacker puts in a user name, the event's address is the real client's.
 * For every message format that carries a user name, fast-check plants random addresses (and the
 * fixed phrases that surround real addresses) into the name.
 */
import fc from 'fast-check';
import { parseSshd } from '../../lib/parsers/sshd';
import { parseProftpd } from '../../lib/parsers/proftpd';
import { parseIp } from '../../lib/ip';

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
  (u) => `Failed password for invalid user ${u} from ${REAL} port 58946 ssh2`,
];

const PROFTPD_FORMATS: ((u: string) => string)[] = [
  (u) => `2026-11-22 01:33:00,000 host proftpd[1] 127.0.0.1 (${REAL}[${REAL}]): USER ${u} (Login failed): Incorrect password`,
  (u) => `2026-11-22 01:33:00,000 host proftpd[1] 127.0.0.1 (${REAL}[${REAL}]): USER ${u}: no such user found from ${REAL} [${REAL}] to 127.0.0.1:21`,
  (u) => `2026-11-22 01:33:00,000 host proftpd[1] 127.0.0.1 (${REAL}[${REAL}]): USER ${u}: Login successful.`,
  (u) => `Nov 22 01:32:05 host proftpd[1]: 127.0.0.1 (client[${REAL}]) - USER ${u} (Login failed): Incorrect password`,
  (u) => `[22/Nov/2026:01:32:05 +0000] ${REAL} PASS 530 ${u}`,
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

test('the planted shapes are recognised in ordinary names (the formats above really are parsed)', () => {
  for (const f of [...SSHD_FORMATS]) expect(parseSshd(f('bob'), ctx)?.ip).toBe(REAL);
  for (const f of [...PROFTPD_FORMATS]) expect(parseProftpd(f('bob'), ctx)?.ip).toBe(REAL);
});

test('an address at the very end of a line is captured whole', () => {
  const ev = parseSshd('Nov 26 16:14:05 host sshd[1]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=192.0.2.25', ctx);
  expect(ev?.ip).toBe('192.0.2.25');
  expect(parseIp('192.0.2.25')).toBe('192.0.2.25');
});
