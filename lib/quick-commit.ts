/**
 * The scan's short path while the stamp holds (lib/stamp.ts): the database is exactly what the stamp
 * describes, so a scan that bans a few addresses need not load, re-encode and rewrite tens of thousands of
 * bans. It appends the new bans to the journal (lib/ban-journal.ts), splices their lines into the deny file's
 * managed block, and writes a new stamp.
 *
 * Crash safety, step by step (the caller holds the state lock):
 *   1. journal append (complete lines, fdatasync): a crash during it leaves at most a torn last line, which
 *      readers report and ignore; no ban was reported yet and the log positions are not saved, so the lines
 *      are read again.
 *   2. deny file, written atomically (temp file, fsync, rename).
 *   3. log positions and failure history (the caller's afterCommit).
 *   4. stamp.
 * After a crash anywhere before 4 the old stamp no longer matches the journal or the deny file, so the next
 * run takes the full path: it loads bans.json + journal (the bans are there from step 1 on), re-renders the
 * deny file and folds the journal into bans.json. A ban is never reported before step 1 is durable.
 */
import * as fs from 'node:fs';
import type { Ban } from './types';
import { type CountSteps, NO_STEPS, addCountStep, indexUnbanTimes, isActiveIn, liveSteps, retainedUntilMs } from './bans';
import type { Context } from './context';
import type { Applied } from './state';
import type { ScanState } from './scan-state';
import { dbFile, denyWritePath } from './state';
import { type ExpiryRecord, type StampContents, type ValidStamp, banChangeMs, dueExpiries, journalBytes, readStamp, stampContents, writeStampAfterBans, writeStampAfterExpiry } from './stamp';
import { appendJournal, journalFile } from './ban-journal';
import { type ManagedBlock, managedBlockAt, spliceDenyFile, spliceOutOfDenyFile } from './deny-file';
import { deletionPoints, insertionPoints } from './sorted-splice';
import { type Whitelist, isWhitelisted } from './whitelist';
import { writeFileAtomic } from './atomic-write';
import { assertHeld } from './lock';
import { expandLogGlob, positionKey } from './glob';
import { positionHolds, rotatedSinceEmpty } from './log-reader';
import { openLog } from './log-file';
import { sortByTarget } from './ip';
import { readRegularFile } from './regular-file';

/** Past this size the journal is folded into bans.json by a full commit (its cost is then spread over many runs). */
export const JOURNAL_MAX_BYTES = 256 * 1024;

/**
 * True when no log of any source has anything new since the saved positions: every file the glob names is the
 * one read last time (device, inode, first line) and ends where reading stopped. Journal sources cannot be
 * asked cheaply, so they always answer false. Mirrors log-reader's readNewLines, which would read nothing.
 */
export function logsUnchanged(ctx: Context, st: ScanState): boolean {
  const firstReader = new Map<string, string>();
  for (const src of ctx.config.sources) {
    if (src.journal) return false;
    const files = expandLogGlob(src.log);
    if (files.length === 0) return false;
    for (const file of files) {
      const pos = st.positions[positionKey(file, src.name, firstReader)];
      if (!pos) return false;
      let opened: ReturnType<typeof openLog>;
      try {
        opened = openLog(file); // not a plain open: a FIFO put in its place would hang the scan
      } catch {
        return false; // no log file (a directory…): the full path reports it
      }
      if (!opened) return false;
      const { fd, st: s } = opened;
      try {
        if (s.size !== pos.offset || !positionHolds(fd, s, pos)) return false;
        // Empty at the last run and unchanged since, but maybe written to and rotated by copytruncate meanwhile.
        if (rotatedSinceEmpty(file, pos, src.olddir)) return false;
      } finally {
        fs.closeSync(fd);
      }
    }
  }
  return true;
}

/** What commitNewBans needs, checked before any ban is reported: null means "take the full path". */
export interface QuickCommit {
  stamp: ValidStamp;
  contents: StampContents;
  now: Date;
  /** The deny file as read (null: no hostsdeny backend) and where its managed block is. */
  deny: Buffer | null;
  block: ManagedBlock | null;
}

/**
 * Whether new bans can be committed on the short path at `now`: the stamp still holds (nothing expired while
 * the logs were read), the journal is small, and the deny file is laid out as the stamp says.
 */
export function prepareQuickCommit(ctx: Context, stamp: ValidStamp, contents: StampContents, now: Date): QuickCommit | null {
  const next = stamp.head.nextChangeMs;
  if (next !== null && !(now.getTime() < next)) return null;
  if (journalBytes(stamp) > JOURNAL_MAX_BYTES) return null;
  if (!ctx.config.backends.includes('hostsdeny')) return { stamp, contents, now, deny: null, block: null };
  let deny: Buffer;
  try {
    // Bytes, not text: the file is spliced and written back without decoding or encoding its lines.
    deny = readRegularFile(ctx.config.denyFile);
  } catch {
    return null;
  }
  // The stamp's record of the block's length stands in for adding up every line's (see managedBlockAt).
  const block = managedBlockAt(deny, contents.active, Number.isSafeInteger(stamp.head.block) ? stamp.head.block : undefined);
  return block ? { stamp, contents, now, deny, block } : null;
}

/**
 * Commits `bans` (new, none of them for an active target) on the short path; `afterCommit` saves the log
 * positions once the bans are durable. Gives the same database, deny file and stamp as the full path would.
 */
export function commitNewBans(ctx: Context, q: QuickCommit, bans: readonly Ban[], whitelist: Whitelist, afterCommit: () => void): Applied {
  const nowMs = q.now.getTime();
  const keepMs = ctx.config.historyRetentionSec * 1000;
  const { contents } = q;
  // The stamp's unbans, read by the rule activeBans applies (lib/bans.ts isActiveIn).
  const unbans = indexUnbanTimes(contents.unbans);
  // What pruneDb would drop at once (expired longer ago than the retention) is not written at all.
  const kept = bans.filter((b) => b.expiresAt === null || b.expiresAt.getTime() > nowMs - keepMs);
  let next = q.stamp.head.nextChangeMs ?? Infinity;
  // Copied only when a count changes (a repeat offender banned again, or a ban that is not in force).
  let counts: Map<string, CountSteps> | null = null;
  const added = new Map<string, Ban>();
  for (const b of kept) {
    next = Math.min(next, banChangeMs(b, nowMs));
    if (isActiveIn(b, unbans, nowMs) && !isWhitelisted(b.ip, whitelist) && !added.has(b.ip)) added.set(b.ip, b);
    else {
      const cur = (counts ?? contents.counts).get(b.ip) ?? NO_STEPS;
      const steps = addCountStep(cur, b.banCount, retainedUntilMs(b, keepMs));
      if (steps !== cur) (counts ??= new Map(contents.counts)).set(b.ip, steps);
    }
  }
  // The new targets' expiry records (lib/stamp.ts fullCommitPlan, for these bans): the end of each one's
  // longest ban and its address's count steps; every other change they bring goes to otherChangeMs.
  const end = new Map<string, number>();
  const most = new Map<string, CountSteps>();
  for (const b of kept) {
    if (!added.has(b.ip)) continue;
    most.set(b.ip, addCountStep(most.get(b.ip) ?? liveSteps(contents.counts.get(b.ip) ?? NO_STEPS, nowMs), b.banCount, retainedUntilMs(b, keepMs)));
    const e = b.expiresAt ? b.expiresAt.getTime() : Infinity;
    if (isActiveIn(b, unbans, nowMs) && e > (end.get(b.ip) ?? -Infinity)) end.set(b.ip, e);
  }
  let other = q.stamp.head.otherChangeMs ?? Infinity;
  const ending = new Set<string>();
  for (const b of kept) {
    const e = end.get(b.ip);
    if (e !== undefined && Number.isFinite(e) && b.expiresAt?.getTime() === e && !ending.has(b.ip) && isActiveIn(b, unbans, nowMs)) {
      ending.add(b.ip); // its end is in the expiry section
      continue;
    }
    other = Math.min(other, banChangeMs(b, nowMs));
  }
  // A new ban may keep an unban longer (pruneDb keeps an unban while a ban it may cancel is remembered): the
  // stamp's otherChangeMs keeps the earlier moment, at which the full path runs and finds the later one.
  const expiries: ExpiryRecord[] = [];
  for (const [target, ms] of end) if (Number.isFinite(ms)) expiries.push({ ms, target, steps: most.get(target) ?? NO_STEPS });
  for (const ip of added.keys()) if ((counts ?? contents.counts).has(ip)) (counts ??= new Map(contents.counts)).delete(ip);
  const ins = insertionPoints(contents.active, [...added.keys()]);

  assertHeld(ctx.config.stateDir); // as runTx: no write after the lock was lost
  appendJournal(journalFile(ctx.config.stateDir), kept);
  let denyFileChanged = false;
  let block: number | undefined;
  if (q.deny !== null && q.block) {
    const spliced = spliceDenyFile(q.deny, q.block, contents.active, ins);
    block = spliced.blockTo - q.block.from;
    if (ins.targets.length) denyFileChanged = writeFileAtomic(denyWritePath(ctx), spliced.parts, { mode: 0o644, keepOwner: true, changed: true });
  }
  assertHeld(ctx.config.stateDir);
  afterCommit();
  const finite = (ms: number) => (Number.isFinite(ms) ? ms : null);
  writeStampAfterBans(ctx, q.stamp, { ins, counts, nextChangeMs: finite(next), otherChangeMs: finite(other), expiries, block }, nowMs);
  return { added: sortByTarget([...added.values()], (b) => b.ip), removed: [], whitelisted: new Set(), denyFileChanged, backendErrors: [] };
}

/**
 * The short path for a run in which bans ran out and nothing else changed (lib/stamp.ts readStamp 'expiry'):
 * the stamp's expiry section names the targets whose time is up at `now`; their lines are taken out of the
 * deny file's block and the stamp's list, their addresses' ban counts kept for repeat offenders, and the ban
 * database is not opened. The full path would not change it either, but for pruning what passed its
 * retention: that waits for the next full commit, and until then every reader leaves it out (lib/state.ts
 * loadDb), as the stamp's count steps do. Null when the
 * full path must run (no such stamp, a firewall backend, a deny file not laid out as the stamp says).
 * Crash safety: the deny file is written (atomically) first, then the stamp; a crash between them leaves a
 * stamp that no longer matches the deny file, so the next run takes the full path. Caller holds the lock.
 */
export function commitExpiry(ctx: Context, now: Date): Applied | null {
  const nowMs = now.getTime();
  const stamp = readStamp(ctx, dbFile(ctx), nowMs, 'expiry');
  const contents = stamp && stampContents(stamp);
  if (!stamp || !contents) return null;
  const d = dueExpiries(contents.expiry, nowMs);
  if (!d || d.due.length === 0) return null;
  const due = sortByTarget(d.due, (r) => r.target);
  const gone = due.map((r) => r.target);
  const at = deletionPoints(contents.active, gone);
  if (!at) return null;
  let spliced: { parts: Buffer[]; blockTo: number } | null = null;
  let block: number | undefined;
  if (ctx.config.backends.includes('hostsdeny')) {
    let deny: Buffer;
    try {
      deny = readRegularFile(ctx.config.denyFile);
    } catch {
      return null;
    }
    const where = managedBlockAt(deny, contents.active, Number.isSafeInteger(stamp.head.block) ? stamp.head.block : undefined);
    spliced = where && spliceOutOfDenyFile(deny, where, contents.active, gone);
    if (!where || !spliced) return null;
    block = spliced.blockTo - where.from;
  }
  const counts = new Map(contents.counts);
  for (const r of due) {
    let steps = counts.get(r.target) ?? NO_STEPS;
    for (const x of r.steps) steps = addCountStep(steps, x.count, x.untilMs);
    steps = liveSteps(steps, nowMs);
    if (steps.length) counts.set(r.target, steps);
    else counts.delete(r.target);
  }
  const first = d.cut < contents.expiry.length ? Number(contents.expiry.toString('latin1', d.cut, d.cut + 16)) : Infinity;
  const next = Math.min(stamp.head.otherChangeMs ?? Infinity, first);

  assertHeld(ctx.config.stateDir);
  const denyFileChanged = spliced ? writeFileAtomic(denyWritePath(ctx), spliced.parts, { mode: 0o644, keepOwner: true, changed: true }) : false;
  assertHeld(ctx.config.stateDir);
  writeStampAfterExpiry(ctx, stamp, { at, targets: gone }, d.cut, counts, Number.isFinite(next) ? next : null, nowMs, block);
  return { added: [], removed: gone, whitelisted: new Set(), denyFileChanged, backendErrors: [] };
}
