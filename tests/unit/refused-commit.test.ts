/**
 * A change the deny file cannot take (damaged markers, a symlink that leads out of its directory) is refused
 * whole: nothing reaches the ban database either, so a retry after the admin mends the file is a first ban,
 * not a third.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runBan } from '../../lib/commands/ban';
import { readState } from '../../lib/state';
import { makeEnv } from '../helpers/context';

const NOW = '2026-11-22T02:00:00.000Z';

test('damaged markers: ban refused (65), nothing recorded; mended, the ban is the first', async () => {
  const env = makeEnv('[sshd]\nlog = auth.log\n');
  await runBan(env.ctx(NOW), { ip: '192.0.2.50' });
  const damaged = env.read('hosts.deny').replace('# END autoban\n', '');
  env.write('hosts.deny', damaged);
  for (let i = 0; i < 3; i++) await expect(runBan(env.ctx(NOW), { ip: '192.0.2.53' })).rejects.toMatchObject({ code: 65 });
  expect(readState(env.ctx(NOW)).bans.map((b) => b.ip)).toEqual(['192.0.2.50']);
  expect(env.read('hosts.deny')).toBe(damaged);
  env.write('hosts.deny', `${damaged}# END autoban\n`);
  const ban = await runBan(env.ctx(NOW), { ip: '192.0.2.53' });
  expect(ban.banCount).toBe(1);
  expect(env.denyTargets()).toEqual(['192.0.2.50', '192.0.2.53']);
});

test('a deny-file symlink out of its directory: ban refused (73), nothing recorded', async () => {
  const env = makeEnv('[sshd]\nlog = auth.log\n');
  fs.mkdirSync(path.join(env.dir, 'elsewhere'));
  fs.writeFileSync(path.join(env.dir, 'elsewhere', 'target'), '');
  fs.rmSync(path.join(env.dir, 'hosts.deny'));
  fs.mkdirSync(path.join(env.dir, 'etc'));
  fs.symlinkSync(path.join(env.dir, 'elsewhere', 'target'), path.join(env.dir, 'hosts.deny'));
  await expect(runBan(env.ctx(NOW), { ip: '192.0.2.54' })).rejects.toMatchObject({ code: 73 });
  expect(readState(env.ctx(NOW)).bans).toEqual([]);
  expect(fs.readFileSync(path.join(env.dir, 'elsewhere', 'target'), 'utf8')).toBe('');
});

test('status after a database loss with no last good copy shows the bans the deny file still holds', async () => {
  const env = makeEnv('[sshd]\nlog = auth.log\n');
  for (const ip of ['192.0.2.61', '192.0.2.62']) await runBan(env.ctx(NOW), { ip });
  fs.writeFileSync(path.join(env.dir, 'state', 'bans.json'), '{"version":1,"bans":[{"ip":'); // torn
  fs.rmSync(path.join(env.dir, 'state', 'bans.json.bak'), { force: true });
  const ctx = env.ctx(NOW);
  expect(readState(ctx).bans.map((b) => [b.ip, b.rule])).toEqual([
    ['192.0.2.61', 'recovered'],
    ['192.0.2.62', 'recovered'],
  ]);
  expect(ctx.log.lines.join('\n')).toMatch(/bans\.json/);
});

test('banning an address that is banned already changes nothing (no second offence); --duration adds a longer ban', async () => {
  const env = makeEnv('[sshd]\nlog = auth.log\n');
  const first = await runBan(env.ctx(NOW), { ip: '192.0.2.70' });
  const ctx = env.ctx(NOW);
  const again = await runBan(ctx, { ip: '192.0.2.70' });
  expect(again).toEqual(first);
  expect(ctx.log.lines.join('\n')).toMatch(/192\.0\.2\.70 is already banned/);
  expect(readState(env.ctx(NOW)).bans).toHaveLength(1);
  const longer = await runBan(env.ctx(NOW), { ip: '192.0.2.70', duration: '1w' });
  expect(longer.banCount).toBe(1);
  expect((longer.expiresAt!.getTime() - Date.parse(NOW)) / 86_400_000).toBe(7);
  expect(env.denyTargets()).toEqual(['192.0.2.70']);
});
