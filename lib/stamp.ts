/**
 * What the last commit left behind, so that a run that changes nothing can skip the ban database.
 *
 * Most cron runs find no new offender and no ban whose time is up, yet loading, checking and re-rendering
 * tens of thousands of bans is what such a run used to spend its time on. Every commit writes stamp.txt:
 * the active targets, fingerprints (device, inode, size, mtime in ns) of the files that decide them (ban
 * database, deny file, whitelist), the settings that shape them, and the next moment the answer changes by
 * itself (a ban expires or starts, an unban leaves the retention). While all of that still holds, the
 * active targets are exactly the stamp's and there is nothing to expire or adopt. Anything else (an edited
 * deny file or whitelist, a crashed commit, another version) simply fails the check: the run then takes
 * the full path, so a stale stamp can cost time but never a ban.
 *
 * stamp.txt is a JSON header line followed by plain lines, read lazily: a run with nothing new to read
 * parses only the header. The body holds the active targets (sorted as the deny file is), then, for the
 * addresses of remembered bans that are not active, the highest ban count (repeat offenders' ban length), then
 * the unbans (address, epoch ms): what a scan needs to ban without opening the database (lib/quick-commit.ts).
 * A ban count is kept as steps (lib/bans.ts CountSteps: `3@<ms>,1`, each count until the end of retention of
 * the ban that holds it, a bare count for ever), read at the run's time: a ban reaching its end of retention
 * changes no answer and so is no reason for the full path; bans.json is pruned by the next full commit, and
 * until then every reader of it leaves such bans out (lib/state.ts loadDb).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checksum, checksumMatches } from './checksum';
import type { Context } from './context';
import type { Ban, BanDb, Unban } from './types';
import { type CountSteps, NO_STEPS, addCountStep, countAt, liveSteps, indexNetUnbans, retainedUntilMs } from './bans';
import { writeFileAtomic } from './atomic-write';
import { journalFile } from './ban-journal';
import { blockBytes } from './deny-file';
import { type Insertions, spliceLines } from './sorted-splice';
import { TargetRecords } from './target-lines';
import { collectContaining, sortByTarget } from './ip';
import { readRegularFile } from './regular-file';

/**
 * 3: the active targets as fixed-width records (lib/target-lines.ts), and the checksum covers the sizes too.
 * 4: an expiry section (when each active target leaves the active set, and its ban count) and otherChangeMs,
 * so that a run in which only bans ran out lifts them without the database (lib/quick-commit.ts commitExpiry).
 * 5: ban counts as steps that drop at each holder's end of retention (lib/bans.ts CountSteps), which is no
 * longer a change in nextChangeMs or otherChangeMs; an unban's change is when pruneDb drops it.
 */
const VERSION = 5;

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
   * The earliest change that is not an active target's end (a peer's ban from the future starting, an unban
   * leaving the retention, a ban ending while a longer one keeps its target in force); null: never.
   * nextChangeMs is the earlier of this and the expiry section's first time. A ban's end of retention is not
   * one: the counts are steps read at the run's time.
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
  /** Ban count steps of every remembered address that is not an active target (some may be over: read them with stampCount). */
  counts: Map<string, CountSteps>;
  /** Unban times (epoch ms) per address. */
  unbans: Map<string, number[]>;
  /**
   * The body's last section, unsplit: one line per active target that is not permanent, `<end ms, 16 digits>
   * <target> <its address's ban count steps>`, sorted by line (so by end time first). Read from its start only as far as
   * the bans that ran out (dueExpiries).
   */
  expiry: Buffer;
}

/** An active target's line in the expiry section: when it leaves the active set, and its address's ban count steps. */
export interface ExpiryRecord {
  ms: number;
  target: string;
  steps: CountSteps;
}

/** The ban count of `ip` at `nowMs` as the stamp's counts section keeps it (0: none remembered). */
export const stampCount = (c: StampContents, ip: string, nowMs: number): number => countAt(c.counts.get(ip) ?? NO_STEPS, nowMs);

/** Count steps as written: `3@1764000000000,1` (the last without a time: for ever). */
export const formatSteps = (steps: CountSteps): string => (steps.length === 1 ? stepText(steps[0] as CountSteps[number]) : steps.map(stepText).join(','));
const stepText = (x: CountSteps[number]): string => (x.untilMs === Infinity ? `${x.count}` : `${x.count}@${x.untilMs}`);

/** Count steps as formatSteps writes them; null when damaged (not ordered, not whole numbers). */
export function parseSteps(text: string): CountSteps | null {
  const out: { count: number; untilMs: number }[] = [];
  for (const part of text.split(',')) {
    const at = part.indexOf('@');
    const count = Number(at < 0 ? part : part.slice(0, at));
    const untilMs = at < 0 ? Infinity : Number(part.slice(at + 1));
    const prev = out[out.length - 1];
    if (!Number.isSafeInteger(count) || count < 1 || !(Number.isSafeInteger(untilMs) || untilMs === Infinity)) return null;
    if (prev && !(prev.untilMs < untilMs && prev.count > count)) return null;
    out.push({ count, untilMs });
  }
  return out;
}

/** The sort key of an expiry line (the line up to its count): end time first, then the target. */
const expiryKey = (ms: number, target: string): string => `${String(ms).padStart(16, '0')} ${target} `;
const expiryLine = (r: ExpiryRecord): string => `${String(r.ms).padStart(16, '0')} ${r.target} ${formatSteps(r.steps)}\n`;

/** The expiry section for `records` (any order). */
export function renderExpiries(records: readonly ExpiryRecord[]): Buffer {
  // A loop, not map: a full commit renders 17,600 of them in code that runs once (not optimised).
  const lines: string[] = new Array(records.length);
  for (let i = 0; i < records.length; i++) lines[i] = expiryLine(records[i] as ExpiryRecord);
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
    if (a !== 16 || b <= a + 1 || !Number.isSafeInteger(ms)) return null;
    if (ms > nowMs) break;
    const steps = parseSteps(line.slice(b + 1));
    if (!steps) return null;
    due.push({ ms, target: line.slice(a + 1, b), steps });
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

/**
 * What one ban adds to nextChangeMs: its expiry, or its start when from the future. Not its end of retention:
 * the count it holds is a step that drops then by itself (CountSteps).
 */
export function banChangeMs(b: Ban, nowMs: number): number {
  const exp = b.expiresAt ? b.expiresAt.getTime() : Infinity;
  let next = exp > nowMs ? exp : Infinity;
  const start = b.bannedAt.getTime() - 60_000; // a peer's ban from "the future" becomes active (see bans.ts)
  if (start > nowMs) next = Math.min(next, start);
  return next;
}

/**
 * The body's sections after the active targets: the ban counts (the steps still to come at `nowMs`; an address
 * whose count is 0 by then is left out), then the unbans (see the head's counts, unbans).
 */
function renderRest(c: Pick<StampContents, 'counts' | 'unbans'>, nowMs: number): { text: string; counts: number; unbans: number } {
  const out: string[] = [];
  let unbans = 0;
  for (const [ip, steps] of c.counts) {
    const live = liveSteps(steps, nowMs);
    if (live.length) out.push(`${ip} ${formatSteps(live)}`);
  }
  const counts = out.length;
  for (const [ip, list] of c.unbans) for (const at of list) out.push(`${ip} ${at}`), unbans++;
  return { text: out.length ? `${out.join('\n')}\n` : '', counts, unbans };
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
 * - `counts`: the ban count steps of every address with no active ban (the body's counts section);
 * - `records`: the expiry section, for each active target with no permanent ban, the end of its longest
 *   active ban (`active`'s own ban, as activeBans chose it) and its address's count steps;
 * - `nextChangeMs`: the earliest time the database's active set or what it keeps changes without new input
 *   (null: never; between two such moments the answer does not depend on the time, so adding bans can only
 *   bring it forward), and `otherChangeMs`: every such change except the ends in the expiry section. A ban's
 *   end of retention is neither: its count is a step that drops by itself, and the ban, left in bans.json
 *   by a short path, is pruned when the database is next loaded (lib/state.ts loadDb). An unban's is: from
 *   then on pruneDb drops it (its own retention over and every ban it may cancel forgotten).
 * `db` is pruned at `nowMs`. `active` is activeBans' answer for `db` at `nowMs`: per target the first ban in
 * the database's order among those lasting longest, which is the ban whose end ends the target.
 */
export function fullCommitPlan(db: BanDb, active: readonly Ban[], nowMs: number, retentionSec: number): { counts: Map<string, CountSteps>; records: ExpiryRecord[]; nextChangeMs: number | null; otherChangeMs: number | null } {
  const keep = retentionSec * 1000;
  const ending = new Map<string, Ban>();
  for (const b of active) ending.set(b.ip, b);
  // When each unban goes (pruneDb): its retention, or later the end of retention of the last ban it may cancel.
  // A network's unban is kept by the bans inside it too (lib/bans.ts liftingUnbans): indexed by prefix length.
  const unbansOf = new Map<string, Unban[]>();
  const goneMs = new Map<Unban, number>();
  let hasNets = false;
  for (const u of db.unbans) {
    const l = unbansOf.get(u.ip);
    if (l) l.push(u);
    else unbansOf.set(u.ip, [u]);
    goneMs.set(u, u.at.getTime() + keep);
    if (u.ip.includes('/')) hasNets = true;
  }
  const nets = hasNets ? indexNetUnbans(db.unbans) : null;
  const inside: Unban[][] = [];
  const counts = new Map<string, CountSteps>();
  const activeCounts = new Map<string, CountSteps>();
  let next = Infinity;
  let other = Infinity;
  for (const b of db.bans) {
    const own = ending.get(b.ip);
    const m = own === undefined ? counts : activeCounts;
    const until = retainedUntilMs(b, keep);
    const cur = m.get(b.ip) ?? NO_STEPS;
    const steps = addCountStep(cur, b.banCount, until);
    if (steps !== cur) m.set(b.ip, steps);
    const ev = banChangeMs(b, nowMs);
    if (ev < next) next = ev;
    // Its end is in the expiry section.
    if (own !== b && ev < other) other = ev;
    const us = unbansOf.get(b.ip);
    if (us) for (const u of us) if (b.bannedAt.getTime() <= u.at.getTime() && until > (goneMs.get(u) as number)) goneMs.set(u, until);
    if (nets !== null) {
      const n = collectContaining(nets, b.ip, inside);
      for (let i = 0; i < n; i++) for (const u of inside[i] as Unban[]) if (b.bannedAt.getTime() <= u.at.getTime() && until > (goneMs.get(u) as number)) goneMs.set(u, until);
    }
  }
  for (const t of goneMs.values()) {
    if (t > nowMs) {
      if (t < next) next = t;
      if (t < other) other = t;
    }
  }
  const records: ExpiryRecord[] = [];
  for (const b of active) if (b.expiresAt !== null) records.push({ ms: b.expiresAt.getTime(), target: b.ip, steps: activeCounts.get(b.ip) ?? [{ count: 1, untilMs: retainedUntilMs(b, keep) }] });
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
  const rest = renderRest({ counts, unbans }, nowMs);
  const list = TargetRecords.render(active);
  const head = { files: files(ctx, dbFile), committedAtMs: nowMs, recordedAtMs: nowMs, nextChangeMs: plan.nextChangeMs, otherChangeMs: plan.otherChangeMs, block };
  saveStamp(ctx, head, [list.bytes], Buffer.from(rest.text, 'latin1'), [renderExpiries(plan.records)], {
    active: active.length, counts: rest.counts, unbans: rest.unbans, v4: list.v4, w4: list.w4, w6: list.w6, expiring: plan.records.length,
  });
}

/** What a short-path commit that added bans changes in the stamp besides the list (lib/quick-commit.ts commitNewBans). */
export interface StampAfterBans {
  ins: Insertions;
  /** The new ban count steps when they changed (null: as they were). */
  counts: Map<string, CountSteps> | null;
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
  const rendered = counts ? renderRest({ counts, unbans: c.unbans }, nowMs) : null;
  const rest = rendered ? Buffer.from(rendered.text, 'latin1') : restOf(prev, c);
  const expiry = insertExpiries(c.expiry, a.expiries);
  const sizes = { counts: rendered ? rendered.counts : prev.head.counts, unbans: prev.head.unbans, expiring: prev.head.expiring + a.expiries.length };
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
 * the expiry section, the lifted addresses' count steps added. The record widths shrink as a full render's would
 * when the longest target of a family went (then, rarely, the list is written anew).
 */
export function writeStampAfterExpiry(ctx: Context, prev: ValidStamp, gone: { at: number[]; targets: string[] }, cut: number, counts: Map<string, CountSteps>, nextChangeMs: number | null, nowMs: number, block: number | undefined): void {
  const c = stampContents(prev) as StampContents;
  const { w4, w6 } = c.active;
  const rendered = renderRest({ counts, unbans: c.unbans }, nowMs);
  const rest = Buffer.from(rendered.text, 'latin1');
  const expiry = [c.expiry.subarray(cut)];
  const sizes = { counts: rendered.counts, unbans: prev.head.unbans, expiring: prev.head.expiring - gone.targets.length, active: c.active.length - gone.targets.length };
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
  const counts = new Map<string, CountSteps>();
  const unbans = new Map<string, number[]>();
  for (let i = 0; i < nc + nu; i++) {
    const line = lines[i] as string;
    const sp = line.indexOf(' ');
    if (sp <= 0) return null;
    const ip = line.slice(0, sp);
    if (i < nc) {
      const steps = parseSteps(line.slice(sp + 1));
      if (!steps) return null;
      counts.set(ip, steps);
      continue;
    }
    const v = Number(line.slice(sp + 1));
    if (!Number.isSafeInteger(v)) return null;
    const l = unbans.get(ip);
    if (l) l.push(v);
    else unbans.set(ip, [v]);
  }
  return { active: new TargetRecords(s.body, 0, v4, na - v4, w4, w6), counts, unbans, expiry: s.body.subarray(xFrom) };
}
