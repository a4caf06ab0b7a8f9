/** Config problems as users meet them: real config files, real processes, one stderr line per problem. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cli } from '../helpers/cli';
import { makeEnv } from '../helpers/context';

function env(extra: string, defaults = '') {
  const e = makeEnv(extra, { defaults });
  const file = path.join(e.dir, 'autoban.cfg');
  return { ...e, file, cfg: ['--config', file] };
}

/** The config error lines of a run (without the `autoban: config error: ` prefix). */
const configErrors = (stderr: string) =>
  stderr
    .split('\n')
    .filter(Boolean)
    .map((l) => l.replace(/^autoban: config error: /, ''));

test.each([
  ['ipv6_prefix = 200\n', '[DEFAULT] ipv6_prefix: expected a prefix length from 16 to 128, got 200'],
  ['login_attempts_threshold = 0\n', '[DEFAULT] login_attempts_threshold: expected at least 1, got 0'],
  ['login_attempts_period = 0\n', '[DEFAULT] login_attempts_period: expected a period longer than 0'],
])('a bad value in [DEFAULT] (%j) is reported once, for [DEFAULT], not again for [sshd]', (defaults, msg) => {
  const e = env('[sshd]\nlog = auth.log\n[proftpd]\nlog = ftp.log\n', defaults);
  const r = cli(['check-config', ...e.cfg]);
  expect(r.code).toBe(78);
  expect(configErrors(r.stderr)).toEqual([`${e.file}: ${msg}`]);
});

test('a source is blamed for the bad values it sets itself', () => {
  const e = env('[sshd]\nlog = auth.log\nipv6_prefix = 8\n');
  const r = cli(['check-config', ...e.cfg]);
  expect(r.code).toBe(78);
  expect(configErrors(r.stderr)).toEqual([`${e.file}: [sshd] ipv6_prefix: expected a prefix length from 16 to 128, got 8`]);
});

test('ban_duration_max shorter than ban_duration is a config error naming both, in [DEFAULT] and in a source', () => {
  const e = env('[sshd]\nlog = auth.log\n', 'ban_duration = 2d\nban_duration_max = 1d\n');
  const r = cli(['scan', ...e.cfg]);
  expect(r.code).toBe(78);
  expect(configErrors(r.stderr)).toEqual([`${e.file}: [DEFAULT] ban_duration_max: ban_duration_max (1d) is shorter than ban_duration (2d)`]);
  expect(fs.existsSync(path.join(e.dir, 'state'))).toBe(false);

  const s = env('[sshd]\nlog = auth.log\nban_duration = 60d\n[proftpd]\nlog = ftp.log\nban_duration_max = 1h\n');
  const rs = cli(['check-config', ...s.cfg]);
  expect(rs.code).toBe(78);
  expect(configErrors(rs.stderr)).toEqual([
    `${s.file}: [sshd] ban_duration: ban_duration_max (30d, the default) is shorter than ban_duration (60d)`,
    `${s.file}: [proftpd] ban_duration_max: ban_duration_max (1h) is shorter than ban_duration (1d, the default)`,
  ]);
});

test('a permanent ban_duration needs no cap; a cap at least ban_duration is fine', () => {
  for (const d of ['ban_duration = permanent\nban_duration_max = 1d\n', 'ban_duration = 0\nban_duration_max = 1h\n', 'ban_duration = 1d\nban_duration_max = 1d\n']) {
    const e = env(`[sshd]\nlog = auth.log\n${d}`);
    e.write('auth.log', '');
    expect(cli(['check-config', ...e.cfg]).code).toBe(0);
  }
});

test('a repeated section and a repeated key are config errors with the file, the line numbers and the section/key', () => {
  const e = env('[sshd]\nlog = auth.log\n\n[proftpd]\nlog = ftp.log\nparser = proftpd\nparser = proftpd\n\n[sshd]\nlog = other.log\n');
  // makeEnv's [DEFAULT] takes lines 1-6; the sections start on line 7.
  const r = cli(['scan', ...e.cfg]);
  expect(r.code).toBe(78);
  expect(configErrors(r.stderr)).toEqual([
    `${e.file}: [proftpd] parser: set again on line 13 (first on line 12); keep one`,
    `${e.file}: [sshd]: section repeated on line 15 (first on line 7); merge them into one`,
  ]);
  const d = env('[sshd]\nlog = auth.log\n[DEFAULT]\nnode_id = other\n');
  const rd = cli(['check-config', ...d.cfg]);
  expect(rd.code).toBe(78);
  expect(configErrors(rd.stderr)).toEqual([`${d.file}: [DEFAULT] node_id: set again on line 10 (first on line 5); keep one`]);
});

test('check-config warns (stderr) about a log that does not exist yet and about bad whitelist lines, and still exits 0', () => {
  const e = env('[sshd]\nlog = auth.log\n[proftpd]\nlog = ftp/*.log\n');
  e.write('whitelist.txt', '# ours\n198.51.100.0/24\nbad.example.com\n192.0.2.49/24  # the office\n2001:db8::1/32\n');
  const r = cli(['check-config', ...e.cfg]);
  expect(r.code).toBe(0);
  expect(r.stderr.split('\n').filter(Boolean)).toEqual([
    `autoban: warning: ${e.file}: [sshd] log: ${e.dir}/auth.log: does not exist (yet); scan exits 66 until it does`,
    `autoban: warning: ${e.file}: [proftpd] log: no file matches ${e.dir}/ftp/*.log (yet); scan exits 66 until it does`,
    `autoban: warning: ${e.dir}/whitelist.txt:3: not an IP address or CIDR network: 'bad.example.com' (scan ignores this line)`,
    `autoban: warning: ${e.dir}/whitelist.txt:4: '192.0.2.49/24' is a network with host bits set; write 192.0.2.0/24 (scan ignores this line)`,
    `autoban: warning: ${e.dir}/whitelist.txt:5: '2001:db8::1/32' is a network with host bits set; write 2001:db8::/32 (scan ignores this line)`,
  ]);
  expect(r.stdout.split('\n')[0]).toBe(`${e.file}: OK (5 warnings on stderr)`);
  expect(r.stdout).toContain(`source [sshd] parser=sshd log=${e.dir}/auth.log`);
  // With the log there and the whitelist fixed: no warnings.
  e.write('auth.log', '');
  fs.mkdirSync(path.join(e.dir, 'ftp'));
  e.write('ftp/a.log', '');
  e.write('whitelist.txt', '198.51.100.0/24\n192.0.2.0/24\n');
  const ok = cli(['check-config', ...e.cfg]);
  expect(ok.code).toBe(0);
  expect(ok.stderr).toBe('');
  expect(ok.stdout.split('\n')[0]).toBe(`${e.file}: OK`);
});

test('check-config warns about a log path that is a directory, and a glob skips the directories it matches', () => {
  const e = env('[sshd]\nlog = auth.log\n[proftpd]\nlog = ftp/*.log\n');
  fs.mkdirSync(path.join(e.dir, 'auth.log'));
  fs.mkdirSync(path.join(e.dir, 'ftp'));
  fs.mkdirSync(path.join(e.dir, 'ftp/old.log'));
  e.write('ftp/a.log', '');
  const r = cli(['check-config', ...e.cfg]);
  expect(r.code).toBe(0);
  expect(r.stderr).toBe(`autoban: warning: ${e.file}: [sshd] log: ${e.dir}/auth.log: is a directory, not a log file; scan exits 66 until this is fixed\n`);
  const s = cli(['scan', ...e.cfg]);
  expect(s.code).toBe(66);
  expect(s.stderr.split('\n').filter((l) => l.startsWith('autoban:'))).toEqual([`autoban: scan: ${e.dir}/auth.log: is a directory, not a log file`]);
});

test('check-config shows what a journal source reads (its matches and directory), not an empty log=', () => {
  const e = env('[sshd]\njournal = true\n[ftp]\nparser = proftpd\njournal = true\njournal_match = _SYSTEMD_UNIT=proftpd.service\njournal_directory = journal\n');
  const r = cli(['check-config', ...e.cfg]);
  expect(r.code).toBe(0);
  expect(r.stdout.split('\n').filter((l) => l.startsWith('source '))).toEqual([
    'source [sshd] parser=sshd journal=_COMM=sshd,_COMM=sshd-session,_COMM=sshd-auth',
    `source [ftp] parser=proftpd journal=_SYSTEMD_UNIT=proftpd.service journal_directory=${e.dir}/journal`,
  ]);
});

test('check-config warns when state_dir lies under a file (every run would exit 73), and not when it is only missing', () => {
  const e = env('[sshd]\nlog = auth.log\n');
  e.write('auth.log', '');
  e.write('notadir', '');
  fs.writeFileSync(e.file, `deny_file = hosts.deny\nstate_dir = notadir/state\n[sshd]\nlog = auth.log\n`);
  const r = cli(['check-config', ...e.cfg]);
  expect(r.code).toBe(0);
  expect(r.stderr).toBe(`autoban: warning: ${e.file}: [DEFAULT] state_dir: ${e.dir}/notadir is not a directory, so ${e.dir}/notadir/state cannot be created (scan, ban and the other commands that change something exit 73)\n`);
  expect(cli(['ban', '192.0.2.9', ...e.cfg]).code).toBe(73); // what the warning foretells
  fs.writeFileSync(e.file, `deny_file = hosts.deny\nstate_dir = new/state\n[sshd]\nlog = auth.log\n`);
  expect(cli(['check-config', ...e.cfg]).stderr).toBe('');
});

test('check-config shows a source\'s olddir and warns when it is not a directory (the rotations would not be found there)', () => {
  const e = env('[sshd]\nlog = auth.log\nolddir = archive\n');
  e.write('auth.log', '');
  const r = cli(['check-config', ...e.cfg]);
  expect(r.code).toBe(0);
  expect(r.stdout).toContain(`source [sshd] parser=sshd log=${e.dir}/auth.log olddir=archive`);
  expect(r.stderr).toBe(`autoban: warning: ${e.file}: [sshd] olddir: ${e.dir}/archive is not a directory; rotated files are looked for there and beside the log\n`);
  fs.mkdirSync(path.join(e.dir, 'archive'));
  expect(cli(['check-config', ...e.cfg]).stderr).toBe('');
});

test('check-config with no sources warns on stderr', () => {
  const e = env('');
  const r = cli(['check-config', ...e.cfg]);
  expect(r.code).toBe(0);
  expect(r.stderr).toBe('autoban: warning: no log sources: scan will do nothing (add a section like [sshd] log = /var/log/auth.log)\n');
});

test('a deny_file whose parent is not a directory is a config error (78) naming deny_file, before touching anything', () => {
  const e = env('');
  // makeEnv's [DEFAULT] already sets deny_file (to the file hosts.deny): write the whole config instead of repeating the key.
  fs.writeFileSync(e.file, `deny_file = hosts.deny/x\nstate_dir = state\n[sshd]\nlog = auth.log\n`);
  e.write('auth.log', '');
  for (const args of [['scan'], ['ban', '192.0.2.9'], ['check-config']]) {
    const r = cli([...args, ...e.cfg]);
    expect(r.code).toBe(78);
    expect(configErrors(r.stderr)).toEqual([`${e.file}: [DEFAULT] deny_file: ${e.dir}/hosts.deny is not a directory (it is a file)`]);
  }
  expect(fs.existsSync(path.join(e.dir, 'state'))).toBe(false);
  fs.writeFileSync(e.file, `deny_file = hosts.deny/sub/x\nstate_dir = state\n[sshd]\nlog = auth.log\n`);
  const r = cli(['scan', ...e.cfg]);
  expect(r.code).toBe(78);
  expect(configErrors(r.stderr)).toEqual([`${e.file}: [DEFAULT] deny_file: ${e.dir}/hosts.deny/sub is not a directory (a part of the path is a file)`]);
});

test('a bad --deny-file or --state-dir is blamed on the option, not on the config key it overrides (which is fine)', () => {
  const e = env('[sshd]\nlog = auth.log\n');
  e.write('auth.log', '');
  e.write('afile', '');
  const missing = path.join(e.dir, 'no-such-dir', 'hosts.deny');
  for (const args of [['scan'], ['ban', '192.0.2.9'], ['check-config']]) {
    const r = cli([...args, ...e.cfg, '--deny-file', missing]);
    expect(r.code).toBe(78);
    expect(configErrors(r.stderr)).toEqual([`command line: --deny-file: directory ${e.dir}/no-such-dir does not exist`]);
  }
  const r = cli(['scan', ...e.cfg, '--deny-file', e.dir]);
  expect(configErrors(r.stderr)).toEqual([`command line: --deny-file: ${e.dir} is a directory, not a file`]);
  expect(fs.existsSync(path.join(e.dir, 'state'))).toBe(false);

  const under = path.join(e.dir, 'afile', 'state');
  const c = cli(['check-config', ...e.cfg, '--state-dir', under]);
  expect(c.code).toBe(0);
  expect(c.stderr).toBe(`autoban: warning: command line: --state-dir: ${e.dir}/afile is not a directory, so ${under} cannot be created (scan, ban and the other commands that change something exit 73)\n`);
  const b = cli(['ban', '192.0.2.9', ...e.cfg, '--state-dir', under]);
  expect(b.code).toBe(73);
  expect(b.stderr).toMatch(new RegExp(`^autoban: cannot create --state-dir ${under}: ENOTDIR`));
  expect(e.denyTargets()).toEqual([]);
});

test('a whitelist that exists but cannot be read stops the command with exit 66 before anything is banned or written', () => {
  const e = env('[sshd]\nlog = auth.log\n');
  // A directory cannot be read as a file, also by root (a file with mode 000 can).
  fs.rmSync(path.join(e.dir, 'whitelist.txt'));
  fs.mkdirSync(path.join(e.dir, 'whitelist.txt'));
  e.write('auth.log', [1, 2, 3, 4, 5, 6].map((i) => `Nov 22 09:00:0${i} host sshd[${1000 + i}]: Failed password for bob from 192.0.2.7 port 4000${i} ssh2\n`).join(''));
  for (const args of [['scan'], ['run', '--no-jitter'], ['ban', '198.51.100.9'], ['check-config']]) {
    const r = cli([...args, ...e.cfg, '--now', '2026-11-22T09:05:00Z']);
    expect(r.code).toBe(66);
    expect(r.stderr).toContain(`autoban: cannot read whitelist ${e.dir}/whitelist.txt: `);
  }
  expect(e.read('hosts.deny')).toBe('');
  expect(fs.existsSync(path.join(e.dir, 'state'))).toBe(false);
});

test('an unknown key in a source section is answered with every key a source takes', () => {
  const e = env('[sshd]\nlog = auth.log\nthreshold = 3\n');
  const r = cli(['check-config', ...e.cfg]);
  expect(r.code).toBe(78);
  expect(configErrors(r.stderr)).toEqual([
    `${e.file}: [sshd] threshold: unknown key (a source section takes log, parser, enabled, journal, journal_match, journal_directory, olddir, ` +
      'suspicious_users, suspicious_users_attempts_threshold, suspicious_users_period, login_attempts_threshold, login_attempts_period, ' +
      'invalid_user_attempts_threshold, slow_attempts_threshold, slow_attempts_period, ban_duration, ban_duration_max, ipv6_prefix)',
  ]);
});

test.each([
  ['missing', 'missing.log', 'does not exist', () => undefined],
  ['ENOTDIR', 'afile/x.log', 'a part of its path is not a directory', (dir: string) => fs.writeFileSync(path.join(dir, 'afile'), '')],
  ['ELOOP', 'loop.log', 'too many levels of symbolic links in its path (a symlink loop?)', (dir: string) => {
    fs.symlinkSync('loop2.log', path.join(dir, 'loop.log'));
    fs.symlinkSync('loop.log', path.join(dir, 'loop2.log'));
  }],
  ['ENAMETOOLONG', `${'n'.repeat(300)}.log`, 'its path or a part of it is too long', () => undefined],
  ['a directory', 'logs', 'is a directory, not a log file', (dir: string) => fs.mkdirSync(path.join(dir, 'logs'))],
])('check-config, scan and test describe a broken log path (%s) the same way', (_what, name, why, setup) => {
  const e = env(`[sshd]\nlog = ${name}\n`);
  setup(e.dir);
  const log = path.join(e.dir, name);
  const check = cli(['check-config', ...e.cfg]);
  expect(check.code).toBe(0);
  const missing = why === 'does not exist';
  expect(check.stderr).toBe(`autoban: warning: ${e.file}: [sshd] log: ${log}: ${why}${missing ? ' (yet); scan exits 66 until it does' : '; scan exits 66 until this is fixed'}\n`);
  const scan = cli(['scan', ...e.cfg], { timeout: 20000 });
  expect(scan.code).toBe(66);
  expect(scan.stderr).toMatch(new RegExp(`\\nautoban: scan: ${log.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: ${why.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n$`));
  const test = cli(['test', log, '--parser', 'sshd'], { timeout: 20000 });
  expect({ code: test.code, stderr: test.stderr }).toEqual({ code: 66, stderr: `autoban: test: ${log}: ${why}\n` });
});

test('a glob that matches nothing: check-config and scan both say no file matches it', () => {
  const e = env('[sshd]\nlog = ftp/*.log\n');
  expect(cli(['check-config', ...e.cfg]).stderr).toBe(`autoban: warning: ${e.file}: [sshd] log: no file matches ${e.dir}/ftp/*.log (yet); scan exits 66 until it does\n`);
  const scan = cli(['scan', ...e.cfg]);
  expect(scan.code).toBe(66);
  expect(scan.stderr.trimEnd().split('\n').pop()).toBe(`autoban: scan: no file matches ${e.dir}/ftp/*.log`);
});
