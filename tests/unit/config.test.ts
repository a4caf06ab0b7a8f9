import * as fs from 'node:fs';
import * as path from 'node:path';
import { configWarnings, KEYS, loadConfig, parseConfig } from '../../lib/config';
import { ConfigError } from '../../lib/errors';
import { tmpdir } from '../helpers/tmpdir';

const opts = { file: '/etc/autoban/autoban.cfg', baseDir: '/etc/autoban', hostname: 'web1' };

const problems = (text: string): string[] => {
  try {
    parseConfig(text, opts);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
};

test('a config written for the old tool keeps working', () => {
  const c = parseConfig(
    `[DEFAULT]\nsuspicious_users = root admin administrator\nsuspicious_users_attempts_threshold = 2\nlogin_attempts_threshold = 5\nlogin_attempts_period = 300\nwhitelist = /etc/ban/whitelist.txt\n\n[proftpd]\nlog = /var/log/proftpd/proftpd.log\n`,
    opts,
  );
  expect(c.defaults.rules).toMatchObject({ suspiciousUsers: ['root', 'admin', 'administrator'], suspiciousThreshold: 2, loginThreshold: 5, loginPeriodSec: 300 });
  expect(c.whitelistFile).toBe('/etc/ban/whitelist.txt');
  expect(c.sources).toEqual([expect.objectContaining({ name: 'proftpd', parser: 'proftpd', log: '/var/log/proftpd/proftpd.log' })]);
});

test('defaults', () => {
  const c = parseConfig('', opts);
  expect(c).toMatchObject({ nodeId: 'web1', stateDir: '/var/lib/autoban', denyFile: '/etc/hosts.deny', whitelistFile: null, jitterSec: 60, backends: ['hostsdeny'] });
  expect(c.defaults).toMatchObject({ banDurationSec: 86400, banDurationMaxSec: 30 * 86400, ipv6Prefix: 64 });
  expect(c.defaults.rules).toMatchObject({ invalidUserThreshold: 3, slowThreshold: 20, slowPeriodSec: 86400 });
  expect(c.sync.context).toBe('none');
});

test('keys before any section count as [DEFAULT]; durations take units; permanent bans', () => {
  const c = parseConfig('ban_duration = permanent\nlogin_attempts_period = 10m\n[sshd]\nlog = auth.log\nban_duration = 2h\n', opts);
  expect(c.defaults.banDurationSec).toBeNull();
  expect(c.defaults.rules.loginPeriodSec).toBe(600);
  expect(c.sources[0]).toMatchObject({ log: '/etc/autoban/auth.log', banDurationSec: 7200, parser: 'sshd' });
});

test('every problem is reported at once, naming file, section, key and what was expected', () => {
  expect(problems('login_attempts_threshold = five\nlogin_attempts_period = ten\nbogus = 1\n[sshd]\nparser = nginx\n[sync]\ncontext = ftp\n')).toEqual([
    "/etc/autoban/autoban.cfg: [DEFAULT] bogus: unknown key (known keys: " + Object.keys(KEYS).join(', ') + ')',
    "/etc/autoban/autoban.cfg: [DEFAULT] login_attempts_threshold: expected a whole number, got 'five'",
    "/etc/autoban/autoban.cfg: [DEFAULT] login_attempts_period: expected a duration like 300, 30s, 10m, 1h, 1d or 1w (at most 100 years), got 'ten'",
    "/etc/autoban/autoban.cfg: [sshd] parser: expected one of proftpd, sshd, got 'nginx'",
    '/etc/autoban/autoban.cfg: [sshd] log: missing (expected the path or glob of the log file, or journal = true)',
    "/etc/autoban/autoban.cfg: [sync] context: expected aws, local or none, got 'ftp'",
  ]);
});

test.each([
  ['[sshd]\nlog = x\nstate_dir = /tmp\n', '[sshd] state_dir: can only be set in [DEFAULT]'],
  ['login_attempts_threshold = 0\n', 'login_attempts_threshold: expected at least 1, got 0'],
  ['backend = hostsdeny, pf\n', "backend: expected one or more of hostsdeny, iptables, ipset, nftables, none, got 'hostsdeny, pf'"],
  ['[sync]\ncontext = aws\n', '[sync] s3_hostsdeny: required when context = aws'],
  ['[sync]\ncontext = aws\ns3_hostsdeny = http://x\ns3_whitelist = s3://b/p/\n', "[sync] s3_hostsdeny: expected an s3://bucket/prefix URL, got 'http://x'"],
  ['[sync]\ncontext = local\n', '[sync] shared_dir: required when context = local'],
  ['node_id = a b\n', "node_id: expected letters"],
  ['ipv6_prefix = 8\n', 'ipv6_prefix: expected a prefix length from 16 to 128, got 8'],
  ['[sshd]\njournal = true\nolddir = old\n', '[sshd] olddir: only for a log file source (log =), not the journal'],
  ['[sshd]\nlog = x\nolddir =\n', "[sshd] olddir: expected a directory (logrotate's olddir), got nothing"],
  ['olddir = old\n[sshd]\nlog = x\n', '[DEFAULT] olddir: unknown key'],
])('invalid: %j', (text, msg) => {
  expect(problems(text).join('\n')).toContain(msg);
});

test.each([
  ['ipv6_prefix = 200\n', '[DEFAULT] ipv6_prefix: expected a prefix length from 16 to 128, got 200'],
  ['login_attempts_threshold = 0\n', '[DEFAULT] login_attempts_threshold: expected at least 1, got 0'],
  ['login_attempts_period = 0\n', '[DEFAULT] login_attempts_period: expected a period longer than 0'],
])('a bad [DEFAULT] value (%j) is reported once, where it was written, not for each source inheriting it', (text, msg) => {
  expect(problems(`${text}[sshd]\nlog = a\n[proftpd]\nlog = b\n`)).toEqual([`/etc/autoban/autoban.cfg: ${msg}`]);
});

test('ban_duration_max below ban_duration is refused where either is set; permanent bans need no cap', () => {
  expect(problems('ban_duration = 2d\nban_duration_max = 1d\n[sshd]\nlog = a\n')).toEqual([
    '/etc/autoban/autoban.cfg: [DEFAULT] ban_duration_max: ban_duration_max (1d) is shorter than ban_duration (2d)',
  ]);
  expect(problems('ban_duration = 1h\nban_duration_max = 2h\n[sshd]\nlog = a\nban_duration = 3h\n[proftpd]\nlog = b\n')).toEqual([
    '/etc/autoban/autoban.cfg: [sshd] ban_duration: ban_duration_max (2h, from [DEFAULT]) is shorter than ban_duration (3h)',
  ]);
  expect(parseConfig('ban_duration = permanent\nban_duration_max = 1h\n[sshd]\nlog = a\nban_duration = 1h\n', opts).sources[0]).toMatchObject({ banDurationSec: 3600, banDurationMaxSec: 3600 });
  expect(parseConfig('[sshd]\nlog = a\nban_duration = 0\nban_duration_max = 1h\n', opts).sources[0]).toMatchObject({ banDurationSec: null });
});

test('a repeated section or key is refused with its line numbers; [DEFAULT] may be split, its keys still set once', () => {
  expect(problems('[sshd]\nlog = a\n\n[sshd]\nlog = b\n')).toEqual(['/etc/autoban/autoban.cfg: [sshd]: section repeated on line 4 (first on line 1); merge them into one']);
  expect(problems('[proftpd]\r\nlog = a\r\n; note\r\nlog = b\r\n')).toEqual(['/etc/autoban/autoban.cfg: [proftpd] log: set again on line 4 (first on line 2); keep one']);
  expect(problems('jitter = 5\n[DEFAULT]\njitter = 6\n')).toEqual(['/etc/autoban/autoban.cfg: [DEFAULT] jitter: set again on line 3 (first on line 1); keep one']);
  expect(parseConfig('jitter = 5\n[DEFAULT]\nlock_timeout = 1s\n[sshd]\nlog = a\n[DEFAULT]\nban_duration = 1h\n', opts)).toMatchObject({ jitterSec: 5, lockTimeoutSec: 1, defaults: { banDurationSec: 3600 } });
});

test('a line that is not INI (a bare word, an unclosed [section]) is refused with its line number, alone', () => {
  // ini would read both as `key = true` and the user would see only "unknown key" with no line to look at.
  expect(problems('jitter = 5\ngarbage line\n[sshd\nlog = a\nbogus = 1\n')).toEqual([
    `/etc/autoban/autoban.cfg: line 2: expected 'key = value', a [section] or a comment, got "garbage line"`,
    `/etc/autoban/autoban.cfg: line 3: expected 'key = value', a [section] or a comment, got "[sshd"`,
  ]);
  expect(problems(`${'x'.repeat(100)}\n`)[0]).toBe(`/etc/autoban/autoban.cfg: line 1: expected 'key = value', a [section] or a comment, got "${'x'.repeat(60)}…"`);
});

test('loadConfig refuses a deny_file whose parent is not a directory, naming deny_file', () => {
  const dir = tmpdir();
  fs.writeFileSync(path.join(dir, 'hosts.deny'), '');
  fs.writeFileSync(path.join(dir, 'a.cfg'), 'deny_file = hosts.deny/x\n');
  expect(() => loadConfig(path.join(dir, 'a.cfg'))).toThrow(`${dir}/a.cfg: [DEFAULT] deny_file: ${dir}/hosts.deny is not a directory (it is a file)`);
  fs.writeFileSync(path.join(dir, 'a.cfg'), 'deny_file = .\n');
  expect(() => loadConfig(path.join(dir, 'a.cfg'))).toThrow(`${dir}/a.cfg: [DEFAULT] deny_file: ${dir} is a directory, not a file`);
});

test('loadConfig names a missing config file, a missing whitelist and a missing deny_file directory', () => {
  const dir = tmpdir();
  expect(() => loadConfig(path.join(dir, 'nope.cfg'))).toThrow(`${dir}/nope.cfg: cannot read config file: no such file`);
  fs.writeFileSync(path.join(dir, 'a.cfg'), 'whitelist = wl.txt\ndeny_file = nodir/hosts.deny\n');
  let err: ConfigError | undefined;
  try {
    loadConfig(path.join(dir, 'a.cfg'));
  } catch (e) {
    err = e as ConfigError;
  }
  expect(err?.problems).toEqual([
    `${dir}/a.cfg: [DEFAULT] whitelist: file ${dir}/wl.txt does not exist (create it, even empty, or remove the key)`,
    `${dir}/a.cfg: [DEFAULT] deny_file: directory ${dir}/nodir does not exist`,
  ]);
});

test('etc/autoban.cfg.example documents every key with its default', () => {
  const example = fs.readFileSync(path.join(__dirname, '../../etc/autoban.cfg.example'), 'utf8');
  for (const [key, spec] of Object.entries(KEYS)) {
    expect(example).toMatch(new RegExp(`^#? ?${key} = `, 'm'));
    expect(example).toContain(`(default ${spec.default === '' ? 'none' : spec.default}`);
  }
  // The example itself is a valid config.
  expect(() => parseConfig(example, opts)).not.toThrow();
});

test('configWarnings: a log that does not exist yet and whitelist lines scan ignores, each with where it is', () => {
  const dir = tmpdir();
  fs.writeFileSync(path.join(dir, 'wl.txt'), '192.0.2.0/24\n192.0.2.49/24\n2001:db8::/32 # ok\nbad.example.com\n');
  fs.writeFileSync(path.join(dir, 'hosts.deny'), '');
  fs.writeFileSync(path.join(dir, 'a.cfg'), 'whitelist = wl.txt\ndeny_file = hosts.deny\n[sshd]\nlog = auth.log\n[j]\nparser = sshd\njournal = true\n');
  const cfg = loadConfig(path.join(dir, 'a.cfg'));
  expect(configWarnings(cfg)).toEqual([
    `${dir}/a.cfg: [sshd] log: ${dir}/auth.log: does not exist (yet); scan exits 66 until it does`,
    `${dir}/wl.txt:2: '192.0.2.49/24' is a network with host bits set; write 192.0.2.0/24 (scan ignores this line)`,
    `${dir}/wl.txt:4: not an IP address or CIDR network: 'bad.example.com' (scan ignores this line)`,
  ]);
  fs.writeFileSync(path.join(dir, 'auth.log'), '');
  fs.writeFileSync(path.join(dir, 'wl.txt'), '192.0.2.0/24\n');
  expect(configWarnings(cfg)).toEqual([]);
});
