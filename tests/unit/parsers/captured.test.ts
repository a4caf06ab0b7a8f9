/**
 * The parsers against logs written by the real daemons (tests/fixtures/logs/captured, see its README):
 * the attacker is seen and banned, the address planted in user names (127.0.0.9) never appears, and
 * the legitimate client 127.0.0.1 is never banned.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createLineHandler } from '../../../lib/scanner';
import { BannedSet } from '../../../lib/banned-set';
import { parseConfig } from '../../../lib/config';
import { emptyWhitelist } from '../../../lib/whitelist';
import type { LoginEvent, Offense } from '../../../lib/types';
import { FIXTURE_DIR } from '../../helpers/fixtures';

const DIR = path.join(FIXTURE_DIR, 'captured');
// proftpd-extendedlog.log uses an ExtendedLog layout autoban does not document (see the README there);
// sshd-E-kbd.log has no successful login and three clients: tests/unit/scan.test.ts counts it, split between two runs;
// sshd-syslog-usedns-kbd*.log (documentation addresses, host-named PAM lines): tests/unit/parsers/sshd-usedns.test.ts.
const files = fs.readdirSync(DIR).filter((f) => f.endsWith('.log') && f !== 'proftpd-extendedlog.log' && f !== 'sshd-E-kbd.log' && !f.startsWith('sshd-syslog-usedns-kbd'));

test.each(files)('%s', (file) => {
  const parser = file.startsWith('proftpd') ? 'proftpd' : 'sshd';
  const cfg = parseConfig('', { file: 'x', baseDir: '/', hostname: 'h' });
  const source = { name: parser, log: file, parser, rules: cfg.defaults.rules, banDurationSec: 86400, banDurationMaxSec: null, ipv6Prefix: 64 };
  const events: LoginEvent[] = [];
  const offenses: Offense[] = [];
  const h = createLineHandler({ source, history: new Map(), whitelist: emptyWhitelist, skip: new BannedSet(), nowMs: Date.parse('2026-11-22T04:00:00Z'), onOffense: (o) => offenses.push(o), onEvent: (e) => events.push(e) });
  for (const line of fs.readFileSync(path.join(DIR, file), 'utf8').split(/\r?\n/)) if (line && !line.startsWith('#')) h.handle(line);
  const attacker = parser === 'proftpd' ? '127.0.0.2' : '127.0.0.3';
  expect(events.filter((e) => e.outcome === 'failure').length).toBeGreaterThanOrEqual(5);
  expect(events.some((e) => e.outcome === 'success' && e.ip === '127.0.0.1')).toBe(true);
  expect(new Set(events.map((e) => e.ip))).toEqual(new Set([attacker, '127.0.0.1']));
  expect(offenses.map((o) => o.ip)).toEqual([attacker]);
});
