/** `autoban unban` of an address that is not banned itself but lies inside a banned network. */
import { runBan, runUnban } from '../../../lib/commands/ban';
import { makeEnv } from '../../helpers/context';

test.each([
  ['203.0.113.9', '203.0.113.0/24'],
  // what ipv6_prefix = 64 (the default) bans for one attacking IPv6 address
  ['2001:db8:1:2::5', '2001:db8:1:2::/64'],
])('unban %s inside banned %s says the network stays banned, instead of only "not banned here"', async (ip, net) => {
  const env = makeEnv();
  await runBan(env.ctx('2026-11-22T02:00:00.000Z'), { ip: net });
  const ctx = env.ctx('2026-11-22T02:05:00.000Z');
  expect(await runUnban(ctx, { ip })).toEqual({ wasBanned: false });
  expect(ctx.log.lines).toEqual([`warning: unban: ${ip} is not banned itself, but it lies inside ${net}, which stays banned (autoban unban ${net} lifts that); recorded the unban of ${ip} so other nodes lift theirs`]);
  // The network is still in force: nothing was lifted.
  expect(env.denyTargets()).toEqual([net.includes(':') ? `[${net.replace('/', ']/')}` : `${net.replace('/24', '/255.255.255.0')}`]);
});

test('unban of an address banned nowhere here keeps its plain message', async () => {
  const env = makeEnv();
  await runBan(env.ctx('2026-11-22T02:00:00.000Z'), { ip: '198.51.100.0/24' });
  const ctx = env.ctx('2026-11-22T02:05:00.000Z');
  await runUnban(ctx, { ip: '203.0.113.9' });
  expect(ctx.log.lines).toEqual(['warning: unban: 203.0.113.9 is not banned here; recorded the unban so other nodes lift it too']);
});
