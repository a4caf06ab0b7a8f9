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

test('an address on two plain lines (the old tool wrote it twice) is adopted as one ban', async () => {
  const env = makeEnv('[sshd]\nlog = auth.log\n');
  env.write('hosts.deny', '# sshd rules\nALL: 192.0.2.7\nALL:192.0.2.7\nin.telnetd: ALL\nALL: 192.0.2.7\n');
  const ctx = env.ctx('2026-11-22T02:01:00.000Z');
  await runBan(ctx, { ip: '198.51.100.9' });
  expect(ctx.log.lines.filter((l) => l.startsWith('adopted '))).toEqual([expect.stringMatching(/^adopted 192\.0\.2\.7 from [^(]*$/)]); // no '(adopted)' after it
  expect(readState(ctx).bans.map((b) => `${b.ip} ${b.origin}`).sort()).toEqual(['192.0.2.7 adopted', '198.51.100.9 manual']);
  expect(env.read('hosts.deny')).toBe(
    '# sshd rules\nin.telnetd: ALL\n# BEGIN autoban -- managed by autoban, edits between these markers are overwritten\nALL: 192.0.2.7\nALL: 198.51.100.9\n# END autoban\n',
  );
  await runUnban(env.ctx('2026-11-22T02:02:00.000Z'), { ip: '192.0.2.7' });
  expect(env.denyTargets()).toEqual(['198.51.100.9']);
});

test('after a database loss, an address both in the managed block and on a plain line is rebuilt as one ban', async () => {
  const env = makeEnv('[sshd]\nlog = auth.log\n');
  await runBan(env.ctx('2026-11-22T02:00:00.000Z'), { ip: '192.0.2.7' });
  // The old tool, still in cron, appends the same address; then bans.json is damaged (no good copy).
  env.append('hosts.deny', 'ALL: 192.0.2.7\nALL: 203.0.113.5\n');
  env.write('state/bans.json', '{ damaged');
  const ctx = env.ctx('2026-11-22T02:10:00.000Z');
  expect(readState(ctx).bans.map((b) => b.ip)).toEqual(['192.0.2.7']);
  await runBan(ctx, { ip: '198.51.100.9' });
  expect(readState(ctx).bans.map((b) => `${b.ip} ${b.rule}`).sort()).toEqual(['192.0.2.7 recovered', '198.51.100.9 manual', '203.0.113.5 adopted']);
  expect(env.denyTargets()).toEqual(['192.0.2.7', '198.51.100.9', '203.0.113.5']);
});
