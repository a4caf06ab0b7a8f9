/**
 * Configured paths that are a FIFO (or a directory, a socket) instead of a file: one line naming the file and
 * an exit code, never a hang. A plain open of a FIFO waits for a writer forever, so every run here is a child
 * process with a timeout: on code that blocks, the test fails (code null) instead of hanging jest.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { ROOT, cli } from '../helpers/cli';
import { makeEnv, sshdFail } from '../helpers/context';

const TIMEOUT = 10000;

function env(extra = '[sshd]\nlog = auth.log\n', defaults = '') {
  const e = makeEnv(extra, { defaults });
  const file = path.join(e.dir, 'autoban.cfg');
  return { ...e, file, cfg: ['--config', file] };
}

/** Replaces `name` in `dir` by a FIFO. */
function fifo(dir: string, name: string): string {
  const p = path.join(dir, name);
  fs.rmSync(p, { force: true });
  expect(spawnSync('mkfifo', [p]).status).toBe(0);
  return p;
}

/** The `autoban:` lines of a run's stderr. */
const lines = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('autoban:'));

/**
 * Runs `body` (JavaScript, with `lib` = a require of dist/lib/<module>) in a child process over `cfgFile`
 * with `ctx` a real Context; prints the thrown error's code and message, or "ok". For the read paths loadConfig
 * does not guard (a file replaced by a FIFO after the run started).
 */
function inChild(cfgFile: string, body: string): { code: number | null; out: string } {
  const script = `
    const fs = require('fs'), path = require('path');
    const lib = (m) => require(path.join(${JSON.stringify(ROOT)}, 'dist', 'lib', m));
    const cfgFile = ${JSON.stringify(cfgFile)};
    const config = lib('config').parseConfig(fs.readFileSync(cfgFile, 'utf8'), { file: cfgFile, baseDir: path.dirname(cfgFile), hostname: 'testhost' });
    const ctx = { config, clock: lib('clock').fixedClock('2026-11-22T09:05:00Z'), log: lib('log').memoryLogger(), dryRun: false };
    (async () => { ${body} })().then(() => console.log('ok'), (e) => console.log(e.code + ' ' + e.message));
  `;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: TIMEOUT, killSignal: 'SIGKILL' });
  return { code: r.status, out: r.stdout.trim() };
}

describe('a whitelist path that is a FIFO', () => {
  test.each([[['status']], [['check-config']], [['scan']], [['run', '--no-jitter']], [['ban', '198.51.100.9']], [['whitelist', 'list']], [['expire']]])('%j exits 66 naming the file, without hanging', (args) => {
    const e = env();
    const wl = fifo(e.dir, 'whitelist.txt');
    e.write('auth.log', [1, 2, 3, 4, 5, 6].map((i) => sshdFail(`09:00:0${i}`, '192.0.2.7')).join(''));
    const r = cli([...args, ...e.cfg, '--now', '2026-11-22T09:05:00Z'], { timeout: TIMEOUT });
    expect(r.code).toBe(66);
    expect(lines(r.stderr)).toEqual([`autoban: cannot read whitelist ${wl}: is a named pipe (FIFO), not a regular file`]);
    expect(e.read('hosts.deny')).toBe('');
  });

  test('a socket is named as one, like a directory', () => {
    const e = env();
    fs.rmSync(path.join(e.dir, 'whitelist.txt'));
    const server = net.createServer();
    const sock = path.join(e.dir, 'whitelist.txt');
    return new Promise<void>((resolve) => server.listen(sock, resolve)).then(() => {
      try {
        const r = cli(['check-config', ...e.cfg], { timeout: TIMEOUT });
        expect(r.code).toBe(66);
        expect(lines(r.stderr)).toEqual([`autoban: cannot read whitelist ${sock}: is a socket, not a regular file`]);
      } finally {
        server.close();
      }
    });
  });

  test('replaced by a FIFO after the config was checked: the scan and whitelist edit reads refuse it too', () => {
    const e = env();
    const wl = fifo(e.dir, 'whitelist.txt');
    const msg = `66 cannot read whitelist ${wl}: is a named pipe (FIFO), not a regular file`;
    expect(inChild(e.file, `lib('state').loadWhitelist(ctx);`)).toEqual({ code: 0, out: msg });
    expect(inChild(e.file, `await lib('sync/whitelist-edit').runWhitelistEdit(ctx, 'list');`)).toEqual({ code: 0, out: `66 cannot read ${wl}: is a named pipe (FIFO), not a regular file` });
  });
});

describe('the other files a run reads, as a FIFO', () => {
  test('the config file itself: exit 78 naming it', () => {
    const e = env();
    const cfg = fifo(e.dir, 'autoban.cfg');
    const r = cli(['status', '--config', cfg], { timeout: TIMEOUT });
    expect(r.code).toBe(78);
    expect(lines(r.stderr)).toEqual([`autoban: config error: ${cfg}: cannot read config file: is a named pipe (FIFO), not a regular file`]);
  });

  test.each([[['status']], [['scan']], [['check-config']]])('the deny file: %j exits 78 naming it, like a deny file that is a directory', (args) => {
    const e = env();
    const deny = fifo(e.dir, 'hosts.deny');
    const r = cli([...args, ...e.cfg], { timeout: TIMEOUT });
    expect(r.code).toBe(78);
    expect(lines(r.stderr)).toEqual([`autoban: config error: ${e.file}: [DEFAULT] deny_file: ${deny} is a named pipe (FIFO), not a file`]);
  });

  test('the deny file replaced by a FIFO after the config was checked: the quick and the full commit refuse to read it (exit 66)', () => {
    const e = env();
    expect(cli(['ban', '192.0.2.9', ...e.cfg], { timeout: TIMEOUT }).code).toBe(0);
    // A stamp is there now, so the scan tries the quick commit (its own read of the deny file) first.
    expect(fs.existsSync(path.join(e.dir, 'state', 'stamp.txt'))).toBe(true);
    const deny = fifo(e.dir, 'hosts.deny');
    e.write('auth.log', sshdFail('09:00:01', '192.0.2.7', 'root') + sshdFail('09:00:02', '192.0.2.7', 'root'));
    expect(inChild(e.file, `await lib('commands/scan').runScan(ctx);`)).toEqual({ code: 0, out: `66 cannot read deny_file ${deny}: is a named pipe (FIFO), not a regular file` });
  });

  test.each([
    ['bans.json', `cannot read STATE/bans.json: is a named pipe (FIFO), not a regular file`],
    ['bans.journal', `STATE/bans.journal: cannot read: is a named pipe (FIFO), not a regular file`],
  ])('the ban database file %s: status and scan exit 66 naming it', (name, msg) => {
    const e = env();
    expect(cli(['ban', '192.0.2.9', ...e.cfg], { timeout: TIMEOUT }).code).toBe(0);
    const state = path.join(e.dir, 'state');
    fifo(state, name);
    for (const args of [['status'], ['scan']]) {
      const r = cli([...args, ...e.cfg], { timeout: TIMEOUT });
      expect(r.code).toBe(66);
      expect(lines(r.stderr)).toEqual([`autoban: ${msg.replace('STATE', state)}`]);
    }
  });

  test.each(['positions.json', 'history.bin', 'stamp.txt'])('the scan state file %s: treated like a damaged one, the scan still bans', (name) => {
    const e = env();
    expect(cli(['ban', '198.51.100.9', ...e.cfg, '--now', '2026-11-22T08:00:00Z'], { timeout: TIMEOUT }).code).toBe(0);
    fifo(path.join(e.dir, 'state'), name);
    e.write('auth.log', sshdFail('09:00:01', '192.0.2.7', 'root') + sshdFail('09:00:02', '192.0.2.7', 'root'));
    const r = cli(['scan', ...e.cfg, '--now', '2026-11-22T09:05:00Z'], { timeout: TIMEOUT });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('banned 192.0.2.7');
    expect(e.denyTargets()).toEqual(['192.0.2.7', '198.51.100.9']);
  });
});
