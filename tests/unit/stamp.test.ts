/**
 * The stamp shortcut (lib/stamp.ts): a run that changes nothing skips the ban database, but no change made
 * since the last commit may be missed because of it — an edited deny file or whitelist, a ban whose time is
 * up, a database written by another command — and a ban found on the short path is recorded exactly once.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runScan } from '../../lib/commands/scan';
import { runExpire } from '../../lib/commands/expire';
import { runBan } from '../../lib/commands/ban';
import { readState } from '../../lib/state';
import { makeEnv, sshdFail } from '../helpers/context';

const local = (hms: string, day = 22) => new Date(`2026-11-${day}T${hms}`).toISOString();
const SSHD = `[sshd]\nlog = auth.log\nparser = sshd\n`;
const fails = (ip: string, from: number, n: number) => Array.from({ length: n }, (_, i) => sshdFail(`01:0${from + i}:00`, ip)).join('');

async function bannedOnce() {
  const env = makeEnv(SSHD);
  env.write('auth.log', fails('192.0.2.1', 0, 5));
  expect((await runScan(env.ctx(local('01:10:00')))).banned.map((b) => b.ip)).toEqual(['192.0.2.1']);
  expect(fs.existsSync(path.join(env.dir, 'state', 'stamp.txt'))).toBe(true);
  return env;
}

test('a scan on the short path still bans, once, and keeps counting the already banned out', async () => {
  const env = await bannedOnce();
  env.append('auth.log', fails('192.0.2.1', 5, 5) + fails('192.0.2.2', 5, 5));
  const r = await runScan(env.ctx(local('01:20:00')));
  expect(r.banned.map((b) => b.ip)).toEqual(['192.0.2.2']);
  expect(r.alreadyBanned).toBe(5);
  expect(env.denyTargets()).toEqual(['192.0.2.1', '192.0.2.2']);
  expect(readState(env.ctx(local('01:20:00'))).bans.map((b) => b.ip).sort()).toEqual(['192.0.2.1', '192.0.2.2']);
});

test('an admin line added to the deny file is adopted by the next run with nothing new to read', async () => {
  const env = await bannedOnce();
  env.append('hosts.deny', 'ALL: 198.51.100.9\n');
  await runScan(env.ctx(local('01:11:00')));
  expect(readState(env.ctx(local('01:11:00'))).bans.map((b) => b.ip).sort()).toEqual(['192.0.2.1', '198.51.100.9']);
});

test('whitelisting a banned address lifts the ban at the next run, however little changed', async () => {
  const env = await bannedOnce();
  env.write('whitelist.txt', '192.0.2.0/24\n');
  await runExpire(env.ctx(local('01:11:00')));
  expect(env.denyTargets()).toEqual([]);
});

test('a ban whose time is up is lifted by expire although nothing else changed', async () => {
  const env = await bannedOnce();
  await runExpire(env.ctx(local('01:30:00')));
  expect(env.denyTargets()).toEqual(['192.0.2.1']);
  const r = await runExpire(env.ctx(local('01:30:00', 23)));
  expect(r.removed).toEqual(['192.0.2.1']);
  expect(env.denyTargets()).toEqual([]);
});

test('a ban made by another command is seen by the next scan (its commit renews the stamp)', async () => {
  const env = await bannedOnce();
  await runBan(env.ctx(local('01:12:00')), { ip: '203.0.113.5' });
  env.append('auth.log', fails('203.0.113.5', 3, 6));
  const r = await runScan(env.ctx(local('01:13:00')));
  expect(r.banned).toEqual([]);
  expect(r.alreadyBanned).toBe(6);
});

test('a damaged or foreign stamp only costs the full path', async () => {
  const env = await bannedOnce();
  const stamp = path.join(env.dir, 'state', 'stamp.txt');
  const head = fs.readFileSync(stamp, 'utf8').split('\n')[0] as string;
  // A header that reads well over a body that lies (an empty active list), and a body edited in place.
  const lying = `${JSON.stringify({ ...JSON.parse(head), active: 0 })}\n`;
  const edited = fs.readFileSync(stamp, 'utf8').replace('\n192.0.2.1\n', '\n192.0.2.9\n');
  for (const text of ['{', '{"version":2,"active":"x"}', lying, edited]) {
    fs.writeFileSync(stamp, text);
    env.append('auth.log', fails('192.0.2.1', 5, 5));
    const r = await runScan(env.ctx(local('01:20:00')));
    // Unreadable: the full path, where the database says 192.0.2.1 is banned. The last one reads well but
    // lies (an empty active list): its offense is checked against the database before it becomes a ban.
    expect(r.banned).toEqual([]);
  }
  expect(readState(env.ctx(local('01:20:00'))).bans).toHaveLength(1);
});

test('a dry run after a commit reports the ban it would make and writes nothing', async () => {
  const env = await bannedOnce();
  env.append('auth.log', fails('192.0.2.3', 3, 5));
  const r = await runScan(env.ctx(local('01:20:00'), { dryRun: true }));
  expect(r.banned.map((b) => b.ip)).toEqual(['192.0.2.3']);
  expect(env.denyTargets()).toEqual(['192.0.2.1']);
});
