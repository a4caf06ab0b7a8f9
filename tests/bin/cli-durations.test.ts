/** Durations far beyond any sane ban (`--duration 999999999w`, a config's ban_duration) are refused in one line. */
import * as path from 'node:path';
import { cli } from '../helpers/cli';
import { makeEnv } from '../helpers/context';

const NOW = ['--now', new Date('2026-11-22T02:00:00').toISOString()];

test.each(['999999999w', '999999999d', '36501d'])('ban --duration %s exits 64 with one line and bans nothing', (d) => {
  const e = makeEnv();
  const r = cli(['ban', '192.0.2.7', '--duration', d, '--config', path.join(e.dir, 'autoban.cfg'), ...NOW]);
  expect(r.code).toBe(64);
  expect(r.stderr).toBe(`autoban: --duration: expected a duration like 1h, 1d (at most 100 years) or permanent, got '${d}'\n`);
  expect(e.denyTargets()).toEqual([]);
});

test('ban --duration 100 years still works', () => {
  const e = makeEnv();
  expect(cli(['ban', '192.0.2.7', '--duration', '36500d', '--config', path.join(e.dir, 'autoban.cfg'), ...NOW]).code).toBe(0);
  expect(e.denyTargets()).toEqual(['192.0.2.7']);
});

test('ban_duration = 999999999w in the config is a config error (78) naming the key', () => {
  const e = makeEnv('', { defaults: 'ban_duration = 999999999w\n' });
  const r = cli(['check-config', '--config', path.join(e.dir, 'autoban.cfg')]);
  expect(r.code).toBe(78);
  expect(r.stderr).toMatch(/^autoban: config error: \S+autoban\.cfg: \[DEFAULT\] ban_duration: expected a duration like 1h or 1d \(at most 100 years\), or 0\/permanent, got '999999999w'\n$/);
});

test('a fresh ban prints its real length, not the time left after the commit rounded down ("(0s)", "(9m59s)")', () => {
  const e = makeEnv();
  const cfg = ['--config', path.join(e.dir, 'autoban.cfg')];
  // The system clock: the ban line is printed some milliseconds after the ban's start.
  const r = cli(['ban', '192.0.2.7', '--duration', '1s', ...cfg]);
  expect(r.code).toBe(0);
  expect(r.stderr).toMatch(/banned 192\.0\.2\.7 rule=manual failures=0 source=manual until=\S+ \(1s\)\n/);
  // status 0.6 s after a 10m ban: 599.4 s left is "10m", not "9m59s".
  expect(cli(['ban', '192.0.2.8', '--duration', '10m', ...cfg, ...NOW]).code).toBe(0);
  const st = cli(['status', ...cfg, '--now', new Date(new Date('2026-11-22T02:00:00').getTime() + 600).toISOString()]);
  expect(st.stdout).toMatch(/^192\.0\.2\.8 .* 10m {2}/m);
});
