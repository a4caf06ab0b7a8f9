/** The command line as users and cron run it: real processes, real files, exit codes. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import * as zlib from 'node:zlib';
import { CLI, cli, cliAsync } from '../helpers/cli';
import { makeEnv, sshdFail } from '../helpers/context';

const NOW = ['--now', new Date('2026-11-22T02:00:00').toISOString()];

function env(extra = '[sshd]\nlog = auth.log\n') {
  const e = makeEnv(extra);
  const cfg = ['--config', path.join(e.dir, 'autoban.cfg')];
  return { ...e, cfg };
}

test('--help lists the commands; every entrypoint answers --help', () => {
  const r = cli(['--help']);
  expect(r.code).toBe(0);
  for (const c of ['run', 'scan', 'expire', 'sync-pull', 'sync-push', 'ban', 'unban', 'status', 'test', 'check-config', 'whitelist', 'flush']) expect(r.stdout).toContain(`autoban ${c}`);
  for (const bin of ['scan', 'expire', 'sync-pull', 'sync-push', 'run', 'ban', 'unban', 'status', 'test']) {
    expect(cli(['--help'], { bin }).code).toBe(0);
  }
});

test('usage errors exit 64 with one line', () => {
  const r = cli(['frobnicate']);
  expect(r.code).toBe(64);
  expect(cli(['ban']).code).toBe(64);
});

test('a broken config exits 78 naming file, key and problem, before touching anything', () => {
  const e = env('[sshd]\nlog = auth.log\nlogin_attempts_threshold = many\n');
  const r = cli(['run', '--no-jitter', ...e.cfg]);
  expect(r.code).toBe(78);
  expect(r.stderr.trim()).toBe(`autoban: config error: ${e.dir}/autoban.cfg: [sshd] login_attempts_threshold: expected a whole number, got 'many'`);
  expect(fs.existsSync(path.join(e.dir, 'state'))).toBe(false);
  expect(cli(['status', '--config', path.join(e.dir, 'missing.cfg')]).code).toBe(78);
});

test('a missing log exits 66', () => {
  const e = env();
  const r = cli(['scan', ...e.cfg]);
  expect(r.code).toBe(66);
  expect(r.stderr.trimEnd().split('\n').pop()).toBe(`autoban: scan: ${e.dir}/auth.log: does not exist`);
});

test('a log path that is a directory or a FIFO exits 66 naming it; the other sources are still scanned and banned from', () => {
  const e = env('[sshd]\nlog = logs\n[fifo]\nparser = sshd\nlog = pipe\n[other]\nparser = sshd\nlog = auth.log\n');
  fs.mkdirSync(path.join(e.dir, 'logs'));
  expect(spawnSync('mkfifo', [path.join(e.dir, 'pipe')]).status).toBe(0);
  e.write('auth.log', sshdFail('01:00:00', '192.0.2.7', 'root') + sshdFail('01:00:05', '192.0.2.7', 'root'));
  // timeout: opening a FIFO waits for a writer, and a hung cron scan would hold the state lock.
  const r = cli(['scan', ...e.cfg, ...NOW], { timeout: 20000 });
  expect(r.code).toBe(66);
  expect(r.stderr).not.toContain('internal error');
  expect(r.stderr.split('\n').filter((l) => l.startsWith('autoban:'))).toEqual([`autoban: scan: ${e.dir}/logs: is a directory, not a log file; ${e.dir}/pipe: is a named pipe (FIFO), not a log file`]);
  expect(e.denyTargets()).toEqual(['192.0.2.7']);
  // test reads a FIFO (below), never a directory.
  const t = cli(['test', path.join(e.dir, 'logs'), '--parser', 'sshd', ...NOW], { timeout: 20000 });
  expect({ code: t.code, stderr: t.stderr }).toEqual({ code: 66, stderr: `autoban: test: ${e.dir}/logs: is a directory, not a log file\n` });
});

describe('test reads a pipe to its end, as it reads a file: a FIFO, <(zcat …), standard input (-)', () => {
  const lines = sshdFail('01:00:00', '192.0.2.7', 'root') + sshdFail('01:00:05', '192.0.2.7', 'root') + sshdFail('01:00:09', '198.51.100.3', 'bob');
  const run = (log: string, opts: { input?: string } = {}) => cli(['test', log, '--parser', 'sshd', ...NOW], { timeout: 20000, ...opts });
  const fromFile = () => {
    const e = env();
    const r = run(e.write('auth.log', lines));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('would ban 192.0.2.7 rule=suspicious_users failures=2');
    expect(r.stdout).toMatch(/^3 lines, 3 login events, 1 ban$/m);
    return { e, out: r.stdout };
  };

  test('a FIFO with a writer', () => {
    const { e, out } = fromFile();
    const fifo = path.join(e.dir, 'pipe');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    // The writer blocks in open(2) until the CLI opens the FIFO to read it.
    const writer = spawn('sh', ['-c', 'cat "$0" > "$1"', path.join(e.dir, 'auth.log'), fifo], { stdio: 'ignore' });
    try {
      const r = run(fifo);
      expect({ code: r.code, stderr: r.stderr, stdout: r.stdout }).toEqual({ code: 0, stderr: '', stdout: out });
    } finally {
      writer.kill('SIGKILL');
    }
  });

  test('process substitution: autoban test <(zcat auth.log.2.gz)', () => {
    const { e, out } = fromFile();
    fs.writeFileSync(path.join(e.dir, 'auth.log.2.gz'), zlib.gzipSync(lines));
    const r = spawnSync('bash', ['-c', 'exec "$0" "$1" test <(zcat "$2") --parser sshd "$3" "$4"', process.execPath, CLI, path.join(e.dir, 'auth.log.2.gz'), ...NOW], { encoding: 'utf8', timeout: 20000, killSignal: 'SIGKILL' });
    expect({ code: r.status, stderr: r.stderr, stdout: r.stdout }).toEqual({ code: 0, stderr: '', stdout: out });
  });

  test('standard input: zcat … | autoban test - (also after --)', () => {
    const { out } = fromFile();
    const r = run('-', { input: lines });
    expect({ code: r.code, stderr: r.stderr, stdout: r.stdout }).toEqual({ code: 0, stderr: '', stdout: out });
    const after = cli(['test', '--parser', 'sshd', ...NOW, '--', '-'], { timeout: 20000, input: lines });
    expect(after.stdout).toBe(out);
    expect(run('-', { input: '' }).stdout).toBe('0 lines, 0 login events, 0 bans\n');
  });
});

test('a log that cannot be read (permission denied) exits 66 naming it', () => {
  const e = env();
  fs.chmodSync(e.dir, 0o755);
  const log = e.write('auth.log', sshdFail('01:00:00', '192.0.2.7', 'root'));
  fs.chmodSync(log, 0o600);
  // Root reads any file: run as nobody then (a real permission check, not a faked error).
  const asUser = process.getuid?.() === 0 ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'] : [];
  const [cmd, ...pre] = [...asUser, process.execPath];
  const t = spawnSync(cmd as string, [...pre, CLI, 'test', log, '--parser', 'sshd', ...NOW], { encoding: 'utf8' });
  expect({ code: t.status, stderr: t.stderr }).toEqual({ code: 66, stderr: `autoban: test: ${log}: cannot read it: permission denied\n` });
});

/** The project's own modules (dist/lib/…) a CLI run loads, through a module-loader probe, with the run's exit code. */
function modulesLoaded(args: string[]): { code: number; modules: string[] } {
  const lib = path.join(path.dirname(CLI), '..', 'lib');
  const probe = `const M=require('module');const o=M._resolveFilename;const seen=new Set();M._resolveFilename=function(...a){const f=o.apply(this,a);seen.add(f);return f};process.on('exit',(c)=>{process.stderr.write('\\nLOADED '+JSON.stringify({code:c,modules:[...seen]})+'\\n')});require(${JSON.stringify(path.join(lib, 'cli.js'))}).main(${JSON.stringify(args)})`;
  const r = spawnSync(process.execPath, ['-e', probe], { encoding: 'utf8' });
  const line = r.stderr.split('\n').find((l) => l.startsWith('LOADED '));
  if (!line) throw new Error(`no probe output: ${r.stderr}`);
  const out = JSON.parse(line.slice('LOADED '.length)) as { code: number; modules: string[] };
  return { code: out.code, modules: out.modules.filter((f) => f.startsWith(lib)).map((f) => path.relative(lib, f).replace(/\.js$/, '')) };
}

test('a cron scan of a small log loads only what it needs: no sync, status, firewall, journal or worker-thread code', () => {
  const e = env();
  e.write('auth.log', sshdFail('01:00:00', '192.0.2.7', 'root') + sshdFail('01:00:05', '192.0.2.7', 'root'));
  for (const round of ['bans', 'nothing new']) {
    const r = modulesLoaded(['scan', ...e.cfg, ...NOW, '--quiet']);
    expect({ round, code: r.code }).toEqual({ round, code: 0 });
    expect(r.modules).toContain('commands/scan');
    const unneeded = r.modules.filter((m) => /^(sync\/|backends|journal-reader|offload|scan-worker|commands\/(sync-|status|flush|ban|expire|run|test-log))/.test(m) && m !== 'backends-apply');
    expect({ round, unneeded }).toEqual({ round, unneeded: [] });
  }
  expect(e.denyTargets()).toEqual(['192.0.2.7']);
});

test('run bans, status shows it (table and JSON), unban lifts it; stdout is only command output', () => {
  const e = env();
  e.write('auth.log', sshdFail('01:00:00', '192.0.2.7', 'root') + sshdFail('01:00:05', '192.0.2.7', 'root'));
  const r = cli(['run', '--no-jitter', ...e.cfg, ...NOW]);
  expect(r.code).toBe(0);
  expect(r.stdout).toBe('');
  expect(r.stderr).toMatch(/^\S+Z autoban\[\d+\]: banned 192.0.2.7 rule=suspicious_users failures=2 source=sshd until=/m);
  expect(e.denyTargets()).toEqual(['192.0.2.7']);
  const st = cli(['status', ...e.cfg, ...NOW]);
  expect(st.stdout).toMatch(/^IP\s+REASON\s+BANNED AT\s+EXPIRES IN\s+NODE/);
  expect(st.stdout).toMatch(/192\.0\.2\.7\s+suspicious_users failures=2\s+\S+\s+23h(?:\d+m)?\s+test1/);
  const js = JSON.parse(cli(['status', '--json', ...e.cfg, ...NOW]).stdout);
  expect(js).toEqual([expect.objectContaining({ ip: '192.0.2.7', rule: 'suspicious_users', node: 'test1', origin: 'scan', banCount: 1, expiresAt: expect.any(String) })]);
  const u = cli(['unban', '192.0.2.7', ...e.cfg, ...NOW]);
  expect(u.code).toBe(0);
  expect(e.denyTargets()).toEqual([]);
  expect(JSON.parse(cli(['status', '--json', ...e.cfg, ...NOW]).stdout)).toEqual([]);
});

test('manual ban: duration, reason, IPv6, refusal of whitelisted and invalid targets, dry run', () => {
  const e = env();
  e.write('whitelist.txt', '203.0.113.0/24\n');
  expect(cli(['ban', '198.51.100.9', '--duration', '2h', '--reason', 'scanner', ...e.cfg, ...NOW]).code).toBe(0);
  expect(cli(['ban', '2001:DB8::9', ...e.cfg, ...NOW]).code).toBe(0);
  const wl = cli(['ban', '203.0.113.4', ...e.cfg, ...NOW]);
  expect(wl.code).toBe(65);
  expect(wl.stderr).toContain('refusing to ban 203.0.113.4: it is whitelisted');
  expect(cli(['ban', '0.0.0.0/0', ...e.cfg]).code).toBe(64);
  expect(cli(['ban', 'ALL', ...e.cfg]).code).toBe(64);
  const dry = cli(['ban', '198.51.100.10', '--dry-run', ...e.cfg, ...NOW]);
  expect(dry.stderr).toContain('would ban 198.51.100.10');
  expect(e.read('hosts.deny')).toContain('ALL: [2001:db8::9]\n');
  expect(e.denyTargets()).toEqual(['198.51.100.9', '[2001:db8::9]']);
  const js = JSON.parse(cli(['status', '--json', ...e.cfg, ...NOW]).stdout);
  expect(js[0]).toMatchObject({ ip: '198.51.100.9', reason: 'scanner', rule: 'manual' });
  expect(new Date(js[0].expiresAt).getTime() - new Date(js[0].bannedAt).getTime()).toBe(7200e3);
});

test('ban --duration shorter than the ban in force says the ban stays, and changes nothing; a longer one extends it', () => {
  const e = env();
  expect(cli(['ban', '198.51.100.20', '--duration', 'permanent', ...e.cfg, ...NOW]).code).toBe(0);
  const before = e.read('state/bans.json');
  const shorter = cli(['ban', '198.51.100.20', '--duration', '1h', ...e.cfg, ...NOW]);
  expect(shorter.code).toBe(0);
  // Not "banned … until (1h)": the permanent ban stays in force, and the admin is told how to shorten it.
  expect(shorter.stderr).not.toMatch(/: banned 198\.51\.100\.20/);
  expect(shorter.stderr).toMatch(/warning: 198\.51\.100\.20 stays banned: .*until=permanent.*--duration 1h would end sooner.*autoban unban 198\.51\.100\.20, then ban it again/);
  expect(e.read('state/bans.json')).toBe(before);
  expect(JSON.parse(cli(['status', '--json', ...e.cfg, ...NOW]).stdout)).toEqual([expect.objectContaining({ ip: '198.51.100.20', expiresAt: null })]);
  // A 1d ban, then 2h: stays 1d; then 1w: extended.
  expect(cli(['ban', '198.51.100.21', ...e.cfg, ...NOW]).code).toBe(0);
  expect(cli(['ban', '198.51.100.21', '--duration', '2h', ...e.cfg, ...NOW]).stderr).toContain('198.51.100.21 stays banned');
  const expiry = () => JSON.parse(cli(['status', '--json', ...e.cfg, ...NOW]).stdout).find((b: { ip: string }) => b.ip === '198.51.100.21').expiresAt;
  expect(new Date(expiry()).getTime() - new Date(NOW[1]!).getTime()).toBe(86400e3);
  expect(cli(['ban', '198.51.100.21', '--duration', '1w', ...e.cfg, ...NOW]).stderr).toMatch(/: banned 198\.51\.100\.21 .*\(7d\)/);
  expect(new Date(expiry()).getTime() - new Date(NOW[1]!).getTime()).toBe(7 * 86400e3);
});

test('flush --backend with a name that is no firewall backend is a usage error (64), not a silent no-op', () => {
  const e = env();
  const r = cli(['flush', '--backend', 'nftable', ...e.cfg]);
  expect(r.code).toBe(64);
  expect(r.stderr).toMatch(/^autoban: Invalid values: Argument: backend, Given: "nftable", Choices: "iptables", "ipset", "nftables"\n$/);
  expect(cli(['flush', '--backend', 'hostsdeny', ...e.cfg]).code).toBe(64);
});

test('20 concurrent `autoban ban` processes lose nothing', async () => {
  const e = env();
  const ips = Array.from({ length: 20 }, (_, i) => `198.51.100.${i + 100}`);
  const results = await Promise.all(ips.map((ip) => cliAsync(['ban', ip, ...e.cfg])));
  expect(results.map((r) => r.code)).toEqual(ips.map(() => 0));
  expect(e.denyTargets().sort()).toEqual([...ips].sort());
  const js = JSON.parse(cli(['status', '--json', ...e.cfg]).stdout);
  expect(js.map((b: { ip: string }) => b.ip).sort()).toEqual([...ips].sort());
}, 60000);

test('a held lock makes the next run wait, then exit 75 after lock_timeout', () => {
  const e = makeEnv('[sshd]\nlog = auth.log\n', { defaults: 'lock_timeout = 1s\n' });
  fs.mkdirSync(path.join(e.dir, 'state'), { recursive: true });
  fs.mkdirSync(path.join(e.dir, 'state', 'autoban.lock')); // held by a live process (fresh mtime)
  const r = cli(['ban', '192.0.2.1', '--config', path.join(e.dir, 'autoban.cfg')]);
  expect(r.code).toBe(75);
  expect(r.stderr).toContain('another autoban is running');
});

test('a stale lock left by a killed process is recovered', () => {
  const e = env();
  const lock = path.join(e.dir, 'state', 'autoban.lock');
  fs.mkdirSync(lock, { recursive: true });
  const old = new Date(Date.now() - 120_000);
  fs.utimesSync(lock, old, old);
  expect(cli(['ban', '192.0.2.1', ...e.cfg]).code).toBe(0);
  expect(e.denyTargets()).toEqual(['192.0.2.1']);
});

test('test --json prints one event per recognised line, then the bans the rules would make', () => {
  const e = env();
  e.write('auth.log', 'Nov 22 01:00:00 h sshd[1]: Server listening\n' + sshdFail('01:00:01', '192.0.2.3', 'root') + sshdFail('01:00:02', '192.0.2.3', 'root'));
  const r = cli(['test', path.join(e.dir, 'auth.log'), '--parser', 'sshd', '--json', ...NOW]);
  expect(r.code).toBe(0);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  expect(lines[0]).toEqual({ lineNo: 2, time: new Date('2026-11-22T01:00:01').toISOString(), ip: '192.0.2.3', user: 'root', outcome: 'failure', parser: 'sshd' });
  expect(lines[2]).toMatchObject({ ban: '192.0.2.3', rule: 'suspicious_users', failures: 2 });
  expect(e.read('hosts.deny')).toBe('');
});

test('summaries count in words a user reads: "1 line, 1 login event", "1 ban", not "1 lines" or "1 bans"', () => {
  const e = env();
  e.write('auth.log', sshdFail('01:00:01', '192.0.2.3', 'root') + sshdFail('01:00:02', '192.0.2.3', 'root'));
  const t = cli(['test', path.join(e.dir, 'auth.log'), '--parser', 'sshd', ...NOW]);
  expect(t.stdout.trim().split('\n').pop()).toBe('2 lines, 2 login events, 1 ban');
  e.write('one.log', sshdFail('01:00:01', '192.0.2.4', 'bob'));
  expect(cli(['test', path.join(e.dir, 'one.log'), '--parser', 'sshd', ...NOW]).stdout.trim().split('\n').pop()).toBe('1 line, 1 login event, 0 bans');
  e.write('auth.log', sshdFail('01:00:01', '192.0.2.4', 'bob'));
  const s = cli(['scan', ...e.cfg, ...NOW]);
  expect(s.stderr).toMatch(/: scan: 1 new line, 1 failed login, 0 new bans$/m);
  expect(cli(['ban', '198.51.100.9', ...e.cfg, ...NOW]).code).toBe(0);
  expect(cli(['status', ...e.cfg, ...NOW]).stdout).toMatch(/^1 active ban$/m);
});

test('the deny file keeps foreign lines, adopts old-tool bans, is 0644 and never rewritten without change', () => {
  const e = env();
  e.write('hosts.deny', 'sshd: 192.0.2.200\nALL: 198.51.100.77\n');
  e.write('auth.log', '');
  expect(cli(['run', '--no-jitter', ...e.cfg]).code).toBe(0);
  const text = e.read('hosts.deny');
  expect(text.startsWith('sshd: 192.0.2.200\n# BEGIN autoban')).toBe(true);
  expect(e.denyTargets()).toEqual(['198.51.100.77']);
  const st = fs.statSync(path.join(e.dir, 'hosts.deny'));
  expect(st.mode & 0o777).toBe(0o644);
  expect(fs.statSync(path.join(e.dir, 'state')).mode & 0o777).toBe(0o700);
  expect(fs.statSync(path.join(e.dir, 'state', 'bans.json')).mode & 0o777).toBe(0o600);
  cli(['run', '--no-jitter', ...e.cfg]);
  expect(fs.statSync(path.join(e.dir, 'hosts.deny')).ino).toBe(st.ino);
});

test('damaged markers: refuse to rewrite the deny file (exit 65), keep the database', () => {
  const e = env();
  e.write('hosts.deny', '# BEGIN autoban -- managed by autoban, edits between these markers are overwritten\nALL: 192.0.2.1\n');
  const r = cli(['ban', '192.0.2.2', ...e.cfg]);
  expect(r.code).toBe(65);
  expect(r.stderr).toContain('the autoban markers are damaged');
  expect(e.read('hosts.deny')).toBe('# BEGIN autoban -- managed by autoban, edits between these markers are overwritten\nALL: 192.0.2.1\n');
});

test('a corrupt ban database is reported by name and rebuilt from the last good copy', () => {
  const e = env();
  cli(['ban', '192.0.2.1', ...e.cfg]);
  cli(['ban', '192.0.2.2', ...e.cfg]);
  fs.writeFileSync(path.join(e.dir, 'state', 'bans.json'), '{"version":1,"bans":[{"ip":"19');
  const r = cli(['ban', '192.0.2.3', ...e.cfg]);
  expect(r.code).toBe(0);
  expect(r.stderr).toContain(`${e.dir}/state/bans.json: not valid JSON`);
  expect(r.stderr).toContain('recovered the ban database from the last good copy');
  expect(e.denyTargets()).toEqual(['192.0.2.1', '192.0.2.2', '192.0.2.3']);
});

test('expire --dry-run says what it would lift and lifts nothing; expire lifts it', () => {
  const e = env();
  expect(cli(['ban', '192.0.2.8', '--duration', '1h', ...e.cfg, '--now', '2026-11-22T00:00:00Z']).code).toBe(0);
  const later = ['--now', '2026-11-22T02:00:00Z'];
  const dry = cli(['expire', '--dry-run', ...e.cfg, ...later]);
  expect(dry.code).toBe(0);
  expect(dry.stderr).toMatch(/: expire: would lift 1 ban \(dry run, nothing changed\)$/m);
  expect(dry.stderr).not.toContain('lifted');
  expect(e.denyTargets()).toEqual(['192.0.2.8']);
  const real = cli(['expire', ...e.cfg, ...later]);
  expect(real.stderr).toMatch(/: expire: 1 ban lifted$/m);
  expect(e.denyTargets()).toEqual([]);
});

test('a ban lifted because the whitelist now covers it says whitelisted, not expired (expire, scan, ban, whitelist add)', () => {
  const e = env();
  e.write('auth.log', '');
  const at = ['--now', '2026-11-22T00:00:00Z'];
  for (const ip of ['192.0.2.7', '198.51.100.7', '203.0.113.7', '203.0.113.9']) expect(cli(['ban', ip, ...e.cfg, ...at]).code).toBe(0);
  // The admin edits the whitelist by hand; the next command's commit lifts the ban.
  e.write('whitelist.txt', '192.0.2.0/24\n');
  const dry = cli(['expire', '--dry-run', ...e.cfg, ...at]);
  expect(dry.stderr).toMatch(/: whitelisted: 192\.0\.2\.7 \(ban would be lifted\)$/m);
  expect(dry.stderr).not.toContain('expired');
  const exp = cli(['expire', ...e.cfg, ...at]);
  expect(exp.stderr).toMatch(/: whitelisted: 192\.0\.2\.7 \(ban lifted\)$/m);
  expect(exp.stderr).not.toContain('expired: ');
  e.write('whitelist.txt', '192.0.2.0/24\n198.51.100.7\n');
  const scan = cli(['scan', ...e.cfg, ...at]);
  expect(scan.stderr).toMatch(/: whitelisted: 198\.51\.100\.7 \(ban lifted\)$/m);
  expect(scan.stderr).not.toContain('expired: ');
  e.write('whitelist.txt', '192.0.2.0/24\n198.51.100.7\n203.0.113.9\n');
  const ban = cli(['ban', '203.0.113.8', ...e.cfg, ...at]);
  expect(ban.stderr).toMatch(/: whitelisted: 203\.0\.113\.9 \(ban lifted\)$/m);
  const add = cli(['whitelist', 'add', '203.0.113.7', ...e.cfg, ...at]);
  expect(add.code).toBe(0);
  expect(add.stderr.trim().split('\n').map((l) => l.replace(/^.*?autoban\[\d+\]: /, ''))).toEqual([`whitelist: added 203.0.113.7 to ${e.dir}/whitelist.txt`, 'whitelisted: 203.0.113.7 (ban lifted)']);
  expect(e.denyTargets()).toEqual(['203.0.113.8']);
});

test('whitelist remove reports the bans it puts back in force, as scan and ban report a ban', () => {
  const e = env();
  const at = (t: string) => ['--now', `2026-11-22T${t}:00Z`];
  expect(cli(['ban', '198.51.100.8', ...e.cfg, ...at('02:00')]).code).toBe(0);
  expect(cli(['ban', '198.51.100.9', '--duration', '1h', ...e.cfg, ...at('02:00')]).code).toBe(0);
  expect(cli(['ban', '203.0.113.9', ...e.cfg, ...at('02:00')]).code).toBe(0);
  expect(cli(['whitelist', 'add', '198.51.100.0/24', ...e.cfg, ...at('02:30')]).code).toBe(0);
  // A line deleted by hand from the managed block comes back with the same commit, for its own reason.
  e.write('hosts.deny', e.read('hosts.deny').replace('ALL: 203.0.113.9\n', ''));
  const r = cli(['whitelist', 'remove', '198.51.100.0/24', ...e.cfg, ...at('04:00')]);
  expect(r.code).toBe(0);
  // 198.51.100.9's hour ran out while it was whitelisted: it stays lifted.
  expect(r.stderr.trim().split('\n').map((l) => l.replace(/^.*?autoban\[\d+\]: /, ''))).toEqual([
    `whitelist: removed 198.51.100.0/24 from ${e.dir}/whitelist.txt`,
    'banned 198.51.100.8 rule=manual failures=0 source=manual until=2026-11-23T02:00:00.000Z (22h) (no longer whitelisted)',
    'banned 203.0.113.9 rule=manual failures=0 source=manual until=2026-11-23T02:00:00.000Z (22h) (back in force)',
  ]);
  expect(e.denyTargets()).toEqual(['198.51.100.8', '203.0.113.9']);
});

test('check-config summarises a valid config', () => {
  const e = env();
  const r = cli(['check-config', ...e.cfg]);
  expect(r.code).toBe(0);
  expect(r.stdout).toContain(`source [sshd] parser=sshd log=${e.dir}/auth.log`);
});

test('whitelist add/list/remove edits the local file and takes effect at once', () => {
  const e = env();
  const wl = `${e.dir}/whitelist.txt`;
  // Its lines, in the past tense as for the shared whitelist ("add X to F" read as an instruction).
  const said = (r: { stderr: string }) => r.stderr.split('\n').filter((l) => l.includes('whitelist: ')).map((l) => l.replace(/^.*?whitelist: /, ''));
  expect(cli(['ban', '198.51.100.44', ...e.cfg]).code).toBe(0);
  expect(said(cli(['whitelist', 'add', '198.51.100.0/24', '--dry-run', ...e.cfg]))).toEqual([`would add 198.51.100.0/24 to ${wl}`]);
  const add = cli(['whitelist', 'add', '198.51.100.0/24', ...e.cfg]);
  expect(add.code).toBe(0);
  expect(said(add)).toEqual([`added 198.51.100.0/24 to ${wl}`]);
  expect(said(cli(['whitelist', 'add', '198.51.100.0/24', ...e.cfg]))).toEqual([`198.51.100.0/24 is already in ${wl}`]);
  expect(said(cli(['whitelist', 'remove', '198.51.100.0/24', '--dry-run', ...e.cfg]))).toEqual([`would remove 198.51.100.0/24 from ${wl}`]);
  expect(cli(['whitelist', 'list', ...e.cfg]).stdout).toBe('198.51.100.0/24\n');
  expect(e.read('whitelist.txt')).toContain('198.51.100.0/24');
  expect(e.denyTargets()).toEqual([]); // the banned address is whitelisted now
  expect(cli(['ban', '198.51.100.45', ...e.cfg]).code).toBe(65);
  expect(cli(['whitelist', 'add', 'not-an-ip', ...e.cfg]).code).toBe(64);
  const remove = cli(['whitelist', 'remove', '198.51.100.0/24', ...e.cfg]);
  expect(remove.code).toBe(0);
  expect(said(remove)).toEqual([`removed 198.51.100.0/24 from ${wl}`]);
  expect(cli(['whitelist', 'list', ...e.cfg]).stdout).toBe('');
  expect(cli(['ban', '198.51.100.45', ...e.cfg]).code).toBe(0);
});

test('`--` ends the options: ban, unban, whitelist add/remove and test take what follows as their arguments, never as options', () => {
  const e = env('[sshd]\nlog = auth.log\n');
  const r = cli(['ban', ...e.cfg, '--reason', 'scanner', '--', '192.0.2.7']);
  expect(r.code).toBe(0);
  expect(r.stderr).toMatch(/banned 192\.0\.2\.7 /);
  expect(e.denyTargets()).toEqual(['192.0.2.7']);
  expect(cli(['unban', ...e.cfg, '--', '192.0.2.7']).code).toBe(0);
  expect(e.denyTargets()).toEqual([]);
  expect(cli([...e.cfg, '--', '198.51.100.9'], { bin: 'ban' }).code).toBe(0);
  expect(e.denyTargets()).toEqual(['198.51.100.9']);
  expect(cli(['whitelist', 'add', ...e.cfg, '--', '203.0.113.5']).code).toBe(0);
  expect(cli(['whitelist', ...e.cfg, '--', 'add', '203.0.113.6']).code).toBe(0);
  expect(e.read('whitelist.txt')).toMatch(/^203\.0\.113\.5$[\s\S]*^203\.0\.113\.6$/m);
  expect(cli(['whitelist', 'remove', ...e.cfg, '--', '203.0.113.5']).code).toBe(0);
  expect(e.read('whitelist.txt')).not.toMatch(/^203\.0\.113\.5$/m);
  e.write('-odd.log', sshdFail('01:00:00', '192.0.2.3', 'root'));
  const t = cli(['test', '--parser', 'sshd', '--', '-odd.log'], { cwd: e.dir });
  expect(t.code).toBe(0);
  expect(t.stdout).toContain('192.0.2.3');
  // After `--` an option-like word is an argument: named in the error, and never acted on.
  const dash = cli(['ban', ...e.cfg, '--', '--dry-run']);
  expect(dash.code).toBe(64);
  expect(dash.stderr.trim()).toBe("autoban: not an IP address or network: '--dry-run' (networks wider than /8 for IPv4 or /16 for IPv6 are refused)");
  const op = cli(['whitelist', ...e.cfg, '--', '-x', '192.0.2.9']);
  expect(op.code).toBe(64);
  expect(op.stderr).toContain('Given: "-x"');
  expect(e.denyTargets()).toEqual(['198.51.100.9']);
});

test('an option given no value names the option: `ban --reason -- IP` is a usage error, not a missing address', () => {
  const e = env('[sshd]\nlog = auth.log\n');
  const r = cli(['ban', ...e.cfg, '--reason', '--', '203.0.113.7']);
  expect(r.code).toBe(64);
  expect(r.stderr.trim()).toBe("autoban: --reason needs a value (the '--' after it ends the options)");
  const c = cli(['ban', '-c', '--', '203.0.113.7']);
  expect(c.code).toBe(64);
  expect(c.stderr.trim()).toBe("autoban: -c needs a value (the '--' after it ends the options)");
  // At the end of the line, too (yargs alone says "Not enough arguments following: reason").
  const end = cli(['ban', '203.0.113.7', ...e.cfg, '--reason']);
  expect(end.code).toBe(64);
  expect(end.stderr.trim()).toBe('autoban: --reason needs a value');
  expect(e.denyTargets()).toEqual([]);
  // A value, or no --reason at all, still works with `--`.
  expect(cli(['ban', ...e.cfg, '--reason', 'x', '--', '203.0.113.7']).code).toBe(0);
  expect(cli(['ban', ...e.cfg, '--', '203.0.113.8']).code).toBe(0);
  expect(e.denyTargets()).toEqual(['203.0.113.7', '203.0.113.8']);
});

test('VALUE_OPTIONS lists exactly the options that take a value', () => {
  const src = fs.readFileSync(path.join(__dirname, '..', '..', 'lib', 'cli.ts'), 'utf8');
  const declared = [...src.matchAll(/\.option\('([a-z-]+)', \{([^}]*)\}/g)].filter((m) => /requiresArg: true/.test(m[2]!)).flatMap((m) => {
    const alias = /alias: '(\w)'/.exec(m[2]!);
    return [`--${m[1]}`, ...(alias ? [`-${alias[1]}`] : [])];
  });
  // Read from the source, not imported: lib/cli.ts retunes V8 for the process that loads it (lib/tiering.ts).
  const listed = [.../export const VALUE_OPTIONS = \[([^\]]*)\]/.exec(src)![1]!.matchAll(/'([^']+)'/g)].map((m) => m[1]);
  expect(listed.sort()).toEqual(declared.sort());
});

test('ban lifting another ban whose time is up says it expired (as expire does), not "removed"', () => {
  const e = env('[sshd]\nlog = auth.log\n');
  expect(cli(['ban', '203.0.113.7', '--duration', '1h', ...e.cfg, '--now', '2026-11-22T02:00:00Z']).code).toBe(0);
  const r = cli(['ban', '203.0.113.8', ...e.cfg, '--now', '2026-11-22T04:00:00Z']);
  expect(r.code).toBe(0);
  expect(r.stderr).toMatch(/: expired: 203\.0\.113\.7$/m);
  expect(r.stderr).not.toContain('removed');
  expect(e.denyTargets()).toEqual(['203.0.113.8']);
});

test('unban reports the other bans its commit lifts (time up, whitelisted), not only the one it unbans', () => {
  const e = env('[sshd]\nlog = auth.log\n');
  expect(cli(['ban', '203.0.113.7', '--duration', '1h', ...e.cfg, '--now', '2026-11-22T02:00:00Z']).code).toBe(0);
  for (const ip of ['203.0.113.8', '198.51.100.8']) expect(cli(['ban', ip, ...e.cfg, '--now', '2026-11-22T02:00:00Z']).code).toBe(0);
  e.write('whitelist.txt', '198.51.100.8\n');
  const r = cli(['unban', '203.0.113.8', ...e.cfg, '--now', '2026-11-22T04:00:00Z']);
  expect(r.code).toBe(0);
  expect(r.stderr.trim().split('\n').map((l) => l.replace(/^.*?autoban\[\d+\]: /, ''))).toEqual(['unbanned 203.0.113.8', 'whitelisted: 198.51.100.8 (ban lifted)', 'expired: 203.0.113.7']);
  expect(e.denyTargets()).toEqual([]);
});

test('sync-push adopting an old node\'s shared hosts.deny lines reports the bans that commit lifts (time up, whitelisted)', () => {
  const e = env('[sshd]\nlog = auth.log\n[sync]\ncontext = local\nshared_dir = shared\n');
  fs.mkdirSync(path.join(e.dir, 'shared'));
  expect(cli(['ban', '203.0.113.7', '--duration', '1h', ...e.cfg, '--now', '2026-11-22T02:00:00Z']).code).toBe(0);
  expect(cli(['ban', '198.51.100.8', ...e.cfg, '--now', '2026-11-22T02:00:00Z']).code).toBe(0);
  expect(cli(['sync-push', ...e.cfg, '--now', '2026-11-22T02:00:00Z']).code).toBe(0);
  e.append('shared/hosts.deny', 'ALL: 192.0.2.77\n'); // what an old node appends
  e.write('whitelist.txt', '198.51.100.8\n');
  const r = cli(['sync-push', ...e.cfg, '--now', '2026-11-22T04:00:00Z']);
  expect(r.code).toBe(0);
  expect(r.stderr.trim().split('\n').map((l) => l.replace(/^.*?autoban\[\d+\]: /, '')).slice(0, 3)).toEqual([
    `sync-push: adopted 192.0.2.77 from ${e.dir}/shared/hosts.deny`,
    'whitelisted: 198.51.100.8 (ban lifted)',
    'expired: 203.0.113.7',
  ]);
  expect(e.denyTargets()).toEqual(['192.0.2.77']);
});

test('ban and unban with a failing firewall backend: the committed change is reported first, then the backend error (exit 71)', () => {
  const e = makeEnv('[sshd]\nlog = auth.log\n', { defaults: 'backend = hostsdeny, nftables\n' });
  const cfg = ['--config', path.join(e.dir, 'autoban.cfg')];
  const lines = (s: string) => s.split('\n').filter((l) => l).map((l) => l.replace(/^\S+ autoban\[\d+\]: /, ''));
  // No nft on PATH: the backend fails (and no real firewall is touched).
  const env = { PATH: '/nonexistent-autoban-test' };
  const b = cli(['ban', '192.0.2.7', ...cfg], { env });
  expect(b.code).toBe(71);
  expect(lines(b.stderr)).toEqual([
    expect.stringMatching(/^banned 192\.0\.2\.7 rule=manual /),
    'error: nft: command not found (install nftables)',
    'autoban: firewall backend failed: nft: command not found (install nftables) (the deny file was still updated)',
  ]);
  expect(e.denyTargets()).toEqual(['192.0.2.7']);
  const u = cli(['unban', '192.0.2.7', ...cfg], { env });
  expect(u.code).toBe(71);
  expect(lines(u.stderr).slice(0, 2)).toEqual(['unbanned 192.0.2.7', 'error: nft: command not found (install nftables)']);
  expect(e.denyTargets()).toEqual([]);
});

test('scan with a failing firewall backend: each "banned" line comes before the backend error (exit 71)', () => {
  const e = makeEnv('[sshd]\nlog = auth.log\n', { defaults: 'backend = hostsdeny, nftables\n' });
  e.write('auth.log', sshdFail('01:00:00', '192.0.2.7', 'root') + sshdFail('01:00:05', '192.0.2.7', 'root'));
  const lines = (s: string) => s.split('\n').filter((l) => l).map((l) => l.replace(/^\S+ autoban\[\d+\]: /, ''));
  const r = cli(['scan', '--config', path.join(e.dir, 'autoban.cfg'), ...NOW], { env: { PATH: '/nonexistent-autoban-test' } });
  expect(r.code).toBe(71);
  const out = lines(r.stderr);
  const banned = out.findIndex((l) => /^banned 192\.0\.2\.7 rule=/.test(l));
  const failed = out.indexOf('error: nft: command not found (install nftables)');
  expect({ banned: banned >= 0, failed: failed >= 0, order: banned < failed }).toEqual({ banned: true, failed: true, order: true });
  expect(e.denyTargets()).toEqual(['192.0.2.7']);
});
