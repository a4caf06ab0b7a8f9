/**
 * End to end against a real ProFTPD with mod_wrap2: attack it from 127.0.0.x, run autoban the way
 * cron does, and check what the clients see — the attacker gets "530 Access denied" instead of the
 * banner, everyone else still logs in. Each test gets its own server, deny file and state.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describeE2E } from './helpers/suite';
import { makeWorkDir, writeFile } from './helpers/workdir';
import { FTP_PASSWORD, FTP_USER, startProftpd, type Proftpd } from './helpers/proftpd';
import { ftpLogin, ftpSession } from './helpers/clients';
import {
  BEGIN,
  END,
  autoban,
  autobanOk,
  autobanPaths,
  countLines,
  deniedAddresses,
  describeRun,
  parsedEvents,
  statusJson,
  waitForLog,
  writeAutobanConfig,
} from './helpers/autoban';

jest.setTimeout(180_000);

const LEGIT = '127.0.0.1';
const ATTACKER = '127.0.0.2';
const WHITELISTED = '127.0.0.4';
const SECOND_ATTACKER = '127.0.0.5';
const MANUAL = '127.0.0.6';
const INJECTED = '127.0.0.9';

const esc = (ip: string) => ip.replace(/\./g, '\\.');
/** SystemLog failure lines ProFTPD wrote for a client (its address is the one in brackets). */
const failureLine = (ip: string) => new RegExp(`\\(${esc(ip)}\\[${esc(ip)}\\]\\): (USER .*(\\(Login failed\\)|: no such user found)|SECURITY VIOLATION)`);

/** Six wrong passwords (two connections: MaxLoginAttempts 3) and three unknown users. */
async function bruteForce(ftp: Proftpd, source: string): Promise<void> {
  const sessions: Array<Array<[string, string]>> = [
    [[FTP_USER, 'wrong-1'], [FTP_USER, 'wrong-2'], [FTP_USER, 'wrong-3']],
    [[FTP_USER, 'wrong-4'], [FTP_USER, 'wrong-5'], [FTP_USER, 'wrong-6']],
    [['nosuch-1', 'x'], ['nosuch-2', 'x'], ['nosuch-3', 'x']],
  ];
  for (const attempts of sessions) {
    const r = await ftpSession(ftp.port, source, attempts);
    expect(r.banner).toMatch(/^220 /);
    expect(r.replies).toEqual(['530 Login incorrect.', '530 Login incorrect.', '530 Login incorrect.']);
  }
}

async function startAll(tag: string, extra: { denyContent?: string; shippedSnippet?: boolean } = {}): Promise<{ ftp: Proftpd; dir: string }> {
  const dir = makeWorkDir(tag);
  const { denyFile } = autobanPaths(dir);
  if (extra.denyContent !== undefined) writeFile(denyFile, extra.denyContent, 0o644);
  const ftp = await startProftpd(dir, { denyFile, shippedSnippet: extra.shippedSnippet });
  return { ftp, dir };
}

describeE2E('e2e: ProFTPD + mod_wrap2 + autoban', { packages: ['proftpd-core', 'python3', 'openssl', 'util-linux'] }, () => {
  test.each([
    ['SystemLog', 'systemLog'],
    ['ExtendedLog (AUTH LogFormat)', 'extendedLog'],
  ] as const)('%s: the attacker is refused with 530, the legitimate user still logs in, unban lets it back', async (_name, which) => {
    const { ftp, dir } = await startAll(`ftp-${which}`);
    const setup = writeAutobanConfig(dir, { sources: { proftpd: { log: ftp[which], parser: 'proftpd' } } });

    expect(await ftpLogin(ftp.port, LEGIT, FTP_USER, FTP_PASSWORD)).toBe('ok');
    await bruteForce(ftp, ATTACKER);
    await waitForLog(ftp.systemLog, (t) => countLines(t, failureLine(ATTACKER)) >= 9, '9 failures from the attacker');
    await waitForLog(ftp.extendedLog, (t) => countLines(t, new RegExp(` ${esc(ATTACKER)} PASS 530 `)) >= 9, '9 failed PASS lines');

    const r = await autoban(setup, 'run', '--no-jitter');
    expect(r.code).toBe(0);
    expect(deniedAddresses(ftp.denyFile)).toEqual([ATTACKER]);

    // What the people at the keyboard see:
    expect(await ftpLogin(ftp.port, ATTACKER, FTP_USER, FTP_PASSWORD)).toBe('refused');
    expect(await ftpLogin(ftp.port, LEGIT, FTP_USER, FTP_PASSWORD)).toBe('ok');

    await autobanOk(setup, 'unban', ATTACKER);
    expect(deniedAddresses(ftp.denyFile)).toEqual([]);
    expect(await ftpLogin(ftp.port, ATTACKER, FTP_USER, FTP_PASSWORD)).toBe('ok');

    // The next cron run must not ban it again from the lines it already acted on.
    await autobanOk(setup, 'run', '--no-jitter');
    expect(deniedAddresses(ftp.denyFile)).toEqual([]);
    expect(await ftpLogin(ftp.port, ATTACKER, FTP_USER, FTP_PASSWORD)).toBe('ok');
  });

  test('the shipped etc/proftpd-wrap2.conf.example works as documented, with the ExtendedLog it recommends', async () => {
    const { ftp, dir } = await startAll('ftp-shipped', { shippedSnippet: true });
    const setup = writeAutobanConfig(dir, { sources: { proftpd: { log: ftp.extendedLog, parser: 'proftpd' } } });
    expect(await ftpLogin(ftp.port, LEGIT, FTP_USER, FTP_PASSWORD)).toBe('ok');
    await bruteForce(ftp, ATTACKER);
    await waitForLog(ftp.extendedLog, (t) => countLines(t, new RegExp(` ${esc(ATTACKER)} PASS 530 `)) >= 9, '9 failed PASS lines');

    await autobanOk(setup, 'run', '--no-jitter');
    expect(deniedAddresses(ftp.denyFile)).toEqual([ATTACKER]);
    expect(await ftpLogin(ftp.port, ATTACKER, FTP_USER, FTP_PASSWORD)).toBe('refused');
    expect(await ftpLogin(ftp.port, LEGIT, FTP_USER, FTP_PASSWORD)).toBe('ok');
  });

  test('log injection: user names that imitate log text ban the sender, never the address they name', async () => {
    const { ftp, dir } = await startAll('ftp-injection');
    const setup = writeAutobanConfig(dir, {
      sources: {
        proftpd_systemlog: { log: ftp.systemLog, parser: 'proftpd' },
        proftpd_extendedlog: { log: ftp.extendedLog, parser: 'proftpd' },
      },
    });
    // Each name, typed by the attacker at 127.0.0.2, imitates a line shape that names 127.0.0.9.
    const names = [
      `root from ${INJECTED} port 22`,
      `x (client[${INJECTED}]): USER y (Login failed): Incorrect password`, // SystemLog shape
      `x (${INJECTED}[${INJECTED}]) - USER y (Login failed): Incorrect password`, // syslog shape
      `[22/Nov/2026:01:32:05 +0000] ${INJECTED} PASS 530 y`, // ExtendedLog shape
      `${INJECTED} PASS 530 y`,
      `y: no such user found from ${INJECTED} [${INJECTED}] to 127.0.0.1:21`,
    ];
    for (let i = 0; i < names.length; i += 3) {
      const r = await ftpSession(ftp.port, ATTACKER, names.slice(i, i + 3).map((n) => [n, 'x'] as [string, string]));
      expect(r.replies.every((x) => x.startsWith('530'))).toBe(true);
    }
    await waitForLog(ftp.systemLog, (t) => countLines(t, failureLine(ATTACKER)) >= names.length, 'the injection attempts');
    await waitForLog(ftp.extendedLog, (t) => countLines(t, new RegExp(` ${esc(ATTACKER)} PASS 530 `)) >= names.length, 'the injection attempts');

    for (const log of [ftp.systemLog, ftp.extendedLog]) {
      const events = await parsedEvents(setup, log, 'proftpd');
      expect(events.filter((e) => e.ip === INJECTED)).toEqual([]);
      // one failure per attempt (ProFTPD's "Maximum login attempts" line may add one per connection)
      expect(events.filter((e) => e.ip === ATTACKER && e.outcome === 'failure').length).toBeGreaterThanOrEqual(names.length);
    }

    await autobanOk(setup, 'run', '--no-jitter');
    expect(deniedAddresses(ftp.denyFile)).toEqual([ATTACKER]);
    expect((await statusJson(setup)).map((b) => b.ip)).toEqual([ATTACKER]);
    expect(await ftpLogin(ftp.port, INJECTED, FTP_USER, FTP_PASSWORD)).toBe('ok');
    expect(await ftpLogin(ftp.port, ATTACKER, FTP_USER, FTP_PASSWORD)).toBe('refused');
  });

  test('whitelist: the same attack from a whitelisted address is never banned; whitelisting a banned address lifts the ban', async () => {
    const { ftp, dir } = await startAll('ftp-whitelist');
    const setup = writeAutobanConfig(dir, { sources: { proftpd: { log: ftp.systemLog, parser: 'proftpd' } }, whitelist: [WHITELISTED] });
    await Promise.all([bruteForce(ftp, WHITELISTED), bruteForce(ftp, ATTACKER)]);
    await waitForLog(ftp.systemLog, (t) => countLines(t, failureLine(WHITELISTED)) >= 9 && countLines(t, failureLine(ATTACKER)) >= 9, 'both attacks');

    await autobanOk(setup, 'run', '--no-jitter');
    expect(deniedAddresses(ftp.denyFile)).toEqual([ATTACKER]);
    expect(await ftpLogin(ftp.port, WHITELISTED, FTP_USER, FTP_PASSWORD)).toBe('ok');
    expect(await ftpLogin(ftp.port, ATTACKER, FTP_USER, FTP_PASSWORD)).toBe('refused');

    // The admin whitelists the banned address (as a CIDR); the next run lets it in.
    fs.appendFileSync(setup.whitelist, '127.0.0.2/32\n');
    await autobanOk(setup, 'run', '--no-jitter');
    expect(deniedAddresses(ftp.denyFile)).toEqual([]);
    expect(await ftpLogin(ftp.port, ATTACKER, FTP_USER, FTP_PASSWORD)).toBe('ok');
  });

  test('overlapping runs (cron + Monit, plus a manual ban) produce one correct deny file', async () => {
    const adminLines = "# the admin's own rules: autoban must keep these lines as they are\nproftpd: 127.0.0.250\n";
    const { ftp, dir } = await startAll('ftp-overlap', { denyContent: adminLines });
    const setup = writeAutobanConfig(dir, { sources: { proftpd: { log: ftp.systemLog, parser: 'proftpd' } } });
    await Promise.all([bruteForce(ftp, ATTACKER), bruteForce(ftp, SECOND_ATTACKER)]);
    await waitForLog(ftp.systemLog, (t) => countLines(t, failureLine(ATTACKER)) >= 9 && countLines(t, failureLine(SECOND_ATTACKER)) >= 9, 'both attacks');

    const [cron, monit, manual] = await Promise.all([
      autoban(setup, 'run', '--no-jitter'),
      autoban(setup, 'run', '--no-jitter'),
      autoban(setup, 'ban', MANUAL, '--reason', 'seen in the web server log'),
    ]);
    for (const [what, r] of [['cron run', cron], ['Monit run', monit], ['manual ban', manual]] as const) {
      if (r.code !== 0) throw new Error(describeRun(what, r));
    }

    const text = fs.readFileSync(ftp.denyFile, 'utf8');
    expect(text.startsWith(adminLines)).toBe(true);
    expect(text.endsWith('\n')).toBe(true);
    expect(text.split('\n').filter((l) => l === BEGIN)).toHaveLength(1);
    expect(text.split('\n').filter((l) => l === END)).toHaveLength(1);
    expect(deniedAddresses(ftp.denyFile).sort()).toEqual([ATTACKER, SECOND_ATTACKER, MANUAL].sort());
    expect(fs.statSync(ftp.denyFile).mode & 0o777).toBe(0o644);
    expect(fs.readdirSync(path.dirname(ftp.denyFile))).toEqual(['hosts.deny']); // no temp files left behind
    expect((await statusJson(setup)).map((b) => b.ip).sort()).toEqual([ATTACKER, SECOND_ATTACKER, MANUAL].sort());

    const seen = await Promise.all([ATTACKER, SECOND_ATTACKER, MANUAL, LEGIT].map((ip) => ftpLogin(ftp.port, ip, FTP_USER, FTP_PASSWORD)));
    expect(seen).toEqual(['refused', 'refused', 'refused', 'ok']);
    // mod_wrap2 applies the admin's own line too: it is still there and still works.
    expect(await ftpLogin(ftp.port, '127.0.0.250', FTP_USER, FTP_PASSWORD)).toBe('refused');
  });
});
