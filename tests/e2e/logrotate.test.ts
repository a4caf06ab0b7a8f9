/**
 * The real logrotate between scans, in the ways it is configured on real hosts: a logger keeps its file open
 * and reopens it only at postrotate (its HUP), lines are written between every two runs, and the log is
 * rotated twice so that delaycompress compresses what the first rotation left. None lost (the 8th failure
 * bans), none counted twice (after 7 there is no ban with a threshold of 8).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { describeE2E } from './helpers/suite';
import { runScan } from '../../lib/commands/scan';
import { makeEnv, sshdFail } from '../helpers/context';

const NOW = new Date('2026-11-22T01:30:00').toISOString();
const fail = (i: number) => sshdFail(`01:00:${String(i).padStart(2, '0')}`, '198.51.100.200', 'bob', 100 + i);

/** A syslog daemon's view of the log: one descriptor opened for appending, reopened at its HUP. */
class Logger {
  private fd: number;
  constructor(private readonly file: string) {
    this.fd = fs.openSync(file, 'a');
  }
  write(text: string): void {
    fs.writeSync(this.fd, text);
  }
  reopen(): void {
    fs.closeSync(this.fd);
    this.fd = fs.openSync(this.file, 'a');
  }
  close(): void {
    fs.closeSync(this.fd);
  }
}

/**
 * `keepsLate`: lines the logger writes after the rename and before its HUP stay in a file autoban can read
 * (with compression at once, logrotate compresses and removes the file the logger still writes to: those
 * lines are gone for everyone).
 */
const STYLES: Record<string, { directives: string; olddir?: string; pause?: number; keepsLate: boolean }> = {
  'create (the default)': { directives: 'create', keepsLate: true },
  'compress + delaycompress (Debian)': { directives: 'create\ncompress\ndelaycompress', keepsLate: true },
  'compress at once': { directives: 'create\ncompress', keepsLate: false },
  copytruncate: { directives: 'copytruncate\ncompress\ndelaycompress', keepsLate: true },
  'dateext + compress + delaycompress': { directives: 'create\ndateext\ndateformat -%s\ncompress\ndelaycompress', pause: 1100, keepsLate: true },
  'olddir + compress + delaycompress': { directives: 'create\nolddir archive\ncompress\ndelaycompress', olddir: 'archive', keepsLate: true },
  'compresscmd xz, at once': { directives: 'create\ncompress\ncompresscmd /usr/bin/xz\nuncompresscmd /usr/bin/unxz\ncompressext .xz', keepsLate: false },
};

/** A source reading auth.log, a logger writing it, and the real logrotate configured with `directives`. */
function setup(style: string, threshold: number) {
  const { directives, olddir } = STYLES[style]!;
  const env = makeEnv(`[sshd]\nlog = auth.log\nlogin_attempts_threshold = ${threshold}\nsuspicious_users =\n${olddir ? `olddir = ${olddir}\n` : ''}`);
  const log = path.join(env.dir, 'auth.log');
  if (olddir) fs.mkdirSync(path.join(env.dir, olddir));
  // logrotate refuses a configuration that others may write to.
  const conf = path.join(env.dir, 'logrotate.conf');
  fs.writeFileSync(conf, `${log} {\nrotate 5\nifempty\nmissingok\n${directives}\n}\n`, { mode: 0o644 });
  const logger = new Logger(log);
  /** logrotate -f; `late`: what the logger writes to its old descriptor before its HUP, if it gets one. */
  const rotate = (late = '', hup = true) => {
    execFileSync('logrotate', ['-f', '-s', path.join(env.dir, 'logrotate.status'), conf], { stdio: 'pipe' });
    if (late) logger.write(late);
    if (hup) logger.reopen(); // postrotate
  };
  return { env, logger, rotate };
}

describeE2E('the real logrotate between scans', { packages: ['logrotate', 'xz-utils'] }, () => {
  test.each(Object.keys(STYLES))('%s: nothing lost, nothing counted twice', async (style) => {
    const { pause, keepsLate } = STYLES[style]!;
    const { env, logger, rotate } = setup(style, 8);
    try {
      logger.write(fail(1) + fail(2) + fail(3));
      expect((await runScan(env.ctx(NOW))).failures).toBe(3);
      logger.write(fail(4)); // after our run, before the rotation
      // fail(5) comes after the rename, before the logger's HUP (lost with compression at once, as for anyone).
      rotate(fail(5));
      logger.write(keepsLate ? fail(6) : fail(5) + fail(6));
      const r2 = await runScan(env.ctx(NOW));
      expect([r2.failures, r2.banned]).toEqual([3, []]);
      expect((await runScan(env.ctx(NOW))).lines).toBe(0);
      logger.write(fail(7));
      if (pause) await new Promise((r) => setTimeout(r, pause)); // dateext names are to the second here
      rotate(); // delaycompress now compresses the first rotation's file
      const r3 = await runScan(env.ctx(NOW));
      expect([r3.failures, r3.banned]).toEqual([1, []]);
      expect((await runScan(env.ctx(NOW))).lines).toBe(0);
      logger.write(fail(8));
      expect((await runScan(env.ctx(NOW))).banned.map((b) => [b.ip, b.failures])).toEqual([['198.51.100.200', 8]]);
      expect(env.denyTargets()).toEqual(['198.51.100.200']);
    } finally {
      logger.close();
    }
  });

  // The gap a log left empty at a run opens: the logger adds to auth.log.1 after that run, then the log
  // rotates again before the next one and auth.log.1 becomes auth.log.2.gz.
  test.each(['compress + delaycompress (Debian)', 'olddir + compress + delaycompress'])('%s: the log was empty at a run, late lines went to the rotated file, and it rotated again before the next run', async (style) => {
    const { env, logger, rotate } = setup(style, 6);
    try {
      logger.write(fail(1) + fail(2));
      await runScan(env.ctx(NOW));
      rotate('', false); // renamed; the logger has not reopened yet
      expect((await runScan(env.ctx(NOW))).lines).toBe(0); // the new auth.log is empty
      await new Promise((r) => setTimeout(r, 30));
      logger.write(fail(3) + fail(4)); // late lines into auth.log.1
      await new Promise((r) => setTimeout(r, 30)); // (file times tell the two files apart)
      logger.reopen(); // the HUP
      logger.write(fail(5));
      rotate(); // before the next run: auth.log.1 is compressed into auth.log.2.gz, auth.log becomes auth.log.1
      const r = await runScan(env.ctx(NOW));
      expect([r.failures, r.banned]).toEqual([3, []]);
      logger.write(fail(6));
      expect((await runScan(env.ctx(NOW))).banned.map((b) => [b.ip, b.failures])).toEqual([['198.51.100.200', 6]]);
    } finally {
      logger.close();
    }
  });
});
