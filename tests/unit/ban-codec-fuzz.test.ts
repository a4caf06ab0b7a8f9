/**
 * encodeDbBytes writes a big first save's bans straight into one buffer, sharing the text from "rule" to
 * "bannedAt" between bans that agree on rule, reason, failures, source, origin and node, and guessing how much
 * room each ban needs. saveDb writes those bytes as bans.json, so they must be exactly encodeDb's text: a wrong
 * shared part, a mis-escaped string or a buffer grown too late would corrupt the database silently. Random
 * databases (odd strings, shared and almost-shared bans, edge dates and numbers) hold the two equal, and what
 * was written must read back as what was saved.
 */
import fc from 'fast-check';
import { decodeDb, encodeDb, encodeDbBytes } from '../../lib/ban-codec';
import { networkOf, parseIp, v4Text } from '../../lib/ip';
import type { Ban, BanDb, BanOrigin, Unban } from '../../lib/types';

const ORIGINS: BanOrigin[] = ['scan', 'manual', 'adopted', 'peer'];
const SHARED = ['rule', 'reason', 'failures', 'source', 'origin', 'node'] as const;
type Shared = Pick<Ban, (typeof SHARED)[number]>;

// Pieces of text JSON escapes (or that look like the entry boundary the encoder cuts at), and plain ones.
const CONTROL = Array.from({ length: 32 }, (_, c) => String.fromCharCode(c));
const ODD = ['"', '\\', '\\"', '\u007f', '\ud800', '\udbff', '\udc00', '\udfff', '\ud83d\ude00', 'é', '中', '😀', '},{"ip":', '\u2028', '/', ...CONTROL];
const piece = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: 'grapheme-ascii', maxLength: 8 }) },
  { weight: 3, arbitrary: fc.constantFrom(...ODD) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 4 }) },
);
/** Mostly short strings, sometimes empty, sometimes several KB (longer than a ban's share of the first buffer). */
const textArb = fc.oneof(
  { weight: 12, arbitrary: fc.array(piece, { maxLength: 6 }).map((p) => p.join('')) },
  { weight: 1, arbitrary: fc.constant('') },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('x', 'é', '中', '😀', '"', '\\', '\u0001', 'a\ud800'), fc.integer({ min: 1000, max: 4000 })).map(([p, n]) => p.repeat(n)) },
);

/** Counts: small ones mostly, and the numbers whose text is long, odd or not JSON at all. */
const countArb = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 0, max: 20 }) },
  { weight: 2, arbitrary: fc.constantFrom(Number.MAX_SAFE_INTEGER, 2 ** 53, 2 ** 31, 1e21, -1, 1.5, -0, NaN, Infinity, -Infinity, Number.MAX_VALUE, -5e-324, -1.2345678901234567e-300) },
  { weight: 1, arbitrary: fc.double() },
);

const BASE_MS = Date.UTC(2026, 10, 22);
const EDGE_MS = [0, -1, 253_402_300_799_999, 253_402_300_800_000, -62_198_755_200_000, 8.64e15, -8.64e15];
/** Dates of a few days (how a scan's bans look), the edges of the ISO formats, and any date at all. */
const dateArb = fc
  .oneof(
    { weight: 6, arbitrary: fc.integer({ min: BASE_MS, max: BASE_MS + 3 * 86_400_000 }) },
    { weight: 1, arbitrary: fc.constantFrom(...EDGE_MS) },
    { weight: 1, arbitrary: fc.integer({ min: -8.64e15, max: 8.64e15 }) },
  )
  .map((ms) => new Date(ms));

/** Canonical targets: IPv4, IPv6 (zero runs so it compresses, ::ffff: ones turning into IPv4) and networks. */
const v4Arb = fc.nat({ max: 2 ** 32 - 1 }).map(v4Text);
const v6Arb = fc
  .array(fc.oneof(fc.constant(0), fc.nat({ max: 0xffff })), { minLength: 8, maxLength: 8 })
  .map((g) => parseIp(g.map((x) => x.toString(16)).join(':')) as string);
const targetArb = fc.oneof(
  { weight: 4, arbitrary: v4Arb },
  { weight: 2, arbitrary: v6Arb },
  { weight: 1, arbitrary: fc.constantFrom('192.0.2.1', '2001:db8::1', '198.51.100.0/24') },
  { weight: 1, arbitrary: fc.tuple(v4Arb, fc.integer({ min: 8, max: 32 })).map(([ip, p]) => networkOf(ip, p)) },
  { weight: 1, arbitrary: fc.tuple(v6Arb, fc.integer({ min: 16, max: 128 })).map(([ip, p]) => (ip.includes(':') ? networkOf(ip, p) : ip)) },
);

/** Databases below and above the size where encodeDbBytes takes its own path (64 bans), with strings from `text`. */
function dbOf(text: fc.Arbitrary<string>): fc.Arbitrary<BanDb> {
  const sharedArb: fc.Arbitrary<Shared> = fc.record({ rule: text, reason: text, failures: countArb, source: text, origin: fc.constantFrom(...ORIGINS), node: text });
  // One ban: a profile's shared fields, or all but one of them (taken from `alt`), and its own target and dates.
  const entryArb = fc.record({
    profile: fc.nat(),
    differ: fc.option(fc.constantFrom(...SHARED), { freq: 2, nil: undefined }),
    ip: targetArb,
    bannedAt: dateArb,
    expiresAt: fc.option(dateArb, { freq: 3 }),
    banCount: countArb,
  });
  const unbanArb: fc.Arbitrary<Unban> = fc.record({ ip: targetArb, at: dateArb, node: text });
  return fc
    .record({
      profiles: fc.array(sharedArb, { minLength: 1, maxLength: 3 }),
      alt: sharedArb,
      entries: fc.oneof({ weight: 1, arbitrary: fc.array(entryArb, { maxLength: 70 }) }, { weight: 3, arbitrary: fc.array(entryArb, { minLength: 64, maxLength: 250 }) }),
      unbans: fc.array(unbanArb, { maxLength: 6 }),
    })
    .map(({ profiles, alt, entries, unbans }) => ({
      bans: entries.map(({ profile, differ, ...own }) => {
        const shared = { ...(profiles[profile % profiles.length] as Shared) };
        if (differ) (shared as Record<string, unknown>)[differ] = alt[differ];
        return { ...shared, ...own };
      }),
      unbans,
    }));
}

// What the decoder keeps: one-line strings of bounded length; counts it cannot use become 0 and 1.
const oneLine = (s: string, max: number): boolean => s.length <= max && !/[\r\n\0]/.test(s);
const storable = (b: Ban): boolean => oneLine(b.rule, 512) && oneLine(b.reason, 512) && oneLine(b.source, 512) && oneLine(b.node, 128);
const readBack = (b: Ban): Ban => ({
  ...b,
  failures: Number.isSafeInteger(b.failures) && b.failures >= 0 ? b.failures + 0 : 0,
  banCount: Number.isSafeInteger(b.banCount) && b.banCount >= 1 ? b.banCount : 1,
});

const dbArb = dbOf(textArb);
/** Databases the decoder keeps whole (often enough to check that they save again to the same bytes). */
const readableDbArb = dbOf(textArb.filter((s) => oneLine(s, 128)));

/**
 * New objects for every encoding: the codec remembers each ban's line, and a ban encoded once would send a
 * later (or shrunk) database down the other path.
 */
const fresh = (db: BanDb): BanDb => ({ bans: db.bans.map((b) => ({ ...b })), unbans: db.unbans.map((u) => ({ ...u })) });

/** Exactly what saveDb writes: encodeDb's text as UTF-8 (it ends in its own newline). */
const savedText = (db: BanDb): Buffer => Buffer.from(encodeDb(fresh(db)));

const byIpThen = <T extends { ip: string }>(items: readonly T[], ms: (x: T) => number): T[] =>
  [...items].sort((a, b) => (a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : ms(a) - ms(b)));

test('the bytes saved are exactly encodeDb text, for any bans and unbans', () => {
  fc.assert(
    fc.property(dbArb, (db) => {
      const bytes = encodeDbBytes(fresh(db));
      const text = savedText(db);
      expect(bytes.toString('utf8')).toBe(text.toString('utf8'));
      expect(bytes.equals(text)).toBe(true);
    }),
    { numRuns: 300 },
  );
});

test('what encodeDbBytes wrote reads back as the database, and saves again to the same bytes', () => {
  fc.assert(
    fc.property(fc.oneof(dbArb, readableDbArb), (db) => {
      const bytes = encodeDbBytes(fresh(db));
      const { db: back, errors } = decodeDb(bytes.toString('utf8'), 'bans.json');
      const bans = byIpThen(db.bans, (b) => b.bannedAt.getTime());
      const unbans = byIpThen(db.unbans, (u) => u.at.getTime());
      expect(back.bans).toEqual(bans.filter(storable).map(readBack));
      expect(back.unbans).toEqual(unbans.filter((u) => oneLine(u.node, 128)));
      expect(errors).toHaveLength(bans.filter((b) => !storable(b)).length + unbans.filter((u) => !oneLine(u.node, 128)).length);
      // Bans read back keep their lines (the other path of the encoder): nothing dropped, the same file again.
      if (!errors.length) expect(encodeDbBytes(back).equals(bytes)).toBe(true);
    }),
    { numRuns: 150 },
  );
});

test('an invalid date is refused by both encoders alike, never written', () => {
  fc.assert(
    fc.property(dbArb, fc.nat(), fc.boolean(), (db, at, start) => {
      fc.pre(db.bans.length > 0);
      const i = at % db.bans.length;
      const bad = { ...db, bans: db.bans.map((b, k) => (k !== i ? b : start ? { ...b, bannedAt: new Date(NaN) } : { ...b, expiresAt: new Date(NaN) })) };
      expect(() => encodeDb(fresh(bad))).toThrow(RangeError);
      expect(() => encodeDbBytes(fresh(bad))).toThrow(RangeError);
    }),
    { numRuns: 50 },
  );
});
