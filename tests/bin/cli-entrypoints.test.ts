/** The one-command entrypoints (dist/bin/<command>.js) and usage errors: real processes, exit codes, stderr. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cli, ROOT } from '../helpers/cli';
import { makeEnv, sshdFail } from '../helpers/context';

const NOW = ['--now', new Date('2026-11-22T02:00:00').toISOString()];
/** Every one-command entrypoint, by the command it runs. */
const BINS = fs
  .readdirSync(path.join(ROOT, 'bin'))
  .filter((f) => f.endsWith('.ts') && f !== 'autoban.ts')
  .map((f) => f.slice(0, -3));

function env() {
  const e = makeEnv('[sshd]\nlog = auth.log\n');
  return { ...e, cfg: ['--config', path.join(e.dir, 'autoban.cfg')] };
}

/**
 * The positionals and options a help text lists: without the usage line, the description and the epilogue, and
 * without yargs' "[required]" marks and column padding (only `autoban <cmd> --help` marks required positionals).
 */
const helpBody = (text: string) =>
  text
    .slice(text.search(/^(Positionals|Options):/m))
    .split(/^Exit codes:/m)[0]!
    .replace(/ ?\[required\]/g, '')
    .replace(/[ \t]+/g, ' ')
    .replace(/ +$/gm, '')
    .trim();

test.each(BINS.map((b) => [b, b]))('bin/%s.js takes the same positionals and options as `autoban %s`', (bin) => {
  const own = cli(['--help'], { bin });
  const sub = cli([bin, '--help']);
  expect(own.code).toBe(0);
  expect(sub.code).toBe(0);
  expect(helpBody(own.stdout)).toBe(helpBody(sub.stdout));
});

test('ban.js IP, unban.js IP and test.js LOGFILE take their positional argument', () => {
  const e = env();
  const ban = cli(['192.0.2.55', ...e.cfg, ...NOW], { bin: 'ban' });
  expect(ban.stderr).not.toContain('Unknown argument');
  expect(ban.code).toBe(0);
  expect(e.denyTargets()).toEqual(['192.0.2.55']);
  const unban = cli(['192.0.2.55', ...e.cfg, ...NOW], { bin: 'unban' });
  expect(unban.code).toBe(0);
  expect(e.denyTargets()).toEqual([]);
  const log = e.write('auth.log', sshdFail('01:00:01', '192.0.2.3', 'root') + sshdFail('01:00:02', '192.0.2.3', 'root'));
  const own = cli([log, '--parser', 'sshd', ...NOW], { bin: 'test' });
  expect(own.code).toBe(0);
  expect(own.stdout).toContain('would ban 192.0.2.3 rule=suspicious_users failures=2');
  expect(own.stdout).toBe(cli(['test', log, '--parser', 'sshd', ...NOW]).stdout);
  // …and refuse what `autoban <command>` refuses.
  expect(cli([...e.cfg], { bin: 'ban' }).code).toBe(64);
  expect(cli(['192.0.2.1', '192.0.2.2', ...e.cfg], { bin: 'unban' }).code).toBe(64);
  expect(cli(['extra', ...e.cfg], { bin: 'status' }).code).toBe(64);
});

test.each([
  [['status', '--now']],
  [['status', '--config']],
  [['scan', '--log']],
  [['ban', '192.0.2.1', '--reason']],
  [['test', 'auth.log', '--parser', 'nginx']],
  [['test', 'auth.log']],
  [['ban']],
  [['whitelist', 'frob']],
  [['status', '--bogus']],
  [['frobnicate']],
])('usage error %j: one line, exit 64', (args) => {
  const r = cli(args);
  expect(r.stderr).not.toContain('internal error');
  expect(r.stderr).toMatch(/^autoban: [^\n]+\n$/);
  expect(r.code).toBe(64);
});

test('usage errors of a one-command entrypoint: one line, exit 64', () => {
  for (const [bin, args] of [['status', ['--now']], ['expire', ['--config']], ['test', ['x', '--parser', 'nginx']]] as const) {
    const r = cli([...args], { bin });
    expect(r.stderr).toMatch(/^autoban: [^\n]+\n$/);
    expect(r.code).toBe(64);
  }
});

test('--help lists the exit codes of errors.ts and the README table, each with what it covers', () => {
  const { ExitCode } = jest.requireActual('../../lib/errors') as typeof import('../../lib/errors');
  const codes = Object.values(ExitCode).sort((a, b) => a - b);
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const table = readme.slice(readme.indexOf('## Exit codes'), readme.indexOf('## Configuration'));
  expect([...table.matchAll(/^\| (\d+) \|/gm)].map((m) => Number(m[1]))).toEqual(codes);
  const epilogue = cli(['--help']).stdout.split(/^Exit codes:/m)[1]!.replace(/\s+/g, ' ');
  expect([...epilogue.matchAll(/\b(\d+) [a-z]/g)].map((m) => Number(m[1]))).toEqual(codes);
  // 65 and 66 cover more than one case: the help says so, not only the first.
  expect(epilogue).toContain('65 refused (damaged deny-file markers, ban of a whitelisted, loopback, unspecified or multicast address)');
  expect(epilogue).toContain('66 input missing or unreadable (log file, journalctl, deny file, ban database, whitelist)');
});
