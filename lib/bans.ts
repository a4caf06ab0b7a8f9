/**
 * Pure operations on the ban database. A ban is active while it has not expired and no unban of its
 * address happened at or after it started. Expired bans are kept (for repeat-offender doubling) until
 * history_retention has passed.
 */
import type { Ban, BanDb, Unban } from './types';
import { type Whitelist, isWhitelisted } from './whitelist';
import { familyOf, netsOverlap, parseNet, unbannableReason } from './ip';
import { MAX_DURATION_SEC } from './duration';

export const emptyDb = (): BanDb => ({ bans: [], unbans: [] });

/** True when `ban` is in force at `now` given the unbans. */
export function isActive(ban: Ban, unbans: readonly Unban[], nowMs: number): boolean {
  if (ban.expiresAt && ban.expiresAt.getTime() <= nowMs) return false;
  if (ban.bannedAt.getTime() > nowMs + 60_000) return false; // from the future (clock skew on a peer): not yet
  if (unbans.length === 0) return true;
  const b = ban.bannedAt.getTime();
  return !unbans.some((u) => u.ip === ban.ip && u.at.getTime() >= b);
}

const NO_UNBANS: readonly Unban[] = [];

/**
 * One entry per banned target: the active ban that lasts longest. With a whitelist, whitelisted targets are
 * left out, and so are loopback, unspecified and multicast ones (lib/ip.ts unbannableReason: a ban of them
 * from an older version or a peer must not reach the deny file or the firewall).
 */
export function activeBans(db: BanDb, now: Date, whitelist?: Whitelist): Ban[] {
  const nowMs = now.getTime();
  const unbansByIp = new Map<string, Unban[]>();
  for (const u of db.unbans) {
    const l = unbansByIp.get(u.ip);
    if (l) l.push(u);
    else unbansByIp.set(u.ip, [u]);
  }
  const best = new Map<string, Ban>();
  for (const ban of db.bans) {
    if (!isActive(ban, unbansByIp.get(ban.ip) ?? NO_UNBANS, nowMs)) continue;
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
 * Forgets bans that expired more than `retentionSec` ago, and unbans that no longer cancel any remembered
 * ban and are older than the retention (a late-arriving peer ban older than that would be expired anyway
 * unless permanent, so permanent bans keep their unbans alive).
 */
export function pruneDb(db: BanDb, now: Date, retentionSec: number): BanDb {
  const nowMs = now.getTime();
  const keepMs = retentionSec * 1000;
  const cutoff = nowMs - keepMs;
  const bans = db.bans.filter((b) => retainedUntilMs(b, keepMs) > nowMs);
  const unbans = db.unbans.filter(
    (u) => u.at.getTime() > cutoff || bans.some((b) => b.ip === u.ip && b.bannedAt.getTime() <= u.at.getTime()),
  );
  return bans.length === db.bans.length && unbans.length === db.unbans.length ? db : { bans, unbans };
}
