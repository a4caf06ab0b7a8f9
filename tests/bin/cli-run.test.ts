/** `autoban run` as cron and Monit start it: how the steps' failures add up to one exit code and log. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cli } from '../helpers/cli';
import { makeEnv, sshdFail } from '../helpers/context';

const NOW = ['--now', new Date('2026-11-22T02:00:00').toISOString()];
const BEGIN = '# BEGIN autoban -- managed by autoban, edits between these markers are overwritten\n';

test('damaged deny-file markers: exit 65 with one error line, and sync-push still publishes', () => {
  const e = makeEnv('[sshd]\nlog = auth.log\n[sync]\ncontext = local\nshared_dir = shared\n');
  fs.mkdirSync(path.join(e.dir, 'shared'));
  e.write('auth.log', sshdFail('01:00:00', '192.0.2.7', 'root') + sshdFail('01:00:05', '192.0.2.7', 'root'));
  e.write('hosts.deny', `${BEGIN}ALL: 198.51.100.1\n`);
  const r = cli(['run', '--no-jitter', '--config', path.join(e.dir, 'autoban.cfg'), ...NOW]);
  expect(r.code).toBe(65);
  expect(r.stdout).toBe('');
  const errors = r.stderr.split('\n').filter((l) => / error: /.test(l));
  expect(errors).toHaveLength(1);
  expect(errors[0]).toContain('the autoban markers are damaged');
  expect(fs.existsSync(path.join(e.dir, 'shared', 'nodes', 'test1.json'))).toBe(true);
  expect(e.read('hosts.deny')).toBe(`${BEGIN}ALL: 198.51.100.1\n`);
});

test('shared_dir missing (share not mounted): exit 69 with a one-line reason; scan, expire and the deny file still work', () => {
  const e = makeEnv('[sshd]\nlog = auth.log\n[sync]\ncontext = local\nshared_dir = not-mounted\n');
  e.write('auth.log', sshdFail('01:00:00', '192.0.2.7', 'root') + sshdFail('01:00:05', '192.0.2.7', 'root'));
  const r = cli(['run', '--no-jitter', '--config', path.join(e.dir, 'autoban.cfg'), ...NOW]);
  expect(r.code).toBe(69);
  expect(r.stdout).toBe('');
  const errors = r.stderr.split('\n').filter((l) => / error: /.test(l));
  expect(errors).toEqual([expect.stringMatching(/error: sync-pull: shared_dir \S+not-mounted does not exist \(is the share mounted\?\)$/)]);
  expect(r.stderr).toMatch(/banned 192\.0\.2\.7 /);
  expect(r.stderr).toContain('expire: 0 bans lifted');
  expect(e.denyTargets()).toEqual(['192.0.2.7']);
});
