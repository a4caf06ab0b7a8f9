/** `autoban run` as cron and Monit start it: how the steps' failures add up to one exit code and log. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cli } from '../helpers/cli';
import { makeEnv, sshdFail } from '../helpers/context';
import { S3_TEST_ENV } from '../sync/helpers/s3rver';

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

test('run --dry-run reports each would-be change once: a ban whose time ran out is lifted by sync-pull only, as in the real run', () => {
  const e = makeEnv('[sshd]\nlog = auth.log\n[sync]\ncontext = local\nshared_dir = shared\n');
  fs.mkdirSync(path.join(e.dir, 'shared'));
  e.write('auth.log', '');
  const cfg = ['--config', path.join(e.dir, 'autoban.cfg')];
  expect(cli(['ban', '192.0.2.7', '--duration', '1h', ...cfg, '--now', '2026-11-22T01:00:00Z']).code).toBe(0);
  expect(cli(['run', '--no-jitter', ...cfg, '--now', '2026-11-22T01:10:00Z']).code).toBe(0);
  const dry = cli(['run', '--no-jitter', '--dry-run', ...cfg, '--now', '2026-11-22T03:00:00Z']);
  expect(dry.code).toBe(0);
  const mentions = dry.stderr.split('\n').filter((l) => l.includes('192.0.2.7'));
  expect(mentions).toEqual([expect.stringMatching(/sync-pull: would lift 192\.0\.2\.7 \(expired\)$/)]);
  expect(dry.stderr).toContain('expire: would lift 0 bans (dry run, nothing changed)');
  expect(e.denyTargets()).toEqual(['192.0.2.7']);
  // The real run says the same, without "would".
  const real = cli(['run', '--no-jitter', ...cfg, '--now', '2026-11-22T03:00:00Z']);
  expect(real.stderr.split('\n').filter((l) => l.includes('192.0.2.7'))).toEqual([expect.stringMatching(/sync-pull: lifted 192\.0\.2\.7 \(expired\)$/)]);
  expect(e.denyTargets()).toEqual([]);
});

test('run --dry-run: a ban the scan would make is what sync-push would publish', () => {
  const e = makeEnv('[sshd]\nlog = auth.log\n[sync]\ncontext = local\nshared_dir = shared\n');
  fs.mkdirSync(path.join(e.dir, 'shared'));
  e.write('auth.log', '');
  const cfg = ['--config', path.join(e.dir, 'autoban.cfg')];
  expect(cli(['run', '--no-jitter', ...cfg, ...NOW]).code).toBe(0);
  e.write('auth.log', sshdFail('01:00:00', '192.0.2.9', 'root') + sshdFail('01:00:05', '192.0.2.9', 'root'));
  const dry = cli(['run', '--no-jitter', '--dry-run', ...cfg, ...NOW]);
  expect(dry.code).toBe(0);
  expect(dry.stderr).toMatch(/would ban 192\.0\.2\.9 /);
  expect(dry.stderr).toMatch(/sync-push: would publish \S+test1\.json \(1 ban, 0 unbans\)/);
  expect(dry.stderr).toMatch(/sync-push: would rewrite \S+hosts\.deny \(1 ban\)/);
  expect(e.denyTargets()).toEqual([]);
});


test('run --dry-run: a banned address the shared whitelist now lists would be lifted by sync-pull, once', () => {
  const e = makeEnv('[sshd]\nlog = auth.log\n[sync]\ncontext = local\nshared_dir = shared\n');
  fs.mkdirSync(path.join(e.dir, 'shared'));
  e.write('auth.log', '');
  const cfg = ['--config', path.join(e.dir, 'autoban.cfg')];
  expect(cli(['ban', '192.0.2.20', ...cfg, ...NOW]).code).toBe(0);
  expect(cli(['run', '--no-jitter', ...cfg, ...NOW]).code).toBe(0);
  e.write('shared/whitelist.txt', '192.0.2.20\n'); // edited by hand on the share
  const dry = cli(['run', '--no-jitter', '--dry-run', ...cfg, ...NOW]);
  expect(dry.code).toBe(0);
  expect(dry.stderr.split('\n').filter((l) => l.includes('192.0.2.20'))).toEqual([expect.stringMatching(/sync-pull: would lift 192\.0\.2\.20 \(whitelisted\)$/)]);
  expect(dry.stderr).toMatch(/sync-push: would rewrite \S+hosts\.deny \(0 bans\)/);
  expect(e.read('whitelist.txt')).toBe('');
  expect(e.denyTargets()).toEqual(['192.0.2.20']);
});

test.each([
  ['a missing shared_dir', '[sync]\ncontext = local\nshared_dir = not-mounted\n', /sync-pull: shared_dir \S+not-mounted does not exist/],
  ['an S3 endpoint on a closed port', '[sync]\ncontext = aws\ns3_hostsdeny = s3://bucket/etc/\ns3_whitelist = s3://bucket/etc/ban/\ns3_endpoint = http://127.0.0.1:9\ns3_region = us-east-1\ntimeout = 1s\ndeadline = 3s\n', /sync-pull: (listing |reading )?s3:\/\/bucket\/etc\/\S*: connection failed/],
])('a sync-pull that cannot reach the store (%s) logs its error line only, no summary of reads that did not happen', (_what, sync, reason) => {
  const e = makeEnv(`[sshd]\nlog = auth.log\n${sync}`);
  e.write('auth.log', '');
  const r = cli(['sync-pull', '--config', path.join(e.dir, 'autoban.cfg'), ...NOW], { env: S3_TEST_ENV });
  expect(r.code).toBe(69);
  expect(r.stderr).not.toContain('node document');
  expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(reason)]);
  const run = cli(['run', '--no-jitter', '--config', path.join(e.dir, 'autoban.cfg'), ...NOW], { env: S3_TEST_ENV });
  expect(run.code).toBe(69);
  expect(run.stderr.split('\n').filter((l) => l.includes('sync-pull'))).toEqual([expect.stringMatching(reason)]);
}, 30000);


test('a run waiting for the lock another run holds says so once, naming the lock; a free lock says nothing', () => {
  const e = makeEnv('[sshd]\nlog = auth.log\n', { defaults: 'lock_timeout = 1s\n' });
  e.write('auth.log', '');
  const cfg = ['--config', path.join(e.dir, 'autoban.cfg')];
  const free = cli(['ban', '192.0.2.1', ...cfg]);
  expect(free.code).toBe(0);
  expect(free.stderr).not.toMatch(/lock/);
  const lock = path.join(e.dir, 'state', 'autoban.lock');
  fs.mkdirSync(lock); // held by a live process (fresh mtime)
  const r = cli(['run', '--no-jitter', ...cfg]);
  expect(r.code).toBe(75);
  const waits = r.stderr.split('\n').filter((l) => l.includes('waiting'));
  expect(waits).toEqual([expect.stringMatching(new RegExp(`autoban\\[\\d+\\]: waiting for the lock ${lock.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(another autoban is running`))]);
  expect(waits[0]).not.toMatch(/ (warning|error): /);
});
