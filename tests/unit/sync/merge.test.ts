import fc from 'fast-check';
import { activeBans } from '../../../lib/bans';
import { parseWhitelist } from '../../../lib/whitelist';
import { type PeerDoc, adoptSharedLines, mergePeerDocs } from '../../../lib/sync/merge';
import type { BanDb } from '../../../lib/types';
import { at, makeBan, makeUnban } from './builders';

const opts = (localNode = 'web1', now = at(60)) => ({ localNode, now, retentionSec: 90 * 86400 });
const doc = (node: string, over: Partial<PeerDoc['events']> = {}): PeerDoc => ({ object: `nodes/${node}.json`, events: { node, bans: [], unbans: [], ...over } });
const active = (db: BanDb, now = at(60)) => activeBans(db, now).map((b) => b.ip);
const empty = (): BanDb => ({ bans: [], unbans: [] });

describe('merging peer documents', () => {
  test("a peer's ban becomes a local ban that remembers where it came from", () => {
    const r = mergePeerDocs(empty(), [doc('web2', { bans: [makeBan({ node: 'web2' })] })], opts());
    expect(active(r.db)).toEqual(['192.0.2.7']);
    expect(r.db.bans[0]).toMatchObject({ origin: 'peer', node: 'web2', source: 'nodes/web2.json' });
  });

  test('an absent or emptied document removes nothing', () => {
    const first = mergePeerDocs(empty(), [doc('web2', { bans: [makeBan({ node: 'web2' })] })], opts()).db;
    expect(active(mergePeerDocs(first, [], opts()).db)).toEqual(['192.0.2.7']);
    expect(active(mergePeerDocs(first, [doc('web2')], opts()).db)).toEqual(['192.0.2.7']);
  });

  test('an unban on another node, made after the ban, removes it; a later ban of the same address is not cancelled', () => {
    const db: BanDb = { bans: [makeBan({ node: 'web1', bannedAt: at(0) })], unbans: [] };
    const unbanned = mergePeerDocs(db, [doc('web3', { unbans: [makeUnban({ node: 'web3', at: at(5) })] })], opts()).db;
    expect(active(unbanned)).toEqual([]);
    const rebanned = { bans: [...unbanned.bans, makeBan({ bannedAt: at(30) })], unbans: unbanned.unbans };
    expect(active(rebanned)).toEqual(['192.0.2.7']);
  });

  test('merging is idempotent and reports nothing new the second time', () => {
    const docs = [doc('web2', { bans: [makeBan({ node: 'web2' })], unbans: [makeUnban({ ip: '192.0.2.99', node: 'web2' })] })];
    const once = mergePeerDocs(empty(), docs, opts());
    const twice = mergePeerDocs(once.db, docs, opts());
    expect(twice.addedBans).toEqual([]);
    expect(twice.addedUnbans).toEqual([]);
    expect(twice.db).toBe(once.db);
  });

  test("our own document restores our bans after a lost state_dir, as our own (not 'peer')", () => {
    const r = mergePeerDocs(empty(), [doc('web1', { bans: [makeBan({ node: 'web1', origin: 'manual' })] })], opts('web1'));
    expect(r.db.bans[0]).toMatchObject({ origin: 'manual', node: 'web1' });
  });

  test('a document cannot speak for another node', () => {
    const r = mergePeerDocs(empty(), [doc('evil', { bans: [makeBan({ node: 'web2' })], unbans: [makeUnban({ node: 'web2' })] })], opts());
    expect(r.db.bans).toEqual([]);
    expect(r.db.unbans).toEqual([]);
  });

  test('every node reaches the same active bans whatever order it reads documents in and whatever it had before', () => {
    const ips = ['192.0.2.1', '192.0.2.2', '198.51.100.3', '2001:db8::4'];
    const nodes = ['web1', 'web2', 'web3', 'web4'];
    const event = fc.record({
      ip: fc.constantFrom(...ips),
      node: fc.constantFrom(...nodes),
      t: fc.integer({ min: 0, max: 12 }),
      unban: fc.boolean(),
      ttl: fc.option(fc.integer({ min: 1, max: 100 }), { nil: null }),
    });
    fc.assert(
      fc.property(fc.array(event, { maxLength: 25 }), fc.array(fc.nat(), { minLength: 8, maxLength: 8 }), (events, shuffle) => {
        const docs = nodes.map((n) =>
          doc(n, {
            bans: events.filter((e) => e.node === n && !e.unban).map((e) => makeBan({ ip: e.ip, node: n, bannedAt: at(e.t), expiresAt: e.ttl === null ? null : at(e.t + e.ttl) })),
            unbans: events.filter((e) => e.node === n && e.unban).map((e) => makeUnban({ ip: e.ip, node: n, at: at(e.t) })),
          }),
        );
        // Node A reads all at once; node B reads them one by one in another order, some twice.
        const a = mergePeerDocs(empty(), docs, opts('web1')).db;
        let b = empty();
        const order = [...docs].sort((x, y) => (shuffle[docs.indexOf(x)] ?? 0) - (shuffle[docs.indexOf(y)] ?? 0));
        for (const d of [...order, ...order.slice(0, 2)]) b = mergePeerDocs(b, [d], opts('web2')).db;
        expect(active(b)).toEqual(active(a));
      }),
      { numRuns: 1000 },
    );
  });

  test('two versions of one ban (same address, node and start) resolve the same way on every node', () => {
    const short = makeBan({ node: 'web2', expiresAt: at(1) });
    const permanent = makeBan({ node: 'web2', expiresAt: null });
    const docs = [doc('web2', { bans: [short, permanent] })];
    const reversed = [doc('web2', { bans: [permanent, short] })];
    for (const local of ['web1', 'web2']) {
      expect(mergePeerDocs(empty(), docs, opts(local, at(5))).db.bans.map((b) => b.expiresAt)).toEqual([null]);
      expect(mergePeerDocs(empty(), reversed, opts(local, at(5))).db.bans.map((b) => b.expiresAt)).toEqual([null]);
    }
    // A stale copy read later does not undo the better version.
    const first = mergePeerDocs(empty(), [doc('web2', { bans: [permanent] })], opts()).db;
    expect(mergePeerDocs(first, [doc('web2', { bans: [short] })], opts()).db.bans.map((b) => b.expiresAt)).toEqual([null]);
  });

  test('the whitelist wins: a peer ban of a whitelisted address is kept on record but not rendered', () => {
    const db = mergePeerDocs(empty(), [doc('web2', { bans: [makeBan({ node: 'web2', ip: '192.0.2.7' })] })], opts()).db;
    const wl = parseWhitelist('192.0.2.0/24\n', 'wl').whitelist;
    expect(activeBans(db, at(60), wl)).toEqual([]);
  });
});

describe('adopting lines from the shared hosts.deny', () => {
  const wl = parseWhitelist('203.0.113.0/24\n', 'wl').whitelist;
  test('adopts new addresses as permanent bans of this node; skips banned, whitelisted and unbanned ones', () => {
    const db: BanDb = { bans: [makeBan({ ip: '192.0.2.7' })], unbans: [makeUnban({ ip: '198.51.100.9', at: at(1) })] };
    const out = adoptSharedLines(db, ['192.0.2.7', '192.0.2.8', '203.0.113.5', '198.51.100.9'], { localNode: 'web1', now: at(60), object: 'hosts.deny', whitelist: wl });
    expect(out.map((b) => b.ip)).toEqual(['192.0.2.8']);
    expect(out[0]).toMatchObject({ origin: 'adopted', node: 'web1', expiresAt: null, source: 'hosts.deny' });
  });
});
