/**
 * The scanner has two ways through a log: the fast one (bytes recorded, then replayed: handleChunk) and the
 * reference one (each line decoded and parsed as text: handle). Whatever the interleaving of connections,
 * reused pids, addresses banned before or during the run, the two must find the same offenses and count
 * the same lines, events, failures and already-banned lines.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { createLineHandler } from '../../lib/scanner';
import { BannedSet } from '../../lib/banned-set';
import { loadConfig } from '../../lib/config';
import { emptyWhitelist } from '../../lib/whitelist';
import type { Offense } from '../../lib/types';
import { tmpdir } from '../helpers/tmpdir';

const dir = tmpdir();
fs.writeFileSync(path.join(dir, 'auth.log'), '');
fs.writeFileSync(
  path.join(dir, 'autoban.cfg'),
  '[DEFAULT]\nlogin_attempts_threshold = 4\nsuspicious_users_attempts_threshold = 2\ninvalid_user_attempts_threshold = 3\n[sshd]\nlog = auth.log\nparser = sshd\n',
);
const source = loadConfig(path.join(dir, 'autoban.cfg')).sources[0]!;
const nowMs = Date.parse('2026-11-27T00:00:00Z');

const IPS = ['192.0.2.1', '192.0.2.2', '198.51.100.7', '203.0.113.9', '2001:db8::5'];
const MESSAGES = [
  (u: string, ip: string) => `Failed password for ${u} from ${ip} port 4022 ssh2`,
  (u: string, ip: string) => `Failed password for invalid user ${u} from ${ip} port 4022 ssh2`,
  (u: string, ip: string) => `Invalid user ${u} from ${ip} port 4022`,
  (u: string, ip: string) => `pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=${ip}  user=${u}`,
  (_u: string, ip: string) => `pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=${ip}`,
  (u: string, ip: string) => `PAM 2 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=${ip}  user=${u}`,
  (u: string, ip: string) => `Connection closed by invalid user ${u} ${ip} port 4022 [preauth]`,
  (u: string, ip: string) => `Disconnecting invalid user ${u} ${ip} port 4022: Too many authentication failures [preauth]`,
  (u: string, ip: string) => `Accepted password for ${u} from ${ip} port 4022 ssh2`,
  (u: string, ip: string) => `maximum authentication attempts exceeded for ${u} from ${ip} port 4022 ssh2 [preauth]`,
  () => 'pam_unix(sshd:auth): check pass; user unknown',
];

function run(lines: string[], banned: string[], fast: boolean) {
  const offenses: Offense[] = [];
  const h = createLineHandler({ source, history: new Map(), whitelist: emptyWhitelist, skip: new BannedSet(banned), nowMs, onOffense: (o) => offenses.push(o) });
  if (fast) {
    const buf = Buffer.from(lines.map((l) => `${l}\n`).join(''));
    h.handleChunk(buf, 0, buf.length);
  } else {
    for (const l of lines) h.handle(l);
  }
  return { offenses, stats: h.stats };
}

test('fast and reference paths agree on generated attack logs', () => {
  const line = fc.record({ pid: fc.constantFrom(100, 101), ip: fc.constantFrom('192.0.2.1', '192.0.2.2', '198.51.100.7', '2001:db8::5'), msg: fc.nat(MESSAGES.length - 1), user: fc.constantFrom('root', 'admin', 'bob', 'oracle'), dt: fc.integer({ min: 0, max: 90 }) });
  fc.assert(
    fc.property(fc.array(line, { maxLength: 80 }), fc.subarray(IPS), (spec, banned) => {
      let t = Date.parse('2026-11-26T10:00:00');
      const lines = spec.map(({ pid, ip, msg, user, dt }) => {
        t += dt * 1000;
        const d = new Date(t);
        const stamp = `Nov 26 ${d.toTimeString().slice(0, 8)}`;
        return `${stamp} web1 sshd[${pid}]: ${MESSAGES[msg]!(user, ip)}`;
      });
      expect(run(lines, banned, true)).toEqual(run(lines, banned, false));
    }),
    { numRuns: 1500 },
  );
});
