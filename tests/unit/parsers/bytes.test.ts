/**
 * The byte-level fast path (lib/parsers/bytes.ts) must never disagree with the reference parsers: for every
 * line it either answers FALLBACK (the scanner then asks the reference parser) or says exactly what the
 * reference parser says — no event, the same event, or "an address already banned" for the same address and
 * connection. Checked on every fixture and captured daemon line, and on generated near-misses: attack lines
 * with bytes inserted, dropped or replaced (control characters, brackets, invalid UTF-8 …).
 * A second test keeps the fast path fast: the shapes a brute-force attack fills a log with are decided
 * without falling back.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { PARSERS_IN_PLACE, type ParseContext } from '../../../lib/parsers';
import { BannedSet } from '../../../lib/banned-set';
import { BANNED, EVENT, FALLBACK, NONE, decide, newByteEvent } from '../../../lib/parsers/bytes';
import { sshdBytes } from '../../../lib/parsers/sshd-bytes';
import { proftpdBytes } from '../../../lib/parsers/proftpd-bytes';
import { FIXTURE_DIR, readFixture } from '../../helpers/fixtures';

const nowMs = Date.parse('2026-11-27T00:00:00Z');
const CAPTURED = path.join(FIXTURE_DIR, 'captured');
const FAST = { sshd: sshdBytes, proftpd: proftpdBytes };
type Parser = keyof typeof FAST;

type Outcome =
  | { r: 'none' }
  | { r: 'banned'; conn: number | undefined; ip: string }
  | { r: 'event'; timeMs: number; outcome: string; kind: string; ip: string; user: string; conn: unknown; evidence: string; count: number };

function reference(parser: Parser, line: string, banned: BannedSet): Outcome {
  let hit: Outcome | null = null;
  const ctx: ParseContext = { nowMs, banned, onBanned: (conn, t, from, to) => (hit = { r: 'banned', conn, ip: t.slice(from, to) }) };
  const ev = PARSERS_IN_PLACE[parser]!(line, 0, line.length, ctx);
  if (hit) return hit;
  if (!ev) return { r: 'none' };
  return { r: 'event', timeMs: ev.timeMs, outcome: ev.outcome, kind: ev.kind, ip: ev.ip, user: ev.user, conn: ev.conn, evidence: ev.evidence, count: ev.count };
}

/** The fast path on the line's bytes, placed inside a chunk between other lines. */
function fast(parser: Parser, bytes: Buffer, banned: BannedSet): Outcome | 'fallback' {
  const before = Buffer.from('Nov 27 00:00:00 host sshd[9]: Failed password for x from 198.51.100.1 port 1 ssh2\n');
  const after = Buffer.from('\n2026-11-22 01:32:05,187 h proftpd[1] s (a[198.51.100.2]): USER x (Login failed): Incorrect password\n');
  const buf = Buffer.concat([before, bytes, after]);
  const ev = newByteEvent();
  let r = FAST[parser](buf, before.length, before.length + bytes.length, ev, nowMs);
  if (r === FALLBACK) return 'fallback';
  if (r === EVENT) r = decide(ev, banned);
  if (r === NONE) return { r: 'none' };
  const ip = buf.toString('latin1', ev.ipFrom, ev.ipTo);
  if (r === BANNED) return { r: 'banned', conn: ev.conn, ip };
  expect(r).toBe(EVENT);
  const user = buf.toString('utf8', ev.userFrom, ev.userTo);
  return { r: 'event', timeMs: ev.timeMs, outcome: ev.outcome, kind: ev.kind, ip, user, conn: ev.conn, evidence: ev.evidence, count: ev.count };
}

/** Checks one line both without bans and with its own address banned; returns what the fast path answered. */
function agree(parser: Parser, bytes: Buffer): (Outcome | 'fallback')[] {
  const line = bytes.toString('utf8');
  const out: (Outcome | 'fallback')[] = [];
  const alone = reference(parser, line, new BannedSet());
  const sets = [new BannedSet(), new BannedSet(['203.0.113.254'])];
  if (alone.r === 'event') sets.push(new BannedSet([alone.ip]));
  for (const banned of sets) {
    const f = fast(parser, bytes, banned);
    if (f !== 'fallback') expect([line, f]).toEqual([line, reference(parser, line, banned)]);
    out.push(f);
  }
  return out;
}

function fixtureLines(parser: Parser): string[] {
  const out = readFixture(`${parser}.log`).map((c) => c.line);
  for (const f of fs.readdirSync(CAPTURED)) {
    if (!f.startsWith(parser)) continue;
    for (const l of fs.readFileSync(path.join(CAPTURED, f), 'utf8').split(/\r?\n/)) if (l && !l.startsWith('#')) out.push(l);
  }
  return out;
}

/** The lines a brute-force attack fills a log with: the fast path must decide these itself. */
const ATTACK: Record<Parser, string[]> = {
  sshd: [
    'Nov 26 16:12:20 web1 sshd[778947]: Failed password for root from 192.0.2.7 port 58946 ssh2',
    'Nov 26 16:12:20 web1 sshd[778947]: Failed password for invalid user oracle from 192.0.2.7 port 58946 ssh2',
    'Nov 26 16:12:20 web1 sshd[778947]: Invalid user oracle from 192.0.2.7 port 58946',
    'Nov 26 16:12:20 web1 sshd[778947]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=192.0.2.7  user=root',
    'Nov 26 16:12:20 web1 sshd[778947]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=192.0.2.7',
    'Nov 26 16:12:20 web1 sshd[778947]: pam_unix(sshd:auth): check pass; user unknown',
    'Nov 26 16:12:20 web1 sshd[778947]: PAM 2 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=192.0.2.7  user=root',
    'Nov 26 16:12:20 web1 sshd[778947]: Connection closed by invalid user oracle 192.0.2.7 port 58946 [preauth]',
    'Nov 26 16:12:20 web1 sshd[778947]: Connection closed by authenticating user root 192.0.2.7 port 58946 [preauth]',
    'Nov 26 16:12:20 web1 sshd[778947]: Accepted password for bob from 192.0.2.7 port 58946 ssh2',
    'Nov 26 16:12:20 web1 sshd[778947]: Accepted publickey for bob from 192.0.2.7 port 58946 ssh2: ED25519 SHA256:Xr3m1b5kq7J2pX9Z8c4t0mQ1nLw6oYv3uHa2sTe5fGk',
    'Nov 26 16:12:20 web1 sshd[778947]: Accepted publickey for bob from 192.0.2.7 port 58946 ssh2: RSA-CERT MD5:ab:cd:ef',
    'Nov 26 16:12:20 web1 sshd[778947]: Received disconnect from 192.0.2.7 port 58946:11: Bye Bye [preauth]',
    'Nov 26 16:12:20 web1 sshd[778947]: Disconnected from authenticating user root 192.0.2.7 port 58946 [preauth]',
    'Nov 26 16:12:20 web1 sshd[778947]: Connection reset by authenticating user root 192.0.2.7 port 58946 [preauth]',
    'Nov 26 16:12:20 web1 sshd[778947]: Postponed keyboard-interactive for root from 192.0.2.7 port 58946 ssh2 [preauth]',
    'Nov 26 16:12:20 web1 sshd[778947]: Postponed keyboard-interactive for invalid user oracle from 192.0.2.7 port 58946 ssh2 [preauth]',
    'Nov 26 16:12:20 web1 sshd[778947]: Connection closed by 192.0.2.7 port 58946 [preauth]',
    'Nov 26 16:12:20 web1 sshd[778947]: Disconnected from user bob 192.0.2.7 port 58946',
    'Nov 26 16:12:20 web1 sshd[778947]: pam_unix(sshd:session): session opened for user bob(uid=1000) by (uid=0)',
    'Nov 26 16:12:20 web1 CRON[778947]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)',
    '2026-11-22T01:36:50.392818+00:00 web1 sshd-session[23842]: Failed password for root from 192.0.2.7 port 58946 ssh2',
    '2026-11-22T01:36:50.392818+00:00 web1 sshd-session[23842]: Invalid user admin from 192.0.2.7 port 58946',
  ],
  proftpd: [
    '2026-11-22 01:32:05,187 web1 proftpd[15120] web1.example.com (192.0.2.7[192.0.2.7]): USER bob (Login failed): Incorrect password',
    '2026-11-22 01:32:05,187 web1 proftpd[15120] web1.example.com (192.0.2.7[192.0.2.7]): FTP session closed.',
    '2026-11-22 01:32:05,187 web1 proftpd[15120] web1.example.com (::ffff:192.0.2.7[192.0.2.7]): FTP session opened.',
    '2026-11-22 01:32:05,187 web1 proftpd[15120] web1.example.com (192.0.2.7[192.0.2.7]): ANON ftp (Login failed): Limit access denies login',
    '2026-11-22 01:32:05,187 web1 proftpd[15120] web1.example.com (192.0.2.7[192.0.2.7]): ANON anonymous (Login failed): Limit access denies login.',
    '2026-11-22 01:32:05,187 web1 proftpd[15120] web1.example.com (192.0.2.7[192.0.2.7]): ANON ftp: AnonRejectPasswords denies login',
  ],
};

/** Shapes just beside the accepted ones (spacing, empty fields, long numbers). */
const H = 'Nov 26 16:12:20 web1 sshd[778947]: ';
const PAMF = 'pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=192.0.2.7';
const P = '2026-11-22 01:32:05,187 web1 proftpd[15120] web1.example.com (192.0.2.7[192.0.2.7])';
const EDGES: Record<Parser, string[]> = {
  sshd: [
    ...['', ' ', '  ', '   ', ' user=root', '  user=root', '   user=root', '\tuser=root', '  user=', '  user= r o o t ', '  user=r\u00e9', '  users=root', 'x  user=root'].map((t) => H + PAMF + t),
    H + PAMF.replace('uid=0', 'uid=00'),
    H + PAMF.replace('pam_unix(sshd:auth): ', 'pam_unix(sshd:auth): \u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9 ') + '  user=root',
    H + PAMF.replace('pam_unix(sshd:auth): ', 'pam_unix(sshd:auth): xxxxxxxxxxxxxxxxxxxx ') + '  user=root',
    H + PAMF.replace('ruser=', 'ruser=x'),
    H + PAMF.replace('192.0.2.7', '192.0.2.7:22'),
    H + PAMF.replace('; logname', ';  logname'),
    H + 'PAM 12345 more authentication failures; ' + PAMF.slice(45),
    H + 'PAM 0 more authentication failure; ' + PAMF.slice(45),
    H + 'PAM  2 more authentication failures; ' + PAMF.slice(45),
    // Postponed keyboard-interactive: the "/DEVICE" form, other endings, an empty user, other methods.
    ...['/pam', '/bsdauth', '/', '/PAM', '/p4m', '/pamxxxxxxxxxxxxxxxx', 'x', ' ', ''].map((d) => `${H}Postponed keyboard-interactive${d} for root from 192.0.2.7 port 22 ssh2 [preauth]`),
    ...[' ssh2', ' ssh2 [preauth] ', ' [preauth]', '', ' ssh1 [preauth]'].map((t) => `${H}Postponed keyboard-interactive for root from 192.0.2.7 port 22${t}`),
    H + 'Postponed keyboard-interactive for root from 192.0.2.7 ssh2 [preauth]',
    H + 'Postponed keyboard-interactive for  from 192.0.2.7 port 22 ssh2 [preauth]',
    H + 'Postponed keyboard-interactive for from 192.0.2.7 port 22 ssh2 [preauth]',
    H + 'Postponed keyboard-interactive for invalid user  from 192.0.2.7 port 22 ssh2 [preauth]',
    H + 'Postponed keyboard-interactive for x from 198.51.100.9 port 22 ssh2 [preauth] from 192.0.2.7 port 22 ssh2 [preauth]',
    H + 'Postponed keyboard-interactive for r\u00e9 from 192.0.2.7 port 22 ssh2 [preauth]',
    H + 'Postponed publickey for root from 192.0.2.7 port 22 ssh2 [preauth]',
    'Postponed keyboard-interactive for root from 192.0.2.7 port 22 ssh2 [preauth]',
    H + 'Failed password for  from 192.0.2.7 port 22 ssh2',
    H + 'Failed password for from 192.0.2.7 port 22 ssh2',
    H + 'Failed password for invalid user  from 192.0.2.7 port 22 ssh2',
    H + 'Failed password for invalid user from 192.0.2.7 port 22 ssh2',
    H + 'Failed password for root from 192.0.2.7 port 123456 ssh2',
    H + 'Failed password for root from 192.0.2.7 port  ssh2',
    H + 'Failed password for root from 192.0.2.7 port 22 ssh2 [preauth]',
    H + 'Failed password for root from 192.0.2.7 port 22 ssh3',
    H + 'Failed password for root from 192.0.2.7 port 22',
    H + 'Failed password for root from 192.0.2.7',
    H + 'Failed password for root from  192.0.2.7 port 22 ssh2',
    H + 'Invalid user from 192.0.2.7 port 5',
    H + 'Invalid user  from 192.0.2.7 port 5',
    H + 'Invalid user x from 192.0.2.7 port 5 ssh2: RSA SHA256:abc',
    H + 'Connection closed by invalid user  192.0.2.7 port 1 [preauth]',
    H + 'Connection closed by authenticating user  192.0.2.7 port 1 [preauth]',
    H + 'Connection closed by authenticating user 192.0.2.7 port 1 [preauth]',
    H + 'Connection closed by authenticating user x 192.0.2.7 port 1',
    H + 'Connection closed by authenticating user x 192.0.2.7 port 123456 [preauth]',
    H + 'Connection closed by authenticating user x 2001:db8::7 port 1 [preauth]',
    H + 'Connection closed by authenticating user x host.example.net port 1 [preauth]',
    H + 'Connection reset by authenticating user x 192.0.2.7 port 1',
    H + 'Connection closed by authenticating userx 192.0.2.7 port 1 [preauth]',
    H + 'Disconnected from authenticating user x 192.0.2.7 port 1',
    H + 'Disconnected from authenticating user  192.0.2.7 port 1 [preauth]',
    'Nov 26 16:12:20 web1 sshd: Connection closed by authenticating user x 192.0.2.7 port 1 [preauth]',
    H + PAMF.replace('192.0.2.7', 'host.example.net') + '  user=root',
    H + 'PAM 2 more authentication failures; ' + PAMF.slice(45).replace('192.0.2.7', 'host.example.net') + '  user=root',
    H + 'error: PAM: Authentication failure for x from host.example.net',
    H + 'error: PAM: Authentication failure for x from host example.net',
    ...['', ' ssh2', ' ssh2:', ' ssh2: ', ' ssh2: RSA', ' ssh2: RSA SHA256:', ' ssh2: RSA SHA256:x y', ' ssh2: rsa SHA256:x', ' ssh2:  RSA SHA256:x', ' ssh2: RSA  SHA256:x', ' ssh2: RSA SHA257:x', ' ssh2: RSA MD5:', ' ssh2: RSA MD5:a', ' ssh2: R@S.A-1 SHA256:a+/=:b', ' ssh2: RSA SHA256:a [preauth]', ' ssh3: RSA SHA256:a'].map((k) => `${H}Accepted publickey for bob from 192.0.2.7 port 22${k}`),
    H + 'Accepted publickey for  from 192.0.2.7 port 22 ssh2',
    H + 'Accepted publickey for from 192.0.2.7 port 22 ssh2',
    H + 'Accepted keyboard-interactive/pam for bob from 192.0.2.7 port 22 ssh2',
    H + 'Accepted publickey for bob ssh2: RSA SHA256:x from 192.0.2.7 port 22 ssh2',
    H + 'Connection closed by invalid user 192.0.2.7 port 1 [preauth]',
    H + 'Connection closed by invalid user x 192.0.2.7 port 1',
    H + 'error: PAM: User not known to the underlying authentication module for illegal user x from 192.0.2.7',
    H + 'error: PAM: authentication error for x from 192.0.2.7',
    H + 'error: PAM: Authentication failure for x from 192.0.2.7 port 22',
    H + 'error: PAM: User account has expired for x from 192.0.2.7',
    H + 'Disconnecting invalid user x 192.0.2.7 port 1: Change of username or service not allowed: (x,ssh-connection) -> (y,ssh-connection) [preauth]',
    H + 'Disconnecting authenticating user x 192.0.2.7 port 1: Change of username or service not allowed: (x,ssh-connection) -> (y,ssh-connection) [preauth]',
    H + 'Disconnecting invalid user  192.0.2.7 port 1: Change of username or service not allowed: ( [preauth]',
    H + 'Disconnecting invalid user x 192.0.2.7 port 1: Change of username or service not allowed: (x,ssh-connection) -> (y,ssh-connection)',
    H + 'Disconnecting 192.0.2.7 port 1: Change of username or service not allowed: (x,ssh-connection) -> (y,ssh-connection) [preauth]',
    'Nov 26 16:12:20 web1 sshd[]: Failed password for root from 192.0.2.7 port 22 ssh2',
    'Nov 26 16:12:20 web1 sshd[1234567890]: Failed password for root from 192.0.2.7 port 22 ssh2',
    'Nov 26 16:12:20 web1 sshd: Failed password for root from 192.0.2.7 port 22 ssh2',
    'Nov 26 16:12:20 web1 xsshd[1]: Failed password for root from 192.0.2.7 port 22 ssh2',
    'Nov 26 16:12:20 w\u00e9b1 sshd[1]: Failed password for root from 192.0.2.7 port 22 ssh2',
    'Nov 26 16:12:20  sshd[1]: Failed password for root from 192.0.2.7 port 22 ssh2',
    'Nov 32 16:12:20 web1 sshd[1]: Failed password for root from 192.0.2.7 port 22 ssh2',
    '2026-11-22T01:36:50+00:00 web1 sshd[1]: Failed password for root from 192.0.2.7 port 22 ssh2',
    '2026-11-22T01:36:50.392818+0000 web1 sshd[1]: Failed password for root from 192.0.2.7 port 22 ssh2',
    '2026-11-22T01:36:50.39281800000000000000000000+00:00 web1 sshd[1]: Failed password for root from 192.0.2.7 port 22 ssh2',
    'Failed password for root from 192.0.2.7 port 22 ssh2',
  ],
  proftpd: [
    P + ': USER (Login failed): Incorrect password',
    P + ': USER  (Login failed): Incorrect password',
    P + ': USER x (Login failed): Incorrect Password',
    P + ': USER x (Login failed): Incorrect password.',
    P + ' - USER x (Login failed): Incorrect password',
    P + ':  USER x (Login failed): Incorrect password',
    P + ': USER x: Login successful.',
    P + ': ANON (Login failed): Limit access denies login',
    P + ': ANON  (Login failed): Limit access denies login',
    P + ': ANON x (Login failed): Limit access denies login..',
    P + ': ANON x (Login failed): limit access denies login',
    P + ': ANON x (Login failed): Incorrect password',
    P + ': ANON x (Login failed): Limit access denies login: AnonRejectPasswords denies login',
    P + ': ANON x: AnonRejectPasswords denies login',
    P + ': ANON : AnonRejectPasswords denies login',
    P + ': ANON x: AnonRejectPasswords denies login.',
    P + ': ANON x: anonrejectpasswords denies login',
    P + ' - ANON x: AnonRejectPasswords denies login',
    P + ': ANON AUTH: User ftp, authenticating using alias x (Login failed): Limit access denies login',
    P + ': ANON AUTH (Login failed): Limit access denies login',
    P + ': ANONx (Login failed): Limit access denies login',
    P + ' - ANON x (Login failed): Limit access denies login',
    P + ': USER x: no such user found from 192.0.2.7 [192.0.2.7] to 10.0.0.1:21',
    P + ': SECURITY VIOLATION: Root login attempted',
    P + ': Maximum login attempts (3) exceeded, connection refused',
    P.replace('[192.0.2.7])', '[192.0.2.07])') + ': USER x (Login failed): Incorrect password',
    P.replace('[192.0.2.7])', '[2001:db8::7])') + ': USER x (Login failed): Incorrect password',
    P.replace('(192.0.2.7[', '(a[b[') + ': USER x (Login failed): Incorrect password',
    P.replace('proftpd[15120]', 'proftpd[]') + ': USER x (Login failed): Incorrect password',
    P.replace('proftpd[15120]', 'proftpd[0x1]') + ': USER x (Login failed): Incorrect password',
    P.replace('proftpd[15120]', 'proftpd') + ': USER x (Login failed): Incorrect password',
    P.replace(',187', '') + ': USER x (Login failed): Incorrect password',
    P.replace(',187', ',1x7') + ': USER x (Login failed): Incorrect password',
    P.replace('01:32:05', '25:32:05') + ': USER x (Login failed): Incorrect password',
    P.replace('web1.example.com', 'x'.repeat(300)) + ': USER x (Login failed): Incorrect password',
  ],
};

describe.each(Object.keys(FAST) as Parser[])('%s', (parser) => {
  test('lines beside the accepted shapes: the fast path agrees', () => {
    for (const line of EDGES[parser]) agree(parser, Buffer.from(line));
  });

  test('fixture and captured lines: the fast path agrees with the reference parser', () => {
    const lines = fixtureLines(parser);
    expect(lines.length).toBeGreaterThan(20);
    let decided = 0;
    for (const line of lines) if (agree(parser, Buffer.from(line)).some((f) => f !== 'fallback')) decided++;
    expect(decided).toBeGreaterThan(5);
  });

  test('attack lines are decided without falling back', () => {
    for (const line of ATTACK[parser]) {
      expect([line, agree(parser, Buffer.from(line)).filter((f) => f === 'fallback').length]).toEqual([line, 0]);
    }
  });

  test('near-misses: inserted, dropped or replaced bytes never make the fast path disagree', () => {
    const noise = fc.constantFrom(...[0x20, 0x3a, 0x2e, 0x5b, 0x5d, 0x28, 0x29, 0x09, 0x0d, 0x00, 0xff, 0xc3, 0xa9, 0x30, 0x39, 0x61, 0x73, 0x3d, 0x2d, 0x2f]);
    const edit = fc.record({ at: fc.nat(), kind: fc.constantFrom('insert', 'drop', 'replace'), byte: noise, n: fc.integer({ min: 1, max: 3 }) });
    fc.assert(
      fc.property(fc.constantFrom(...ATTACK[parser]), fc.array(edit, { minLength: 1, maxLength: 3 }), (line, edits) => {
        let b = Buffer.from(line);
        for (const { at, kind, byte, n } of edits) {
          const i = at % (b.length + 1);
          const fill = Buffer.alloc(n, byte);
          if (kind === 'insert') b = Buffer.concat([b.subarray(0, i), fill, b.subarray(i)]);
          else if (kind === 'drop') b = Buffer.concat([b.subarray(0, i), b.subarray(Math.min(b.length, i + n))]);
          else b = Buffer.concat([b.subarray(0, i), fill, b.subarray(Math.min(b.length, i + n))]);
        }
        // A line never holds a newline (the reader splits on it).
        agree(parser, Buffer.from(b.filter((x) => x !== 0x0a)));
      }),
      { numRuns: 4000 },
    );
  });

  test('generated users and addresses: the fast path agrees', () => {
    const ip = fc.oneof(fc.ipV4(), fc.constantFrom('010.0.0.1', '1.2.3', '1.2.3.4.5', '256.1.1.1', '::ffff:192.0.2.1', '2001:db8::1', ''));
    const user = fc.string({ maxLength: 20 }).map((s) => s.replace(/[\r\n]/g, ' '));
    fc.assert(
      fc.property(fc.constantFrom(...ATTACK[parser]), user, ip, (line, u, a) => {
        agree(parser, Buffer.from(line.replaceAll('192.0.2.7', a).replace(/(user=|user |for |USER )(?:invalid user )?[a-z]+/, `$1${u}`)));
      }),
      { numRuns: 3000 },
    );
  });
});

describe('ProFTPD timestamps, parsed a minute at a time', () => {
  const line = (stamp: string) => `${stamp} web1 proftpd[15120] web1.example.com (192.0.2.7[192.0.2.7]): USER bob (Login failed): Incorrect password`;
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  /** Local "YYYY-MM-DD HH:MM:SS" of epoch ms (in the zone under test). */
  const local = (ms: number) => {
    const d = new Date(ms);
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  };
  const savedTz = process.env.TZ;
  afterAll(() => {
    if (savedTz === undefined) delete process.env.TZ;
    else process.env.TZ = savedTz;
  });

  // Zones with whole-hour and half-hour DST steps; lines every few seconds across each 2026 transition.
  test.each(['UTC', 'Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe'])('every second across the DST changes of %s agrees with the reference', (tz) => {
    process.env.TZ = tz;
    const starts = [Date.UTC(2026, 2, 29, 0, 30), Date.UTC(2026, 2, 8, 6, 30), Date.UTC(2026, 10, 1, 5, 30), Date.UTC(2026, 3, 4, 14, 30), Date.UTC(2026, 9, 3, 15, 0)];
    for (const start of starts) {
      for (let ms = start; ms < start + 2 * 3_600_000; ms += 7_000) {
        const text = local(ms);
        for (const stamp of [`${text},187`, text, `${text}.5`]) agree('proftpd', Buffer.from(line(stamp)));
      }
    }
  });

  test('seconds the minute cache must refuse or roll over: :60, :61, :6x, non-digits, bad fractions', () => {
    process.env.TZ = 'Europe/Berlin';
    for (const sec of ['00', '59', '60', '61', '69', '6a', ' 1', '1', '99', '0:', '5x'])
      for (const frac of ['', ',187', ',', ',1234567', '.000001', ',18a']) {
        // The minute is cached by the line before; this one differs only in its seconds.
        agree('proftpd', Buffer.from(line('2026-11-22 01:32:05,187')));
        agree('proftpd', Buffer.from(line(`2026-11-22 01:32:${sec}${frac}`)));
      }
  });
});
