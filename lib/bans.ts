/**
 * Pure operations on the ban database. A ban is active while it has not expired and no unban lifts it: an unban
 * of its own target, or of a wider network of its family that contains it, dated at or after the ban started
 * (an admin's `unban 203.0.113.0/24` frees every address inside, on every node, including bans a peer's sync
 * brings later; a ban made after the unban is a new attack and stays). Expired bans are kept (for
 * repeat-offender doubling) until history_retention has passed.
 */
import type { Ban, BanDb, Unban } from './types';
import { type Whitelist, isWhitelisted } from './whitelist';
import { type NetIndex, collectContaining, familyOf, netContains, netIndexGet, netIndexSet, netsOverlap, newNetIndex, parseNet, unbannableReason } from './ip';
import { MAX_DURATION_SEC } from './duration';

export const emptyDb = (): BanDb => ({ bans: [], unbans: [] });

/** True when `ban` is in force at `now` given the unbans (any list: those of its target, or all of them). */
export function isActive(ban: Ban, unbans: readonly Unban[], nowMs: number): boolean {
  if (!inTime(ban, nowMs)) return false;
  if (unbans.length === 0) return true;
  const b = ban.bannedAt.getTime();
  return !unbans.some((u) => u.at.getTime() >= b && (u.ip === ban.ip || netContains(u.ip, ban.ip)));
}

/** Not expired at `nowMs`, and not from the future (clock skew on a peer: not yet). */
function inTime(ban: Ban, nowMs: number): boolean {
  if (ban.expiresAt && ban.expiresAt.getTime() <= nowMs) return false;
  return ban.bannedAt.getTime() <= nowMs + 60_000;
}

/**
 * The unbans as the rule reads them: per target the latest unban (epoch ms), and the networks' latest unbans
 * indexed by prefix length (null when no unban is of a network: then the rule costs one look-up per ban).
 */
export interface UnbanIndex {
  latest: Map<string, number>;
  nets: NetIndex<number> | null;
}

/** Indexes `unbans` (see UnbanIndex), in one pass. */
export function indexUnbans(unbans: readonly Unban[]): UnbanIndex {
  const idx: UnbanIndex = { latest: new Map(), nets: null };
  for (const u of unbans) addUnbanTime(idx, u.ip, u.at.getTime());
  return idx;
}

/** Indexes unban times by target, as the stamp keeps them (lib/stamp.ts StampContents.unbans), as indexUnbans does. */
export function indexUnbanTimes(unbans: ReadonlyMap<string, readonly number[]>): UnbanIndex {
  const idx: UnbanIndex = { latest: new Map(), nets: null };
  for (const [target, list] of unbans) for (const at of list) addUnbanTime(idx, target, at);
  return idx;
}

/** Records in `idx` an unban of `target` at `atMs`. */
function addUnbanTime(idx: UnbanIndex, target: string, atMs: number): void {
  if (!((idx.latest.get(target) ?? -Infinity) >= atMs)) idx.latest.set(target, atMs);
  if (!target.includes('/')) return;
  const nets = (idx.nets ??= newNetIndex());
  if (!((netIndexGet(nets, target) ?? -Infinity) >= atMs)) netIndexSet(nets, target, atMs);
}

const scratch: number[] = [];

/**
 * Epoch ms of the latest unban that lifts bans of `target` started at or before it: of `target` itself or of a
 * wider network containing it; -Infinity when none.
 */
export function liftedUntilMs(idx: UnbanIndex, target: string): number {
  let m = idx.latest.get(target) ?? -Infinity;
  if (idx.nets === null) return m;
  const n = collectContaining(idx.nets, target, scratch);
  for (let i = 0; i < n; i++) if ((scratch[i] as number) > m) m = scratch[i] as number;
  return m;
}

/** isActive with the unbans indexed (indexUnbans): for many bans at once. */
export function isActiveIn(ban: Ban, idx: UnbanIndex, nowMs: number): boolean {
  return inTime(ban, nowMs) && ban.bannedAt.getTime() > liftedUntilMs(idx, ban.ip);
}

/** Network unbans indexed by network (lib/ip.ts NetIndex), for liftingNetUnban. */
export type NetUnbans = NetIndex<Unban[]>;

/** Indexes the unbans of networks among `unbans` (others are left out), in one pass. */
export function indexNetUnbans(unbans: readonly Unban[]): NetUnbans {
  const idx: NetUnbans = newNetIndex();
  for (const u of unbans) {
    if (!u.ip.includes('/')) continue;
    const l = netIndexGet(idx, u.ip);
    if (l) l.push(u);
    else netIndexSet(idx, u.ip, [u]);
  }
  return idx;
}

const liftScratch: Unban[][] = [];

/**
 * The network unban that lifts a ban of `target` started at `bannedAtMs`, among `nets` (indexNetUnbans): the
 * latest one, so that a report names who lifted it last; null when none does. Indexed, not a scan of the unbans:
 * a pull that lifts thousands of bans under thousands of network unbans stays linear.
 */
export function liftingNetUnban(target: string, bannedAtMs: number, nets: NetUnbans): Unban | null {
  let best: Unban | null = null;
  const n = collectContaining(nets, target, liftScratch);
  for (let i = 0; i < n; i++) for (const u of liftScratch[i] as Unban[]) if (u.at.getTime() >= bannedAtMs && (!best || u.at > best.at)) best = u;
  return best;
}

/**
 * One entry per banned target: the active ban that lasts longest. With a whitelist, whitelisted targets are
 * left out, and so are loopback, unspecified and multicast ones (lib/ip.ts unbannableReason: a ban of them
 * from an older version or a peer must not reach the deny file or the firewall).
 */
export function activeBans(db: BanDb, now: Date, whitelist?: Whitelist): Ban[] {
  const nowMs = now.getTime();
  const unbans = indexUnbans(db.unbans);
  const best = new Map<string, Ban>();
  for (const ban of db.bans) {
    if (!isActiveIn(ban, unbans, nowMs)) continue;
    const cur = best.get(ban.ip);
    if (!cur || outlasts(ban, cur)) best.set(ban.ip, ban);
  }
  // Sorted as sortByTarget sorts (IPv4 first, then by text), but with the engine's own string sort: targets
  // are distinct keys of `best`, and a comparator called from JavaScript cost most of a big commit's sort.
  const v4: string[] = [];
  const v6: string[] = [];
  for (const ip of best.keys()) if (!whitelist || (!isWhitelisted(ip, whitelist) && unbannableReason(ip) === null)) (ip.includes(':') ? v6 : v4).push(ip);
  v4.sort();
  v6.sort();
  const out: Ban[] = new Array(v4.length + v6.length);
  let i = 0;
  for (const ip of v4) out[i++] = best.get(ip) as Ban;
  for (const ip of v6) out[i++] = best.get(ip) as Ban;
  return out;
}

function outlasts(a: Ban, b: Ban): boolean {
  if (a.expiresAt === null) return b.expiresAt !== null || a.bannedAt < b.bannedAt;
  if (b.expiresAt === null) return false;
  return a.expiresAt > b.expiresAt;
}

/** Stable, human-friendly order: IPv4 before IPv6, then by text. */
export function compareTargets(a: string, b: string): number {
  const fa = a.includes(':') ? 1 : 0;
  const fb = b.includes(':') ? 1 : 0;
  if (fa !== fb) return fa - fb;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Until when `ban` is remembered (epoch ms; Infinity: permanent): from then on pruneDb forgets it, and with it
 * its count for repeat offenders.
 */
export const retainedUntilMs = (ban: Ban, keepMs: number): number => (ban.expiresAt === null ? Infinity : ban.expiresAt.getTime() + keepMs);

/**
 * An address's ban count over time, for a count kept without the database (lib/stamp.ts): steps by `untilMs`
 * ascending, counts strictly descending; at a moment t the count is the first step's with untilMs > t (0 when
 * none). It is the highest banCount of the bans still remembered then (retainedUntilMs), so it drops as they
 * reach their end of retention, and a new step is all a new ban adds (addCountStep).
 */
export type CountSteps = readonly { readonly count: number; readonly untilMs: number }[];
export const NO_STEPS: CountSteps = [];

/** `steps` with a ban of `count` remembered until `untilMs` (the same array when it changes no count). */
export function addCountStep(steps: CountSteps, count: number, untilMs: number): CountSteps {
  if (steps.length === 0) return [{ count, untilMs }];
  if (steps.some((s) => s.untilMs >= untilMs && s.count >= count)) return steps;
  const out = steps.filter((s) => !(s.untilMs <= untilMs && s.count <= count));
  let i = 0;
  while (i < out.length && (out[i] as CountSteps[number]).untilMs < untilMs) i++;
  out.splice(i, 0, { count, untilMs });
  return out;
}

/** The count `steps` give at `nowMs` (see CountSteps). */
export function countAt(steps: CountSteps, nowMs: number): number {
  for (const s of steps) if (s.untilMs > nowMs) return s.count;
  return 0;
}

/** `steps` without those over by `nowMs` (the same array when none is). */
export function liveSteps(steps: CountSteps, nowMs: number): CountSteps {
  let i = 0;
  while (i < steps.length && (steps[i] as CountSteps[number]).untilMs <= nowMs) i++;
  return i === 0 ? steps : steps.slice(i);
}

/**
 * Largest banCount per address, for many look-ups at once (a scan that finds thousands of offenders). `db` is
 * as lib/state.ts loadDb gives it: pruned at the transaction's time, so a ban past its retention that a short
 * path left in bans.json (lib/quick-commit.ts) counts no more than one a full commit pruned.
 */
export function banCounts(db: BanDb): Map<string, number> {
  const m = new Map<string, number>();
  for (const b of db.bans) if (b.banCount > (m.get(b.ip) ?? 0)) m.set(b.ip, b.banCount);
  return m;
}

/** How many times `ip` has been banned before (largest banCount on record, 0 if never). */
export function previousBanCount(db: BanDb, ip: string): number {
  let n = 0;
  for (const b of db.bans) if (b.ip === ip && b.banCount > n) n = b.banCount;
  return n;
}

/**
 * Length of the n-th ban of an address: base, doubled for each earlier ban, capped by max.
 * null means permanent.
 */
export function banLengthSec(baseSec: number | null, maxSec: number | null, banCount: number): number | null {
  if (baseSec === null) return null;
  const len = baseSec * 2 ** Math.min(Math.max(banCount - 1, 0), 40);
  // No cap (ban_duration_max = permanent) still stops at MAX_DURATION_SEC: 2^40 days is no valid date.
  return maxSec === null ? Math.min(len, MAX_DURATION_SEC) : Math.min(len, Math.max(maxSec, baseSec));
}

/** Adds an unban tombstone for `ip` at `at`. */
export function addUnban(db: BanDb, ip: string, at: Date, node: string): BanDb {
  return { bans: db.bans, unbans: [...db.unbans.filter((u) => !(u.ip === ip && u.node === node)), { ip, at, node }] };
}

/**
 * Adds unban tombstones for every target in `ips` at `at` (a network's unban lifting the bans inside it):
 * one pass, however many, where addUnban per target would rescan the unbans each time.
 */
export function addUnbans(db: BanDb, ips: readonly string[], at: Date, node: string): BanDb {
  if (ips.length === 0) return db;
  const set = new Set(ips);
  return { bans: db.bans, unbans: [...db.unbans.filter((u) => !(u.node === node && set.has(u.ip))), ...[...set].map((ip) => ({ ip, at, node }))] };
}

/** The targets of `bans` strictly inside network or address `target` (addresses and narrower networks, not itself). */
export function targetsInside(target: string, bans: readonly Ban[]): string[] {
  const outer = parseNet(target);
  if (!outer || !target.includes('/')) return [];
  const out: string[] = [];
  for (const b of bans) {
    if (b.ip === target || familyOf(b.ip) !== outer.family) continue;
    const n = parseNet(b.ip);
    if (n && n.prefix > outer.prefix && netsOverlap(outer, n)) out.push(b.ip);
  }
  return out;
}

/**
 * The unbans of `unbans` that lift a ban of `bans` started at or before them (of its target, or of a wider
 * network containing it). One pass over each list: the bans are indexed by target (earliest start), and the
 * network unbans by prefix length, so it costs O(bans × network prefix lengths + unbans).
 */
export function liftingUnbans(bans: readonly Ban[], unbans: readonly Unban[]): Set<Unban> {
  const out = new Set<Unban>();
  if (unbans.length === 0 || bans.length === 0) return out;
  const first = new Map<string, number>();
  for (const b of bans) {
    const t = b.bannedAt.getTime();
    if (!((first.get(b.ip) ?? Infinity) <= t)) first.set(b.ip, t);
  }
  // Per unbanned network, the earliest start of a remembered ban strictly inside it.
  let nets: NetIndex<{ firstMs: number }> | null = null;
  for (const u of unbans) if (u.ip.includes('/') && !netIndexGet((nets ??= newNetIndex()), u.ip)) netIndexSet(nets, u.ip, { firstMs: Infinity });
  if (nets !== null) {
    const inside: { firstMs: number }[] = [];
    for (const [ip, t] of first) {
      const n = collectContaining(nets, ip, inside);
      for (let i = 0; i < n; i++) if (t < (inside[i] as { firstMs: number }).firstMs) (inside[i] as { firstMs: number }).firstMs = t;
    }
  }
  for (const u of unbans) {
    const at = u.at.getTime();
    if ((first.get(u.ip) ?? Infinity) <= at || (nets !== null && u.ip.includes('/') && (netIndexGet(nets, u.ip)?.firstMs ?? Infinity) <= at)) out.add(u);
  }
  return out;
}

/**
 * Forgets bans that expired more than `retentionSec` ago, and unbans that no longer lift any remembered ban
 * (liftingUnbans) and are older than the retention (a late-arriving peer ban older than that would be expired
 * anyway unless permanent, so permanent bans keep their unbans alive).
 */
export function pruneDb(db: BanDb, now: Date, retentionSec: number): BanDb {
  const nowMs = now.getTime();
  const keepMs = retentionSec * 1000;
  const cutoff = nowMs - keepMs;
  const bans = db.bans.filter((b) => retainedUntilMs(b, keepMs) > nowMs);
  const old = db.unbans.filter((u) => u.at.getTime() <= cutoff);
  let unbans = db.unbans;
  if (old.length) {
    const lifting = liftingUnbans(bans, old);
    if (lifting.size < old.length) unbans = db.unbans.filter((u) => u.at.getTime() > cutoff || lifting.has(u));
  }
  return bans.length === db.bans.length && unbans.length === db.unbans.length ? db : { bans, unbans };
}
