/**
 * The locked state transaction: lock → load the ban database (recovering from damage) → adopt bans found
 * in the deny file → let the command change the database → save it → re-render the deny file and apply
 * the firewall backends. Every command that changes bans goes through here, so the deny file always
 * matches the database and nothing two overlapping runs do is lost.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Ban, BanDb } from './types';
import type { Context } from './context';
import { activeBans, emptyDb, pruneDb } from './bans';
import { decodeDb, encodeBanLine, encodeDbBytes } from './ban-codec';
import { type JournalRead, journalFile, readJournal, removeJournal } from './ban-journal';
import { DamagedMarkersError, parseDenyFile, renderDenyFile, type DenyFile } from './deny-file';
import { writeFileAtomic } from './atomic-write';
import { assertHeld, ensureStateDir, withLock } from './lock';
import { settingName } from './config';
import { formatDuration } from './duration';
import { AppError, ExitCode } from './errors';
import { emptyWhitelist, isWhitelisted, parseWhitelist, type Whitelist } from './whitelist';
import { applyBackends } from './backends-apply';
import { type ValidStamp, committedTargets, readStamp, writeStamp } from './stamp';
import { plural } from './plural';
import { readRegularFile } from './regular-file';

export interface StateTx {
  db: BanDb;
  whitelist: Whitelist;
  now: Date;
}

/** What a commit changed, for the command's log lines and exit code. */
export interface Applied {
  added: Ban[];
  removed: string[];
  /** Those of `removed` the whitelist covers (added to it since they were banned): lifted for that, not for their time. */
  whitelisted: ReadonlySet<string>;
  denyFileChanged: boolean;
  /** One-line errors of firewall backends (the deny file was still written). */
  backendErrors: string[];
}

export const dbFile = (ctx: Context) => path.join(ctx.config.stateDir, 'bans.json');

/**
 * What a dry run's commits would have left behind: the database and the targets put in force (and the
 * whitelist copy sync-pull would have written). A dry run writes nothing, so without this each later step
 * of a dry `run` would start again from the files and report the same would-be change (a ban whose time ran
 * out: lifted by sync-pull, then again by scan and expire); with it, the step that would make a change is
 * the one that reports it, as in the real run. Kept per Context: one command line, one dry run.
 */
interface DryState {
  db?: BanDb;
  targets?: ReadonlySet<string>;
  whitelist?: Whitelist;
}
const dryStates = new WeakMap<Context, DryState>();

function dryState(ctx: Context): DryState | null {
  if (!ctx.dryRun) return null;
  let d = dryStates.get(ctx);
  if (!d) dryStates.set(ctx, (d = {}));
  return d;
}

/** In a dry run: the whitelist that later steps see, as if `entries` had been written to the local copy. */
export function setDryWhitelist(ctx: Context, entries: readonly string[]): void {
  const d = dryState(ctx);
  if (d) d.whitelist = parseWhitelist(entries.join('\n'), ctx.config.whitelistFile ?? '(whitelist)').whitelist;
}

/** Loads the whitelist; bad lines are warned about and skipped, a missing file means an empty list. */
export function loadWhitelist(ctx: Context): Whitelist {
  const dry = dryState(ctx)?.whitelist;
  if (dry) return dry;
  const file = ctx.config.whitelistFile;
  if (!file) return emptyWhitelist;
  let text: string;
  try {
    text = readRegularFile(file, 'utf8');
  } catch (e) {
    // Read as empty, an unreadable whitelist would let a scan ban the addresses it lists (loadConfig checks
    // this at start; this is the same rule for a file that changed since).
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new AppError(ExitCode.NoInput, `cannot read whitelist ${file}: ${(e as Error).message}`);
    return emptyWhitelist;
  }
  const { whitelist, errors } = parseWhitelist(text, file);
  for (const err of errors) ctx.log.warn(`whitelist: ${err} (line ignored)`);
  return whitelist;
}

/**
 * Reads the ban database: bans.json plus the journal of bans committed since (lib/ban-journal.ts), a ban in
 * both counted once. A damaged bans.json is reported (naming it) and replaced by the last good copy, or, failing
 * that, by what the deny file shows: autoban keeps protecting instead of refusing to run. A damaged journal
 * line is reported (naming the file) and ignored. `journal` says a journal exists (a full commit folds it in).
 * What has passed its retention at `now` is left out (pruneDb; `pruned` says so, and the commit saves the
 * result): the short paths (lib/quick-commit.ts) leave such bans in bans.json and the journal until the next
 * full commit, and no reader (counts for repeat offenders, status, sync-push, the unbans they keep) may see them.
 */
export function loadDb(ctx: Context, now: Date): { db: BanDb; recovered: boolean; missing: boolean; journal: boolean; pruned: boolean } {
  const file = dbFile(ctx);
  // The journal first: a lock-free reader racing a full commit then sees either the old bans.json with the
  // journal or the new one that holds the journal's entries, never neither.
  let journal: JournalRead | null;
  const jfile = journalFile(ctx.config.stateDir);
  try {
    journal = readJournal(jfile);
  } catch (e) {
    throw new AppError(ExitCode.NoInput, (e as Error).message);
  }
  for (const err of journal?.errors ?? []) ctx.log.error(err);
  let pruned = false;
  const withJournal = (db: BanDb) => {
    const all = journal ? mergeJournal(db, journal.bans) : db;
    const kept = pruneDb(all, now, ctx.config.historyRetentionSec);
    if (kept !== all) pruned = true;
    return kept;
  };
  const tryLoad = (f: string): BanDb | null => {
    let text: string;
    try {
      text = readRegularFile(f, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new AppError(ExitCode.NoInput, `cannot read ${f}: ${(e as Error).message}`);
    }
    const { db, errors } = decodeDb(text, f);
    for (const err of errors) ctx.log.warn(`${err} (entry ignored)`);
    return db;
  };
  try {
    const db = tryLoad(file);
    // Missing (a fresh machine; or a state_dir lost or moved while the deny file kept its bans): the caller
    // rebuilds from what was last put in force, when there is any.
    const all = withJournal(db ?? emptyDb());
    return { db: all, recovered: false, missing: db === null, journal: journal !== null, pruned };
  } catch (e) {
    if (e instanceof AppError) throw e;
    ctx.log.error(`${(e as Error).message}`);
    try {
      const bak = tryLoad(`${file}.bak`);
      if (bak) {
        ctx.log.warn(`recovered the ban database from the last good copy ${file}.bak`);
        const all = withJournal(bak);
        return { db: all, recovered: true, missing: false, journal: journal !== null, pruned };
      }
    } catch (e2) {
      ctx.log.error(`${(e2 as Error).message}`);
    }
    ctx.log.warn(`rebuilding the ban database from ${ctx.config.denyFile}`);
    const all = withJournal(emptyDb());
    return { db: all, recovered: true, missing: false, journal: journal !== null, pruned };
  }
}

/** Adds the journal's bans to the database, leaving out those it already holds (same line: same ban). */
function mergeJournal(db: BanDb, extra: readonly Ban[]): BanDb {
  if (extra.length === 0) return db;
  const ips = new Set(extra.map((b) => b.ip));
  const seen = new Set<string>();
  for (const b of db.bans) if (ips.has(b.ip)) seen.add(encodeBanLine(b));
  const add: Ban[] = [];
  for (const b of extra) {
    const line = encodeBanLine(b);
    if (seen.has(line)) continue;
    seen.add(line);
    add.push(b);
  }
  return add.length ? { bans: [...db.bans, ...add], unbans: db.unbans } : db;
}

function readDenyFile(ctx: Context): { parsed: DenyFile | null; damaged: string | null } {
  const file = ctx.config.denyFile;
  let text = '';
  try {
    // latin1: one character per byte, so foreign lines in any encoding are written back byte for byte.
    text = readRegularFile(file, 'latin1');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new AppError(ExitCode.NoInput, `cannot read ${settingName(ctx.config, 'denyFile')} ${file}: ${(e as Error).message}`);
  }
  try {
    return { parsed: parseDenyFile(text, file), damaged: null };
  } catch (e) {
    if (e instanceof DamagedMarkersError) return { parsed: null, damaged: e.message };
    throw e;
  }
}

/** A ban taken from the deny file (`adopted`, `recovered`), or after a firewall-only database loss from the stamp. */
function adoptedBan(ctx: Context, ip: string, now: Date, rule: string, fromStamp = false): Ban {
  return {
    ip,
    rule,
    reason: rule === 'adopted' ? `found in ${path.basename(ctx.config.denyFile)}` : fromStamp ? "rebuilt from the last commit's stamp" : 'rebuilt from the deny file',
    failures: 0,
    source: fromStamp ? 'stamp' : 'hosts.deny',
    origin: 'adopted',
    node: ctx.config.nodeId,
    bannedAt: now,
    expiresAt: null,
    banCount: 1,
  };
}

/**
 * Runs `fn` inside the locked transaction. `fn` returns the new database (or the same object for "no
 * change") and a value for the caller. Whatever `fn` returns is saved and applied before the lock is released.
 */
/** What a transaction body returns: the new database, a result, and work to do once bans are safely written. */
export interface TxOutcome<T> {
  db: BanDb;
  result: T;
  /** Runs after the database and deny file are written, still under the lock (saving log positions). */
  afterCommit?: () => void;
  /**
   * Runs once the database and the deny file are written (a dry run: once the change is worked out), before
   * the firewall backends: the command's line about the change then comes before the backends' lines.
   */
  onSaved?: (applied: Applied) => void;
}

export async function withState<T>(ctx: Context, fn: (tx: StateTx) => Promise<TxOutcome<T>>): Promise<{ result: T; applied: Applied }> {
  return withStateLock(ctx, () => runTx(ctx, fn));
}

/**
 * Holds the state lock around `fn`, which may look at the stamp (lib/stamp.ts) and then either finish
 * without the database or run the transaction with runTx.
 */
export async function withStateLock<T>(ctx: Context, fn: () => Promise<T>): Promise<T> {
  const cfg = ctx.config;
  if (!ctx.dryRun) ensureStateDir(cfg.stateDir, settingName(cfg, 'stateDir'));
  else if (!fs.existsSync(cfg.stateDir)) {
    // Nothing to lock yet in a dry run on a fresh machine: work on an empty state.
    return fn();
  }
  // A run started by hand while cron's holds the lock would otherwise pause without a word.
  const onWait = (lock: string) => ctx.log.info(`waiting for the lock ${lock} (another autoban is running; giving up after lock_timeout = ${formatDuration(cfg.lockTimeoutSec)})`);
  return withLock(cfg.stateDir, cfg.lockTimeoutSec, fn, onWait);
}

/** The last commit's stamp, if it shows nothing changed since (see lib/stamp.ts); lock held. */
export const quickStamp = (ctx: Context, nowMs: number): ValidStamp | null => readStamp(ctx, dbFile(ctx), nowMs);

/** The transaction itself; the caller holds the lock (withState, withStateLock). */
export async function runTx<T>(ctx: Context, fn: (tx: StateTx) => Promise<TxOutcome<T>>): Promise<{ result: T; applied: Applied }> {
  const cfg = ctx.config;
  const now = ctx.clock.now();
  const whitelist = loadWhitelist(ctx);
  const dry = dryState(ctx);
  if (dry?.db && dry.targets) {
    // A later step of a dry run: start from what the earlier ones would have committed.
    const out = await fn({ db: dry.db, whitelist, now });
    const applied = dryCommit(ctx, dry, dry.targets, out.db, now, whitelist);
    out.onSaved?.(applied);
    return { result: out.result, applied };
  }
  const loaded = loadDb(ctx, now);
  let db = loaded.db;
  const deny = readDenyFile(ctx);
  const nowMs = now.getTime();
  const activeIps = new Set(activeBans(db, now).map((b) => b.ip));
  // Plain "ALL: ip" lines from the old tool or an admin become bans; after a database loss the managed
  // block (firewall-only: the stamp) is the best record of who was banned.
  // Only from a deny file autoban writes: one it never rewrites would keep its lines, and bring every
  // unbanned address back at the next commit.
  // One ban per address however often the file names it (the old tool could write a line twice, and an
  // address can be both in the block and on a plain line): the deny file and status show it once, and so
  // must the database. The managed block first: it is autoban's own record of the address.
  // A deny file with damaged markers (deny.parsed null) still lets a firewall-only rebuild use the stamp.
  const adopt: Ban[] = [];
  const take = (ip: string, rule: string, from: string, fromStamp = false) => {
    if (activeIps.has(ip)) return;
    activeIps.add(ip);
    adopt.push(adoptedBan(ctx, ip, now, rule, fromStamp));
    ctx.log.info(`adopted ${ip} from ${from}${rule === 'adopted' ? '' : ` (${rule})`}`); // an adopted ban's rule is 'adopted' itself
  };
  if (loaded.recovered || loaded.missing) {
    const lost = lostTargets(ctx, deny.parsed, loaded);
    if (loaded.missing && lost.ips.length) ctx.log.warn(`${dbFile(ctx)} is missing; rebuilding the ban database from ${lost.from} (${plural(lost.ips.length, 'ban')})`);
    for (const ip of lost.ips) take(ip, 'recovered', lost.from, lost.fromStamp);
  }
  if (deny.parsed && cfg.backends.includes('hostsdeny')) for (const ip of deny.parsed.adopted) take(ip, 'adopted', cfg.denyFile);
  if (adopt.length) db = { bans: [...db.bans, ...adopt], unbans: db.unbans };
  const before = previousTargets(ctx, deny.parsed, db, now, whitelist);
  const out = await fn({ db, whitelist, now });
  if (dry) {
    const applied = dryCommit(ctx, dry, before, out.db, now, whitelist);
    out.onSaved?.(applied);
    return { result: out.result, applied };
  }
  const newDb = pruneDb(out.db, now, cfg.historyRetentionSec);
  const active = activeBans(newDb, now, whitelist);
  const targets = active.map((b) => b.ip);
  const applied = diffTargets(active, before, whitelist);

  // A deny file that cannot be written (damaged markers, a symlink out of its directory) refuses the whole
  // change before anything is saved: a refused `ban` must not leave a ban in the database that the deny file
  // never got (and that a retry would count again as a repeat offence).
  const denyPath = cfg.backends.includes('hostsdeny') ? denyWritePath(ctx) : null;
  if (denyPath !== null && !deny.parsed) throw new AppError(ExitCode.DataErr, deny.damaged as string);
  // A change made after the lock was lost would race another run's commit: checked before each write.
  assertHeld(cfg.stateDir);
  // Unchanged database (the common cron run): nothing to serialise or compare.
  if (newDb !== loaded.db || loaded.recovered || loaded.journal || loaded.pruned) saveDb(ctx, newDb, loaded.recovered);
  if (denyPath !== null && deny.parsed) {
    applied.denyFileChanged = writeFileAtomic(denyPath, Buffer.from(renderDenyFile(deny.parsed, targets, { sorted: true }), 'latin1'), { mode: 0o644, keepOwner: true });
  }
  out.onSaved?.(applied);
  applied.backendErrors = await applyBackends(ctx, targets);
  // Saving log positions after a lost lock could skip lines the run that took it over has not committed.
  if (out.afterCommit) assertHeld(cfg.stateDir);
  out.afterCommit?.();
  // Also after a backend failure: no shortcut is taken with a firewall backend (lib/stamp.ts), and a
  // firewall-only commit must be compared against these targets, not against the ones before this commit.
  writeStamp(ctx, dbFile(ctx), newDb, active, nowMs);
  return { result: out.result, applied };
}

/** What a commit putting `active` in force changes against the targets `before` it. */
function diffTargets(active: readonly Ban[], before: ReadonlySet<string>, whitelist: Whitelist): Applied {
  // Nothing in force before (a node's first scan, with its thousands of bans): all are added, none lifted.
  if (before.size === 0) return { added: [...active], removed: [], whitelisted: new Set(), denyFileChanged: false, backendErrors: [] };
  const targetSet = new Set(active.map((b) => b.ip));
  const removed = [...before].filter((ip) => !targetSet.has(ip));
  return {
    added: active.filter((b) => !before.has(b.ip)),
    removed,
    whitelisted: new Set(removed.filter((ip) => isWhitelisted(ip, whitelist))),
    denyFileChanged: false,
    backendErrors: [],
  };
}

/** A dry run's commit: reports what would change and remembers the result for the run's later steps (DryState). */
function dryCommit(ctx: Context, dry: DryState, before: ReadonlySet<string>, db: BanDb, now: Date, whitelist: Whitelist): Applied {
  const newDb = pruneDb(db, now, ctx.config.historyRetentionSec);
  const active = activeBans(newDb, now, whitelist);
  dry.db = newDb;
  dry.targets = new Set(active.map((b) => b.ip));
  return diffTargets(active, before, whitelist);
}

/**
 * After a database loss (bans.json damaged with no good copy, or missing while a commit had been made): what
 * was last put in force, to rebuild as bans, so that no reported ban disappears. The deny file's managed
 * block when autoban writes it; else the last commit's stamp (firewall-only: the deny file is not written),
 * or a managed block left from an earlier configuration.
 */
function lostTargets(ctx: Context, deny: DenyFile | null, loaded: { db: BanDb; missing: boolean }): { ips: string[]; from: string; fromStamp: boolean } {
  const block = { ips: deny ? deny.managed : [], from: ctx.config.denyFile, fromStamp: false };
  const recorded = ctx.config.backends.includes('hostsdeny') ? null : committedTargets(ctx);
  const lost = recorded?.length ? { ips: recorded, from: `the last commit's record in ${ctx.config.stateDir}`, fromStamp: true } : block;
  if (!loaded.missing) return lost;
  // bans.json not written yet while the journal holds the bans (a fresh node whose first bans took the
  // quick path): an address the journal knows is no loss, even once its ban expired — rebuilding it would
  // turn a 1-day ban into a permanent one.
  const known = new Set(loaded.db.bans.map((b) => b.ip));
  return { ...lost, ips: lost.ips.filter((ip) => !known.has(ip)) };
}

/**
 * The targets the last commit put in force, against which this one's are reported as banned and lifted
 * (`expire: N bans lifted`, sync-pull's lines). With the hostsdeny backend, the deny file's managed block: it
 * is what is enforced, and it outlives a lost stamp or database. Without it the deny file is never written
 * (its block is empty, or stale from an earlier configuration) and the firewall is no record either (an admin
 * may have flushed it; re-blocking is no new ban, and the backends report it themselves), so the stamp's
 * targets. With no stamp (deleted, torn, the first run of this version) the database's own active set at
 * `now`: only what the command changes is reported, bans whose time ran out since go unreported, once, rather
 * than every ban being reported as new.
 */
function previousTargets(ctx: Context, deny: DenyFile | null, db: BanDb, now: Date, whitelist: Whitelist): Set<string> {
  if (ctx.config.backends.includes('hostsdeny')) return new Set(deny ? deny.managed : []);
  const recorded = committedTargets(ctx);
  return new Set(recorded ?? activeBans(db, now, whitelist).map((b) => b.ip));
}

/**
 * Where the deny file is really written. Renaming over a symlink would replace the link, so a link is
 * resolved; one that leads out of the deny file's directory (a planted link to /etc/shadow, say) is refused
 * unless follow_symlinks = true.
 */
export function denyWritePath(ctx: Context): string {
  const file = ctx.config.denyFile;
  let st: fs.Stats;
  try {
    st = fs.lstatSync(file);
  } catch {
    return file;
  }
  if (!st.isSymbolicLink()) return file;
  let real: string;
  try {
    real = fs.realpathSync(file);
  } catch {
    throw new AppError(ExitCode.CantCreate, `refusing to write ${file}: it is a dangling symlink`);
  }
  if (!ctx.config.followSymlinks && path.dirname(real) !== fs.realpathSync(path.dirname(file))) {
    throw new AppError(ExitCode.CantCreate, `refusing to write ${file}: it is a symlink to ${real}, outside ${path.dirname(file)} (set follow_symlinks = true if that is intended)`);
  }
  return real;
}

/**
 * Saves the database, keeping the previous good file as bans.json.bak, then removes the journal (bans.json
 * now holds its entries; a crash in between leaves entries in both, which loadDb counts once).
 */
function saveDb(ctx: Context, db: BanDb, recovered: boolean): void {
  const file = dbFile(ctx);
  const data = encodeDbBytes(db);
  let old: fs.Stats | null = null;
  try {
    old = fs.statSync(file);
  } catch {
    old = null;
  }
  if (!(old && old.size === data.length && fs.readFileSync(file).equals(data))) {
    if (old && !recovered) keepLastGood(file);
    writeFileAtomic(file, data, { mode: 0o600, changed: true });
  }
  removeJournal(journalFile(ctx.config.stateDir));
}

/**
 * Keeps the current (good: it loaded) database as bans.json.bak. A hard link costs nothing however big the
 * file is; the atomic rename that follows gives bans.json a new inode and leaves the link on the old one.
 */
function keepLastGood(file: string): void {
  const bak = `${file}.bak`;
  try {
    fs.rmSync(bak, { force: true });
    fs.linkSync(file, bak);
  } catch {
    // File systems without hard links: copy instead.
    writeFileAtomic(bak, fs.readFileSync(file), { mode: 0o600 });
  }
}

/**
 * Reads the database without the lock (status, sync-push): a consistent snapshot, since writes are atomic.
 * After a database loss it shows what the next commit will rebuild: the deny file's managed block.
 */
export function readState(ctx: Context): BanDb {
  const dry = dryState(ctx)?.db;
  if (dry) return dry;
  const now = ctx.clock.now();
  const loaded = loadDb(ctx, now);
  if (!loaded.recovered && !loaded.missing) return loaded.db;
  const deny = readDenyFile(ctx).parsed;
  const active = new Set(activeBans(loaded.db, now).map((b) => b.ip));
  const lost = lostTargets(ctx, deny, loaded);
  const rebuilt = [...new Set(lost.ips)].filter((ip) => !active.has(ip)).map((ip) => adoptedBan(ctx, ip, now, 'recovered', lost.fromStamp));
  return rebuilt.length ? { bans: [...loaded.db.bans, ...rebuilt], unbans: loaded.db.unbans } : loaded.db;
}

/** Convenience: change the database in the locked transaction. */
export async function updateState(ctx: Context, fn: (db: BanDb, now: Date) => BanDb): Promise<BanDb> {
  const { result } = await withState(ctx, async (tx) => {
    const db = fn(tx.db, tx.now);
    return { db, result: db };
  });
  return result;
}

/**
 * Logs what left the deny file and turns firewall failures into the exit code (after the deny file was written).
 * A target the whitelist now covers says so: "expired" would send the admin looking at ban_duration.
 */
export function reportApplied(ctx: Context, applied: Applied, removedVerb = 'removed'): void {
  for (const ip of applied.removed) {
    if (applied.whitelisted.has(ip)) ctx.log.info(`whitelisted: ${ip} (ban ${ctx.dryRun ? 'would be lifted' : 'lifted'})`);
    else ctx.log.info(`${ctx.dryRun ? `would be ${removedVerb}` : removedVerb}: ${ip}`);
  }
  if (applied.backendErrors.length) {
    throw new AppError(ExitCode.Backend, `firewall backend failed: ${applied.backendErrors.join('; ')} (the deny file was still updated)`);
  }
}
