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
  // (the 2-mistype connection counts 2 at its end, the next one 4 at its first Failed line: 3 host-named + 1)
  expect(await bannedAt(3)).toEqual([['203.0.113.5', 6]]);
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
