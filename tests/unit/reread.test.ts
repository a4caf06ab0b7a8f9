/**
 * A log read again because its position was lost (positions.json damaged, its entry gone) must not count a second
 * time the failures history.bin still holds: real files, real config, a fixed clock.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runScan } from '../../lib/commands/scan';
import { loadHistories } from '../../lib/scan-state';
import { memoryLogger } from '../../lib/log';
import { makeEnv, sshdFail, type TestEnv } from '../helpers/context';

// Log lines are local time; tests build "now" in local time too.
const local = (hms: string) => new Date(`2026-11-22T${hms}`).toISOString();
const SSHD = `[sshd]\nlog = auth.log\nparser = sshd\n`;
const IP = '203.0.113.7';

/** Failures history.bin holds for IP (what the next scan counts on from). */
const held = (env: TestEnv): number => loadHistories(path.join(env.dir, 'state'), memoryLogger()).get('sshd')?.get(IP)?.length ?? 0;

/** 3 failures of IP scanned (maxretry 5: no ban), then the position lost by `lose`. */
async function threeThenLose(lose: (env: TestEnv) => void): Promise<TestEnv> {
  const env = makeEnv(SSHD);
  env.write('auth.log', ['01:00:00', '01:00:10', '01:00:20'].map((t) => sshdFail(t, IP)).join(''));
  expect((await runScan(env.ctx(local('01:00:30')))).banned).toEqual([]);
  expect(held(env)).toBe(3);
  lose(env);
  return env;
}

const corrupt = (env: TestEnv) => fs.writeFileSync(path.join(env.dir, 'state', 'positions.json'), '{"files": {garbage');
const dropEntry = (env: TestEnv) => {
  const p = path.join(env.dir, 'state', 'positions.json');
  const doc = JSON.parse(fs.readFileSync(p, 'utf8'));
  expect(Object.keys(doc.files)).toEqual([path.join(env.dir, 'auth.log')]);
  doc.files = {};
  fs.writeFileSync(p, JSON.stringify(doc));
};

test.each([
  ['positions.json damaged', corrupt],
  ['the file’s entry missing from positions.json', dropEntry],
])('%s: the re-read does not count again what history.bin held; the 4th failure does not ban, the 5th does', async (_, lose) => {
  const env = await threeThenLose(lose);
  env.append('auth.log', sshdFail('01:01:00', IP));
  const ctx = env.ctx(local('01:01:30'));
  const r = await runScan(ctx);
  expect(r.banned).toEqual([]); // before: banned with 6 "failures"
  expect(held(env)).toBe(4);
  expect(ctx.log.lines).toContain(`scan: ${path.join(env.dir, 'auth.log')}: 3 failed logins read again were counted before (position lost)`);
  expect(env.denyTargets()).toEqual([]);

  env.append('auth.log', sshdFail('01:01:10', IP));
  const r2 = await runScan(env.ctx(local('01:01:40')));
  expect(r2.lines).toBe(1); // the position is back: only the new line
  expect(r2.banned.map((b) => [b.ip, b.failures])).toEqual([[IP, 5]]);
  expect(env.denyTargets()).toEqual([IP]);
});

test('a failure logged after the last run in the same second as one read before still counts', async () => {
  const env = await threeThenLose(dropEntry);
  env.append('auth.log', sshdFail('01:00:20', IP) + sshdFail('01:00:25', IP));
  const r = await runScan(env.ctx(local('01:00:40')));
  // History held one failure at 01:00:20; the re-read finds two: one was counted before, one is new (3 + 2 = 5).
  expect(r.banned.map((b) => [b.ip, b.failures])).toEqual([[IP, 5]]);
});

test('a re-read whose failures history.bin no longer holds counts them as a first run does', async () => {
  const env = await threeThenLose((e) => {
    dropEntry(e);
    fs.rmSync(path.join(e.dir, 'state', 'history.bin'));
  });
  env.append('auth.log', sshdFail('01:01:00', IP));
  const ctx = env.ctx(local('01:01:30'));
  expect((await runScan(ctx)).banned).toEqual([]);
  expect(held(env)).toBe(4);
  expect(ctx.log.lines.filter((l) => l.includes('read again'))).toEqual([]);
  env.append('auth.log', sshdFail('01:01:10', IP));
  expect((await runScan(env.ctx(local('01:01:40')))).banned.map((b) => [b.ip, b.failures])).toEqual([[IP, 5]]);
});

test('a new file of a globbed source is no re-read: its failures in the same seconds as another file’s all count', async () => {
  // Two virtual hosts' logs under one source, the same attacker hitting both at the same moments.
  const env = makeEnv(`[sshd]\nlog = host*.log\nparser = sshd\n`);
  const times = ['01:00:00', '01:00:10', '01:00:20'];
  env.write('hostA.log', times.map((t) => sshdFail(t, IP)).join(''));
  expect((await runScan(env.ctx(local('01:00:30')))).banned).toEqual([]);
  env.write('hostB.log', times.map((t) => sshdFail(t, IP, 'alice', 2000)).join(''));
  const ctx = env.ctx(local('01:00:40'));
  const r = await runScan(ctx);
  expect(r.banned.map((b) => [b.ip, b.failures])).toEqual([[IP, 5]]);
  expect(ctx.log.lines.filter((l) => l.includes('read again'))).toEqual([]);
  expect(env.denyTargets()).toEqual([IP]);
});

test('two sources reading one file: the entry of the second lost, the first’s intact, is still a re-read for the second', async () => {
  const env = makeEnv(`${SSHD}\n[sshd2]\nlog = auth.log\nparser = sshd\n`);
  env.write('auth.log', ['01:00:00', '01:00:10', '01:00:20'].map((t) => sshdFail(t, IP)).join(''));
  expect((await runScan(env.ctx(local('01:00:30')))).banned).toEqual([]);
  const p = path.join(env.dir, 'state', 'positions.json');
  const doc = JSON.parse(fs.readFileSync(p, 'utf8'));
  expect(Object.keys(doc.files).sort()).toEqual([path.join(env.dir, 'auth.log'), `${path.join(env.dir, 'auth.log')}#sshd2`]);
  delete doc.files[`${path.join(env.dir, 'auth.log')}#sshd2`];
  fs.writeFileSync(p, JSON.stringify(doc));
  env.append('auth.log', sshdFail('01:01:00', IP));
  const r = await runScan(env.ctx(local('01:01:30')));
  expect(r.banned).toEqual([]); // before: sshd2 banned with 5 "failures" (its 3 kept ones counted again)
  expect(env.denyTargets()).toEqual([]);
});
