/**
 * The scanner parses lines in place (a line is text[start, end) of the reader's chunk) and stops at the
 * address when it is already banned. Both shortcuts must give exactly what parsing the line alone gives:
 * checked on every fixture line, every captured real daemon line and generated hostile lines.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { PARSERS, PARSERS_IN_PLACE, PARSER_NAMES, type ParseContext } from '../../../lib/parsers';
import { BannedSet } from '../../../lib/banned-set';
import { parseIp, v4At } from '../../../lib/ip';
import { FIXTURE_DIR, readFixture } from '../../helpers/fixtures';

const nowMs = Date.parse('2026-11-27T00:00:00Z');
const CAPTURED = path.join(FIXTURE_DIR, 'captured');

function linesOf(parser: string): string[] {
  const out = readFixture(`${parser}.log`).map((c) => c.line);
  for (const f of fs.readdirSync(CAPTURED)) {
    if (!f.startsWith(parser === 'sshd' ? 'sshd' : 'proftpd')) continue;
    for (const l of fs.readFileSync(path.join(CAPTURED, f), 'utf8').split(/\r?\n/)) if (l && !l.startsWith('#')) out.push(l);
  }
  return out;
}

/** Parses `line` inside a chunk (other lines around it), with `banned`; reports what onBanned saw. */
function inChunk(parser: string, line: string, banned?: BannedSet) {
  const before = 'Nov 27 00:00:00 host sshd[9]: Failed password for x from 198.51.100.1 port 1 ssh2\n';
  const after = '\nNov 27 00:00:00 host sshd[9]: Accepted password for y from 198.51.100.2 port 2 ssh2\n';
  const text = before + line + after;
  let hit: { conn: number | undefined; ip: string } | null = null;
  const ctx: ParseContext = { nowMs, banned, onBanned: (conn, t, from, to) => (hit = { conn, ip: t.slice(from, to) }) };
  const ev = PARSERS_IN_PLACE[parser]!(text, before.length, before.length + line.length, ctx);
  return { ev, hit: hit as { conn: number | undefined; ip: string } | null };
}

describe.each(PARSER_NAMES)('%s', (parser) => {
  const lines = linesOf(parser);
  const alone = (line: string) => PARSERS[parser]!(line, { nowMs });

  test('in place gives the same event as the line alone', () => {
    expect(lines.length).toBeGreaterThan(20);
    for (const line of lines) expect([line, inChunk(parser, line).ev]).toEqual([line, alone(line)]);
  });

  test('a failure from a banned address stops at the address, naming it and the connection; nothing else changes', () => {
    let stopped = 0;
    for (const line of lines) {
      const ev = alone(line);
      const { ev: got, hit } = inChunk(parser, line, new BannedSet(ev ? [ev.ip] : []));
      // The shortcut matches the address as written; other spellings (::ffff:…, upper case) parse on and the
      // scanner drops them after canonicalising.
      const written = !!ev && line.split(/[\s[\]=()]/).includes(ev.ip);
      const stop = [line, null, { conn: typeof ev?.conn === 'number' ? ev.conn : undefined, ip: ev?.ip }];
      // An 'address' or 'address_open' line (count 0) is never stopped: the scan checks its address once it stands
      // for held failures. A host-named line (ip '') has no address to stop at.
      const failure = !!ev && ev.outcome === 'failure' && ev.evidence !== 'address' && ev.evidence !== 'address_open' && ev.ip !== '';
      if (failure && written) {
        stopped++;
        expect([line, got, hit]).toEqual(stop);
      } else if (failure) {
        expect([stop, [line, ev, null]]).toContainEqual([line, got, hit]);
      } else {
        expect([line, got, hit]).toEqual([line, ev, null]);
      }
      // Someone else's ban changes nothing.
      expect(inChunk(parser, line, new BannedSet(['203.0.113.254', '2001:db8:ffff::1'])).ev).toEqual(ev);
    }
    expect(stopped).toBeGreaterThan(10);
  });
});

test('hostile lines: banning the parsed address stops exactly the lines that named it', () => {
  const shapes = [
    (u: string, ip: string) => `Nov 26 16:14:00 host sshd[7]: Failed password for ${u} from ${ip} port 58946 ssh2`,
    (u: string, ip: string) => `Nov 26 16:14:00 host sshd[7]: Invalid user ${u} from ${ip} port 41000`,
    (u: string, ip: string) => `Nov 26 16:14:00 host sshd[7]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=${ip}  user=${u}`,
    (u: string, ip: string) => `Nov 26 16:14:00 host sshd[7]: Connection closed by invalid user ${u} ${ip} port 41 [preauth]`,
    (u: string, ip: string) => `Nov 26 16:14:00 host sshd[7]: Disconnecting invalid user ${u} ${ip} port 5555: Too many authentication failures [preauth]`,
  ];
  const ip = fc.oneof(fc.ipV4(), fc.constantFrom('010.0.0.1', '1.2.3', '1.2.3.4.5', '256.1.1.1', '::ffff:192.0.2.1', '2001:db8::1', ''));
  const user = fc.string({ maxLength: 30 }).map((s) => s.replace(/[\r\n]/g, ' '));
  fc.assert(
    fc.property(fc.constantFrom(...shapes), user, ip, (shape, u, addr) => {
      const line = shape(u, addr);
      const ev = PARSERS.sshd!(line, { nowMs });
      const { ev: got, hit } = inChunk('sshd', line, new BannedSet([ev?.ip ?? parseIp(addr) ?? '203.0.113.1']));
      if (!ev) return got === null && hit === null;
      // A canonical address stops the parser; another spelling (::ffff:…) parses on and the scanner drops it.
      if (addr === ev.ip) return got === null && hit !== null && (hit as { ip: string }).ip === ev.ip;
      return hit === null && JSON.stringify(got) === JSON.stringify(ev);
    }),
    { numRuns: 2000 },
  );
});

test('v4At accepts exactly the canonical dotted quads parseIp accepts', () => {
  fc.assert(
    fc.property(fc.oneof(fc.ipV4(), fc.ipV4Extended(), fc.string({ maxLength: 16 })), (s) => {
      const n = v4At(`x${s}y`, 1, s.length + 1);
      const canonical = parseIp(s) === s && !s.includes(':');
      return canonical ? n === s.split('.').reduce((a, p) => a * 256 + Number(p), 0) : n === -1;
    }),
    { numRuns: 5000 },
  );
});

test('BannedSet: grows past its first table and keeps IPv6 and networks by their canonical text', () => {
  const s = new BannedSet();
  for (let i = 0; i < 5000; i++) s.add(`198.51.${i >> 8}.${i & 255}`);
  s.add('2001:db8::/64');
  s.add('192.0.2.0/24');
  expect(s.size).toBe(5002);
  expect(s.has('198.51.19.135')).toBe(true);
  expect(s.has('198.51.100.1')).toBe(false);
  expect(s.hasAt('x 198.51.0.7 y', 2, 12)).toBe(true);
  expect(s.hasAt('x 198.51.0.07 y', 2, 13)).toBe(false); // not canonical: never matches a banned address
  expect(s.has('2001:db8::/64')).toBe(true);
  expect(s.has('192.0.2.0/24')).toBe(true);
  expect(s.has('192.0.2.1')).toBe(false); // a network ban is matched by the ban target, not per address
});
