/**
 * Plain `ALL: ip` lines are adopted only from a deny file autoban writes (the hostsdeny backend). Without it
 * the file is never rewritten, its lines stay, and adopting them again at every commit would bring each
 * unbanned address back as a permanent ban (into the firewall, with `backend = nftables`).
 */
import { runBan, runUnban } from '../../lib/commands/ban';
import { readState } from '../../lib/state';
import { activeBans } from '../../lib/bans';
import { makeEnv } from '../helpers/context';

test('without the hostsdeny backend, deny-file lines are not adopted and an unban sticks', async () => {
  const env = makeEnv('[sshd]\nlog = auth.log\n', { defaults: 'backend = none' });
  const deny = '# sshd rules\nALL: 192.0.2.1\n';
  env.write('hosts.deny', deny);
  await runUnban(env.ctx('2026-11-22T02:00:00.000Z'), { ip: '192.0.2.1' });
  await runBan(env.ctx('2026-11-22T02:01:00.000Z'), { ip: '198.51.100.9' });
  const ctx = env.ctx('2026-11-22T02:02:00.000Z');
  expect(activeBans(readState(ctx), ctx.clock.now()).map((b) => b.ip)).toEqual(['198.51.100.9']);
  expect(env.read('hosts.deny')).toBe(deny);
});

test('with the hostsdeny backend, plain lines are still adopted and moved inside the markers', async () => {
  const env = makeEnv('[sshd]\nlog = auth.log\n');
  env.write('hosts.deny', '# sshd rules\nALL: 192.0.2.1\n');
  await runBan(env.ctx('2026-11-22T02:01:00.000Z'), { ip: '198.51.100.9' });
  expect(env.denyTargets()).toEqual(['192.0.2.1', '198.51.100.9']);
  await runUnban(env.ctx('2026-11-22T02:02:00.000Z'), { ip: '192.0.2.1' });
  await runBan(env.ctx('2026-11-22T02:03:00.000Z'), { ip: '198.51.100.10' });
  expect(env.denyTargets()).toEqual(['198.51.100.10', '198.51.100.9']);
});
