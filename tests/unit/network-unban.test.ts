/**
 * `unban NET` lifts every ban inside the network that started at or before the unban (lib/bans.ts), whatever
 * target the ban names, and pruneDb keeps that unban while such a ban is remembered.
 */
import type { Ban, BanDb, Unban } from '../../lib/types';
import { activeBans, isActive, pruneDb } from '../../lib/bans';
import { adoptSharedLines, mergePeerDocs } from '../../lib/sync/merge';
import { parseWhitelist } from '../../lib/whitelist';
import { collectContaining, newNetIndex, netIndexSet, v6Groups } from '../../lib/ip';

const t = (s: string) => new Date(`2026-11-22T${s}Z`);
const ban = (ip: string, at: string, o: Partial<Ban> = {}): Ban => ({
  ip,
  rule: 'login_attempts',
  reason: 'login_attempts failures=5',
  failures: 5,
  source: 'sshd',
  origin: 'scan',
  node: 'web2',
  bannedAt: t(at),
  expiresAt: null,
  banCount: 1,
  ...o,
});
const unban = (ip: string, at: string, node = 'web1'): Unban => ({ ip, at: t(at), node });
const active = (db: BanDb, at = '12:00:00') => activeBans(db, t(at)).map((b) => b.ip);

// Each row: the network unbanned at 02:00, bans as [target, bannedAt], and the targets still in force after.
test.each([
  [
    'IPv4 /24: inside and banned before (or at) the unban: lifted; after it (a new attack), outside it, or IPv6: kept',
    '203.0.113.0/24',
    [['203.0.113.5', '01:00:00'], ['203.0.113.6', '02:00:00'], ['203.0.113.7', '02:00:01'], ['198.51.100.5', '01:00:00'], ['203.0.114.5', '01:00:00'], ['2001:db8::cb00:7105', '01:00:00']],
    ['198.51.100.5', '203.0.113.7', '203.0.114.5', '2001:db8::cb00:7105'],
  ],
  ['IPv6: a /64 and an address inside an unbanned 2001:db8::/32: lifted; outside it: kept', '2001:db8::/32', [['2001:db8:1:2::/64', '01:00:00'], ['2001:db8:ffff::1', '01:00:00'], ['2001:db9::1', '01:00:00']], ['2001:db9::1']],
  ['IPv6 /33 (a prefix between hex digits): inside lifted, just outside kept', '2001:db8::/33', [['2001:db8:7fff::1', '01:00:00'], ['2001:db8:8000::1', '01:00:00']], ['2001:db8:8000::1']],
  ['a narrower network ban inside the unbanned network: lifted; a wider one around it: kept', '203.0.113.0/25', [['203.0.113.0/26', '01:00:00'], ['203.0.113.0/24', '01:00:00'], ['203.0.113.128/25', '01:00:00']], ['203.0.113.0/24', '203.0.113.128/25']],
  ['a /16 inside an unbanned /8: lifted', '198.0.0.0/8', [['198.51.0.0/16', '01:00:00'], ['199.0.0.1', '01:00:00']], ['199.0.0.1']],
])('%s', (_what, net, bans, kept) => {
  const db = { bans: (bans as string[][]).map(([ip, at]) => ban(ip as string, at as string)), unbans: [unban(net as string, '02:00:00')] };
  expect(active(db)).toEqual(kept);
  // The single-ban check agrees, given all the unbans.
  const nowMs = t('12:00:00').getTime();
  expect(db.bans.filter((b) => isActive(b, db.unbans, nowMs)).map((b) => b.ip).sort()).toEqual([...(kept as string[])].sort());
});

test('the latest of several network unbans decides, and an unban of another prefix length still counts', () => {
  const db = {
    bans: [ban('203.0.113.5', '03:00:00'), ban('203.0.113.200', '03:00:00'), ban('192.0.2.1', '01:00:00')],
    unbans: [unban('203.0.113.0/24', '02:00:00'), unban('203.0.113.0/24', '04:00:00', 'web3'), unban('203.0.113.192/26', '02:30:00')],
  };
  expect(active(db)).toEqual(['192.0.2.1']);
});

test('IPv6 text forms: the network index finds an address in every /N containing it, none outside', () => {
  const g = new Uint16Array(8);
  const read = (ip: string) => (v6Groups(ip, g) ? [...g].map((x) => x.toString(16)).join(':') : null);
  expect(read('2001:db8::1')).toBe('2001:db8:0:0:0:0:0:1');
  expect(read('::')).toBe('0:0:0:0:0:0:0:0');
  expect(read('::1')).toBe('0:0:0:0:0:0:0:1');
  expect(read('2001:db8::')).toBe('2001:db8:0:0:0:0:0:0');
  expect(read('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2:3:4:5:6');
  expect(read('2001:db8:0:0:1::')).toBe('2001:db8:0:0:1:0:0:0');
  expect(read('64:ff9b::198.51.100.1')).toBe('64:ff9b:0:0:0:0:c633:6401');
  for (const bad of ['2001:db8', '1::2::3', '2001:db8:::1', '12345::', '2001:db8:1:2:3:4:5:6:7', ':1', '1:']) expect(read(bad)).toBeNull();
  const idx = newNetIndex<string>();
  for (const n of ['2001:db8::/32', '2001:db8::/33', '2001:db8:8000::/33', '2001:db8:1::/48', '2001:db8:1:2::/63', '2001:db8:1:3::/64']) netIndexSet(idx, n, n);
  const got: string[] = [];
  got.length = collectContaining(idx, '2001:db8:1:3::9', got);
  expect(got.sort()).toEqual(['2001:db8:1:2::/63', '2001:db8:1:3::/64', '2001:db8:1::/48', '2001:db8::/32', '2001:db8::/33']);
});

describe('pruneDb', () => {
  const day = 86400;
  const now = t('12:00:00');
  const hour = 3600;
  test('keeps a network unban past its retention while a ban it lifts is remembered, then drops it', () => {
    // At 11:15 the unban is past its 1 h retention: only the ban inside the network (remembered until 11:30) keeps it.
    const inner = ban('203.0.113.5', '09:00:00', { expiresAt: t('10:30:00') });
    const db = { bans: [inner], unbans: [unban('203.0.113.0/24', '10:00:00')] };
    expect(pruneDb(db, t('11:15:00'), hour)).toBe(db);
    expect(active(db, '10:20:00')).toEqual([]); // and it does lift it
    // Once that ban is forgotten (expired 10:30 + 1 h retention), nothing needs the unban.
    const later = pruneDb(db, t('11:31:00'), hour);
    expect(later).toEqual({ bans: [], unbans: [] });
  });

  test('only a ban inside the network from before the unban keeps it: not a later one, one outside, or a wider one', () => {
    const db = {
      bans: [ban('203.0.113.5', '09:00:00'), ban('198.51.100.5', '10:30:00'), ban('192.0.2.5', '09:00:00'), ban('192.0.2.0/23', '09:00:00')],
      unbans: [unban('203.0.113.0/24', '10:00:00'), unban('198.51.100.0/24', '10:00:00'), unban('2001:db8::/32', '10:00:00'), unban('192.0.3.0/24', '10:00:00')],
    };
    expect(pruneDb(db, now, hour).unbans.map((u) => u.ip)).toEqual(['203.0.113.0/24']);
  });

  test('an IPv6 network unban is kept by a permanent /64 inside it; an exact unban still by its own target', () => {
    const db = {
      bans: [ban('2001:db8:5:6::/64', '01:00:00'), ban('192.0.2.7', '01:00:00')],
      unbans: [unban('2001:db8::/32', '02:00:00'), unban('192.0.2.7', '02:00:00'), unban('192.0.2.8', '02:00:00')],
    };
    expect(pruneDb(db, new Date('2026-11-30T00:00:00Z'), day).unbans.map((u) => u.ip)).toEqual(['2001:db8::/32', '192.0.2.7']);
  });
});

describe('sync merge', () => {
  const opts = { localNode: 'web3', now: t('12:00:00'), retentionSec: 30 * 86400 };
  test("a peer's ban from before a network unban arrives lifted, whichever document comes first", () => {
    const docs = [
      { object: 'nodes/web1.json', events: { node: 'web1', bans: [], unbans: [unban('203.0.113.0/24', '02:00:00')] } },
      { object: 'nodes/web2.json', events: { node: 'web2', bans: [ban('203.0.113.5', '01:00:00'), ban('203.0.113.6', '03:00:00')], unbans: [] } },
    ];
    for (const order of [docs, [...docs].reverse()]) {
      const m = mergePeerDocs({ bans: [], unbans: [] }, order, opts);
      expect(active(m.db)).toEqual(['203.0.113.6']);
    }
  });

  test('an old network unban that lifts a remembered ban is merged; one that lifts nothing is not', () => {
    const old = { ...opts, now: t('12:00:00'), retentionSec: 3600 };
    const db = { bans: [ban('203.0.113.5', '01:00:00')], unbans: [] };
    const docs = [{ object: 'nodes/web1.json', events: { node: 'web1', bans: [], unbans: [unban('203.0.113.0/24', '02:00:00'), unban('198.51.100.0/24', '02:00:00')] } }];
    const m = mergePeerDocs(db, docs, old);
    expect(m.addedUnbans.map((u) => u.ip)).toEqual(['203.0.113.0/24']);
    expect(m.db.unbans.map((u) => u.ip)).toEqual(['203.0.113.0/24']);
    expect(active(m.db)).toEqual([]);
  });

  test('shared hosts.deny lines inside an unbanned network are not adopted', () => {
    const db = { bans: [], unbans: [unban('203.0.113.0/24', '02:00:00')] };
    const wl = parseWhitelist('', 'wl').whitelist;
    const got = adoptSharedLines(db, ['203.0.113.5', '203.0.113.0/25', '198.51.100.5'], { localNode: 'web3', now: t('12:00:00'), object: 'hosts.deny', whitelist: wl });
    expect(got.map((b) => b.ip)).toEqual(['198.51.100.5']);
  });
});
