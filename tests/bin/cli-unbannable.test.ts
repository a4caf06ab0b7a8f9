/**
 * Loopback, unspecified and multicast targets are never banned: not by hand, not by a scan (a local user's
 * failed `ssh root@localhost`), and a ban of one already in the database (an older version, a peer) leaves
 * the deny file at the next commit. A firewall ban of 127.0.0.1 would drop the host's own traffic.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cli } from '../helpers/cli';
import { makeEnv, sshdFail } from '../helpers/context';
import { encodeDb } from '../../lib/ban-codec';

const NOW = ['--now', new Date('2026-11-22T02:00:00').toISOString()];

function env(extra = '[sshd]\nlog = auth.log\n') {
  const e = makeEnv(extra);
  return { ...e, cfg: ['--config', path.join(e.dir, 'autoban.cfg')] };
}

test.each([
  ['127.0.0.1', 'loopback'],
  ['127.0.0.0/8', 'loopback'],
  ['::1', 'loopback'],
  ['::ffff:127.0.0.1', 'loopback'],
  ['127.0.0.0/30', 'loopback'],
  ['::/16', 'loopback'],
  ['0.0.0.0', 'unspecified'],
  ['::', 'unspecified'],
  ['224.0.0.1', 'multicast'],
  ['ff02::1', 'multicast'],
  ['255.255.255.255', 'broadcast'],
])('ban %s is refused (exit 65, one line) and changes nothing', (ip, what) => {
  const e = env();
  const r = cli(['ban', ip, ...e.cfg, ...NOW]);
  expect(r.code).toBe(65);
  expect(r.stderr).toMatch(new RegExp(`^autoban: refusing to ban \\S+: it is or covers [^\\n]*${what}[^\\n]*\\n$`));
  expect(e.denyTargets()).toEqual([]);
});

test('other 127.x addresses stay bannable (only a client that binds one uses it)', () => {
  const e = env();
  expect(cli(['ban', '127.0.0.3', ...e.cfg, ...NOW]).code).toBe(0);
  expect(e.denyTargets()).toEqual(['127.0.0.3']);
});

test('a scan never bans loopback failures, and still bans the attacker beside them', () => {
  const e = env();
  const lines: string[] = [];
  for (const [i, ip] of ['127.0.0.1', '::1', '192.0.2.7'].entries()) {
    lines.push(sshdFail(`01:00:0${i}`, ip, 'root', 100 + i), sshdFail(`01:00:1${i}`, ip, 'root', 200 + i));
  }
  e.write('auth.log', lines.join(''));
  const t = cli(['test', path.join(e.dir, 'auth.log'), '--parser', 'sshd', ...e.cfg, ...NOW]);
  expect(t.stdout).toContain('would ban 192.0.2.7 ');
  expect(t.stdout).not.toMatch(/would ban (127|::)/);
  const r = cli(['run', '--no-jitter', ...e.cfg, ...NOW]);
  expect(r.code).toBe(0);
  expect(e.denyTargets()).toEqual(['192.0.2.7']);
});

test('a loopback ban already in the database leaves the deny file at the next commit; an admin line outside the markers stays', () => {
  const e = env();
  const at = new Date('2026-11-22T01:00:00Z');
  const ban = (ip: string) => ({ ip, rule: 'manual', reason: 'old', failures: 0, source: 'manual', origin: 'manual' as const, node: 'test1', bannedAt: at, expiresAt: null, banCount: 1 });
  fs.mkdirSync(path.join(e.dir, 'state'), { mode: 0o700 });
  fs.writeFileSync(path.join(e.dir, 'state', 'bans.json'), encodeDb({ bans: [ban('127.0.0.1'), ban('::1'), ban('198.51.100.4')], unbans: [] }));
  e.write('hosts.deny', 'ALL: 127.0.0.1\n');
  expect(cli(['ban', '203.0.113.9', ...e.cfg, ...NOW]).code).toBe(0);
  expect(e.denyTargets()).toEqual(['127.0.0.1', '198.51.100.4', '203.0.113.9']);
  expect(e.read('hosts.deny').startsWith('ALL: 127.0.0.1\n# BEGIN autoban')).toBe(true);
  const js = JSON.parse(cli(['status', '--json', ...e.cfg, ...NOW]).stdout) as { ip: string }[];
  expect(js.map((b) => b.ip)).toEqual(['198.51.100.4', '203.0.113.9']);
});

test.each([
  ['192.0.2.1/0', "refusing to ban '192.0.2.1/0': /0 is wider than /8 (the widest network autoban bans for IPv4)"],
  ['192.0.2.1/7', "refusing to ban '192.0.2.1/7': /7 is wider than /8 (the widest network autoban bans for IPv4)"],
  ['2001:db8::1/0', "refusing to ban '2001:db8::1/0': /0 is wider than /16 (the widest network autoban bans for IPv6)"],
])('ban %s (host bits set, and too wide) says it is too wide, not "write 0.0.0.0/0"', (ip, msg) => {
  const e = env();
  const r = cli(['ban', ip, ...e.cfg, ...NOW]);
  expect(r.code).toBe(64);
  expect(r.stderr).toBe(`autoban: ${msg}\n`);
});
