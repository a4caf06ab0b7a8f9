import type { Ban } from '../../lib/types';
import { type CountSteps, NO_STEPS, activeBans, addCountStep, addUnban, banLengthSec, countAt, liveSteps, pruneDb } from '../../lib/bans';
import { decodeDb, encodeDb } from '../../lib/ban-codec';
import { parseWhitelist } from '../../lib/whitelist';

const t = (s: string) => new Date(`2026-11-22T${s}Z`);
export const makeBan = (o: Partial<Ban> = {}): Ban => ({
  ip: '192.0.2.1',
  rule: 'login_attempts',
  reason: 'login_attempts failures=5',
  failures: 5,
  source: 'sshd',
  origin: 'scan',
  node: 'n1',
  bannedAt: t('01:00:00'),
  expiresAt: t('02:00:00'),
  banCount: 1,
  ...o,
});

test('a ban is active until it expires; permanent bans never expire', () => {
  const db = { bans: [makeBan(), makeBan({ ip: '192.0.2.2', expiresAt: null })], unbans: [] };
  expect(activeBans(db, t('01:30:00')).map((b) => b.ip)).toEqual(['192.0.2.1', '192.0.2.2']);
  expect(activeBans(db, t('02:00:00')).map((b) => b.ip)).toEqual(['192.0.2.2']);
});

test('an unban lifts bans that started before it, not a later re-ban', () => {
  let db = { bans: [makeBan()], unbans: [] as { ip: string; at: Date; node: string }[] };
  db = addUnban(db, '192.0.2.1', t('01:10:00'), 'n2');
  expect(activeBans(db, t('01:20:00'))).toEqual([]);
  db = { ...db, bans: [...db.bans, makeBan({ bannedAt: t('01:15:00') })] };
  expect(activeBans(db, t('01:20:00')).map((b) => b.ip)).toEqual(['192.0.2.1']);
});

test('whitelisted targets are never active', () => {
  const db = { bans: [makeBan(), makeBan({ ip: '198.51.100.3' })], unbans: [] };
  const wl = parseWhitelist('192.0.2.0/24\n', 'wl').whitelist;
  expect(activeBans(db, t('01:30:00'), wl).map((b) => b.ip)).toEqual(['198.51.100.3']);
});

test('repeat offenders: each ban doubles, capped by the maximum; null is permanent', () => {
  expect([1, 2, 3, 4, 5, 6].map((n) => banLengthSec(86400, 86400 * 30, n))).toEqual([86400, 172800, 345600, 691200, 1382400, 2592000]);
  expect(banLengthSec(null, 86400, 3)).toBeNull();
  expect(banLengthSec(3600, null, 3)).toBe(14400);
});

test('old expired bans are forgotten after the retention, recent ones kept for doubling', () => {
  const db = { bans: [makeBan(), makeBan({ ip: '192.0.2.9', expiresAt: t('00:00:00') })], unbans: [] };
  const pruned = pruneDb(db, t('12:00:00'), 11 * 3600);
  expect(pruned.bans.map((b) => b.ip)).toEqual(['192.0.2.1']);
});

test('the database round-trips and bad entries are reported by index', () => {
  const db = { bans: [makeBan(), makeBan({ ip: '2001:db8::/64', expiresAt: null })], unbans: [{ ip: '192.0.2.5', at: t('01:00:00'), node: 'n1' }] };
  const text = encodeDb(db);
  expect(decodeDb(text, 'bans.json').db).toEqual({ bans: db.bans, unbans: db.unbans });
  const doc = JSON.parse(text);
  doc.bans.push({ ...doc.bans[0], ip: 'ALL' });
  const { db: back, errors } = decodeDb(JSON.stringify(doc), 'bans.json');
  expect(back.bans).toHaveLength(2);
  expect(errors).toEqual([expect.stringMatching(/^bans.json: bans\[2\]: ip: not a valid address/)]);
  expect(() => decodeDb('{"version":1,"bans":[', 'state/bans.json')).toThrow(/state\/bans.json: not valid JSON/);
});

test('every layout the encoder writes reads back entry by entry, and re-encodes to the same bytes', () => {
  const bans = [makeBan(), makeBan({ ip: '2001:db8::/64', expiresAt: null }), makeBan({ ip: '198.51.100.3', reason: 'say "hi", {x},' })];
  const unbans = [{ ip: '192.0.2.5', at: t('01:00:00'), node: 'n1' }, { ip: '192.0.2.6', at: t('02:00:00'), node: 'n2' }];
  for (const db of [{ bans, unbans }, { bans, unbans: [] }, { bans: [], unbans }, { bans: [], unbans: [] }, { bans: bans.slice(0, 1), unbans: unbans.slice(0, 1) }]) {
    const text = encodeDb(db);
    const back = decodeDb(text, 'bans.json');
    expect(back.errors).toEqual([]);
    expect(back.db.bans).toEqual([...db.bans].sort((a, b) => (a.ip < b.ip ? -1 : 1)));
    expect(back.db.unbans).toEqual(db.unbans);
    expect(encodeDb(back.db)).toBe(text);
  }
});

test('a hand-edited (indented) database still reads; one cut anywhere is reported, not half-read', () => {
  const db = { bans: [makeBan(), makeBan({ ip: '192.0.2.77' })], unbans: [{ ip: '192.0.2.5', at: t('01:00:00'), node: 'n1' }] };
  const text = encodeDb(db);
  const pretty = JSON.stringify(JSON.parse(text), null, 2);
  expect(decodeDb(pretty, 'bans.json').db.bans.map((b) => b.ip).sort()).toEqual(['192.0.2.1', '192.0.2.77']);
  for (let cut = 1; cut < text.length - 1; cut += 7) {
    expect(() => decodeDb(text.slice(0, cut), 'bans.json')).toThrow(/bans.json: not valid JSON/);
  }
});

test('a ban line built directly is exactly JSON.stringify of the encoded ban, whatever the strings hold', () => {
  const { formatBanLine, encodeBan } = jest.requireActual('../../lib/ban-codec') as typeof import('../../lib/ban-codec');
  const odd = ['plain', 'with "quotes"', 'back\\slash', 'tab\there', 'ctl\u0001', 'café', 'emoji 😀', 'lone \ud800 surrogate', '', '\u007f del', '\u2028 sep'];
  for (const s of odd) {
    for (const b of [makeBan({ reason: s, rule: s, source: s, node: s }), makeBan({ reason: s, expiresAt: null, failures: 0, banCount: 7, ip: '2001:db8::/64' })]) {
      expect(formatBanLine(b)).toBe(JSON.stringify(encodeBan(b)));
    }
  }
});

test('the database text is one JSON.stringify(encodeBan) line per ban, however many new bans are saved at once', () => {
  const { encodeBan } = jest.requireActual('../../lib/ban-codec') as typeof import('../../lib/ban-codec');
  const odd = ['plain', 'with "quotes"', '},{"ip":"192.0.2.9"}', 'back\\slash', 'café', ''];
  const bans = Array.from({ length: 150 }, (_, i) => makeBan({ ip: `192.0.2.${i}`, reason: odd[i % odd.length] as string, expiresAt: i % 3 ? null : t('02:00:00') }));
  const text = encodeDb({ bans, unbans: [] });
  const sorted = [...bans].sort((a, b) => (a.ip < b.ip ? -1 : 1));
  expect(text).toBe(`{"version":1,"bans":[\n${sorted.map((b) => JSON.stringify(encodeBan(b))).join(',\n')}\n],"unbans":[]}\n`);
  expect(decodeDb(text, 'bans.json').db.bans).toHaveLength(150);
});

test('the bytes saved are exactly the database text, for fresh, re-read and odd bans and any unbans', () => {
  const { encodeDbBytes } = jest.requireActual('../../lib/ban-codec') as typeof import('../../lib/ban-codec');
  const odd = ['plain', 'with "quotes"', '},{"ip":"192.0.2.9"}', 'back\\slash', 'café', 'emoji 😀', 'lone \ud800 surrogate', 'ctl\u0001', ''];
  // Many bans sharing their rule, reason and node (one shared middle part each), and some not.
  const bans = Array.from({ length: 300 }, (_, i) =>
    makeBan({
      ip: i % 50 === 7 ? `2001:db8::${i.toString(16)}` : `198.51.100.${i % 256}`,
      reason: odd[i % odd.length] as string,
      rule: i % 4 ? 'login_attempts' : (odd[i % 5] as string),
      failures: i % 7,
      node: i % 11 ? 'n1' : 'nœud',
      origin: i % 13 ? 'scan' : 'peer',
      bannedAt: new Date(Date.UTC(2026, 10, 22) + i * 3_600_000),
      expiresAt: i % 3 ? null : new Date(i % 9 ? Date.UTC(2026, 11, 1) + i * 1000 : 253_402_300_800_000 + i),
      banCount: 1 + (i % 5),
    }),
  );
  const unbans = [{ ip: '198.51.100.3', at: t('03:00:00'), node: 'n1' }];
  // Entries far longer than usual make the buffer grow on the way.
  const long = bans.map((b, i) => ({ ...b, reason: `${'é'.repeat(200 + i)}"` }));
  for (const db of [{ bans, unbans }, { bans, unbans: [] }, { bans: long, unbans }, { bans: bans.slice(0, 10), unbans }, { bans: [], unbans: [] }]) {
    expect(encodeDbBytes(db).toString('utf8')).toBe(encodeDb(db));
    expect(encodeDbBytes(db).equals(Buffer.from(encodeDb(db)))).toBe(true);
  }
  // Bans read back from the file carry their lines (the other path): the same bytes again.
  const back = decodeDb(encodeDb({ bans, unbans }), 'bans.json').db;
  expect(encodeDbBytes(back).equals(Buffer.from(encodeDb({ bans, unbans })))).toBe(true);
});

test('no cap (ban_duration_max = permanent): doubling stops at 100 years, a ban end that is still a valid date', () => {
  const len = banLengthSec(86400, null, 41) as number;
  expect(len).toBe(100 * 365 * 86400);
  expect(() => new Date(Date.UTC(2026, 10, 22) + len * 1000).toISOString()).not.toThrow();
});

describe('ban count steps (a count that drops as its bans reach their end of retention)', () => {
  // Bans as (count, remembered until): the count at t is the highest of those remembered after t.
  const cases: [string, [number, number][], [number, number][]][] = [
    ['one ban', [[1, 100]], [[1, 100]]],
    ['a repeat offence outlasts the first', [[1, 100], [2, 200]], [[2, 200]]],
    ['a higher count forgotten first steps down to the lower', [[1, 300], [2, 200]], [[2, 200], [1, 300]]],
    ['a lower count forgotten first changes nothing', [[3, 300], [1, 200]], [[3, 300]]],
    ['permanent', [[2, 100], [1, Infinity]], [[2, 100], [1, Infinity]]],
    ['the same ban twice', [[2, 100], [2, 100]], [[2, 100]]],
  ];
  test.each(cases)('%s', (_, bans, want) => {
    let steps: CountSteps = NO_STEPS;
    for (const [count, untilMs] of bans) steps = addCountStep(steps, count, untilMs);
    expect(steps.map((s) => [s.count, s.untilMs])).toEqual(want);
    // Against the definition, at every moment around the ends.
    for (const t of [0, 99, 100, 199, 200, 299, 300, 1e9]) {
      const live = bans.filter(([, u]) => u > t).map(([c]) => c);
      expect([t, countAt(steps, t)]).toEqual([t, live.length ? Math.max(...live) : 0]);
    }
    expect(liveSteps(steps, 200).every((s) => s.untilMs > 200)).toBe(true);
  });
});
