/**
 * Merging what the other nodes published into the local ban database. Pure and deterministic: the result is
 * a set union keyed by event identity, so every node that has seen the same documents ends up with the same
 * active bans, whatever order it read them in and however often it merges them.
 *
 * - A ban is identified by (ip, node, bannedAt); should two versions of one ban ever meet (a duplicate, a stale
 *   copy), the same one wins everywhere (see outranks).
 * - An unban is identified by (ip, node, at) and cancels every ban of ip that started at or before `at`, and,
 *   for a network, every such ban of an address or narrower network inside it (lib/bans.ts): a ban a peer made
 *   before an admin's `unban 203.0.113.0/24` stays lifted however late it arrives.
 * - A document that is absent, unreadable or smaller than before removes nothing: only unbans remove,
 *   and expiry does the rest.
 * - Whitelisting is applied when rendering (activeBans), so the whitelist always wins on every node.
 */
import type { Ban, BanDb, Unban } from '../types';
import { activeBans, indexUnbans, liftedUntilMs, liftingUnbans, previousBanCount } from '../bans';
import { type Whitelist, isWhitelisted } from '../whitelist';
import type { NodeEvents } from './node-doc';

export interface PeerDoc {
  /** Object name, kept as the ban's `source` so `status` shows where a ban came from. */
  object: string;
  events: NodeEvents;
}

export interface MergeOptions {
  localNode: string;
  now: Date;
  /** history_retention: events the local prune would drop at once are not merged (no churn). */
  retentionSec: number;
}

export interface MergeResult {
  db: BanDb;
  addedBans: Ban[];
  addedUnbans: Unban[];
  /** Bans whose content the owning node changed. */
  updatedBans: number;
}

const banKey = (b: { ip: string; node: string; bannedAt: Date }) => `${b.ip}|${b.node}|${b.bannedAt.getTime()}`;
const unbanKey = (u: Unban) => `${u.ip}|${u.node}|${u.at.getTime()}`;

/**
 * A total order on versions of the same ban (same ip, node and bannedAt), so that duplicates and stale copies
 * resolve the same way on every node whatever order they arrive in: the longer-lasting version wins
 * (permanent over timed, later expiry over earlier), then the larger content, compared as text.
 */
function outranks(a: Ban, b: Ban): boolean {
  const ea = a.expiresAt === null ? Infinity : a.expiresAt.getTime();
  const eb = b.expiresAt === null ? Infinity : b.expiresAt.getTime();
  if (ea !== eb) return ea > eb;
  return contentKey(a) > contentKey(b);
}

function contentKey(b: Ban): string {
  return JSON.stringify([b.rule, b.reason, b.failures, b.banCount, b.source, b.origin]);
}

/** How a published ban is stored here: a peer's as origin `peer` with the object name as source; our own as published. */
function localForm(ban: Ban, object: string, localNode: string): Ban {
  return ban.node === localNode ? ban : { ...ban, origin: 'peer', source: object };
}

/** Merges peer documents into `db`. Documents of `localNode` itself restore our own events (e.g. after a lost state_dir). */
export function mergePeerDocs(db: BanDb, docs: readonly PeerDoc[], opts: MergeOptions): MergeResult {
  const cutoff = opts.now.getTime() - opts.retentionSec * 1000;
  const bans = new Map<string, Ban>();
  for (const b of db.bans) if (!bans.has(banKey(b))) bans.set(banKey(b), b);
  const known = new Set(bans.keys());
  const unbans = new Map<string, Unban>();
  for (const u of db.unbans) if (!unbans.has(unbanKey(u))) unbans.set(unbanKey(u), u);
  const addedBans: Ban[] = [];
  const addedUnbans: Unban[] = [];
  let updatedBans = 0;

  // Sorted so that, should two documents ever carry the same event, the same one wins everywhere.
  const sorted = [...docs].sort((a, b) => (a.object < b.object ? -1 : a.object > b.object ? 1 : 0));
  for (const doc of sorted) {
    for (const ban of doc.events.bans) {
      if (ban.node !== doc.events.node) continue; // a node speaks only for itself (decodeNodeDoc checks this too)
      const incoming = localForm(ban, doc.object, opts.localNode);
      const key = banKey(incoming);
      const cur = bans.get(key);
      if (!cur) {
        if (incoming.expiresAt !== null && incoming.expiresAt.getTime() <= cutoff) continue;
        bans.set(key, incoming);
        addedBans.push(incoming);
      } else if (!(ban.node === opts.localNode && known.has(key)) && outranks(incoming, cur)) {
        // Our own database is the authority on our own bans; anything else resolves by the total order.
        bans.set(key, incoming);
        if (known.has(key)) updatedBans++;
      }
    }
  }
  const mergedBans = [...bans.values()];
  const old: Unban[] = [];
  for (const doc of sorted) {
    for (const u of doc.events.unbans) {
      if (u.node !== doc.events.node) continue;
      const key = unbanKey(u);
      if (unbans.has(key)) continue;
      unbans.set(key, u);
      addedUnbans.push(u);
      if (u.at.getTime() <= cutoff) old.push(u);
    }
  }
  // Same rule as pruneDb: an old unban that lifts nothing we remember would be dropped again at once.
  if (old.length) {
    const lifting = liftingUnbans(mergedBans, old);
    for (const u of old) if (!lifting.has(u)) unbans.delete(unbanKey(u));
    let n = 0;
    for (const u of addedUnbans) if (u.at.getTime() > cutoff || lifting.has(u)) addedUnbans[n++] = u;
    addedUnbans.length = n;
  }
  if (addedBans.length === 0 && addedUnbans.length === 0 && updatedBans === 0) return { db, addedBans, addedUnbans, updatedBans };
  return { db: { bans: mergedBans, unbans: [...unbans.values()] }, addedBans, addedUnbans, updatedBans };
}

export interface AdoptOptions {
  localNode: string;
  now: Date;
  /** Object the lines came from (the ban's source). */
  object: string;
  whitelist: Whitelist;
}

/**
 * Bans for `ALL: ip` lines that nodes without autoban added to the shared hosts.deny. Like the adoption of
 * plain lines in the local deny file (lib/state.ts), they are permanent: the old tool never expired bans.
 * Skipped: addresses already banned here, whitelisted ones, and ones with an unban on record, of themselves or
 * of a network containing them (an explicit `autoban unban` wins over a line an old node still carries).
 */
export function adoptSharedLines(db: BanDb, targets: readonly string[], opts: AdoptOptions): Ban[] {
  const active = new Set(activeBans(db, opts.now).map((b) => b.ip));
  const unbans = indexUnbans(db.unbans);
  const out: Ban[] = [];
  for (const ip of targets) {
    if (active.has(ip) || liftedUntilMs(unbans, ip) > -Infinity || isWhitelisted(ip, opts.whitelist)) continue;
    active.add(ip);
    out.push({
      ip,
      rule: 'adopted',
      reason: `found in ${opts.object}`,
      failures: 0,
      source: opts.object,
      origin: 'adopted',
      node: opts.localNode,
      bannedAt: opts.now,
      expiresAt: null,
      banCount: previousBanCount(db, ip) + 1,
    });
  }
  return out;
}
