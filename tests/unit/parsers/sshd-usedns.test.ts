/**
 * sshd with UseDNS yes names the client by its host name in PAM's lines ("error: PAM: Authentication failure for U
 * from HOST", pam_unix's "rhost=HOST", "PAM N more authentication failures; … rhost=HOST"). autoban never resolves a
 * name and never takes one for an address: such a line is held on its pid (lib/dedup.ts) and counted for the address
 * a line of the same connection names. tests/fixtures/logs/captured/sshd-syslog-usedns-kbd.log (see its README).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runScan } from '../../../lib/commands/scan';
import { makeEnv } from '../../helpers/context';
import { FIXTURE_DIR } from '../../helpers/fixtures';

const SSHD = `[sshd]\nlog = auth.log\nparser = sshd\n`;
const NO_BANS = 'login_attempts_threshold = 1000\ninvalid_user_attempts_threshold = 1000\nslow_attempts_threshold = 1000\nsuspicious_users =\n';
const LOG = fs.readFileSync(path.join(FIXTURE_DIR, 'captured', 'sshd-syslog-usedns-kbd.log'), 'utf8');
const NOW = '2026-12-07T15:20:00Z';
const LATER = '2026-12-07T15:21:00Z';
const GRACE = fs.readFileSync(path.join(FIXTURE_DIR, 'captured', 'sshd-syslog-usedns-kbd-grace.log'), 'utf8');
const GRACE_VERBOSE = fs.readFileSync(path.join(FIXTURE_DIR, 'captured', 'sshd-syslog-usedns-kbd-grace-verbose.log'), 'utf8');
const GRACE_NOW = '2026-12-07T18:20:00Z';
const GRACE_LATER = '2026-12-07T18:21:00Z';

test('the captured log: every keyboard-interactive failure counts for the address of its connection, none for a name', async () => {
  // 203.0.113.5 (host.example.net): a login, then keyboard-interactive 2 mistypes (only host-named lines until
  // "Connection closed by authenticating user … 203.0.113.5"), 6 (MaxAuthTries; the first 3 host-named only), an
  // unknown user 3 times, 2 passwords; 198.51.100.3 (no name) 2 mistypes.
  const once = makeEnv(SSHD, { defaults: NO_BANS });
  once.write('auth.log', LOG);
  expect((await runScan(once.ctx(NOW))).failures).toBe(2 + 6 + 3 + 2 + 2);
  // Per address: 13 bans 203.0.113.5 with its 13th failure, 14 bans nobody, 3 does not ban 198.51.100.3 (2).
  const bannedAt = async (threshold: number) => {
    const env = makeEnv(SSHD, { defaults: NO_BANS.replace('login_attempts_threshold = 1000', `login_attempts_threshold = ${threshold}`) });
    env.write('auth.log', LOG);
    return (await runScan(env.ctx(NOW))).banned.map((b) => [b.ip, b.failures]);
  };
  expect(await bannedAt(13)).toEqual([['203.0.113.5', 13]]);
  expect(await bannedAt(14)).toEqual([]);
  // (the 2-mistype connection counts 2 at its end, the next one its 3 host-named failures at its first "Postponed
  // keyboard-interactive … from 203.0.113.5" line: 5, one before that connection's first Failed line)
  expect(await bannedAt(3)).toEqual([['203.0.113.5', 5]]);
  expect(await bannedAt(2)).toEqual([['203.0.113.5', 2], ['198.51.100.3', 2]]);
});

test('the captured log read in two runs, split at every line, counts what one run counts', async () => {
  // A run that ends between a connection's host-named lines and the line that names its address carries the held
  // count in history.bin (lib/dedup.ts DedupState: the connection with address '') and the next run attributes it.
  const lines = LOG.split(/(?<=\n)/);
  const off: [number, number][] = [];
  for (let k = 1; k < lines.length; k++) {
    const env = makeEnv(SSHD, { defaults: NO_BANS });
    env.write('auth.log', lines.slice(0, k).join(''));
    const first = (await runScan(env.ctx(NOW))).failures;
    env.append('auth.log', lines.slice(k).join(''));
    const total = first + (await runScan(env.ctx(LATER))).failures;
    if (total !== 15) off.push([k, total]);
  }
  expect(off).toEqual([]);
});

// 203.0.113.5 (host.example.net) answers 1, 2, 3 and 4 keyboard-interactive prompts wrongly in four connections and an
// unknown user's once, then leaves each to LoginGraceTime (10 s): sshd logs nothing at the timeout. At LogLevel INFO
// the connections of 1 and 2 leave only host-named lines: not seen. The one of 3 leaves them and then, as the 4th
// attempt starts (its connection has failed MaxAuthTries / 2 times), "Postponed keyboard-interactive for autoban-e2e
// from 203.0.113.5 port N ssh2 [preauth]": its 3 count there. The one of 4 names its address from that point on too.
test.each([
  // INFO: threshold 3 bans at the first Postponed line of a user that exists, with the unknown user's 1 and its 3.
  ['INFO', GRACE, 3 + 4 + 1, 1 + 3],
  // VERBOSE: every attempt has its Postponed and Failed lines; a held line never waits for the connection's end.
  ['VERBOSE', GRACE_VERBOSE, 1 + 2 + 3 + 4 + 1, 3],
])('connections left to LoginGraceTime (LogLevel %s): the host-named failures before a Postponed line count for its address', async (_level, log, want, bannedWith) => {
  const env = makeEnv(SSHD, { defaults: NO_BANS });
  env.write('auth.log', log);
  expect((await runScan(env.ctx(GRACE_NOW))).failures).toBe(want);
  const ban = makeEnv(SSHD, { defaults: NO_BANS.replace('login_attempts_threshold = 1000', 'login_attempts_threshold = 3') });
  ban.write('auth.log', log);
  expect((await runScan(ban.ctx(GRACE_NOW))).banned.map((b) => [b.ip, b.failures])).toEqual([['203.0.113.5', bannedWith]]);
});

test('the INFO capture of connections left to LoginGraceTime, split at every line, counts what one run counts', async () => {
  // A run ending between the host-named lines and the Postponed line carries them (held on the pid) to the next run.
  const lines = GRACE.split(/(?<=\n)/);
  const off: [number, number][] = [];
  for (let k = 1; k < lines.length; k++) {
    const env = makeEnv(SSHD, { defaults: NO_BANS });
    env.write('auth.log', lines.slice(0, k).join(''));
    const first = (await runScan(env.ctx(GRACE_NOW))).failures;
    env.append('auth.log', lines.slice(k).join(''));
    const total = first + (await runScan(env.ctx(GRACE_LATER))).failures;
    if (total !== 8) off.push([k, total]);
  }
  expect(off).toEqual([]);
});
