/**
 * End to end against a real OpenSSH sshd (Debian's, linked with libwrap): attack it from 127.0.0.x,
 * run autoban the way cron does, and check what the clients see — the attacker's next connection is
 * dropped before the SSH banner, everyone else still logs in. Once with sshd's own -E log file
 * (UsePAM no, fast) and once through a private rsyslogd (UsePAM yes, the usual Debian setup, whose
 * pam_unix lines must not count one attempt several times).
 */
import { describeE2E, type SuiteState } from './helpers/suite';
import { makeWorkDir } from './helpers/workdir';
import { SSH_PASSWORD, SSH_USER, startSshd, type Sshd } from './helpers/sshd';
import { sshLogin, type Outcome } from './helpers/clients';
import {
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
  type AutobanSetup,
} from './helpers/autoban';

jest.setTimeout(180_000);

const LEGIT = '127.0.0.1';
const ATTACKER = '127.0.0.3';
const WHITELISTED = '127.0.0.4';
const NEAR_MISS = '127.0.0.5';
const INJECTED = '127.0.0.9';

const esc = (ip: string) => ip.replace(/\./g, '\\.');
/** sshd's own "Failed password" lines for a client: its address is the last "from IP port N". */
const failedLine = (ip: string) => new RegExp(`Failed password for .* from ${esc(ip)} port \\d+ ssh2$`);
/** The line sshd writes when a pre-auth connection ends (after it, UsePAM adds its summary). */
const closedLine = (ip: string) => new RegExp(`(Connection closed by|Disconnected from|Disconnecting) (authenticating|invalid) user .*${esc(ip)} port \\d+`);

interface Mode {
  name: string;
  syslog: boolean;
  usePam: boolean;
  kbdInteractive?: boolean;
}

/** keyboard-interactive (no device without PAM on Linux, so UsePAM yes only). */
const KBD_MODES: Mode[] = [
  { name: 'keyboard-interactive, sshd -E log file, UsePAM yes', syslog: false, usePam: true, kbdInteractive: true },
  { name: 'keyboard-interactive, syslog file from a private rsyslogd, UsePAM yes', syslog: true, usePam: true, kbdInteractive: true },
];

const MODES: Mode[] = [
  { name: 'sshd -E log file, UsePAM no', syslog: false, usePam: false },
  { name: 'syslog file from a private rsyslogd, UsePAM yes', syslog: true, usePam: true },
];

async function startAll(tag: string, mode: Mode, whitelist: string[] = []): Promise<{ sshd: Sshd; setup: AutobanSetup }> {
  const dir = makeWorkDir(tag);
  const { denyFile } = autobanPaths(dir);
  const sshd = await startSshd(dir, { denyFile, usePam: mode.usePam, syslog: mode.syslog, kbdInteractive: mode.kbdInteractive });
  // the log exists once sshd has said "Server listening" (through rsyslogd: a moment later)
  await waitForLog(sshd.log, (t) => t.includes('Server listening'), 'sshd startup');
  const setup = writeAutobanConfig(dir, { sources: { sshd: { log: sshd.log, parser: 'sshd' } }, whitelist });
  return { sshd, setup };
}

const outcomes = (rs: Array<{ outcome: Outcome }>) => rs.map((r) => r.outcome);

/** Six wrong passwords (two connections of three, in parallel) and three unknown users: 5 connections. */
async function bruteForce(sshd: Sshd, source: string): Promise<void> {
  const rs = await Promise.all([
    sshLogin(sshd, source, SSH_USER, 'wrong-a', 3),
    sshLogin(sshd, source, SSH_USER, 'wrong-b', 3),
    sshLogin(sshd, source, 'nosuch-1', 'x'),
    sshLogin(sshd, source, 'nosuch-2', 'x'),
    sshLogin(sshd, source, 'nosuch-3', 'x'),
  ]);
  expect(outcomes(rs)).toEqual(['denied', 'denied', 'denied', 'denied', 'denied']);
}

function skipWithoutRsyslog(mode: Mode, state: SuiteState): boolean {
  if (!mode.syslog || !state.missingOptional.includes('rsyslog')) return false;
  const bar = '!'.repeat(78);
  console.warn(`${bar}\n!! e2e sshd "${mode.name}": NOT RUN — the rsyslog package could not be installed.\n${bar}`);
  return true;
}

describeE2E(
  'e2e: OpenSSH sshd (libwrap) + autoban',
  { packages: ['openssh-server', 'openssh-client', 'openssl', 'util-linux'], optionalPackages: ['rsyslog'] },
  (state) => {
    describe.each(MODES)('$name', (mode) => {
      test('the attacker is dropped before the banner; the legitimate, whitelisted and near-miss users still log in; unban lets it back', async () => {
        if (skipWithoutRsyslog(mode, state)) return;
        const { sshd, setup } = await startAll(`ssh-${mode.syslog ? 'syslog' : 'E'}`, mode, [WHITELISTED]);

        expect((await sshLogin(sshd, LEGIT, SSH_USER, SSH_PASSWORD)).outcome).toBe('ok');
        // NEAR_MISS mistypes 4 times in one connection: below login_attempts_threshold (5), however
        // many ways sshd and PAM log those 4 attempts.
        const [, , nearMiss] = await Promise.all([
          bruteForce(sshd, ATTACKER),
          bruteForce(sshd, WHITELISTED),
          sshLogin(sshd, NEAR_MISS, SSH_USER, 'wrong-c', 4),
        ]);
        expect(nearMiss.outcome).toBe('denied');
        await waitForLog(
          sshd.log,
          (t) =>
            [ATTACKER, WHITELISTED].every((ip) => countLines(t, failedLine(ip)) >= 9 && countLines(t, closedLine(ip)) >= 5) &&
            countLines(t, failedLine(NEAR_MISS)) >= 4 &&
            countLines(t, closedLine(NEAR_MISS)) >= 1,
          'all attempts and connection ends',
        );

        if (sshd.traditionalLog) {
          // rsyslog's two timestamp styles carry the same story.
          const count = (evs: Awaited<ReturnType<typeof parsedEvents>>, ip: string) => evs.filter((e) => e.ip === ip && e.outcome === 'failure').length;
          const rfc = await parsedEvents(setup, sshd.log, 'sshd');
          const trad = await parsedEvents(setup, sshd.traditionalLog, 'sshd');
          for (const ip of [ATTACKER, WHITELISTED, NEAR_MISS]) {
            expect(count(rfc, ip)).toBeGreaterThan(0);
            expect(count(trad, ip)).toBe(count(rfc, ip));
          }
        }

        const r = await autoban(setup, 'run', '--no-jitter');
        if (r.code !== 0) throw new Error(describeRun('autoban run', r));
        expect(deniedAddresses(sshd.denyFile)).toEqual([ATTACKER]);

        // What the people at the keyboard see (a refused connection is held ~5 s, so in parallel):
        const seen = await Promise.all([ATTACKER, LEGIT, WHITELISTED, NEAR_MISS].map((ip) => sshLogin(sshd, ip, SSH_USER, SSH_PASSWORD)));
        expect(outcomes(seen)).toEqual(['refused', 'ok', 'ok', 'ok']);

        await autobanOk(setup, 'unban', ATTACKER);
        expect(deniedAddresses(sshd.denyFile)).toEqual([]);
        expect((await sshLogin(sshd, ATTACKER, SSH_USER, SSH_PASSWORD)).outcome).toBe('ok');
        // The next cron run must not ban it again from the lines it already acted on.
        await autobanOk(setup, 'run', '--no-jitter');
        expect(deniedAddresses(sshd.denyFile)).toEqual([]);
      });

      test('log injection: user names that imitate sshd lines ban the sender, never the address they name', async () => {
        if (skipWithoutRsyslog(mode, state)) return;
        const { sshd, setup } = await startAll(`ssh-inject-${mode.syslog ? 'syslog' : 'E'}`, mode);
        const names = [
          `root from ${INJECTED} port 22`,
          `x from ${INJECTED} port 22 ssh2`,
          `for invalid user x from ${INJECTED}`,
          `x ${INJECTED} port 22 [preauth]`,
          `x from ${INJECTED}`,
          `x rhost=${INJECTED} user=x`,
        ];
        const rs = await Promise.all(names.map((n) => sshLogin(sshd, ATTACKER, n, 'x')));
        expect(outcomes(rs)).toEqual(names.map(() => 'denied'));
        await waitForLog(
          sshd.log,
          (t) => countLines(t, failedLine(ATTACKER)) >= names.length && countLines(t, closedLine(ATTACKER)) >= names.length,
          'the injection attempts',
        );

        for (const log of [sshd.log, sshd.traditionalLog].filter((l): l is string => l !== null)) {
          const events = await parsedEvents(setup, log, 'sshd');
          expect(events.filter((e) => e.ip === INJECTED)).toEqual([]);
          expect(events.filter((e) => e.ip === ATTACKER && e.outcome === 'failure').length).toBeGreaterThanOrEqual(names.length);
        }

        await autobanOk(setup, 'run', '--no-jitter');
        expect(deniedAddresses(sshd.denyFile)).toEqual([ATTACKER]);
        expect((await statusJson(setup)).map((b) => b.ip)).toEqual([ATTACKER]);
        const seen = await Promise.all([INJECTED, ATTACKER].map((ip) => sshLogin(sshd, ip, SSH_USER, SSH_PASSWORD)));
        expect(outcomes(seen)).toEqual(['ok', 'refused']);
      });
    });

    test('UseDNS yes (syslog, UsePAM yes): lines that name the client by host name are never taken for an address; its connection\'s lines ban it', async () => {
      const mode = MODES[1] as Mode;
      if (skipWithoutRsyslog(mode, state)) return;
      const dir = makeWorkDir('ssh-dns');
      const { denyFile } = autobanPaths(dir);
      // Both directions resolve in the namespace's own /etc/hosts, so sshd uses the names (for PAM's rhost).
      const names = { [ATTACKER]: 'attacker.example.test', [NEAR_MISS]: 'near-miss.example.test' };
      const sshd = await startSshd(dir, { denyFile, usePam: true, syslog: true, dnsNames: names });
      await waitForLog(sshd.log, (t) => t.includes('Server listening'), 'sshd startup');
      const setup = writeAutobanConfig(dir, { sources: { sshd: { log: sshd.log, parser: 'sshd' } } });
      const rs = await Promise.all([
        sshLogin(sshd, ATTACKER, SSH_USER, 'wrong-d', 3),
        sshLogin(sshd, ATTACKER, SSH_USER, 'wrong-d', 2),
        sshLogin(sshd, NEAR_MISS, SSH_USER, 'wrong-d', 4),
      ]);
      expect(outcomes(rs)).toEqual(['denied', 'denied', 'denied']);
      const text = await waitForLog(
        sshd.log,
        (t) => countLines(t, failedLine(ATTACKER)) >= 5 && countLines(t, failedLine(NEAR_MISS)) >= 4 && countLines(t, closedLine(ATTACKER)) >= 2 && countLines(t, closedLine(NEAR_MISS)) >= 1,
        'all attempts and connection ends',
      );
      // sshd really named them: "pam_unix(sshd:auth): authentication failure; … rhost=attacker.example.test  user=…"
      const named = text.split('\n').map((l, i) => [i + 1, l] as const).filter(([, l]) => l.includes('.example.test'));
      expect(named.some(([, l]) => l.includes('rhost=attacker.example.test'))).toBe(true);
      const events = await parsedEvents(setup, sshd.log, 'sshd');
      const namedLines = new Set(named.map(([n]) => n));
      expect(events.filter((e) => namedLines.has(e.lineNo))).toEqual([]);
      expect(new Set(events.map((e) => e.ip))).toEqual(new Set([ATTACKER, NEAR_MISS]));

      await autobanOk(setup, 'run', '--no-jitter');
      expect(deniedAddresses(sshd.denyFile)).toEqual([ATTACKER]);
      expect((await statusJson(setup)).map((b) => [b.ip, b.failures])).toEqual([[ATTACKER, 5]]);
    });

    // UseDNS yes with keyboard-interactive: each attempt's PAM lines name the host, not the address. From a
    // connection's 3rd failure on, sshd logs "Postponed keyboard-interactive … from IP port N" as the next attempt
    // starts: it tells the pid's address without ending the connection. A client that then stops answering is cut
    // off at LoginGraceTime, and sshd logs nothing for that: Postponed is the only line that names its address.
    test('UseDNS yes with keyboard-interactive (syslog): host-named mistypes count through "Postponed …" when the connection times out; 4 in one connection stay in', async () => {
      const mode = KBD_MODES[1] as Mode;
      if (skipWithoutRsyslog(mode, state)) return;
      const dir = makeWorkDir('ssh-dns-kbd');
      const { denyFile } = autobanPaths(dir);
      const names = { [ATTACKER]: 'attacker.example.test', [NEAR_MISS]: 'near-miss.example.test' };
      const grace = 15;
      const sshd = await startSshd(dir, { denyFile, usePam: true, syslog: true, kbdInteractive: true, dnsNames: names, loginGraceSec: grace });
      await waitForLog(sshd.log, (t) => t.includes('Server listening'), 'sshd startup');
      const setup = writeAutobanConfig(dir, { sources: { sshd: { log: sshd.log, parser: 'sshd' } } });
      const kbd = (ip: string, tries: number) => sshLogin(sshd, ip, SSH_USER, 'wrong-n', tries, 'keyboard-interactive');
      // The attacker: 3 mistypes, then silence until sshd gives up (3 failures only Postponed names), and a
      // connection of 2 that ends as usual: 5. The near miss: 4 in one connection, Postponed logged before the 4th.
      const rs = await Promise.all([
        sshLogin(sshd, ATTACKER, SSH_USER, 'wrong-n', 1, 'keyboard-interactive', { after: 3, sec: grace + 5 }),
        kbd(ATTACKER, 2),
        kbd(NEAR_MISS, 4),
      ]);
      expect(outcomes(rs).slice(1)).toEqual(['denied', 'denied']);
      const ended = (ip: string) => new RegExp(`(Connection closed by|Disconnecting|Disconnected from) authenticating user .* ${esc(ip)} port \\d+`);
      const postponed = (ip: string) => new RegExp(`Postponed keyboard-interactive for .* from ${esc(ip)} port \\d+ ssh2`);
      const text = await waitForLog(sshd.log, (t) => countLines(t, ended(ATTACKER)) >= 1 && countLines(t, ended(NEAR_MISS)) >= 1, 'the connections end');
      // What makes this case: sshd really named the attempts by host, and logged Postponed for both addresses.
      expect(text).toContain(`Authentication failure for ${SSH_USER} from attacker.example.test`);
      expect(countLines(text, postponed(ATTACKER))).toBeGreaterThanOrEqual(1);
      expect(countLines(text, postponed(NEAR_MISS))).toBeGreaterThanOrEqual(1);
      expect(countLines(text, ended(ATTACKER))).toBe(1); // the timed-out connection left no end line

      await autobanOk(setup, 'run', '--no-jitter');
      expect(deniedAddresses(sshd.denyFile)).toEqual([ATTACKER]);
      expect((await statusJson(setup)).map((b) => [b.ip, b.failures])).toEqual([[ATTACKER, 5]]);
    });

    // KbdInteractiveAuthentication yes + UsePAM yes: PAM's own conversation, another way every attempt is logged.
    describe.each(KBD_MODES)('$name', (mode) => {
      test('keyboard-interactive through PAM: 4 mistypes in one connection stay in, 5 over two connections ban', async () => {
        if (skipWithoutRsyslog(mode, state)) return;
        const { sshd, setup } = await startAll(`ssh-kbd-${mode.syslog ? 'syslog' : 'E'}`, mode);
        const kbd = (ip: string, tries: number) => sshLogin(sshd, ip, SSH_USER, 'wrong-k', tries, 'keyboard-interactive');
        // One attempt logs (syslog) a pam_unix line under PAM's own child pid and "error: PAM: Authentication
        // failure" under the connection's, (-E) only "PAM: Authentication failure" without a port, and from the
        // 4th failure of a connection on also "Failed keyboard-interactive/pam".
        const rs = await Promise.all([kbd(NEAR_MISS, 4), kbd(ATTACKER, 3), kbd(ATTACKER, 2)]);
        expect(outcomes(rs)).toEqual(['denied', 'denied', 'denied']);
        const closedBy = (ip: string) => new RegExp(`Connection closed by authenticating user .* ${esc(ip)} port \\d+`);
        await waitForLog(sshd.log, (t) => countLines(t, closedBy(NEAR_MISS)) >= 1 && countLines(t, closedBy(ATTACKER)) >= 2, 'the connection ends');

        await autobanOk(setup, 'run', '--no-jitter');
        expect(deniedAddresses(sshd.denyFile)).toEqual([ATTACKER]);
        expect((await statusJson(setup)).map((b) => [b.ip, b.failures])).toEqual([[ATTACKER, 5]]);
      });
    });
  },
);
