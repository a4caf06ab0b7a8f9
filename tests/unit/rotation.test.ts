/**
 * Every rotation style, with lines written between two runs: none lost (the 6th failure bans), none counted
 * twice (after 5 there is no ban with a threshold of 6).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { runScan } from '../../lib/commands/scan';
import { makeEnv, sshdFail } from '../helpers/context';

const NOW = new Date('2026-11-22T01:30:00').toISOString();
const fail = (i: number) => sshdFail(`01:00:${String(i).padStart(2, '0')}`, '198.51.100.200', 'bob', 100 + i);

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
};

test.each(Object.keys(ROTATIONS))('%s: nothing lost, nothing counted twice', async (style) => {
  const env = makeEnv('[sshd]\nlog = auth.log\nlogin_attempts_threshold = 6\nsuspicious_users =\n');
  const log = path.join(env.dir, 'auth.log');
  fs.writeFileSync(log, fail(1) + fail(2) + fail(3));
  expect((await runScan(env.ctx(NOW))).failures).toBe(3);
  fs.appendFileSync(log, fail(4) + fail(5)); // after our run, before rotation
  ROTATIONS[style]!(log);
  const r2 = await runScan(env.ctx(NOW));
  expect(r2.failures).toBe(2);
  expect(r2.banned).toEqual([]);
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
