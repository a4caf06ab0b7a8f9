/**
 * What a commit reports as banned and lifted (lib/state.ts runTx) when the deny file is not a backend
 * (`backend = none`, or firewalls only): the previous commit's targets come from the stamp, not from a deny
 * file autoban does not write. Before, `expire` always said "0 bans lifted" there, and a deny file left from an
 * earlier hostsdeny configuration made every commit report its stale block's addresses as lifted.
 */
import { runBan } from '../../lib/commands/ban';
import { runExpire } from '../../lib/commands/expire';
import { readState } from '../../lib/state';
import { activeBans } from '../../lib/bans';
import { makeEnv } from '../helpers/context';

const NONE = { defaults: 'backend = none' };

test('backend = none: expire reports the bans it lifts, once', async () => {
  const env = makeEnv('', NONE);
  await runBan(env.ctx('2026-11-22T02:00:00.000Z'), { ip: '192.0.2.7', duration: '1h' });
  await runBan(env.ctx('2026-11-22T02:00:00.000Z'), { ip: '198.51.100.9', duration: '1d' });

  const ctx = env.ctx('2026-11-22T04:00:00.000Z');
  expect((await runExpire(ctx)).removed).toEqual(['192.0.2.7']);
  expect(ctx.log.lines).toEqual(['expired: 192.0.2.7', 'expire: 1 ban lifted']);
  expect(activeBans(readState(ctx), ctx.clock.now()).map((b) => b.ip)).toEqual(['198.51.100.9']);

  const again = env.ctx('2026-11-22T04:05:00.000Z');
  await runExpire(again);
  expect(again.log.lines).toEqual(['expire: 0 bans lifted']);
});

test('backend = none: a dry run of expire says what it would lift', async () => {
  const env = makeEnv('', NONE);
  await runBan(env.ctx('2026-11-22T02:00:00.000Z'), { ip: '192.0.2.7', duration: '1h' });
  const ctx = env.ctx('2026-11-22T04:00:00.000Z', { dryRun: true });
  await runExpire(ctx);
  expect(ctx.log.lines).toEqual(['would be expired: 192.0.2.7', 'expire: would lift 1 ban (dry run, nothing changed)']);
});

test('backend = none: a stale managed block in the deny file is not reported as lifted bans', async () => {
  const env = makeEnv('', NONE);
  // Left by an earlier `backend = hostsdeny`; autoban no longer writes this file.
  const deny = '# BEGIN autoban -- managed by autoban, edits between these markers are overwritten\nALL: 203.0.113.5\n# END autoban\n';
  env.write('hosts.deny', deny);
  await runBan(env.ctx('2026-11-22T02:00:00.000Z'), { ip: '192.0.2.7', duration: '1h' });
  const ctx = env.ctx('2026-11-22T04:00:00.000Z');
  await runExpire(ctx);
  expect(ctx.log.lines).toEqual(['expired: 192.0.2.7', 'expire: 1 ban lifted']);
  expect(env.read('hosts.deny')).toBe(deny);
});
