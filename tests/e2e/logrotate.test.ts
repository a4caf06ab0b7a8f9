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

const STYLES: Record<string, { directives: string; olddir?: string; pause?: number }> = {
  'create (the default)': { directives: 'create' },
  'compress + delaycompress (Debian)': { directives: 'create\ncompress\ndelaycompress' },
  'compress at once': { directives: 'create\ncompress' },
  copytruncate: { directives: 'copytruncate\ncompress\ndelaycompress' },
  'dateext + compress + delaycompress': { directives: 'create\ndateext\ndateformat -%s\ncompress\ndelaycompress', pause: 1100 },
  'olddir + compress + delaycompress': { directives: 'create\nolddir archive\ncompress\ndelaycompress', olddir: 'archive' },
  'compresscmd xz, at once': { directives: 'create\ncompress\ncompresscmd /usr/bin/xz\nuncompresscmd /usr/bin/unxz\ncompressext .xz' },
};

describeE2E('the real logrotate between scans', { packages: ['logrotate', 'xz-utils'] }, () => {
  test.each(Object.keys(STYLES))('%s: nothing lost, nothing counted twice', async (style) => {
    const { directives, olddir, pause } = STYLES[style]!;
    const env = makeEnv(`[sshd]\nlog = auth.log\nlogin_attempts_threshold = 8\nsuspicious_users =\n${olddir ? `olddir = ${olddir}\n` : ''}`);
    const log = path.join(env.dir, 'auth.log');
    if (olddir) fs.mkdirSync(path.join(env.dir, olddir));
    // logrotate refuses a configuration that others may write to.
    const conf = path.join(env.dir, 'logrotate.conf');
    fs.writeFileSync(conf, `${log} {\nrotate 5\nifempty\nmissingok\n${directives}\n}\n`, { mode: 0o644 });
    const logger = new Logger(log);
    const rotate = () => {
      execFileSync('logrotate', ['-f', '-s', path.join(env.dir, 'logrotate.status'), conf], { stdio: 'pipe' });
      logger.reopen(); // postrotate: the logger's HUP
    };
    try {
      logger.write(fail(1) + fail(2) + fail(3));
      expect((await runScan(env.ctx(NOW))).failures).toBe(3);
      logger.write(fail(4) + fail(5)); // after our run, before the rotation
      rotate();
      logger.write(fail(6));
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
});
