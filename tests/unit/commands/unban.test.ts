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

describe('unban of a network also lifts the bans inside it', () => {
  const { sshdFail } = require('../../helpers/context') as typeof import('../../helpers/context');
  const { runScan } = require('../../../lib/commands/scan') as typeof import('../../../lib/commands/scan');

  test('a scan ban and manual bans inside a manual /24 leave the deny file with it; bans outside stay; the line names them', async () => {
    const env = makeEnv('[sshd]\nlog = auth.log\n');
    env.write('auth.log', sshdFail('02:00:01', '203.0.113.5', 'root') + sshdFail('02:00:02', '203.0.113.5', 'root'));
    await runScan(env.ctx('2026-11-22T02:01:00.000Z'));
    await runBan(env.ctx('2026-11-22T02:02:00.000Z'), { ip: '203.0.113.0/24' });
    await runBan(env.ctx('2026-11-22T02:02:00.000Z'), { ip: '203.0.113.128/25' });
    await runBan(env.ctx('2026-11-22T02:02:00.000Z'), { ip: '198.51.100.7' });
    await runBan(env.ctx('2026-11-22T02:02:00.000Z'), { ip: '2001:db8::7' });
    expect(env.denyTargets()).toHaveLength(5);

    const dry = env.ctx('2026-11-22T02:05:00.000Z', { dryRun: true });
    await runUnban(dry, { ip: '203.0.113.0/24' });
    expect(dry.log.lines).toEqual(['would unban 203.0.113.0/24, and the 2 bans inside it: 203.0.113.128/25, 203.0.113.5']);
    expect(env.denyTargets()).toHaveLength(5);

    const ctx = env.ctx('2026-11-22T02:05:00.000Z');
    expect(await runUnban(ctx, { ip: '203.0.113.0/24' })).toEqual({ wasBanned: true });
    expect(ctx.log.lines).toEqual(['unbanned 203.0.113.0/24, and the 2 bans inside it: 203.0.113.128/25, 203.0.113.5']);
    expect(env.denyTargets()).toEqual(['198.51.100.7', '[2001:db8::7]']);
    // A second unban has nothing left to lift.
    const again = env.ctx('2026-11-22T02:06:00.000Z');
    await runUnban(again, { ip: '203.0.113.0/24' });
    expect(again.log.lines).toEqual(['warning: unban: 203.0.113.0/24 is not banned here; recorded the unban so other nodes lift it too']);
  });

  test('a network not banned itself still frees the addresses inside it; many are counted after the first ten', async () => {
    const env = makeEnv();
    const ips = Array.from({ length: 12 }, (_, i) => `2001:db8:5::${(i + 1).toString(16)}`);
    for (const ip of ips) await runBan(env.ctx('2026-11-22T02:00:00.000Z'), { ip });
    await runBan(env.ctx('2026-11-22T02:00:00.000Z'), { ip: '2001:db8:6::1' });
    const ctx = env.ctx('2026-11-22T02:05:00.000Z');
    expect(await runUnban(ctx, { ip: '2001:db8:5::/48' })).toEqual({ wasBanned: false });
    expect(ctx.log.lines).toEqual([
      `unbanned the 12 bans inside 2001:db8:5::/48: ${ips.slice(0, 10).join(', ')} and 2 more (2001:db8:5::/48 itself is not banned here; its unban is recorded so other nodes lift theirs)`,
    ]);
    expect(env.denyTargets()).toEqual(['[2001:db8:6::1]']);
  });

  test('the addresses lifted with a network stay lifted on the other nodes after sync (their own unbans travel)', async () => {
    const fs = require('node:fs') as typeof import('node:fs');
    const os = require('node:os') as typeof import('node:os');
    const path = require('node:path') as typeof import('node:path');
    const { makeNode } = require('../../sync/helpers/node') as typeof import('../../sync/helpers/node');
    const { syncPull } = require('../../../lib/sync/pull') as typeof import('../../../lib/sync/pull');
    const { syncPush } = require('../../../lib/sync/push') as typeof import('../../../lib/sync/push');
    const share = fs.mkdtempSync(path.join(os.tmpdir(), 'autoban-share-'));
    const a = makeNode('web1', { kind: 'local', dir: share });
    const b = makeNode('web2', { kind: 'local', dir: share });
    try {
      // web2's scan banned an address; web1 banned the network around it by hand.
      await runBan(b.ctx(), { ip: '203.0.113.5' });
      await syncPush(b.ctx());
      await runBan(a.ctx(), { ip: '203.0.113.0/24' });
      await syncPull(a.ctx());
      expect(a.denied()).toEqual(['203.0.113.0/255.255.255.0', '203.0.113.5']);
      await syncPush(a.ctx());
      await syncPull(b.ctx());
      expect(b.denied()).toEqual(['203.0.113.0/255.255.255.0', '203.0.113.5']);

      await runUnban(a.ctx(), { ip: '203.0.113.0/24' });
      expect(a.denied()).toEqual([]);
      await syncPush(a.ctx());
      await syncPull(b.ctx());
      expect(b.denied()).toEqual([]);
      // web2 publishing its own ban again does not bring it back on web1.
      await syncPush(b.ctx());
      await syncPull(a.ctx());
      expect(a.denied()).toEqual([]);
    } finally {
      a.cleanup();
      b.cleanup();
      fs.rmSync(share, { recursive: true, force: true });
    }
  });
});
