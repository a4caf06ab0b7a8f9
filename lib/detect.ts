/**
 * Detection rules over failure histories. Pure: time comes from the failures themselves.
 * A history is kept per ban target (an address, or an IPv6 network when ipv6_prefix < 128) so an attacker
 * rotating addresses inside one /64 adds up.
 */
import type { Failure, Offense, RuleName, RuleSet } from './types';
import { StoredHistory } from './stored-history';

export const FLAG_SUSPICIOUS = 1;
export const FLAG_INVALID = 2;

/** Failure histories of one source: target → failures in time order (epoch seconds). */
export type History = Map<string, Failure[]>;

/**
 * Most targets one source tracks at once. A flood of one failure each from millions of addresses would
 * otherwise grow memory and the state file without bound; beyond this, the oldest targets with a single
 * failure (the ones least likely ever to be banned) are forgotten first.
 */
export const MAX_TRACKED = 100_000;

/**
 * Forgets a tenth of the tracked targets: oldest single-failure ones first, then simply the oldest. The map is
 * rebuilt rather than deleted from piecemeal (V8 Maps degrade when many entries are deleted from the front).
 */
function evict(history: History): void {
  let drop = Math.ceil(MAX_TRACKED / 2);
  const keep: [string, Failure[]][] = [];
  for (const entry of history) {
    if (drop > 0 && entry[1].length === 1) drop--;
    else keep.push(entry);
  }
  history.clear();
  for (let i = drop; i < keep.length; i++) history.set(...(keep[i] as [string, Failure[]]));
}

/** Packs a failure: epoch seconds and flags in one number. */
export const packFailure = (tSec: number, flags: number): Failure => tSec * 4 + flags;
export const failureTime = (f: Failure): number => Math.floor(f / 4);
// Not `f % 4`: a packed failure is past 2^31, so % is a floating-point modulo, which V8 does with a call
// to C's fmod: 35 → 25 ms for the bench log's 128,693 failures replayed alone, a few ms of its full scan.
export const failureFlags = (f: Failure): number => f - Math.floor(f / 4) * 4;

/** Counts failures with `flag` (0 = any) in (since, until], walking back from the newest. */
function countIn(list: Failure[], since: number, until: number, flag: number): number {
  let n = 0;
  for (let i = list.length - 1; i >= 0; i--) {
    const f = list[i] as Failure;
    const t = failureTime(f);
    if (t <= since) break;
    if (t > until) continue; // newer than the window (a line that arrived out of order is being checked)
    if (flag === 0 || failureFlags(f) & flag) n++;
  }
  return n;
}

/** Figures of a rule set that every recorded failure needs, worked out once per rule set. */
interface Limits {
  rules: RuleSet | null;
  /** No rule can fire with fewer failures than this. */
  least: number;
  /** Failures kept per target (see recordFailure). */
  maxKeep: number;
  window: number;
}
const limits: Limits = { rules: null, least: 0, maxKeep: 0, window: 0 };
function limitsOf(rules: RuleSet): Limits {
  if (limits.rules !== rules) {
    limits.rules = rules;
    limits.least = Math.min(rules.suspiciousThreshold, rules.invalidUserThreshold, rules.loginThreshold, rules.slowThreshold);
    limits.maxKeep = Math.max(rules.loginThreshold, rules.slowThreshold, rules.invalidUserThreshold, rules.suspiciousThreshold) * 2 + 8;
    limits.window = windowOf(rules);
  }
  return limits;
}

/**
 * The rule `list` breaks in the windows that end at `atSec` (failures after it do not count), checked in order
 * of severity, with its failure count; or null.
 */
export function checkRules(list: Failure[], rules: RuleSet, atSec: number): { rule: RuleName; failures: number } | null {
  // Most tracked addresses have failed once or twice: no rule can fire below the smallest threshold.
  if (list.length < limitsOf(rules).least) return null;
  // A rule whose threshold exceeds the failures on record cannot fire: not counted.
  const len = list.length;
  let n = 0;
  if (len >= rules.suspiciousThreshold) {
    n = countIn(list, atSec - rules.suspiciousPeriodSec, atSec, FLAG_SUSPICIOUS);
    if (n >= rules.suspiciousThreshold) return { rule: 'suspicious_users', failures: n };
  }
  if (len >= rules.invalidUserThreshold) {
    n = countIn(list, atSec - rules.invalidUserPeriodSec, atSec, FLAG_INVALID);
    if (n >= rules.invalidUserThreshold) return { rule: 'invalid_user', failures: n };
  }
  if (len >= rules.loginThreshold) {
    n = countIn(list, atSec - rules.loginPeriodSec, atSec, 0);
    if (n >= rules.loginThreshold) return { rule: 'login_attempts', failures: n };
  }
  if (len >= rules.slowThreshold) {
    n = countIn(list, atSec - rules.slowPeriodSec, atSec, 0);
    if (n >= rules.slowThreshold) return { rule: 'slow_attempts', failures: n };
  }
  return null;
}

/** Longest window of a rule set: failures older than this can never matter again. */
export function windowOf(rules: RuleSet): number {
  return Math.max(rules.loginPeriodSec, rules.slowPeriodSec, rules.suspiciousPeriodSec, rules.invalidUserPeriodSec);
}

/**
 * Records `n` failures for `target` at `tSec` and returns the offense if a rule is now broken.
 * The caller clears the target's history when it bans it, so old failures never ban twice.
 */
export function recordFailure(
  history: History,
  target: string,
  tSec: number,
  n: number,
  flags: number,
  rules: RuleSet,
  source: string,
): Offense | null {
  const packed = packFailure(tSec, flags);
  let list = history.get(target);
  if (!list) {
    if (history.size >= MAX_TRACKED) evict(history);
    list = [];
    history.set(target, list);
  }
  const last = list.length > 0 ? (list[list.length - 1] as Failure) : -1;
  for (let i = 0; i < n; i++) list.push(packed);
  // Out-of-order lines (merged logs, a glob read newest file first): kept sorted, and checked below in every
  // window they fall in, not against failures from after the window.
  const late = last >= 0 && failureTime(last) > tSec;
  if (late) list.sort((a, b) => a - b);
  // Bound memory: nothing older than the longest window can count again.
  const lim = limitsOf(rules);
  const maxKeep = lim.maxKeep;
  if (list.length < lim.least) return null;
  if (list.length > maxKeep) {
    const cutoff = tSec - lim.window;
    let drop = 0;
    while (drop < list.length && failureTime(list[drop] as Failure) <= cutoff) drop++;
    if (list.length - drop > maxKeep) drop = list.length - maxKeep;
    list.splice(0, drop);
  }
  if (!late) {
    const hit = checkRules(list, rules, tSec);
    return hit && { ip: target, source, rule: hit.rule, failures: hit.failures, at: new Date(tSec * 1000) };
  }
  // A failure from before the newest can complete a window that ends at any later failure within reach.
  let prev = -1;
  for (const f of list) {
    const t = failureTime(f);
    if (t < tSec || t === prev) continue;
    if (t > tSec + lim.window) break;
    prev = t;
    const hit = checkRules(list, rules, t);
    if (hit) return { ip: target, source, rule: hit.rule, failures: hit.failures, at: new Date(t * 1000) };
  }
  return null;
}

/** Drops failures older than the window, and targets left with none (called before saving). */
export function pruneHistory(history: History, nowSec: number, windowSec: number): void {
  // A failure packed below this has a time at or before the cutoff (packFailure: seconds * 4 + flags).
  const keepFrom = packFailure(nowSec - windowSec + 1, 0);
  // A StoredHistory trims the entries it has not decoded in place; the decoded ones are pruned here as any
  // Map's. Map.prototype.forEach visits only those (its own forEach would decode everything first), and
  // unlike for-of allocates no [key, value] pair per entry, which counts in a cron run's still-cold code.
  // Deleting the current entry during forEach is allowed.
  if (history instanceof StoredHistory) history.pruneStored(keepFrom);
  Map.prototype.forEach.call(history, (list: Failure[], k: string) => {
    if (list.length && (list[0] as Failure) >= keepFrom) return; // sorted: nothing to drop (the common case)
    let drop = 0;
    while (drop < list.length && (list[drop] as Failure) < keepFrom) drop++;
    if (drop === list.length) history.delete(k);
    else list.splice(0, drop);
  });
}
