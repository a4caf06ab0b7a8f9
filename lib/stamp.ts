/**
 * What the last commit left behind, so that a run that changes nothing can skip the ban database.
 *
 * Most cron runs find no new offender and no ban whose time is up, yet loading, checking and re-rendering
 * tens of thousands of bans is what such a run used to spend its time on. Every commit writes stamp.txt:
 * the active targets, fingerprints (device, inode, size, mtime in ns) of the files that decide them (ban
 * database, deny file, whitelist), the settings that shape them, and the next moment the answer changes by
 * itself (a ban expires or starts, an old entry leaves the retention). While all of that still holds, the
 * active targets are exactly the stamp's and there is nothing to expire or adopt. Anything else (an edited
 * deny file or whitelist, a crashed commit, another version) simply fails the check: the run then takes
 * the full path, so a stale stamp can cost time but never a ban.
 *
 * stamp.txt is a JSON header line followed by plain lines, read lazily: a run with nothing new to read
 * parses only the header. The body holds the active targets (sorted as the deny file is), then, for the
 * addresses of remembered bans that are not active, the highest ban count (repeat offenders' ban length), then
 * the unbans (address, epoch ms): what a scan needs to ban without opening the database (lib/quick-commit.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checksum, checksumMatches } from './checksum';
import type { Context } from './context';
import type { Ban, BanDb } from './types';
import { writeFileAtomic } from './atomic-write';
import { journalFile } from './ban-journal';
import { blockBytes } from './deny-file';
import { type Insertions, spliceLines } from './sorted-splice';
import { TargetRecords } from './target-lines';
import { sortByTarget } from './ip';
import { readRegularFile } from './regular-file';

/**
 * 3: the active targets as fixed-width records (lib/target-lines.ts), and the checksum covers the sizes too.
 * 4: an expiry section (when each active target leaves the active set, and its ban count) and otherChangeMs,
 * so that a run in which only bans ran out lifts them without the database (lib/quick-commit.ts commitExpiry).
 */
const VERSION = 4;

interface StampHead {
  version: number;
  settings: string;
  files: StampFiles;
  /** Epoch ms of the commit, and of the next change that needs no new input; null: never. */
  committedAtMs: number;
  nextChangeMs: number | null;
  /**
   * Epoch ms of the last commit that recorded bans (a full one, or a short-path one that added bans): an
   * offense from before it may be on record already. A short-path expiry records none and keeps it.
   */
  recordedAtMs: number;
  /**
   * The earliest change that is not an active target's end (a ban's end of retention, a peer's ban from the
   * future starting, an unban leaving the retention, a ban ending while a longer one keeps its target in
   * force); null: never. nextChangeMs is the earlier of this and the expiry section's first time.
   */
  otherChangeMs: number | null;
  /** Line counts of the body's sections: active targets, ban counts, unbans, expiries; and the expiry section's bytes. */
  active: number;
  counts: number;
  unbans: number;
  expiring: number;
  xb: number;
  /** How many active targets are IPv4 (they come first), and the record widths of each family (lib/target-lines.ts). */
  v4: number;
  w4: number;
  w6: number;
  /**
   * Checksum (lib/checksum.ts) of the sizes above and the body (see sumOf): a damaged body or header (or one
   * edited by hand) only costs the full path, never a ban.
   */
  sum: string;
  /** Length of the deny file's managed block as written (lib/deny-file.ts blockBytes); absent: not known. */
  block?: number;
}

export interface StampFiles {
  db: string;
  journal: string;
  deny: string;
  whitelist: string;
}

/** The body of a valid stamp: what the database says, as far as a scan needs it. */
export interface StampContents {
  /** Active targets, whitelisted ones left out, in deny-file order (lib/ip.ts sortByTarget): the body's first lines, unsplit. */
  active: TargetRecords;
  /** Highest banCount of every remembered address that is not an active target. */
  counts: Map<string, number>;
  /** Unban times (epoch ms) per address. */
  unbans: Map<string, number[]>;
  /**
   * The body's last section, unsplit: one line per active target that is not permanent, `<end ms, 16 digits>
   * <target> <highest ban count>`, sorted by line (so by end time first). Read from its start only as far as
   * the bans that ran out (dueExpiries).
   */
  expiry: Buffer;
}

/** An active target's line in the expiry section: when it leaves the active set, and its highest ban count. */
export interface ExpiryRecord {
  ms: number;
  target: string;
  count: number;
}

/** The sort key of an expiry line (the line up to its count): end time first, then the target. */
const expiryKey = (ms: number, target: string): string => `${String(ms).padStart(16, '0')} ${target} `;
const expiryLine = (r: ExpiryRecord): string => `${expiryKey(r.ms, r.target)}${r.count}\n`;

/** The expiry section for `records` (any order). */
export function renderExpiries(records: readonly ExpiryRecord[]): Buffer {
  const lines = records.map(expiryLine);
  lines.sort();
  return Buffer.from(lines.join(''), 'latin1');
}

/**
 * The records at the start of an expiry section whose time is up at `nowMs`, and the byte offset where the
 * rest starts; null when a line is damaged (the checksum passed, so only a hand-made stamp).
 */
export function dueExpiries(section: Buffer, nowMs: number): { due: ExpiryRecord[]; cut: number } | null {
  const due: ExpiryRecord[] = [];
  let pos = 0;
  while (pos < section.length) {
    const nl = section.indexOf(10, pos);
    if (nl < 0) return null;
    const line = section.toString('latin1', pos, nl);
    const a = line.indexOf(' ');
    const b = line.lastIndexOf(' ');
    const ms = Number(line.slice(0, a));
    const count = Number(line.slice(b + 1));
    if (a !== 16 || b <= a + 1 || !Number.isSafeInteger(ms) || !Number.isSafeInteger(count)) return null;
    if (ms > nowMs) break;
    due.push({ ms, target: line.slice(a + 1, b), count });
    pos = nl + 1;
  }
  return { due, cut: pos };
}

/** Byte offset of the first line of `section` whose key is not before `key` (lines sorted by key). */
function expiryLowerBound(section: Buffer, key: string): number {
  let lo = 0;
  let hi = section.length;
  while (lo < hi) {
    let s = (lo + hi) >>> 1;
    while (s > lo && section[s - 1] !== 10) s--;
    const e = section.indexOf(10, s);
    const line = section.toString('latin1', s, e);
    if (line.slice(0, line.lastIndexOf(' ') + 1) < key) lo = e + 1;
    else hi = s;
  }
  return lo;
}

/** `section` with `records` (targets not in it) put in their sorted places, as the pieces to write. */
export function insertExpiries(section: Buffer, records: readonly ExpiryRecord[]): Buffer[] {
  if (records.length === 0) return [section];
  const sorted = records.map((r) => ({ key: expiryKey(r.ms, r.target), line: expiryLine(r) })).sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
  const parts: Buffer[] = [];
  let copied = 0;
  for (const r of sorted) {
    const at = expiryLowerBound(section, r.key);
    parts.push(section.subarray(copied, at), Buffer.from(r.line, 'latin1'));
    copied = at;
  }
  parts.push(section.subarray(copied));
  return parts;
}

/** A stamp that held when it was read (under the lock): the database is unchanged since it was written. */
export interface ValidStamp {
  head: StampHead;
  /** The body, checked and parsed on demand by stampContents. */
  body: Buffer;
  contents?: StampContents | null;
}

const stampFile = (ctx: Context) => path.join(ctx.config.stateDir, 'stamp.txt');
/** What version 1 wrote; removed by the next full commit. */
const legacyStampFile = (ctx: Context) => path.join(ctx.config.stateDir, 'stamp.json');

function fingerprint(file: string | null): string {
  if (!file) return '-';
  try {
    const st = fs.statSync(file, { bigint: true });
    return `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}`;
  } catch {
    return 'missing';
  }
}

/** Fingerprints of the journal and the deny file, taken again after a commit wrote them. */
export function writtenFiles(ctx: Context, prev: StampFiles): StampFiles {
  return { db: prev.db, journal: fingerprint(journalFile(ctx.config.stateDir)), deny: fingerprint(ctx.config.denyFile), whitelist: prev.whitelist };
}

function files(ctx: Context, dbFile: string): StampFiles {
  return {
    db: fingerprint(dbFile),
    journal: fingerprint(journalFile(ctx.config.stateDir)),
    deny: fingerprint(ctx.config.denyFile),
    whitelist: fingerprint(ctx.config.whitelistFile),
  };
}

/** Bytes of the journal a stamp vouches for (from its fingerprint); 0 when there is none. */
export function journalBytes(s: ValidStamp): number {
  const parts = s.head.files.journal.split(':');
  return parts.length === 4 ? Number(parts[2]) : 0;
}

/** Settings that change what the active targets or the deny file are. */
const settings = (ctx: Context): string =>
  JSON.stringify([ctx.config.denyFile, ctx.config.whitelistFile, ctx.config.backends, ctx.config.historyRetentionSec, ctx.config.nodeId]);

/**
 * Only the deny file can be trusted to still hold what was written; a firewall backend is reconciled on every
 * run (someone may have flushed the rules), so with one configured there is no shortcut. The stamp is still
 * written then: it is the record of the last commit's targets (committedTargets).
 */
const shortcutAllowed = (ctx: Context): boolean => !ctx.dryRun && ctx.config.backends.every((b) => b === 'hostsdeny' || b === 'none');

/** What one ban adds to nextChangeMs: its expiry, its end of retention, or its start when from the future. */
export function banChangeMs(b: Ban, nowMs: number, keepMs: number): number {
  let next = Infinity;
  const exp = b.expiresAt ? b.expiresAt.getTime() : Infinity;
  if (exp > nowMs) next = exp;
  else next = exp + keepMs; // pruned after the retention
  const start = b.bannedAt.getTime() - 60_000; // a peer's ban from "the future" becomes active (see bans.ts)
  if (start > nowMs) next = Math.min(next, start);
  return next;
}

/** The body's sections after the active targets: the ban counts, then the unbans (see the head's counts, unbans). */
function renderRest(c: Pick<StampContents, 'counts' | 'unbans'>): { text: string; unbans: number } {
  const out: string[] = [];
  let unbans = 0;
  for (const [ip, n] of c.counts) out.push(`${ip} ${n}`);
  for (const [ip, list] of c.unbans) for (const at of list) out.push(`${ip} ${at}`), unbans++;
  return { text: out.length ? `${out.join('\n')}\n` : '', unbans };
}

type Sizes = Pick<StampHead, 'active' | 'counts' | 'unbans' | 'v4' | 'w4' | 'w6' | 'expiring' | 'xb'>;
type HeadFields = Omit<StampHead, 'version' | 'settings' | 'sum' | keyof Sizes>;

const sizesLine = (n: Sizes): Buffer => Buffer.from(`${n.active} ${n.counts} ${n.unbans} ${n.v4} ${n.w4} ${n.w6} ${n.expiring} ${n.xb}\n`);

/** The checksum of the sizes and the body (in pieces): the sizes say where the sections start. */
const sumOf = (n: Sizes, body: readonly Buffer[]): string => checksum([sizesLine(n), ...body]);

/** Writes the stamp: the active records, the counts and unbans, then the expiry section (each in pieces). */
function saveStamp(ctx: Context, head: HeadFields, list: readonly Buffer[], rest: Buffer, expiry: readonly Buffer[], n: Omit<Sizes, 'xb'>): void {
  const sizes: Sizes = { ...n, xb: expiry.reduce((k, b) => k + b.length, 0) };
  const body = [...list, rest, ...expiry];
  const full: StampHead = { version: VERSION, settings: settings(ctx), ...head, ...sizes, sum: sumOf(sizes, body) };
  const text = [Buffer.from(`${JSON.stringify(full)}\n`), ...body];
  try {
    // Not synced: an old, empty or torn stamp after a crash fails its checks (fingerprints, checksum), which
    // costs one full-path run and never a ban.
    writeFileAtomic(stampFile(ctx), text, { mode: 0o600, changed: true, durable: false });
  } catch (e) {
    // Only a shortcut is lost; make sure no old stamp outlives this commit.
    fs.rmSync(stampFile(ctx), { force: true });
    ctx.log.debug(`stamp: ${(e as Error).message}`);
  }
}

/**
 * What a full commit's stamp needs from the database, in one pass over its bans (a first scan's commit has
 * 17,600 of them, in code that runs once and so is not optimised: each pass cost several ms):
 * - `counts`: the highest ban count of every address with no active ban (the body's counts section);
 * - `records`: the expiry section, for each active target with no permanent ban, the end of its longest
 *   active ban (`active`'s own ban, as activeBans chose it) and the highest ban count of its address;
 * - `nextChangeMs`: the earliest time the database's active set or contents change without new input (null:
 *   never; between two such moments the answer does not depend on the time, so adding bans can only bring
 *   it forward), and `otherChangeMs`: every such change except the ends in
 *   the expiry section, for which the end of that ban's retention counts instead (a quick expiry does not
 *   prune: past that moment the full path runs).
 * `active` is activeBans' answer for `db` at `nowMs`: per target the first ban in the database's order among
 * those lasting longest, which is the ban whose end ends the target.
 */
export function fullCommitPlan(db: BanDb, active: readonly Ban[], nowMs: number, retentionSec: number): { counts: Map<string, number>; records: ExpiryRecord[]; nextChangeMs: number | null; otherChangeMs: number | null } {
  const keep = retentionSec * 1000;
  const ending = new Map<string, Ban>();
  for (const b of active) ending.set(b.ip, b);
  const counts = new Map<string, number>();
  const activeCounts = new Map<string, number>();
  let next = Infinity;
  let other = Infinity;
  for (const b of db.bans) {
    const own = ending.get(b.ip);
    const m = own === undefined ? counts : activeCounts;
    if (b.banCount > (m.get(b.ip) ?? 0)) m.set(b.ip, b.banCount);
    const ev = banChangeMs(b, nowMs, keep);
    if (ev < next) next = ev;
    // Its end is in the expiry section; after it, its retention.
    const o = own === b && b.expiresAt !== null ? b.expiresAt.getTime() + keep : ev;
    if (o < other) other = o;
  }
  // An older unban still cancels a remembered ban; it goes when that ban does.
  for (const u of db.unbans) {
    const t = u.at.getTime() + keep;
    if (t > nowMs) {
      if (t < next) next = t;
      if (t < other) other = t;
    }
  }
  const records: ExpiryRecord[] = [];
  for (const b of active) if (b.expiresAt !== null) records.push({ ms: b.expiresAt.getTime(), target: b.ip, count: activeCounts.get(b.ip) ?? 1 });
  return { counts, records, nextChangeMs: Number.isFinite(next) ? next : null, otherChangeMs: Number.isFinite(other) ? other : null };
}

/**
 * Records a finished full commit (called last, once the database, deny file and backends are written). With
 * firewall backends only it is written too: readStamp refuses the shortcut then, but runTx reads the targets
 * back (committedTargets) to tell what the next commit bans and lifts. With a firewall backend and hostsdeny
 * the deny file is that record, so none is kept (an old one would mislead a later firewall-only config).
 */
export function writeStamp(ctx: Context, dbFile: string, db: BanDb, activeBans: readonly Ban[], nowMs: number): void {
  if (ctx.dryRun) return;
  if (!shortcutAllowed(ctx) && ctx.config.backends.includes('hostsdeny')) {
    fs.rmSync(stampFile(ctx), { force: true });
    return;
  }
  fs.rmSync(legacyStampFile(ctx), { force: true });
  const active = activeBans.map((b) => b.ip);
  const plan = fullCommitPlan(db, activeBans, nowMs, ctx.config.historyRetentionSec);
  const counts = plan.counts;
  const unbans = new Map<string, number[]>();
  for (const u of db.unbans) {
    const l = unbans.get(u.ip);
    if (l) l.push(u.at.getTime());
    else unbans.set(u.ip, [u.at.getTime()]);
  }
  const block = ctx.config.backends.includes('hostsdeny') ? blockBytes(active) : undefined;
  const rest = renderRest({ counts, unbans });
  const list = TargetRecords.render(active);
  const head = { files: files(ctx, dbFile), committedAtMs: nowMs, recordedAtMs: nowMs, nextChangeMs: plan.nextChangeMs, otherChangeMs: plan.otherChangeMs, block };
  saveStamp(ctx, head, [list.bytes], Buffer.from(rest.text, 'latin1'), [renderExpiries(plan.records)], {
    active: active.length, counts: counts.size, unbans: rest.unbans, v4: list.v4, w4: list.w4, w6: list.w6, expiring: plan.records.length,
  });
}

/** What a short-path commit that added bans changes in the stamp besides the list (lib/quick-commit.ts commitNewBans). */
export interface StampAfterBans {
  ins: Insertions;
  /** The new ban counts when they changed (null: as they were). */
  counts: Map<string, number> | null;
  nextChangeMs: number | null;
  otherChangeMs: number | null;
  /** Expiry records of the new active targets that are not permanent. */
  expiries: ExpiryRecord[];
  block: number | undefined;
}

/**
 * Records a commit that only added bans (lib/quick-commit.ts): the new targets spliced into the old body's
 * sorted list (lib/sorted-splice.ts: the tens of thousands of lines already there are copied, not parsed and
 * printed again), `counts` when they changed, the files as now written, the earlier of the old next change
 * and what the new bans bring, the new targets' expiry records, and the managed block's new length.
 */
export function writeStampAfterBans(ctx: Context, prev: ValidStamp, a: StampAfterBans, nowMs: number): void {
  const c = stampContents(prev) as StampContents; // parsed by the caller: the short path needs it
  const { ins, counts } = a;
  const { w4, w6 } = c.active;
  const rest = counts ? Buffer.from(renderRest({ counts, unbans: c.unbans }).text, 'latin1') : restOf(prev, c);
  const expiry = insertExpiries(c.expiry, a.expiries);
  const sizes = { counts: (counts ?? c.counts).size, unbans: prev.head.unbans, expiring: prev.head.expiring + a.expiries.length };
  const head = { files: writtenFiles(ctx, prev.head.files), committedAtMs: nowMs, recordedAtMs: nowMs, nextChangeMs: a.nextChangeMs, otherChangeMs: a.otherChangeMs, block: a.block };
  if (ins.targets.some((t) => t.length >= (t.includes(':') ? w6 : w4))) {
    // A target longer than its family's records (a first network ban, say): the list is written anew, wider.
    const list = TargetRecords.render(sortByTarget([...c.active.toArray(), ...ins.targets], (t) => t));
    saveStamp(ctx, head, [list.bytes], rest, expiry, { ...sizes, active: c.active.length + ins.targets.length, v4: list.v4, w4: list.w4, w6: list.w6 });
    return;
  }
  const list = spliceLines(prev.body.subarray(0, c.active.to), ins, (t) => TargetRecords.record(t, w4, w6).slice(0, -1));
  const v4 = c.active.v4 + ins.targets.filter((t) => !t.includes(':')).length;
  saveStamp(ctx, head, list, rest, expiry, { ...sizes, active: c.active.length + ins.targets.length, v4, w4, w6 });
}

/** The counts and unbans sections of a parsed stamp, as bytes. */
const restOf = (s: ValidStamp, c: StampContents): Buffer => s.body.subarray(c.active.to, s.body.length - c.expiry.length);

/**
 * Records a short-path commit that lifted the targets whose time was up (lib/quick-commit.ts commitExpiry):
 * `gone` (the records' byte offsets in the list, ascending) cut out of the list, `cut` bytes off the front of
 * the expiry section, the lifted addresses' counts added. The record widths shrink as a full render's would
 * when the longest target of a family went (then, rarely, the list is written anew).
 */
export function writeStampAfterExpiry(ctx: Context, prev: ValidStamp, gone: { at: number[]; targets: string[] }, cut: number, counts: Map<string, number>, nextChangeMs: number | null, nowMs: number, block: number | undefined): void {
  const c = stampContents(prev) as StampContents;
  const { w4, w6 } = c.active;
  const rest = Buffer.from(renderRest({ counts, unbans: c.unbans }).text, 'latin1');
  const expiry = [c.expiry.subarray(cut)];
  const sizes = { counts: counts.size, unbans: prev.head.unbans, expiring: prev.head.expiring - gone.targets.length, active: c.active.length - gone.targets.length };
  const head = { files: writtenFiles(ctx, prev.head.files), committedAtMs: nowMs, recordedAtMs: prev.head.recordedAtMs, nextChangeMs, otherChangeMs: prev.head.otherChangeMs, block };
  const goneV4 = gone.targets.filter((t) => !t.includes(':')).length;
  const v4 = c.active.v4 - goneV4;
  const v6 = sizes.active - v4;
  // Does a record of the family still fill its width (its last character before the newline is not padding)?
  const full = (fromAt: number, toAt: number, w: number) => {
    const skip = new Set(gone.at);
    for (let s = fromAt; s < toAt; s += w) if (!skip.has(s) && c.active.buf[s + w - 2] !== 32) return true;
    return false;
  };
  const v6From = c.active.from + c.active.v4 * w4;
  const narrower =
    (v4 === 0 ? w4 !== 1 : gone.targets.some((t) => !t.includes(':') && t.length === w4 - 1) && !full(c.active.from, v6From, w4)) ||
    (v6 === 0 ? w6 !== 1 : gone.targets.some((t) => t.includes(':') && t.length === w6 - 1) && !full(v6From, c.active.to, w6));
  if (narrower) {
    const left = new Set(gone.targets);
    const list = TargetRecords.render(c.active.toArray().filter((t) => !left.has(t)));
    saveStamp(ctx, head, [list.bytes], rest, expiry, { ...sizes, v4: list.v4, w4: list.w4, w6: list.w6 });
    return;
  }
  const parts: Buffer[] = [];
  let copied = c.active.from;
  for (const at of gone.at) {
    parts.push(c.active.buf.subarray(copied, at));
    copied = at + (at < v6From ? w4 : w6);
  }
  parts.push(c.active.buf.subarray(copied, c.active.to));
  saveStamp(ctx, head, parts, rest, expiry, { ...sizes, v4, w4, w6 });
}

/** How readStamp judges the stamp's next change: a shortcut needs nothing due; an expiry needs only ends of targets due. */
export type StampUse = 'unchanged' | 'expiry';

/**
 * The stamp, when nothing that decided the active targets changed since the last commit and nothing expires
 * before `nowMs` (`use` 'expiry': nothing but the ends of active targets, which commitExpiry lifts); null when
 * the full path must run. Only the header is parsed. Call with the state lock held.
 */
export function readStamp(ctx: Context, dbFile: string, nowMs: number, use: StampUse = 'unchanged'): ValidStamp | null {
  if (!shortcutAllowed(ctx)) return null;
  const stamp = readStampFile(ctx);
  if (!stamp) return null;
  const s = stamp.head;
  if (s.settings !== settings(ctx)) return null;
  if (!(nowMs >= s.committedAtMs)) return null;
  const due = s.nextChangeMs !== null && !(nowMs < s.nextChangeMs);
  if (use === 'unchanged' ? due : !due || (s.otherChangeMs !== null && !(nowMs < s.otherChangeMs))) return null;
  const now = files(ctx, dbFile);
  const f = s.files;
  if (!f || now.db !== f.db || now.journal !== f.journal || now.deny !== f.deny || now.whitelist !== f.whitelist) return null;
  return stamp;
}

/** The stamp file split into its header (this version's) and body; null when missing or unreadable. */
function readStampFile(ctx: Context): ValidStamp | null {
  let text: Buffer;
  try {
    text = readRegularFile(stampFile(ctx));
  } catch {
    return null;
  }
  const nl = text.indexOf(10);
  let head: StampHead;
  try {
    head = JSON.parse(text.toString('utf8', 0, nl)) as StampHead;
  } catch {
    return null;
  }
  if (!head || head.version !== VERSION) return null;
  return { head, body: text.subarray(nl + 1) };
}

/**
 * The active targets of the last commit that wrote a stamp, whatever changed since (no fingerprint or
 * settings check: this is a record of what was in force, not a shortcut); null when there is no stamp or it
 * is damaged. Call with the state lock held.
 */
export function committedTargets(ctx: Context): string[] | null {
  const stamp = readStampFile(ctx);
  return stamp ? (parseBody(stamp)?.active.toArray() ?? null) : null;
}

/** The stamp's body, parsed once; null when it is damaged (then the full path runs). */
export function stampContents(s: ValidStamp): StampContents | null {
  if (s.contents !== undefined) return s.contents;
  s.contents = parseBody(s);
  return s.contents;
}

function parseBody(s: ValidStamp): StampContents | null {
  const { active: na, counts: nc, unbans: nu, v4, w4, w6, expiring: ne, xb } = s.head;
  if (![na, nc, nu, v4, ne, xb].every((v) => Number.isSafeInteger(v) && v >= 0) || ![w4, w6].every((w) => Number.isSafeInteger(w) && w >= 1 && w <= 64) || v4 > na || ne > na) return null;
  const ab = v4 * w4 + (na - v4) * w6;
  if (ab + xb > s.body.length || !checksumMatches([sizesLine(s.head), s.body], s.head.sum)) return null;
  // The active records are searched where they lie (lib/target-lines.ts), the expiry section read from its
  // start as far as needed (dueExpiries); only the short sections between them are split.
  const xFrom = s.body.length - xb;
  if (xb > 0 && s.body[xFrom - 1] !== 10 && xFrom !== ab) return null;
  const lines = s.body.toString('latin1', ab, xFrom).split('\n');
  if (lines.length !== nc + nu + 1 || lines[lines.length - 1] !== '') return null;
  const counts = new Map<string, number>();
  const unbans = new Map<string, number[]>();
  for (let i = 0; i < nc + nu; i++) {
    const line = lines[i] as string;
    const sp = line.indexOf(' ');
    const v = Number(line.slice(sp + 1));
    if (sp <= 0 || !Number.isSafeInteger(v)) return null;
    const ip = line.slice(0, sp);
    if (i < nc) counts.set(ip, v);
    else {
      const l = unbans.get(ip);
      if (l) l.push(v);
      else unbans.set(ip, [v]);
    }
  }
  return { active: new TargetRecords(s.body, 0, v4, na - v4, w4, w6), counts, unbans, expiry: s.body.subarray(xFrom) };
}
