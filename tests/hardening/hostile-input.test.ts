/**
 * Hostile input: huge lines, huge user names, repeated planted phrases, invalid UTF-8, NUL bytes, CRLF,
 * binary garbage. Parsing never throws, stays linear-time (no regex backtracking blow-up), and the rest of
 * the log is still processed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PARSERS } from '../../lib/parsers';
import { runScan } from '../../lib/commands/scan';
import { makeEnv, sshdFail } from '../helpers/context';

const ctx = { nowMs: Date.parse('2026-11-27T00:00:00Z') };
const MB = 1 << 20;

const rep = (s: string, bytes: number) => s.repeat(Math.ceil(bytes / s.length)).slice(0, bytes);

/** Worst inputs we know of for each parser: long runs of the phrases the parsers search for. */
const HOSTILE: string[] = [
  `Nov 26 16:14:00 host sshd[1]: Invalid user ${rep(' from 198.51.100.1', MB)} from 192.0.2.10 port 1`,
  `Nov 26 16:14:00 host sshd[1]: Failed password for ${rep('invalid user x from 198.51.100.1 port 1 ssh2 ', MB)} from 192.0.2.10 port 1 ssh2`,
  `Nov 26 16:14:00 host sshd[1]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=192.0.2.10  user=${rep(' rhost=198.51.100.1', MB)}`,
  `Nov 26 16:14:00 host sshd[1]: User ${rep('x from 198.51.100.1 not allowed because ', MB)} from 192.0.2.10 not allowed because listed in DenyUsers`,
  `Nov 26 16:14:00 host sshd[1]: Disconnecting invalid user ${rep('198.51.100.1 port 1: ', MB)} 192.0.2.10 port 1: Too many authentication failures [preauth]`,
  `Nov 26 16:14:00 host sshd[1]: ${rep(' ', MB)}`,
  `Nov 26 16:14:00 host ${rep('sshd[', MB)}: x`,
  `2026-11-22 01:33:00,000 host proftpd[1] 127.0.0.1 (192.0.2.10[192.0.2.10]): USER ${rep('(x[198.51.100.1]) (Login failed): ', MB)} (Login failed): Incorrect password`,
  `2026-11-22 01:33:00,000 host proftpd[1] 127.0.0.1 (192.0.2.10[192.0.2.10]): USER ${rep('User a not found ', MB)} (Login failed): User ${rep('a', MB / 4)}`,
  `2026-11-22 01:33:00,000 host proftpd[1] ${rep(' (', MB)}`,
  `[22/Nov/2026:01:32:05 +0000] 192.0.2.10 PASS 530 ${rep('198.51.100.1 PASS 530 ', MB)}`,
  rep('\0\xff\xfe garbage [ ] ( ) : from port rhost= ', MB),
];

test.each(HOSTILE.map((l, i) => [i, l] as const))('hostile line %i: never throws, never names a planted address, linear time', (_i, line) => {
  for (const parse of Object.values(PARSERS)) {
    const t0 = process.hrtime.bigint();
    let ev = null;
    expect(() => (ev = parse(line, ctx))).not.toThrow();
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    // A linear scan of 1 MiB takes a few ms; backtracking blow-ups take seconds to hours.
    expect(ms).toBeLessThan(5000);
    if (ev) expect((ev as { ip: string }).ip).toBe('192.0.2.10');
  }
});

test('a user name of 50,000 characters is parsed and the client banned', () => {
  const ev = PARSERS.sshd!(`Nov 26 16:14:00 host sshd[1]: Failed password for ${'a'.repeat(50_000)} from 192.0.2.10 port 1 ssh2`, ctx);
  expect(ev?.ip).toBe('192.0.2.10');
  expect(ev?.user.length).toBe(50_000);
});

test('a log of garbage, invalid UTF-8, NUL bytes, CRLF and 1 MB lines: the real lines still count', async () => {
  const env = makeEnv('[sshd]\nlog = auth.log\n');
  const good = (t: string) => sshdFail(t, '198.51.100.50', 'root').replace('\n', '\r\n');
  const parts = [
    Buffer.from(good('01:00:00')),
    Buffer.from([0xff, 0xfe, 0x00, 0xc3, 0x28, 0x0a]),
    Buffer.from(`Nov 22 01:00:01 host sshd[2]: Failed password for ${'\u00e9'.repeat(MB)} from 198.51.100.1 port 1 ssh2 from \xff\n`, 'latin1'),
    Buffer.alloc(3 * MB, 0x41),
    Buffer.from('\n'),
    Buffer.from('Nov 22 01:00:02 host sshd[3]: Failed password for ro\0ot from 198.51.100.51 port 1 ssh2\n'),
    Buffer.from(good('01:00:03')),
  ];
  fs.writeFileSync(path.join(env.dir, 'auth.log'), Buffer.concat(parts));
  const t0 = Date.now();
  const r = await runScan(env.ctx(new Date('2026-11-22T01:05:00').toISOString()));
  expect(Date.now() - t0).toBeLessThan(5000);
  expect(r.banned.map((b) => b.ip)).toEqual(['198.51.100.50']);
  expect(env.denyTargets()).toEqual(['198.51.100.50']);
});
