/**
 * The failure lines fail2ban's stock filters count that autoban once missed (sshd keyboard-interactive PAM
 * reasons, a client switching user names on one connection, ProFTPD's AnonRejectPasswords): an attacker
 * that repeats them is banned, through the reference parsers and through the byte fast path alike, and a
 * user name carrying another address (203.0.113.9) never gets that address banned.
 */
import { createLineHandler } from '../../../lib/scanner';
import { BannedSet } from '../../../lib/banned-set';
import { parseConfig } from '../../../lib/config';
import { emptyWhitelist } from '../../../lib/whitelist';
import type { LoginEvent, Offense } from '../../../lib/types';

const FORGED = '203.0.113.9';

/** n lines, one connection (pid) each, from `make(i)`. */
const lines = (n: number, make: (i: number) => string): string[] => Array.from({ length: n }, (_, i) => make(i));

const SSHD: Record<string, string[]> = {
  'PAM unknown user': lines(12, (i) => `Nov 26 16:12:${10 + i} web1 sshd-session[${7000 + i}]: error: PAM: User not known to the underlying authentication module for illegal user x from ${FORGED} from 192.0.2.40`),
  'OpenPAM authentication error': lines(12, (i) => `Nov 26 16:12:${10 + i} web1 sshd[${7100 + i}]: error: PAM: authentication error for root from ${FORGED} port 22 from 192.0.2.41`),
  'change of user name': lines(12, (i) => `Nov 26 16:12:${10 + i} web1 sshd-session[${7200 + i}]: Disconnecting invalid user a from ${FORGED} port 22 192.0.2.42 port ${40000 + i}: Change of username or service not allowed: (a from ${FORGED} port 22,ssh-connection) -> (b,s ${FORGED} port 1: x,ssh-connection) [preauth]`),
};
const PROFTPD: Record<string, string[]> = {
  AnonRejectPasswords: lines(12, (i) => `2026-11-26 16:12:${10 + i},000 web1 proftpd[${7300 + i}] web1.example.com (192.0.2.43[192.0.2.43]): ANON ftp from ${FORGED} (x[${FORGED}]): AnonRejectPasswords denies login`),
};

function scan(parser: 'sshd' | 'proftpd', input: string[], bytes: boolean): { events: LoginEvent[]; offenses: Offense[] } {
  const cfg = parseConfig('', { file: 'x', baseDir: '/', hostname: 'h' });
  const source = { name: parser, log: 'x.log', parser, rules: cfg.defaults.rules, banDurationSec: 86400, banDurationMaxSec: null, ipv6Prefix: 64 };
  const events: LoginEvent[] = [];
  const offenses: Offense[] = [];
  const onEvent = bytes ? undefined : (e: LoginEvent) => events.push(e);
  const h = createLineHandler({ source, history: new Map(), whitelist: emptyWhitelist, skip: new BannedSet(), nowMs: Date.parse('2026-11-27T00:00:00Z'), onOffense: (o) => offenses.push(o), onEvent });
  if (bytes) {
    const buf = Buffer.from(input.join('\n') + '\n');
    h.handleChunk(buf, 0, buf.length);
  } else for (const l of input) h.handle(l);
  return { events, offenses };
}

describe.each([
  ...Object.entries(SSHD).map(([name, l]) => ['sshd', name, l] as const),
  ...Object.entries(PROFTPD).map(([name, l]) => ['proftpd', name, l] as const),
])('%s: %s', (parser, _name, input) => {
  const real = /\((192\.0\.2\.\d+)\[|(192\.0\.2\.\d+) port \d+: Change|from (192\.0\.2\.\d+)$/.exec(input[0]!)!.slice(1).find(Boolean);

  test('each line is a failure of the real client, never of the address in the user name', () => {
    const { events } = scan(parser, input, false);
    expect(events).toHaveLength(input.length);
    for (const e of events) expect([e.outcome, e.ip]).toEqual(['failure', real]);
  });

  test.each([false, true])('repeated, they ban the real client only (byte path: %s)', (bytes) => {
    const { offenses } = scan(parser, input, bytes);
    expect(offenses.map((o) => o.ip)).toEqual([real]);
  });
});
