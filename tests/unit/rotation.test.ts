/**
 * Every rotation style, with lines written between two runs: none lost (the 6th failure bans), none counted
 * twice (after 5 there is no ban with a threshold of 6).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { runScan } from '../../lib/commands/scan';
import { makeEnv, sshdFail } from '../helpers/context';
import { cli } from '../helpers/cli';
import { tmpdir } from '../helpers/tmpdir';

const NOW = new Date('2026-11-22T01:30:00').toISOString();
const fail = (i: number) => sshdFail(`01:00:${String(i).padStart(2, '0')}`, '198.51.100.200', 'bob', 100 + i);

/** logrotate with `compresscmd <program>`: the real program compresses the rotated log, keeping its time. */
function compressAtOnce(program: string, ext: string): (log: string) => void {
  return (log) => {
    fs.writeFileSync(`${log}.1${ext}`, execFileSync(program, ['-q', '-c', log]));
    keepMtime(log, `${log}.1${ext}`);
    fs.rmSync(log);
    fs.writeFileSync(log, '');
  };
}

const ROTATIONS: Record<string, (log: string) => void> = {
  'rename + create (logrotate default)': (log) => {
    fs.renameSync(log, `${log}.1`);
    fs.writeFileSync(log, '');
  },
  copytruncate: (log) => {
    fs.copyFileSync(log, `${log}.1`);
    fs.truncateSync(log, 0);
  },
  'rename + compress at once (no delaycompress)': (log) => {
    fs.writeFileSync(`${log}.1.gz`, zlib.gzipSync(fs.readFileSync(log)));
    fs.rmSync(log);
    fs.writeFileSync(log, '');
  },
  'dateext rename': (log) => {
    fs.renameSync(log, `${log}-20261122`);
    fs.writeFileSync(log, '');
  },
  'rename + compress at once with xz (compresscmd /usr/bin/xz)': compressAtOnce('xz', '.xz'),
  'rename + compress at once with zstd': compressAtOnce('zstd', '.zst'),
  'rename + compress at once with bzip2': compressAtOnce('bzip2', '.bz2'),
};

// `log = auth.log*` also matches the rotated generations: they are read as the live log's rotation, not again.
test.each(Object.keys(ROTATIONS).flatMap((style) => ['auth.log', 'auth.log*'].map((log) => [style, log])))('%s (log = %s): nothing lost, nothing counted twice', async (style, logSetting) => {
  const env = makeEnv(`[sshd]\nlog = ${logSetting}\nlogin_attempts_threshold = 6\nsuspicious_users =\n`);
  const log = path.join(env.dir, 'auth.log');
  fs.writeFileSync(log, fail(1) + fail(2) + fail(3));
  expect((await runScan(env.ctx(NOW))).failures).toBe(3);
  fs.appendFileSync(log, fail(4) + fail(5)); // after our run, before rotation
  ROTATIONS[style as string]!(log);
  const r2 = await runScan(env.ctx(NOW));
  expect(r2.failures).toBe(2);
  expect(r2.banned).toEqual([]);
  fs.appendFileSync(log, fail(6));
  const r3 = await runScan(env.ctx(NOW));
  expect(r3.banned.map((b) => [b.ip, b.failures])).toEqual([['198.51.100.200', 6]]);
});

// The same log under a new inode: copied in place (a move to another disk, rsync, `sed -i`, a restore). Its
// bytes up to the position are the ones read: reading on from there, not from the start (which counted them again).
test.each([
  ['copied over by rename (sed -i, rsync)', (log: string) => {
    fs.copyFileSync(log, `${log}.tmp`);
    fs.renameSync(`${log}.tmp`, log);
  }],
  ['deleted and written back (a restore)', (log: string) => {
    const bytes = fs.readFileSync(log);
    fs.linkSync(log, `${log}.held`); // holds the old inode, which the file system would otherwise hand out again
    fs.rmSync(log);
    fs.writeFileSync(log, bytes);
    fs.rmSync(`${log}.held`);
  }],
])('the log %s under a new inode: nothing counted twice, nothing lost', async (_how, copy) => {
  const env = makeEnv('[sshd]\nlog = auth.log\nlogin_attempts_threshold = 6\nsuspicious_users =\n');
  const log = path.join(env.dir, 'auth.log');
  fs.writeFileSync(log, fail(1) + fail(2) + fail(3));
  expect((await runScan(env.ctx(NOW))).failures).toBe(3);
  fs.appendFileSync(log, fail(4) + fail(5));
  const ino = fs.statSync(log).ino;
  copy(log);
  expect(fs.statSync(log).ino).not.toBe(ino);
  const ctx = env.ctx(NOW);
  const r2 = await runScan(ctx);
  expect(r2.failures).toBe(2); // before: 5, and a ban at "8"
  expect(r2.banned).toEqual([]);
  expect(ctx.log.lines).toContain(`scan: ${log} is the log read before under a new inode (copied or restored in place); reading on from where the last run stopped`);
  fs.appendFileSync(log, fail(6));
  const r3 = await runScan(env.ctx(NOW));
  expect(r3.banned.map((b) => [b.ip, b.failures])).toEqual([['198.51.100.200', 6]]);
});

test('a log that does not exist yet (between rename and create): exit 66 this run, read from the start next run', async () => {
  const env = makeEnv('[sshd]\nlog = auth.log\nlogin_attempts_threshold = 6\nsuspicious_users =\n');
  const log = path.join(env.dir, 'auth.log');
  fs.writeFileSync(log, fail(1) + fail(2) + fail(3));
  await runScan(env.ctx(NOW));
  fs.appendFileSync(log, fail(4));
  fs.renameSync(log, `${log}.1`);
  await expect(runScan(env.ctx(NOW))).rejects.toMatchObject({ code: 66 });
  fs.writeFileSync(log, fail(5) + fail(6));
  const r = await runScan(env.ctx(NOW));
  expect(r.banned.map((b) => [b.ip, b.failures])).toEqual([['198.51.100.200', 6]]);
});

/**
 * An `xz` on PATH that first does what `run` says (logrotate meanwhile, or dying), then execs the real one: the
 * rename happens between the scan's listing of the rotated files and its read of them, in a real process.
 */
function fakeXz(run: string): Record<string, string> {
  const bin = tmpdir();
  const real = execFileSync('sh', ['-c', 'command -v xz'], { encoding: 'utf8' }).trim();
  fs.writeFileSync(path.join(bin, 'xz'), `#!/bin/sh\n${run}\nexec ${real} "$@"\n`, { mode: 0o755 });
  // The CLI, not runScan: a child process started inside Jest's sandbox does not see its process.env.
  return { PATH: `${bin}:${process.env.PATH}` };
}

/** For the real CLI on the real clock: an sshd source of threshold 6, failure i at i seconds after two minutes ago. */
function cliClockEnv() {
  const env = makeEnv('[sshd]\nlog = auth.log\nlogin_attempts_threshold = 6\nsuspicious_users =\n');
  const t0 = Math.floor(Date.now() / 1000) * 1000 - 120_000;
  const at = (i: number) => new Date(t0 + i * 1000);
  const line = (i: number, ip: string) => {
    const t = at(i);
    const stamp = `${t.toLocaleString('en-US', { month: 'short' })} ${String(t.getDate()).padStart(2, ' ')} ${t.toTimeString().slice(0, 8)}`;
    return `${stamp} host sshd[${100 + i}]: Failed password for bob from ${ip} port 40000 ssh2\n`;
  };
  return { env, log: path.join(env.dir, 'auth.log'), cfg: ['scan', '--config', path.join(env.dir, 'autoban.cfg')], at, line };
}

/** The `banned …` lines of a run's stderr, as "ip failures=N at=<time of the failure that banned>". */
const bannedLines = (stderr: string) =>
  stderr
    .split('\n')
    .map((l) => / banned (\S+) rule=\S+ (failures=\d+) source=\S+ until=(\S+)/.exec(l))
    .filter((m) => m !== null)
    .map((m) => `${m[1]} ${m[2]} at=${new Date(new Date(m[3] as string).getTime() - 86_400_000).toISOString()}`);

/**
 * The state as the next cron run, `minutes` later, finds it: the first-failure times of the rotated files left
 * to the next run (FilePosition.retried `since`) moved back. The CLI runs on the real clock; this is the
 * only part of the state that depends on the time between runs.
 */
function minutesLater(stateDir: string, minutes: number): void {
  const file = path.join(stateDir, 'positions.json');
  const doc = JSON.parse(fs.readFileSync(file, 'utf8')) as { files: Record<string, { retried?: { since?: number }[] }> };
  for (const p of Object.values(doc.files)) for (const r of p.retried ?? []) if (r.since !== undefined) r.since -= minutes * 60_000;
  fs.writeFileSync(file, JSON.stringify(doc));
}

test('auth.log.1 compressed by the next rotation while the scan reads auth.log.2.xz: exit 66, the other bans written, its lines read at the next run, none counted twice', () => {
  const { env, log, cfg, at, line } = cliClockEnv();
  const B = '198.51.100.200';
  fs.writeFileSync(log, line(1, B) + line(2, B) + line(3, B));
  expect(cli(cfg).code).toBe(0);
  fs.appendFileSync(log, line(4, B));
  compressAtOnce('xz', '.xz')(log);
  fs.writeFileSync(log, line(5, B));
  // The next rotation, with delaycompress: auth.log.1.xz → auth.log.2.xz, auth.log → auth.log.1.
  fs.renameSync(`${log}.1.xz`, `${log}.2.xz`);
  const old = new Date(Date.now() - 2 * 60_000);
  fs.utimesSync(`${log}.2.xz`, old, old);
  fs.renameSync(log, `${log}.1`);
  fs.writeFileSync(log, [7, 8, 9, 10, 11, 12].map((i) => line(i, '203.0.113.7')).join(''));
  // And logrotate runs again while the scan decompresses auth.log.2.xz: auth.log.1 becomes auth.log.1.gz.
  const gzip = execFileSync('sh', ['-c', 'command -v gzip'], { encoding: 'utf8' }).trim();
  const env2 = fakeXz(`[ -e '${log}.1' ] && ${gzip} '${log}.1'`);
  const r = cli(cfg, { env: env2 });
  const notes = r.stderr.split('\n').filter((l) => l.includes(`${log}.1`));
  expect([r.code, notes]).toEqual([
    66,
    [
      expect.stringContaining(`warning: scan: ${log}.1: removed or renamed since the scan listed it (logrotate running meanwhile?); not saving the positions of [sshd], the next run reads it again`),
      expect.stringContaining(`scan: could not finish reading ${log}.1 (see the warnings above); the next run reads it again`),
    ],
  ]);
  // Bans are never lost: 203.0.113.7's, from the live log, is written.
  expect(bannedLines(r.stderr)).toEqual([`203.0.113.7 failures=6 at=${at(12).toISOString()}`]);
  expect(env.denyTargets()).toEqual(['203.0.113.7']);
  expect(fs.existsSync(`${log}.1.gz`)).toBe(true);
  // The next run reads auth.log.2.xz's tail, auth.log.1.gz and the live log again: 198.51.100.200's five
  // failures, no ban (had the last run's failure 4 been kept, it would count twice: a ban now); 203.0.113.7 is
  // not banned again.
  const r2 = cli(cfg, { env: env2 });
  expect([r2.code, bannedLines(r2.stderr)]).toEqual([0, []]);
  expect(r2.stderr).toContain('scan: 8 new lines, 2 failed logins, 0 new bans (6 more lines about addresses already banned)');
  // Nothing lost: the sixth failure bans.
  fs.appendFileSync(log, line(6, B));
  const r3 = cli(cfg);
  expect([r3.code, bannedLines(r3.stderr)]).toEqual([0, [`${B} failures=6 at=${at(6).toISOString()}`]]);
  expect(env.denyTargets()).toEqual([B, '203.0.113.7']);
});

test.each([
  ['xz killed by SIGKILL (the OOM killer)', 'kill -KILL $$', 'SIGKILL'],
  ['xz killed by SIGTERM', 'kill -TERM $$', 'SIGTERM'],
  ['a wrapper in place of xz exiting 137 (its xz killed by SIGKILL)', 'exit 137', 'SIGKILL'],
  // The first run (the fingerprint check) works; the second, the read, writes every line and is then killed.
  ['xz killed by SIGKILL at the end of the read, its lines delivered', `m=$(dirname "$0")/ran; if [ -e "$m" ]; then "$(command -v -p xz)" "$@"; kill -KILL $$; fi; touch "$m"`, 'SIGKILL'],
])('%s: not damage, exit 66 with a warning naming the file and the signal, the other bans written, the file read at the next run', (_what, run, signal) => {
  const { env, log, cfg, at, line } = cliClockEnv();
  const B = '198.51.100.200';
  fs.writeFileSync(log, line(1, B) + line(2, B) + line(3, B));
  expect(cli(cfg).code).toBe(0);
  fs.appendFileSync(log, line(4, B) + line(5, B));
  compressAtOnce('xz', '.xz')(log);
  fs.writeFileSync(log, [7, 8, 9, 10, 11, 12].map((i) => line(i, '203.0.113.7')).join(''));
  const r = cli(cfg, { env: fakeXz(run) });
  const notes = r.stderr.split('\n').filter((l) => l.includes(`${log}.1.xz`));
  expect([r.code, notes]).toEqual([
    66,
    [
      expect.stringContaining(`warning: scan: ${log}.1.xz: xz was killed by ${signal} while decompressing it (out of memory?), which says nothing about the file; not saving the positions of [sshd], the next run reads it again`),
      expect.stringContaining(`scan: could not finish reading ${log}.1.xz (see the warnings above); the next run reads it again`),
    ],
  ]);
  expect(r.stderr).not.toContain('damaged');
  expect(env.denyTargets()).toEqual(['203.0.113.7']);
  // With a working xz: failures 4 and 5 are read, once (five in all, no ban), 203.0.113.7 is not banned again.
  const r2 = cli(cfg);
  expect([r2.code, bannedLines(r2.stderr)]).toEqual([0, []]);
  expect(r2.stderr).toContain('scan: 8 new lines, 2 failed logins, 0 new bans (6 more lines about addresses already banned)');
  fs.appendFileSync(log, line(6, B));
  const r3 = cli(cfg);
  expect([r3.code, bannedLines(r3.stderr)]).toEqual([0, [`${B} failures=6 at=${at(6).toISOString()}`]]);
});

test.each([
  ['killed before it writes anything (the check that the file holds the position fails)', 'kill -KILL $$', 3],
  // The first run of xz in the first scan (the fingerprint check) works; every later one writes all, then dies.
  ['killed at the end of the read, its lines delivered', `m=$(dirname "$0")/ran; if [ -e "$m" ]; then "$(command -v -p xz)" "$@"; kill -KILL $$; fi; touch "$m"`, 5],
])('xz killed by SIGKILL at every run (%s): exit 66 twice, nothing counted twice, then a warning that it gave up after 3 runs, the file skipped, exit 0, the live log counted once', (_what, run, failuresOfB) => {
  const { env, log, cfg, at, line } = cliClockEnv();
  const B = '198.51.100.200';
  const C = '203.0.113.7';
  fs.writeFileSync(log, line(1, B) + line(2, B) + line(3, B));
  expect(cli(cfg).code).toBe(0);
  fs.appendFileSync(log, line(4, B) + line(5, B));
  compressAtOnce('xz', '.xz')(log);
  // Four failures: counted in two runs, they would ban (threshold 6).
  fs.writeFileSync(log, [7, 8, 9, 10].map((i) => line(i, C)).join(''));
  const killing = fakeXz(run);
  const notes = (stderr: string) => stderr.split('\n').filter((l) => l.includes(`${log}.1.xz`));
  for (const n of [1, 2]) {
    const r = cli(cfg, { env: killing });
    expect([n, r.code, notes(r.stderr), bannedLines(r.stderr)]).toEqual([
      n,
      66,
      [
        expect.stringContaining(`warning: scan: ${log}.1.xz: xz was killed by SIGKILL while decompressing it (out of memory?), which says nothing about the file; not saving the positions of [sshd], the next run reads it again${n === 2 ? ' (2 runs in a row; after 3 over at least 25 minutes the rest of it is skipped)' : ''}`),
        expect.stringContaining(`scan: could not finish reading ${log}.1.xz (see the warnings above); the next run reads it again`),
      ],
      [],
    ]);
    minutesLater(path.join(env.dir, 'state'), 15); // cron's */15
  }
  // The third run: given up on, like a damaged file (exit 0); the lines of it that xz delivered, if any, counted once.
  const r3 = cli(cfg, { env: killing });
  expect([r3.code, notes(r3.stderr), bannedLines(r3.stderr)]).toEqual([0, [expect.stringContaining(`warning: scan: ${log}.1.xz: xz was killed by SIGKILL in 3 runs in a row; skipping the rest of this file (its unread lines are not counted)`)], []]);
  expect(r3.stderr).toContain(`scan: ${4 + failuresOfB - 3} new lines, ${4 + failuresOfB - 3} failed logins, 0 new bans`);
  // The positions moved on: the next run reads only the new lines, the .xz is not tried again.
  fs.appendFileSync(log, line(11, C) + line(12, C));
  const r4 = cli(cfg, { env: killing });
  expect([r4.code, notes(r4.stderr), bannedLines(r4.stderr)]).toEqual([0, [], [`${C} failures=6 at=${at(12).toISOString()}`]]);
  expect(r4.stderr).toContain('scan: 2 new lines, 2 failed logins, 1 new ban');
  // B's failures 4 and 5 were counted once when xz delivered them, not at all when it did not.
  fs.appendFileSync(log, [13, 14, 15].slice(0, 6 - failuresOfB).map((i) => line(i, B)).join(''));
  const r5 = cli(cfg, { env: killing });
  expect([r5.code, bannedLines(r5.stderr)]).toEqual([0, [`${B} failures=6 at=${at(13 + 5 - failuresOfB).toISOString()}`]]);
  expect(JSON.stringify(JSON.parse(fs.readFileSync(path.join(env.dir, 'state', 'positions.json'), 'utf8')))).not.toContain('retried');
});

test('xz killed by SIGKILL in two runs, then working: the third run reads the file once, no warning of giving up, and the count starts afresh', () => {
  const { env, log, cfg, at, line } = cliClockEnv();
  const B = '198.51.100.200';
  fs.writeFileSync(log, line(1, B) + line(2, B) + line(3, B));
  expect(cli(cfg).code).toBe(0);
  fs.appendFileSync(log, line(4, B) + line(5, B));
  compressAtOnce('xz', '.xz')(log); // and a new, empty auth.log
  const positions = () => JSON.parse(fs.readFileSync(path.join(env.dir, 'state', 'positions.json'), 'utf8')).files[log];
  const xz = fs.statSync(`${log}.1.xz`);
  for (const n of [1, 2]) {
    expect(cli(cfg, { env: fakeXz('kill -KILL $$') }).code).toBe(66);
    expect(positions().retried).toEqual([{ dev: xz.dev, ino: xz.ino, runs: n, since: expect.any(Number) }]);
    minutesLater(path.join(env.dir, 'state'), 15);
  }
  const r3 = cli(cfg);
  expect([r3.code, r3.stderr.includes('runs in a row'), bannedLines(r3.stderr)]).toEqual([0, false, []]);
  expect(r3.stderr).toContain('scan: 2 new lines, 2 failed logins, 0 new bans');
  expect(positions().retried).toBeUndefined();
  fs.appendFileSync(log, line(6, B));
  const r4 = cli(cfg);
  expect([r4.code, bannedLines(r4.stderr)]).toEqual([0, [`${B} failures=6 at=${at(6).toISOString()}`]]);
});

test('auth.log.1.gz still being compressed (slowly) during 3 runs started by hand within a minute: exit 66 each time, not given up on; once complete, the next run reads it and bans', () => {
  const { env, log, cfg, at, line } = cliClockEnv();
  const B = '198.51.100.200';
  fs.writeFileSync(log, line(1, B) + line(2, B) + line(3, B));
  expect(cli(cfg).code).toBe(0);
  fs.appendFileSync(log, line(4, B) + line(5, B));
  const gz = zlib.gzipSync(fs.readFileSync(log));
  fs.writeFileSync(`${log}.1.gz`, gz.subarray(0, 10)); // gzip has written its header so far
  fs.rmSync(log);
  fs.writeFileSync(log, line(6, B));
  const notes = (stderr: string) => stderr.split('\n').filter((l) => l.includes(`${log}.1.gz`) && l.includes('warning:'));
  for (const n of [1, 2, 3]) {
    const r = cli(cfg);
    expect([n, r.code, bannedLines(r.stderr), notes(r.stderr)]).toEqual([n, 66, [], [expect.stringMatching(new RegExp(`not valid gzip yet .*the next run reads it again${n > 1 ? ` \\(${n} runs in a row; after 3 over at least 25 minutes the rest of it is skipped\\)` : ''}$`))]]);
    expect(r.stderr).not.toContain('skipping the rest');
  }
  fs.writeFileSync(`${log}.1.gz`, gz);
  const r4 = cli(cfg);
  expect([r4.code, bannedLines(r4.stderr)]).toEqual([0, [`${B} failures=6 at=${at(6).toISOString()}`]]);
});

test('a retry record of an earlier version (no first-failure time): the run count alone decides, as before', () => {
  const { env, log, cfg, line } = cliClockEnv();
  const B = '198.51.100.200';
  fs.writeFileSync(log, line(1, B) + line(2, B) + line(3, B));
  expect(cli(cfg).code).toBe(0);
  fs.appendFileSync(log, line(4, B) + line(5, B));
  compressAtOnce('xz', '.xz')(log);
  const killing = fakeXz('kill -KILL $$');
  for (const _ of [1, 2]) expect(cli(cfg, { env: killing }).code).toBe(66);
  const file = path.join(env.dir, 'state', 'positions.json');
  const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
  const xz = fs.statSync(`${log}.1.xz`);
  doc.files[log].retried = [{ dev: xz.dev, ino: xz.ino, runs: 2 }];
  fs.writeFileSync(file, JSON.stringify(doc));
  const r3 = cli(cfg, { env: killing });
  expect([r3.code, r3.stderr.split('\n').filter((l) => l.includes('warning:'))]).toEqual([0, [expect.stringContaining(`warning: scan: ${log}.1.xz: xz was killed by SIGKILL in 3 runs in a row; skipping the rest of this file`)]]);
});

test('an xz that exits 1 saying nothing: the damage warning says "xz exited with 1", not an empty reason', () => {
  const { env, log, cfg, line } = cliClockEnv();
  const B = '198.51.100.200';
  fs.writeFileSync(log, line(1, B) + line(2, B) + line(3, B));
  expect(cli(cfg).code).toBe(0);
  fs.appendFileSync(log, line(4, B) + line(5, B));
  compressAtOnce('xz', '.xz')(log);
  // Older than a minute: damage, not a file still being compressed.
  fs.utimesSync(`${log}.1.xz`, new Date(Date.now() - 2 * 60_000), new Date(Date.now() - 2 * 60_000));
  fs.writeFileSync(log, line(6, '203.0.113.7'));
  // The first run (the fingerprint check) works; the second, the read, writes every line, then exits 1 silently.
  const r = cli(cfg, { env: fakeXz(`m=$(dirname "$0")/ran; if [ -e "$m" ]; then "$(command -v -p xz)" "$@" 2>/dev/null; exit 1; fi; touch "$m"`) });
  const warnings = r.stderr.split('\n').filter((l) => l.includes('warning:'));
  expect([r.code, warnings]).toEqual([0, [expect.stringContaining(`warning: scan: ${log}.1.xz: damaged or cut short (not valid compressed data: xz exited with 1); read up to the damage`)]]);
  expect(r.stderr).toContain('scan: 3 new lines, 3 failed logins, 0 new bans');
  expect(env.denyTargets()).toEqual([]);
});

test.each([
  ['the .gz complete by the next run', 'complete'],
  ['the .gz still cut short at the next run, a minute later (damage, read up to it)', 'aged'],
])('auth.log.1.gz cut short and written moments ago (still being compressed?): the live log\'s bans written, exit 66, the .gz read once at the next run (%s)', (_what, next) => {
  const { env, log, cfg, at, line } = cliClockEnv();
  const B = '198.51.100.200';
  fs.writeFileSync(log, line(1, B) + line(2, B) + line(3, B));
  expect(cli(cfg).code).toBe(0);
  fs.appendFileSync(log, line(4, B) + line(5, B));
  // logrotate's gzip has written all but the trailer (checksum and length) so far.
  const gz = zlib.gzipSync(fs.readFileSync(log));
  fs.writeFileSync(`${log}.1.gz`, gz.subarray(0, gz.length - 4));
  fs.rmSync(log);
  fs.writeFileSync(log, [7, 8, 9, 10, 11, 12].map((i) => line(i, '203.0.113.7')).join(''));
  const r = cli(cfg);
  const notes = r.stderr.split('\n').filter((l) => l.includes(`${log}.1.gz`));
  expect([r.code, notes]).toEqual([
    66,
    [
      expect.stringMatching(/warning: scan: .*auth\.log\.1\.gz: not valid gzip yet \(written \d+s ago, still being compressed\?\); not saving the positions of \[sshd\], the next run reads it again$/),
      expect.stringContaining(`scan: could not finish reading ${log}.1.gz (see the warnings above); the next run reads it again`),
    ],
  ]);
  // The live log's ban is not delayed by the rotated file.
  expect(bannedLines(r.stderr)).toEqual([`203.0.113.7 failures=6 at=${at(12).toISOString()}`]);
  expect(env.denyTargets()).toEqual(['203.0.113.7']);
  if (next === 'complete') fs.writeFileSync(`${log}.1.gz`, gz);
  else fs.utimesSync(`${log}.1.gz`, new Date(Date.now() - 2 * 60_000), new Date(Date.now() - 2 * 60_000));
  // Failures 4 and 5 are read once (five in all, no ban); 203.0.113.7 is not banned again.
  const r2 = cli(cfg);
  expect([r2.code, bannedLines(r2.stderr), r2.stderr.includes('damaged')]).toEqual([0, [], next === 'aged']);
  expect(r2.stderr).toContain('scan: 8 new lines, 2 failed logins, 0 new bans (6 more lines about addresses already banned)');
  fs.appendFileSync(log, line(6, B));
  const r3 = cli(cfg);
  expect([r3.code, bannedLines(r3.stderr)]).toEqual([0, [`${B} failures=6 at=${at(6).toISOString()}`]]);
  expect(env.denyTargets()).toEqual([B, '203.0.113.7']);
});

test('log = auth.log* reads the live log before an older rotated one: failures days apart still do not add up', async () => {
  const env = makeEnv('[DEFAULT]\nban_duration = 1w\n[sshd]\nlog = logs/auth.log*\n');
  fs.mkdirSync(path.join(env.dir, 'logs'));
  // Not a rotation of each other (different first lines, never read before): two files the glob names.
  env.write('logs/auth.log-old', 'Nov 14 10:00:01 h sshd[11]: Failed password for root from 192.0.2.46 port 1 ssh2\n');
  env.write('logs/auth.log', 'Nov 20 10:00:01 h sshd[12]: Failed password for root from 192.0.2.46 port 1 ssh2\n');
  const r = await runScan(env.ctx(new Date('2026-11-20T10:05:00').toISOString()));
  expect(r.failures).toBe(2);
  expect(r.banned).toEqual([]);
});

test('log = auth.log* scanned between rename and create: auth.log.1 is read on its own, then not again as the rotation', async () => {
  const env = makeEnv('[sshd]\nlog = auth.log*\nlogin_attempts_threshold = 6\nsuspicious_users =\n');
  const log = path.join(env.dir, 'auth.log');
  fs.writeFileSync(log, fail(1) + fail(2) + fail(3));
  expect((await runScan(env.ctx(NOW))).failures).toBe(3);
  fs.appendFileSync(log, fail(4) + fail(5));
  fs.renameSync(log, `${log}.1`); // the glob now names only auth.log.1, read on from auth.log's position
  expect((await runScan(env.ctx(NOW))).failures).toBe(2);
  fs.writeFileSync(log, fail(6));
  const r = await runScan(env.ctx(NOW));
  // Only the new line: lines 4 and 5 read again would ban at the 4th failure, counted a second time.
  expect([r.lines, r.failures]).toEqual([1, 1]);
  expect(r.banned.map((b) => [b.ip, b.failures, b.bannedAt.getTime()])).toEqual([['198.51.100.200', 6, new Date('2026-11-22T01:00:06').getTime()]]);
});

test('two sources reading one syslog file (sshd and proftpd in /var/log/secure): each keeps its own position', async () => {
  const env = makeEnv('[sshd]\nlog = secure\nsuspicious_users =\n[proftpd]\nlog = secure\nsuspicious_users =\n');
  const ftp = (i: number) => `Nov 22 01:00:0${i} host proftpd[${200 + i}]: host (203.0.113.5[203.0.113.5]) - USER bob (Login failed): Incorrect password\n`;
  const log = path.join(env.dir, 'secure');
  fs.writeFileSync(log, fail(1) + ftp(1) + fail(2) + ftp(2));
  expect((await runScan(env.ctx(NOW))).failures).toBe(4);
  fs.appendFileSync(log, fail(3) + ftp(3));
  const r = await runScan(env.ctx(NOW));
  expect(r.failures).toBe(2);
  fs.appendFileSync(log, ftp(4) + ftp(5));
  expect((await runScan(env.ctx(NOW))).banned.map((b) => [b.ip, b.source, b.failures])).toEqual([['203.0.113.5', 'proftpd', 5]]);
  // and nothing new is nothing new (the unchanged-logs shortcut sees both positions)
  expect((await runScan(env.ctx(NOW))).lines).toBe(0);
});

test('a glob naming one log twice (a symlink or hard link beside it) reads it once', async () => {
  const env = makeEnv('[sshd]\nlog = logs/*.log\nlogin_attempts_threshold = 4\nsuspicious_users =\n');
  fs.mkdirSync(path.join(env.dir, 'logs'));
  const log = path.join(env.dir, 'logs', 'ssh.log');
  fs.writeFileSync(log, fail(1) + fail(2));
  fs.symlinkSync('ssh.log', path.join(env.dir, 'logs', 'current.log'));
  fs.linkSync(log, path.join(env.dir, 'logs', 'linked.log'));
  const r = await runScan(env.ctx(NOW));
  expect([r.failures, r.banned.length]).toEqual([2, 0]);
});

/** As logrotate does: the rotated copy keeps the log's modification time. */
function keepMtime(from: string, to: string): void {
  const st = fs.statSync(from);
  fs.utimesSync(to, st.atime, st.mtime);
}

const FROM_EMPTY: Record<string, (log: string) => void> = {
  'rename + create': ROTATIONS['rename + create (logrotate default)']!,
  copytruncate: (log) => {
    fs.copyFileSync(log, `${log}.1`);
    keepMtime(log, `${log}.1`);
    fs.truncateSync(log, 0);
  },
  'copytruncate + compress': (log) => {
    fs.writeFileSync(`${log}.1.gz`, zlib.gzipSync(fs.readFileSync(log)));
    keepMtime(log, `${log}.1.gz`);
    fs.truncateSync(log, 0);
  },
  'rename + compress at once': (log) => {
    fs.writeFileSync(`${log}.1.gz`, zlib.gzipSync(fs.readFileSync(log)));
    keepMtime(log, `${log}.1.gz`);
    fs.rmSync(log);
    fs.writeFileSync(log, '');
  },
  'rename + compress at once with xz': compressAtOnce('xz', '.xz'),
  'rename + compress at once with zstd': compressAtOnce('zstd', '.zst'),
  'rename + compress at once with bzip2': compressAtOnce('bzip2', '.bz2'),
};

// A quiet log (an FTP server's) is often empty at a run: its position then says nothing about content.
test.each(Object.keys(FROM_EMPTY))('a log empty at the last run, written to and rotated (%s) before the next: nothing lost, nothing counted twice', async (style) => {
  const env = makeEnv('[sshd]\nlog = auth.log\nlogin_attempts_threshold = 6\nsuspicious_users =\n');
  const log = path.join(env.dir, 'auth.log');
  fs.writeFileSync(log, '');
  expect((await runScan(env.ctx(NOW))).lines).toBe(0);
  await new Promise((r) => setTimeout(r, 30)); // file times are coarser than the clock: written clearly after that run
  fs.appendFileSync(log, fail(1) + fail(2) + fail(3) + fail(4) + fail(5));
  FROM_EMPTY[style]!(log);
  const r2 = await runScan(env.ctx(NOW));
  expect([r2.failures, r2.banned]).toEqual([5, []]);
  expect((await runScan(env.ctx(NOW))).lines).toBe(0);
  fs.appendFileSync(log, fail(6));
  const r3 = await runScan(env.ctx(NOW));
  expect(r3.banned.map((b) => [b.ip, b.failures])).toEqual([['198.51.100.200', 6]]);
  expect((await runScan(env.ctx(NOW))).lines).toBe(0);
});

test('rename + create: lines the logger still writes to auth.log.1 after the run that saw the new, empty log are read once', async () => {
  const env = makeEnv('[sshd]\nlog = auth.log\nlogin_attempts_threshold = 6\nsuspicious_users =\n');
  const log = path.join(env.dir, 'auth.log');
  fs.writeFileSync(log, fail(1) + fail(2));
  await runScan(env.ctx(NOW));
  fs.renameSync(log, `${log}.1`);
  fs.writeFileSync(log, '');
  expect((await runScan(env.ctx(NOW))).lines).toBe(0);
  await new Promise((r) => setTimeout(r, 30));
  fs.appendFileSync(`${log}.1`, fail(3) + fail(4) + fail(5)); // before the logger's HUP reopens auth.log
  const r = await runScan(env.ctx(NOW));
  expect([r.lines, r.failures, r.banned]).toEqual([3, 3, []]);
  expect((await runScan(env.ctx(NOW))).lines).toBe(0);
  // delaycompress at the next rotation: auth.log.1 becomes auth.log.2.gz with its time kept; not read again
  fs.writeFileSync(`${log}.2.gz`, zlib.gzipSync(fs.readFileSync(`${log}.1`)));
  keepMtime(`${log}.1`, `${log}.2.gz`);
  fs.rmSync(`${log}.1`);
  expect((await runScan(env.ctx(NOW))).lines).toBe(0);
  fs.appendFileSync(log, fail(6));
  expect((await runScan(env.ctx(NOW))).banned.map((b) => [b.ip, b.failures])).toEqual([['198.51.100.200', 6]]);
});

test('rename + create, then delaycompress: late lines in auth.log.1 are read even when the log rotated again before the next run', async () => {
  const env = makeEnv('[sshd]\nlog = auth.log\nlogin_attempts_threshold = 7\nsuspicious_users =\n');
  const log = path.join(env.dir, 'auth.log');
  fs.writeFileSync(log, fail(1) + fail(2));
  await runScan(env.ctx(NOW));
  fs.renameSync(log, `${log}.1`);
  fs.writeFileSync(log, '');
  expect((await runScan(env.ctx(NOW))).lines).toBe(0); // the new log is empty at this run
  await new Promise((r) => setTimeout(r, 30));
  fs.appendFileSync(`${log}.1`, fail(3) + fail(4) + fail(5)); // the logger, before its HUP reopens auth.log
  fs.appendFileSync(log, fail(6)); // after the HUP
  // The next rotation comes before the next run: auth.log.1 becomes auth.log.2.gz (delaycompress, time kept),
  // auth.log becomes auth.log.1.
  fs.writeFileSync(`${log}.2.gz`, zlib.gzipSync(fs.readFileSync(`${log}.1`)));
  keepMtime(`${log}.1`, `${log}.2.gz`);
  fs.rmSync(`${log}.1`);
  fs.renameSync(log, `${log}.1`);
  fs.writeFileSync(log, '');
  const r = await runScan(env.ctx(NOW));
  expect([r.lines, r.failures, r.banned]).toEqual([4, 4, []]);
  expect((await runScan(env.ctx(NOW))).lines).toBe(0);
  fs.appendFileSync(log, fail(7));
  expect((await runScan(env.ctx(NOW))).banned.map((b) => [b.ip, b.failures])).toEqual([['198.51.100.200', 7]]);
});

// logrotate's `olddir archive` (relative to the log's directory) or an absolute one: the rotated files go there.
test.each([
  ['rename into olddir', 'archive', (log: string, old: string) => fs.renameSync(log, path.join(old, 'auth.log.1'))],
  ['rename into an absolute olddir, compressed at once', 'ABS', (log: string, old: string) => {
    compressAtOnce('xz', '.xz')(log);
    fs.renameSync(`${log}.1.xz`, path.join(old, 'auth.log.1.xz'));
  }],
  ['dateext into olddir, then delaycompress', 'archive', (log: string, old: string) => fs.renameSync(log, path.join(old, 'auth.log-20261122'))],
])('%s: nothing lost, nothing counted twice', async (_style, setting, rotate) => {
  const env = makeEnv('[sshd]\nlog = auth.log\nlogin_attempts_threshold = 6\nsuspicious_users =\n');
  const old = path.join(env.dir, 'archive');
  fs.mkdirSync(old);
  fs.appendFileSync(path.join(env.dir, 'autoban.cfg'), `olddir = ${setting === 'ABS' ? old : setting}\n`);
  const log = path.join(env.dir, 'auth.log');
  fs.writeFileSync(log, fail(1) + fail(2) + fail(3));
  expect((await runScan(env.ctx(NOW))).failures).toBe(3);
  fs.appendFileSync(log, fail(4) + fail(5)); // after our run, before rotation
  rotate(log, old);
  if (!fs.existsSync(log)) fs.writeFileSync(log, '');
  const r2 = await runScan(env.ctx(NOW));
  expect([r2.failures, r2.banned]).toEqual([2, []]);
  expect((await runScan(env.ctx(NOW))).lines).toBe(0);
  // The next rotation compresses what the last one moved (delaycompress), keeping its time: not read again.
  for (const n of fs.readdirSync(old).filter((f) => !f.endsWith('.xz'))) {
    fs.writeFileSync(path.join(old, `${n}.gz`), zlib.gzipSync(fs.readFileSync(path.join(old, n))));
    keepMtime(path.join(old, n), path.join(old, `${n}.gz`));
    fs.rmSync(path.join(old, n));
  }
  expect((await runScan(env.ctx(NOW))).lines).toBe(0);
  fs.appendFileSync(log, fail(6));
  expect((await runScan(env.ctx(NOW))).banned.map((b) => [b.ip, b.failures])).toEqual([['198.51.100.200', 6]]);
});

test('without olddir set, a rotation into another directory loses the lines written since the last run (documented)', async () => {
  const env = makeEnv('[sshd]\nlog = auth.log\nlogin_attempts_threshold = 6\nsuspicious_users =\n');
  const log = path.join(env.dir, 'auth.log');
  fs.mkdirSync(path.join(env.dir, 'archive'));
  fs.writeFileSync(log, fail(1));
  await runScan(env.ctx(NOW));
  fs.appendFileSync(log, fail(2) + fail(3));
  fs.renameSync(log, path.join(env.dir, 'archive', 'auth.log.1'));
  fs.writeFileSync(log, fail(4));
  const r = await runScan(env.ctx(NOW));
  expect(r.failures).toBe(1);
});

/** For the real CLI on the real clock: a threshold-3 sshd source, `scan`'s arguments, failures of a minute ago. */
function cliScanEnv() {
  const env = makeEnv('[sshd]\nlog = auth.log\nlogin_attempts_threshold = 3\nsuspicious_users =\n');
  const t = new Date(Date.now() - 60_000);
  const stamp = `${t.toLocaleString('en-US', { month: 'short' })} ${String(t.getDate()).padStart(2, ' ')} ${t.toTimeString().slice(0, 8)}`;
  return {
    env,
    log: path.join(env.dir, 'auth.log'),
    cfg: ['scan', '--config', path.join(env.dir, 'autoban.cfg')],
    fail: (i: number) => `${stamp} host sshd[${100 + i}]: Failed password for bob from 198.51.100.200 port 40000 ssh2\n`,
  };
}

/** After a first scan of fail(1): fail(2) rotated into auth.log.2.xz, fail(3) into auth.log.1.xz, fail(4-6) in the live log. */
function rotateTwiceWithXz(log: string, fail: (i: number) => string): void {
  fs.appendFileSync(log, fail(2));
  compressAtOnce('xz', '.xz')(log);
  fs.renameSync(`${log}.1.xz`, `${log}.2.xz`);
  fs.writeFileSync(log, fail(3));
  compressAtOnce('xz', '.xz')(log);
  fs.writeFileSync(log, fail(4) + fail(5) + fail(6));
}

test('the decompressor of a rotated file is not installed: one warning naming the file and the package, the scan goes on', async () => {
  const { env, log, cfg, fail } = cliScanEnv();
  fs.writeFileSync(log, fail(1));
  expect(cli(cfg).code).toBe(0);
  // Rotated twice with xz: both generations need it, one warning says so.
  rotateTwiceWithXz(log, fail);
  const noXz = tmpdir(); // a PATH without xz (cron's PATH on a host without xz-utils)
  const r = cli(cfg, { env: { PATH: noXz } });
  expect(r.code).toBe(0);
  const warnings = r.stderr.split('\n').filter((l) => l.includes('xz'));
  expect(warnings).toEqual([expect.stringContaining(`scan: ${log}.1.xz: cannot decompress it, xz is not installed (install xz-utils); lines written to it after the last run, if any, are not read`)]);
  // Local protection goes on: the live log's three failures ban (the two in the .xz files are not counted).
  expect(env.denyTargets()).toEqual(['198.51.100.200']);
});

test.each([
  ['not executable', '#!/bin/sh\nexit 0\n', 0o644, 'xz cannot be run (EACCES; reinstall xz-utils)'],
  ['exits 126 (a wrapper that cannot exec the real one)', '#!/bin/sh\necho "xz: Permission denied" >&2\nexit 126\n', 0o755, 'xz cannot be run (exit status 126: xz: Permission denied; reinstall xz-utils)'],
])('an xz on PATH that cannot run (%s): one warning naming the file and what failed, the scan goes on', async (_what, script, mode, why) => {
  const { env, log, cfg, fail } = cliScanEnv();
  fs.writeFileSync(log, fail(1));
  expect(cli(cfg).code).toBe(0);
  rotateTwiceWithXz(log, fail);
  const bin = tmpdir();
  fs.writeFileSync(path.join(bin, 'xz'), script, { mode });
  const r = cli(cfg, { env: { PATH: bin } });
  expect(r.code).toBe(0);
  const warnings = r.stderr.split('\n').filter((l) => l.includes('xz'));
  expect(warnings).toEqual([expect.stringContaining(`scan: ${log}.1.xz: cannot decompress it, ${why}; lines written to it after the last run, if any, are not read`)]);
  expect(env.denyTargets()).toEqual(['198.51.100.200']);
});

test.each(['a directory', 'a FIFO'])('%s named like a rotated log (auth.log.1.gz) is not taken for one: no warning, no hang, the other files are read', async (kind) => {
  const { env, log, cfg, fail } = cliScanEnv();
  fs.writeFileSync(log, fail(1));
  expect(cli(cfg).code).toBe(0);
  fs.appendFileSync(log, fail(2));
  fs.renameSync(log, `${log}.2`);
  const old = new Date(Date.now() - 5 * 60_000);
  fs.utimesSync(`${log}.2`, old, old);
  if (kind === 'a FIFO') execFileSync('mkfifo', [`${log}.1.gz`]);
  else fs.mkdirSync(`${log}.1.gz`);
  fs.writeFileSync(log, fail(3));
  const r = cli(cfg, { timeout: 20_000 });
  expect([r.code, r.stderr.split('\n').filter((l) => l.includes('.gz'))]).toEqual([0, []]);
  // auth.log.2's unread line and the live log's: three failures, a ban.
  expect(env.denyTargets()).toEqual(['198.51.100.200']);
});

test('a scan that reads no compressed file other than gzip does not load child_process (start-up time of a cron run)', () => {
  const dir = tmpdir();
  const log = path.join(dir, 'auth.log');
  fs.writeFileSync(log, fail(1));
  fs.writeFileSync(`${log}.1.gz`, zlib.gzipSync(fail(0)));
  fs.writeFileSync(`${log}.2.xz`, execFileSync('xz', ['-c'], { input: fail(0) }));
  const reader = path.join(__dirname, '..', '..', 'dist', 'lib', 'log-reader.js');
  const script = `
    const r = require(${JSON.stringify(reader)});
    (async () => {
      const a = await r.readNewLines(${JSON.stringify(log)}, undefined, () => {});
      require('node:fs').appendFileSync(${JSON.stringify(log)}, 'more\\n');
      await r.readNewLines(${JSON.stringify(log)}, a.position, () => {});
      const loaded = (m) => process.moduleLoadList.includes('NativeModule ' + m);
      process.stdout.write(JSON.stringify([loaded('child_process'), loaded('zlib')]));
    })();`;
  expect(JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }))).toEqual([false, true]);
});
