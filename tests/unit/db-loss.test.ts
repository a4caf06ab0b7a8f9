/**
 * A lost ban database (state_dir wiped or moved while the deny file kept its bans, or bans.json damaged with no
 * good copy): rebuilt from what the last commit put in force, so no reported ban disappears.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runBan } from '../../lib/commands/ban';
import { runExpire } from '../../lib/commands/expire';
import { runScan } from '../../lib/commands/scan';
import { readState } from '../../lib/state';
import { activeBans } from '../../lib/bans';
import { makeEnv, sshdFail } from '../helpers/context';

const T0 = '2026-11-22T02:00:00.000Z';
const T1 = '2026-11-22T03:00:00.000Z';

test('bans.json missing while the deny file holds bans: rebuilt from its managed block, with one warning', async () => {
  const env = makeEnv();
  await runBan(env.ctx(T0), { ip: '192.0.2.7' });
  fs.rmSync(path.join(env.dir, 'state'), { recursive: true }); // a state volume lost, the deny file kept
  const ctx = env.ctx(T1);
  expect(activeBans(readState(ctx), ctx.clock.now()).map((b) => b.ip)).toEqual(['192.0.2.7']); // status
  await runExpire(ctx);
  expect(env.denyTargets()).toEqual(['192.0.2.7']);
  expect(ctx.log.lines).toContain(`warning: ${path.join(env.dir, 'state', 'bans.json')} is missing; rebuilding the ban database from ${path.join(env.dir, 'hosts.deny')} (1 ban)`);
  expect(ctx.log.lines).toContain('expire: 0 bans lifted');
  expect(activeBans(readState(ctx), ctx.clock.now()).map((b) => [b.ip, b.rule])).toEqual([['192.0.2.7', 'recovered']]);
});

test('a fresh machine (no bans.json, no managed block) rebuilds nothing and says nothing about it', async () => {
  const env = makeEnv();
  const ctx = env.ctx(T1);
  await runExpire(ctx);
  expect(ctx.log.lines).toEqual(['expire: 0 bans lifted']);
});

test('backend = none, bans.json damaged with no good copy: rebuilt from the last commit’s record, not lifted', async () => {
  const env = makeEnv('', { defaults: 'backend = none' });
  await runBan(env.ctx(T0), { ip: '192.0.2.7' });
  await runBan(env.ctx(T0), { ip: '198.51.100.9' });
  fs.writeFileSync(path.join(env.dir, 'state', 'bans.json'), '{ torn');
  fs.rmSync(path.join(env.dir, 'state', 'bans.json.bak'), { force: true });
  const ctx = env.ctx(T1);
  await runExpire(ctx);
  expect(ctx.log.lines).toContain('expire: 0 bans lifted');
  expect(activeBans(readState(ctx), ctx.clock.now()).map((b) => [b.ip, b.reason, b.source])).toEqual([
    ['192.0.2.7', "rebuilt from the last commit's stamp", 'stamp'],
    ['198.51.100.9', "rebuilt from the last commit's stamp", 'stamp'],
  ]);
});

test('backend = none, bans.json missing and a deny file (not written here) with damaged markers: still rebuilt from the last commit’s record', async () => {
  const env = makeEnv('', { defaults: 'backend = none' });
  await runBan(env.ctx(T0), { ip: '192.0.2.7' });
  // A deny file left from an earlier configuration, its markers damaged by hand: autoban does not write it now.
  env.write('hosts.deny', '# BEGIN autoban -- managed by autoban, edits between these markers are overwritten\nALL: 198.51.100.1\n');
  fs.rmSync(path.join(env.dir, 'state', 'bans.json'));
  const ctx = env.ctx(T1);
  expect(activeBans(readState(ctx), ctx.clock.now()).map((b) => b.ip)).toEqual(['192.0.2.7']); // status
  await runExpire(ctx);
  expect(ctx.log.lines).toContain('expire: 0 bans lifted');
  expect(activeBans(readState(ctx), ctx.clock.now()).map((b) => b.ip)).toEqual(['192.0.2.7']);
});

test('a fresh node whose first bans went only to the journal (no bans.json yet): no rebuild, and the ban still expires', async () => {
  const env = makeEnv('[sshd]\nlog = auth.log\n');
  env.write('auth.log', sshdFail('01:00:00', '192.0.2.7', 'root') + sshdFail('01:00:05', '192.0.2.7', 'root'));
  await runExpire(env.ctx(T0)); // an earlier commit (run's sync-pull) left a stamp: the scan takes the quick path
  await runScan(env.ctx(T0), {});
  expect(fs.existsSync(path.join(env.dir, 'state', 'bans.json'))).toBe(false);
  expect(fs.existsSync(path.join(env.dir, 'state', 'bans.journal'))).toBe(true);
  const next = env.ctx(T1);
  await runExpire(next);
  expect(next.log.lines.filter((l) => /missing|adopted/.test(l))).toEqual([]);
  const later = env.ctx('2026-11-25T03:00:00.000Z'); // the 1-day ban is over
  expect(readState(later).bans.filter((b) => b.rule === 'recovered')).toEqual([]);
  await runExpire(later);
  expect(later.log.lines.filter((l) => /missing|adopted/.test(l))).toEqual([]);
  expect(env.denyTargets()).toEqual([]);
  expect(activeBans(readState(later), later.clock.now())).toEqual([]);
});
