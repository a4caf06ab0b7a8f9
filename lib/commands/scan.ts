/** `autoban scan`: read what the logs gained since the last run, ban offenders, save positions afterwards. */
import type { Ban, Offense } from '../types';
import type { Context } from '../context';
import type { SourceConfig } from '../config';
import { type Applied, loadWhitelist, quickStamp, reportApplied, runTx, withStateLock } from '../state';
import { stampContents, stampCount } from '../stamp';
import { SortedBannedSet } from '../sorted-banned-set';
import { commitExpiry, commitNewBans, logsUnchanged, prepareQuickCommit } from '../quick-commit';
import type { Whitelist } from '../whitelist';
import { type UnbanIndex, activeBans, banCounts, banLengthSec, indexUnbanTimes, indexUnbans, liftedUntilMs } from '../bans';
import { createLineHandler } from '../scanner';
import { BannedSet } from '../banned-set';
import { expandLogGlob, positionKey } from '../glob';
import * as path from 'node:path';
import { type FilePosition, RETRY_MIN_MS, RETRY_RUNS, type Retry, readNewLines } from '../log-reader';
import { NotALogFile, missingLogMessage } from '../log-file';
import { type Connections, type ScanState, loadHistories, loadHistoryFile, loadScanState, noConnections, saveScanState } from '../scan-state';
import type { DedupState } from '../dedup';
import { type History, pruneHistory, windowOf } from '../detect';
import { JOURNAL_PARSERS, lineTimeMs, type MessageParser } from '../parsers';
import { isTrustedEntry } from '../journal-trust';
import type { JournalEnd, JournalMark } from '../journal-reader';
import { progressBar } from '../progress';
import { isoTime } from '../iso-time';
import { logBatch } from '../log';
import { pidNumber } from '../parsers/syslog-header';
import { AppError, ExitCode } from '../errors';
import { formatRemaining } from '../duration';
import { plural } from '../plural';
import { type KeptFailures, createKeptFailures } from '../kept-failures';

export interface ScanResult {
  lines: number;
  events: number;
  failures: number;
  /** Failure lines about addresses already banned (not counted again). */
  alreadyBanned: number;
  /** Bans written now (active). */
  banned: Ban[];
  /** Offenses in old log lines whose ban would already have expired (recorded for history only). */
  expiredOnArrival: Ban[];
  /**
   * Offenses in old log lines dated at or before an unban of their address or of a network containing it
   * (lines read late, or again): the unban lifts them at once (recorded for history only).
   */
  unbannedOnArrival: Ban[];
  missing: string[];
  /** Log paths that exist but cannot be read as a log, each as "path: why" (a directory, a FIFO, permission denied). */
  notLogs: string[];
  /** Rotated files that changed while being read or whose decompressor was killed (see ReadResult.retry): their sources' positions were not saved (not those given up on after RETRY_RUNS runs in a row). */
  retry: string[];
}

/** Turns an offense into a ban, doubling the length for repeat offenders. */
export function banForOffense(off: Offense, src: SourceConfig, previous: number, node: string): Ban {
  const banCount = previous + 1;
  const len = banLengthSec(src.banDurationSec, src.banDurationMaxSec, banCount);
  return {
    ip: off.ip,
    rule: off.rule,
    reason: `${off.rule} failures=${off.failures}`,
    failures: off.failures,
    source: src.name,
    origin: 'scan',
    node,
    bannedAt: off.at,
    expiresAt: len === null ? null : new Date(off.at.getTime() + len * 1000),
    banCount,
  };
}

export function describeBan(b: Ban, now: Date): string {
  const until = b.expiresAt ? `${isoTime(b.expiresAt)} (${formatRemaining(b.expiresAt, now)})` : 'permanent';
  return `${b.ip} rule=${b.rule} failures=${b.failures} source=${b.source} until=${until}${b.banCount > 1 ? ` ban#=${b.banCount}` : ''}`;
}

type Handler = ReturnType<typeof createLineHandler>;

/** What reading one source needs from the scan around it. */
interface SourceRun {
  /**
   * Creates the line handler (and loads the failure history) — only once there is something to count. `from`: the
   * read whose open connections it carries on from, given only when the read goes on from that read's saved position.
   */
  handler: (from?: { kind: keyof Connections; key: string }, kept?: KeptFailures | null) => Handler;
  /**
   * For a read whose position was lost: the failures history.bin held for this source, which that read finds again
   * and must not count again (one matcher per source and scan); null when it held none (or --from-start).
   */
  kept: () => KeptFailures | null;
  /** Failures that matcher has found again so far (0 before one is made). */
  matched: () => number;
  st: ScanState;
  res: ScanResult;
  nowMs: number;
  fromStart: boolean;
  /** Positions saved for other paths in the same directory as `file`, as they were when the scan started. */
  others: (file: string) => FilePosition[];
  /** file → the first source of this scan that reads it (see positionKey). */
  firstReader: Map<string, string>;
}

function addStats(res: ScanResult, stats: Handler['stats']): void {
  res.lines += stats.lines;
  res.events += stats.events;
  res.failures += stats.failures;
  res.alreadyBanned += stats.banned;
}

/** The earliest time a first run needs: the longest window plus one ban length (permanent bans: all). */
function firstRunStartMs(src: SourceConfig, run: SourceRun): number | undefined {
  if (src.banDurationSec === null || run.fromStart) return undefined;
  return run.nowMs - (windowOf(src.rules) + src.banDurationSec) * 1000;
}

/**
 * A journal source: entries after the saved cursor, attributed by journald's trusted _COMM only. Without a cursor
 * journalctl accepts, after the saved mark of the last entry read (lib/journal-mark.ts), or as a first run.
 */
async function scanJournal(ctx: Context, src: SourceConfig, journal: NonNullable<SourceConfig['journal']>, run: SourceRun): Promise<void> {
  const mark = run.st.marks[src.name];
  // The connections open where the last read ended go on when this read starts there (from its cursor or its mark).
  const carry = run.st.cursors[src.name] !== undefined || mark !== undefined ? ({ kind: 'journal', key: src.name } as const) : undefined;
  // Neither cursor nor mark: read as a first run does, finding again what an earlier read counted, if any.
  const matchedBefore = run.matched();
  let h = run.handler(carry, carry ? null : run.kept());
  const parse = JOURNAL_PARSERS[src.parser] as MessageParser;
  const since = firstRunStartMs(src, run);
  // Loaded here: only journal sources need it (and child_process); a cron run over files does not.
  const { readJournal, JournalCursorError } = await import('../journal-reader');
  const read = (from: { cursor?: string; after?: JournalMark }) =>
    readJournal({ match: journal.match, directory: journal.directory, ...from, sinceSec: since === undefined ? undefined : since / 1000 }, (e) => {
      h.stats.lines++;
      if (!isTrustedEntry(e, src.parser)) return; // not provably sshd/proftpd, whatever SYSLOG_IDENTIFIER says (lib/journal-trust.ts)
      const ev = parse(e.message, e.timeMs, pidNumber(e.pid));
      if (ev) h.handleEvent(ev);
    });
  let end: JournalEnd;
  const saved = run.st.cursors[src.name];
  try {
    end = await read(saved !== undefined ? { cursor: saved } : { after: mark });
  } catch (e) {
    if (!(e instanceof JournalCursorError)) throw e;
    // A damaged positions.json entry would fail every later scan of this source: read on after the last entry
    // read, whose mark is kept beside the cursor; without one (earlier versions), as a first run does (same start
    // time; what history.bin kept of that is not counted again). Either saves the cursor that read ends on.
    const from = mark ? `after the last entry read (${isoTime(new Date(Math.floor(mark.us / 1000)))})` : 'again from the first-run start';
    ctx.log.warn(`scan: journal [${src.name}]: the saved journal cursor is not valid (journalctl cannot seek to it); reading ${from}`);
    delete run.st.cursors[src.name];
    if (!mark) {
      // Nor are the connections open at that cursor carried on.
      addStats(run.res, h.stats);
      h = run.handler(undefined, run.kept());
    }
    end = await read({ after: mark });
  }
  if (end.cursor) {
    run.st.cursors[src.name] = end.cursor;
    if (end.mark) run.st.marks[src.name] = end.mark;
    else delete run.st.marks[src.name];
  }
  keepConnections((run.st.connections ??= noConnections()).journal, src.name, h.saveDedup());
  addStats(run.res, h.stats);
  reportReread(ctx, `journal [${src.name}]`, run.matched() - matchedBefore);
  ctx.log.debug(`scan: journal [${src.name}]: ${plural(h.stats.lines, 'entry', 'entries')}, ${plural(h.stats.events, 'event')}`);
}

/** One rotated file left to the next run: in how many runs in a row, and since when (see FilePosition.retried). */
interface Left {
  u: Retry;
  runs: number;
  /** The scan time of the first of those runs (epoch ms); undefined in a record of an earlier version. */
  since: number | undefined;
}

/**
 * Rotated file `u` left to the next run by this run (scan time `nowMs`) too: the runs in a row, this one
 * included, and since when. A clock set back does not make the first of them later than this run.
 */
export function leftAgain(pos: FilePosition | undefined, u: Retry, nowMs: number): Left {
  const e = pos?.retried?.find((r) => r.dev === u.dev && r.ino === u.ino);
  if (!e) return { u, runs: 1, since: nowMs };
  return { u, runs: e.runs + 1, since: e.since === undefined ? undefined : Math.min(e.since, nowMs) };
}

/** Given up on: left in RETRY_RUNS runs in a row over at least RETRY_MIN_MS (records without a time: the runs alone). */
export const givenUp = (x: Left, nowMs: number): boolean => x.runs >= RETRY_RUNS && (x.since === undefined || nowMs - x.since >= RETRY_MIN_MS);

/**
 * A file source: every file its glob names, from the saved positions, across rotations. Returns the rotated files
 * that changed while being read; then none of the source's positions is updated (the next run reads it all again),
 * except that they record the files left so (FilePosition.retried). When every such file has been left so in
 * RETRY_RUNS runs in a row, the scan gives up on them instead, as on damaged files: a warning each, and the
 * positions move on (returns none).
 */
async function scanFiles(ctx: Context, src: SourceConfig, run: SourceRun): Promise<string[]> {
  /** This run's files to read again, by position key, each with its runs in a row. */
  const retried = new Map<string, Left[]>();
  /** The positions this source had before this run, to put back when a file must be read again. */
  const before = new Map<string, FilePosition | undefined>();
  /** Likewise the connections open where those positions were (they go together). */
  const beforeConns = new Map<string, DedupState | undefined>();
  const files = expandLogGlob(src.log);
  if (files.length === 0) run.res.missing.push(src.log);
  // A file without a position was read before, under a position since lost, when positions.json was damaged or
  // none of the source's files has one (its entry gone); beside files that have one, it is a new file of the glob
  // (a new virtual host's log), whose failures in the same second as another file's must all count.
  // This source's own keys (positionKey's, without claiming the files yet): a file another source also reads
  // keeps that source's position under the bare path.
  const ownKey = (f: string): string => {
    const first = run.firstReader.get(f);
    return first === undefined || first === src.name ? f : `${f}#${src.name}`;
  };
  const known = files.some((f) => run.st.positions[ownKey(f)] !== undefined);
  const mayBeReread = run.st.positionsLost === true || !known;
  for (const file of files) {
    let h: Handler | null = null;
    const progress = progressBar(ctx, file);
    const key = positionKey(file, src.name, run.firstReader);
    const carry = run.st.positions[key] ? ({ kind: 'files', key } as const) : undefined;
    /** Read as a first run does (see ReadOptions.onFirstRead): what history.bin kept of it is not counted again. */
    let firstRead = false;
    const matchedBefore = run.matched();
    const handlerOf = () => run.handler(carry, firstRead ? run.kept() : null);
    const r = await readNewLines(file, run.st.positions[key], (buf, start, end) => (h ??= handlerOf()).handleChunk(buf, start, end), {
      onFirstRead: () => {
        firstRead = mayBeReread;
      },
      notBeforeMs: firstRunStartMs(src, run),
      lineTime: (line) => lineTimeMs(line, run.nowMs),
      onProgress: progress?.update,
      others: run.others(file),
      olddir: src.olddir,
      offload: (fd, from, to) => {
        const handler = (h ??= handlerOf());
        // Loaded only for a read big enough to split (16 MB and more): a cron run's small read never needs worker_threads.
        // require, not import(): the reader calls this synchronously.
        const { workerOffload } = require('../offload') as typeof import('../offload');
        const offload = handler.replay && workerOffload({ parser: src.parser, suspicious: src.rules.suspiciousUsers, nowMs: run.nowMs }, handler.replay);
        return offload ? offload(fd, from, to) : null;
      },
    }).catch((e: unknown) => {
      if (e instanceof NotALogFile) return e;
      throw e;
    });
    progress?.done();
    if (r instanceof NotALogFile) {
      // Like a missing log: the other files and sources are still read and their bans written; exit 66 at the end.
      run.res.notLogs.push(r.message);
      continue;
    }
    if (!r) {
      run.res.missing.push(file);
      continue;
    }
    if (r.adopted) ctx.log.info(`scan: ${file} holds a log read before under another name (renamed or copied by rotation); reading on from where that stopped`);
    if (r.sameContent) ctx.log.info(`scan: ${file} is the log read before under a new inode (copied or restored in place); reading on from where the last run stopped`);
    if (r.rotatedFrom) ctx.log.info(`scan: ${file} was rotated; read the rest of ${r.rotatedFrom.join(', ')} first`);
    for (const d of r.damaged ?? []) ctx.log.warn(`scan: ${d.file}: damaged or cut short (not valid compressed data: ${d.why}); read up to the damage`);
    // Not fatal: the live log and every other source are still read and banned from.
    for (const u of r.unreadable ?? []) ctx.log.warn(`scan: ${u.file}: ${u.why}; lines written to it after the last run, if any, are not read`);
    if (r.retry) retried.set(key, [...(retried.get(key) ?? []), ...r.retry.map((u) => leftAgain(run.st.positions[key], u, run.nowMs))]);
    if (r.restarted) ctx.log.info(`scan: ${file}: ${r.restarted}; reading it from the start`);
    if (r.seekedTo) ctx.log.info(`scan: ${file}: first run, skipped ${(r.seekedTo / 1e6).toFixed(1)} MB of lines too old to matter (--from-start reads them)`);
    reportReread(ctx, file, run.matched() - matchedBefore);
    if (!before.has(key)) before.set(key, run.st.positions[key]);
    run.st.positions[key] = r.position;
    const handler = h as Handler | null;
    if (handler || (!carry && run.st.connections)) {
      // A read that had nothing to count leaves its connections as they were (or, from no saved position, none).
      const conns = (run.st.connections ??= noConnections()).files;
      if (!beforeConns.has(key)) beforeConns.set(key, conns.get(key));
      keepConnections(conns, key, handler ? handler.saveDedup() : null);
    }
    const stats = handler?.stats ?? { lines: 0, events: 0, failures: 0, banned: 0 };
    addStats(run.res, stats);
    ctx.log.debug(`scan: ${file}: ${plural(stats.lines, 'line')}, ${plural(stats.events, 'event')}, ${plural(stats.failures, 'failure')}${r.offloaded ? ` (a second thread parsed ${(r.offloaded / 1e6).toFixed(1)} MB)` : ''}`);
  }
  const all = [...retried.values()].flat();
  if (all.length === 0) return [];
  if (all.every((x) => givenUp(x, run.nowMs))) {
    // Not the file changing under one read: the same failure at every run (the OOM killer ending xz on a big
    // file). Waiting longer would hold back this source's positions for good; read on as past damage. The
    // positions just read carry no `retried`: the count starts afresh.
    for (const { u, runs } of all) ctx.log.warn(`scan: ${u.file}: ${u.brief} in ${runs} runs in a row; skipping the rest of this file (its unread lines are not counted)`);
    return [];
  }
  for (const { u, runs } of all) {
    const inARow = runs > 1 ? ` (${runs} runs in a row; after ${RETRY_RUNS} over at least ${RETRY_MIN_MS / 60_000} minutes the rest of it is skipped)` : '';
    ctx.log.warn(`scan: ${u.file}: ${u.why}; not saving the positions of [${src.name}], the next run reads it again${inARow}`);
  }
  for (const [key, pos] of before) {
    if (!pos) {
      delete run.st.positions[key];
      continue;
    }
    // Only this run's files count on: one read whole this time (or not needed) starts afresh if it fails again.
    const { retried: _, ...restored } = pos;
    const left = retried.get(key);
    run.st.positions[key] = left ? { ...restored, retried: left.map(({ u, runs, since }) => ({ dev: u.dev, ino: u.ino, runs, ...(since === undefined ? {} : { since }) })) } : restored;
  }
  // The connections open where those positions were go back with them.
  const conns = run.st.connections;
  if (conns) for (const [key, s] of beforeConns) keepConnections(conns.files, key, s ?? null);
  return all.map((x) => x.u.file);
}

/** Says how many failures a read after a lost position found again that history.bin had already counted. */
function reportReread(ctx: Context, what: string, n: number): void {
  if (n > 0) ctx.log.info(`scan: ${what}: ${plural(n, 'failed login')} read again ${n === 1 ? 'was' : 'were'} counted before (position lost)`);
}

/** Records (or, null, forgets) the connections a read left open. */
function keepConnections(map: Map<string, DedupState>, key: string, s: DedupState | null): void {
  if (s) map.set(key, s);
  else map.delete(key);
}

/** An offense and the source that found it (turned into a ban inside the transaction). */
interface Found {
  off: Offense;
  src: SourceConfig;
}

/** Reads every source from its saved position, counting failures of addresses not in `skip`; returns the offenses. */
async function collect(ctx: Context, st: ScanState, res: ScanResult, skip: BannedSet, whitelist: Whitelist, nowMs: number, fromStart: boolean): Promise<Found[]> {
  const found: Found[] = [];
  const before = Object.entries(st.positions);
  // Not the same file's positions of other sources (`file#source`, see positionKey).
  const others = (file: string): FilePosition[] => before.filter(([p]) => p !== file && !p.startsWith(`${file}#`) && path.dirname(p) === path.dirname(file)).map(([, pos]) => pos);
  const firstReader = new Map<string, string>();
  const historyOf = (name: string): History => {
    if (!st.histories) {
      const loaded = loadHistoryFile(ctx.config.stateDir, ctx.log);
      st.histories = loaded.histories;
      st.connections = loaded.connections;
    }
    let h = st.histories.get(name);
    if (!h) {
      h = new Map();
      st.histories.set(name, h);
    }
    return h;
  };
  /** history.bin as it was before this scan counted anything, loaded again for the first lost position only. */
  let held: Map<string, History> | null = null;
  for (const src of ctx.config.sources) {
    let kept: KeptFailures | null | undefined;
    const run: SourceRun = {
      handler: (from, k) => {
        const history = historyOf(src.name); // loads st.connections too
        const dedup = from && st.connections?.[from.kind].get(from.key);
        return createLineHandler({ source: src, history, whitelist, skip, nowMs, dedup, kept: k, onOffense: (off) => found.push({ off, src }) });
      },
      kept: () => {
        if (kept === undefined) {
          // Not this scan's history: earlier files of the source may have added to it already. Warnings about a
          // damaged file come from the load that counts (historyOf).
          held ??= fromStart ? new Map() : loadHistories(ctx.config.stateDir, { ...ctx.log, warn: () => undefined });
          kept = createKeptFailures(held.get(src.name));
        }
        return kept;
      },
      matched: () => kept?.matched ?? 0,
      st,
      res,
      nowMs,
      fromStart,
      others,
      firstReader,
    };
    if (src.journal) await scanJournal(ctx, src, src.journal, run);
    else {
      const retry = await scanFiles(ctx, src, run);
      if (retry.length > 0) {
        res.retry.push(...retry);
        // Its lines are read again next run: the failures they added must not be saved, or they would count
        // twice. The bans they gave are kept; found again, they are already on record (notRecordedYet).
        if (st.histories) st.histories.set(src.name, (fromStart ? undefined : loadHistories(ctx.config.stateDir, { ...ctx.log, warn: () => undefined }).get(src.name)) ?? new Map());
      }
    }
    if (st.histories) pruneHistory(historyOf(src.name), Math.floor(nowMs / 1000), windowOf(src.rules));
  }
  return found;
}

/**
 * Leaves out offenses the database already holds (same address, rule and time): lines read a second time
 * (--from-start, lost positions) must not record an old ban again, which would also lengthen that
 * address's next ban as if it had offended once more.
 */
function notRecordedYet(ctx: Context, found: Found[], bans: readonly Ban[]): Found[] {
  if (found.length === 0) return found;
  const ips = new Set(found.map((f) => f.off.ip));
  const key = (ip: string, atMs: number, rule: string) => `${ip} ${atMs} ${rule}`;
  const known = new Set<string>();
  for (const b of bans) if (ips.has(b.ip)) known.add(key(b.ip, b.bannedAt.getTime(), b.rule));
  if (known.size === 0) return found;
  const fresh = found.filter((f) => !known.has(key(f.off.ip, f.off.at.getTime(), f.off.rule)));
  if (fresh.length < found.length) ctx.log.info(`scan: ${plural(found.length - fresh.length, 'offense')} found again in lines read before; already on record`);
  return fresh;
}

/**
 * Sorts new bans into the result: active, expired on arrival, or lifted on arrival by an unban dated at or after
 * them (`unbans`: built only when there are new bans; they are few next to the database).
 */
function sortNewBans(res: ScanResult, newBans: Ban[], nowMs: number, unbans: () => UnbanIndex): void {
  if (newBans.length === 0) return;
  const idx = unbans();
  for (const b of newBans) {
    if (b.expiresAt && b.expiresAt.getTime() <= nowMs) res.expiredOnArrival.push(b);
    else if (liftedUntilMs(idx, b.ip) >= b.bannedAt.getTime()) res.unbannedOnArrival.push(b);
    else res.banned.push(b);
  }
}

/** One log line per new ban, once they are committed (a commit that fails must not have reported them). */
function logNewBans(ctx: Context, res: ScanResult, now: Date): void {
  const verb = ctx.dryRun ? 'would ban' : 'banned';
  logBatch(() => {
    for (const b of res.expiredOnArrival) ctx.log.info(`scan: old offense ${b.ip} rule=${b.rule} at ${isoTime(b.bannedAt)}: its ban would already have expired; remembered for repeat offenders only`);
    for (const b of res.unbannedOnArrival) ctx.log.info(`scan: old offense ${b.ip} rule=${b.rule} at ${isoTime(b.bannedAt)}: an unban of it (or of a network containing it) came later; not banned, remembered for repeat offenders only`);
    for (const b of res.banned) ctx.log.info(`${verb} ${describeBan(b, now)}`);
  });
}

export async function runScan(ctx: Context, opts: { fromStart?: boolean } = {}): Promise<ScanResult> {
  const cfg = ctx.config;
  const res: ScanResult = { lines: 0, events: 0, failures: 0, alreadyBanned: 0, banned: [], expiredOnArrival: [], unbannedOnArrival: [], missing: [], notLogs: [], retry: [] };
  const fromStart = !!opts.fromStart;
  let committedAt: Date | null = null;
  let lifted: Applied | null = null;
  const applied = await withStateLock(ctx, async () => {
    const st = loadScanState(cfg.stateDir, ctx.log);
    if (fromStart) {
      st.positions = {};
      st.cursors = {};
      st.marks = {};
      st.histories = new Map();
      st.connections = noConnections();
    }
    // The common cron run: nothing changed since the last commit. Read the logs against the stamp's active
    // targets, and commit new bans without opening the ban database (lib/quick-commit.ts).
    const startMs = ctx.clock.now().getTime();
    // Bans whose time is up and nothing else: lifted on the short path first, which leaves a stamp that holds.
    if (!fromStart) lifted = commitExpiry(ctx, new Date(startMs));
    const quick = fromStart ? null : quickStamp(ctx, startMs);
    if (quick && logsUnchanged(ctx, st)) return null;
    const contents = quick && stampContents(quick);
    let found: Found[] | null = null;
    if (quick && contents) {
      const whitelist = loadWhitelist(ctx);
      const skip = new SortedBannedSet(contents.active);
      found = await collect(ctx, st, res, skip, whitelist, startMs, fromStart);
      if (found.length === 0) {
        saveScanState(cfg.stateDir, st);
        return null;
      }
      const now = ctx.clock.now();
      const q = prepareQuickCommit(ctx, quick, contents, now);
      if (q) {
        // The stamp's list is the database's active set: an offense for one of them can only come from a stale stamp.
        const fresh = found.filter((f) => !skip.inList(f.off.ip));
        if (fresh.length < found.length) ctx.log.warn(`scan: ${plural(found.length - fresh.length, 'offender was', 'offenders were')} already banned; the stamp in ${cfg.stateDir} was stale`);
        const newBans = fresh.map(({ off, src }) => banForOffense(off, src, stampCount(contents, off.ip, now.getTime()), cfg.nodeId));
        // An offense from before the last commit by an address banned before may be one already on record
        // (its lines read again): only the database can tell, so such a scan takes the full path (see
        // notRecordedYet). New lines of a returning attacker are newer than the commit and stay on this path.
        const committedMs = quick.head.recordedAtMs;
        if (!newBans.some((b) => b.bannedAt.getTime() <= committedMs && contents.counts.has(b.ip))) {
          sortNewBans(res, newBans, now.getTime(), () => indexUnbanTimes(contents.unbans));
          committedAt = now;
          return commitNewBans(ctx, q, newBans, whitelist, () => saveScanState(cfg.stateDir, st));
        }
      }
    }
    const tx = await runTx(ctx, async (t) => {
      const now = t.now;
      const nowMs = now.getTime();
      const active = new BannedSet(activeBans(t.db, now).map((b) => b.ip));
      if (found) {
        // Found against the stamp's list: the database has the last word (a stamp can only be stale, never win).
        const stale = found.filter((f) => active.has(f.off.ip));
        if (stale.length) ctx.log.warn(`scan: ${plural(stale.length, 'offender was', 'offenders were')} already banned; the stamp in ${cfg.stateDir} was stale`);
        found = found.filter((f) => !active.has(f.off.ip));
      }
      found ??= await collect(ctx, st, res, active, t.whitelist, nowMs, fromStart);
      found = notRecordedYet(ctx, found, t.db.bans);
      const counts = found.length ? banCounts(t.db) : null;
      const newBans = found.map(({ off, src }) => banForOffense(off, src, counts?.get(off.ip) ?? 0, cfg.nodeId));
      sortNewBans(res, newBans, nowMs, () => indexUnbans(t.db.unbans));
      return {
        db: newBans.length ? { bans: [...t.db.bans, ...newBans], unbans: t.db.unbans } : t.db,
        result: undefined,
        afterCommit: () => saveScanState(cfg.stateDir, st),
        // Before the firewall backends' lines, as for ban: a backend error then follows the bans it failed to enforce.
        onSaved: () => logNewBans(ctx, res, now),
      };
    });
    return tx.applied;
  });
  if (committedAt) logNewBans(ctx, res, committedAt);
  if (lifted) {
    // As the full path reports it: an address banned again in the same run was never lifted.
    const again = new Set(res.banned.map((b) => b.ip));
    const l: Applied = lifted;
    reportApplied(ctx, { ...l, removed: l.removed.filter((ip) => !again.has(ip)) }, 'expired');
  }
  if (applied) reportApplied(ctx, applied, 'expired');
  ctx.log.info(`scan: ${plural(res.lines, 'new line')}, ${plural(res.failures, 'failed login')}, ${plural(res.banned.length, 'new ban')}${res.alreadyBanned ? ` (${plural(res.alreadyBanned, 'more line')} about addresses already banned)` : ''}`);
  const failed: string[] = [];
  // In check-config's words for the same path (lib/log-file.ts), like the paths that are no log file.
  failed.push(...res.missing.map(missingLogMessage));
  failed.push(...res.notLogs);
  // After the commit: the bans found are written, only the positions of the sources concerned wait.
  if (res.retry.length) failed.push(`could not finish reading ${res.retry.join(', ')} (see the warnings above); the next run reads ${res.retry.length > 1 ? 'them' : 'it'} again`);
  if (failed.length) throw new AppError(ExitCode.NoInput, `scan: ${failed.join('; ')}`);
  return res;
}
