/**
 * What the last commit left behind, so that a run that changes nothing can skip the ban database.
 *
 * Most cron runs find no new offender and no ban whose time is up, yet loading, checking and re-rendering
 * tens of thousands of bans is what such a run used to spend its time on. Every commit writes stamp.json:
 * the active targets, fingerprints (device, inode, size, mtime in ns) of the files that decide them (ban
 * database, deny file, whitelist), the settings that shape them, and the next moment the answer changes by
 * itself (a ban expires or starts, an old entry leaves the retention). While all of that still holds, the
 * active targets are exactly the stamp's and there is nothing to expire or adopt. Anything else (an edited
 * deny file or whitelist, a crashed commit, another version) simply fails the check: the run then takes
 * the full path, so a stale stamp can cost time but never a ban.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Context } from './context';
import type { BanDb } from './types';
import { writeFileAtomic } from './atomic-write';

const VERSION = 1;

interface Stamp {
  version: number;
  settings: string;
  files: { db: string; deny: string; whitelist: string };
  /** Epoch ms of the commit, and of the next change that needs no new input; null: never. */
  committedAtMs: number;
  nextChangeMs: number | null;
  active: string[];
}

const stampFile = (ctx: Context) => path.join(ctx.config.stateDir, 'stamp.json');

function fingerprint(file: string | null): string {
  if (!file) return '-';
  try {
    const st = fs.statSync(file, { bigint: true });
    return `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}`;
  } catch {
    return 'missing';
  }
}

function files(ctx: Context, dbFile: string): Stamp['files'] {
  return { db: fingerprint(dbFile), deny: fingerprint(ctx.config.denyFile), whitelist: fingerprint(ctx.config.whitelistFile) };
}

/** Settings that change what the active targets or the deny file are. */
const settings = (ctx: Context): string =>
  JSON.stringify([ctx.config.denyFile, ctx.config.whitelistFile, ctx.config.backends, ctx.config.historyRetentionSec, ctx.config.nodeId]);

/**
 * Only the deny file can be trusted to still hold what was written; a firewall backend is reconciled on every
 * run (someone may have flushed the rules), so with one configured there is no shortcut.
 */
const shortcutAllowed = (ctx: Context): boolean => !ctx.dryRun && ctx.config.backends.every((b) => b === 'hostsdeny' || b === 'none');

/** The earliest time the database's active set or contents change without new input (null: never). */
export function nextChange(db: BanDb, nowMs: number, retentionSec: number): number | null {
  let next = Infinity;
  const keep = retentionSec * 1000;
  for (const b of db.bans) {
    const exp = b.expiresAt ? b.expiresAt.getTime() : Infinity;
    if (exp > nowMs) next = Math.min(next, exp);
    else next = Math.min(next, exp + keep); // pruned after the retention
    const start = b.bannedAt.getTime() - 60_000; // a peer's ban from "the future" becomes active (see bans.ts)
    if (start > nowMs) next = Math.min(next, start);
  }
  // An older unban still cancels a remembered ban; it goes when that ban does.
  for (const u of db.unbans) if (u.at.getTime() + keep > nowMs) next = Math.min(next, u.at.getTime() + keep);
  return Number.isFinite(next) ? next : null;
}

/** Records a finished commit (called last, once the database, deny file and backends are written). */
export function writeStamp(ctx: Context, dbFile: string, db: BanDb, active: string[], nowMs: number): void {
  if (!shortcutAllowed(ctx)) return;
  const stamp: Stamp = {
    version: VERSION,
    settings: settings(ctx),
    files: files(ctx, dbFile),
    committedAtMs: nowMs,
    nextChangeMs: nextChange(db, nowMs, ctx.config.historyRetentionSec),
    active,
  };
  try {
    writeFileAtomic(stampFile(ctx), JSON.stringify(stamp), { mode: 0o600 });
  } catch (e) {
    // Only a shortcut is lost; make sure no old stamp outlives this commit.
    fs.rmSync(stampFile(ctx), { force: true });
    ctx.log.debug(`stamp: ${(e as Error).message}`);
  }
}

/**
 * The active targets (whitelisted ones left out) when nothing decided them changed since the last commit and
 * nothing expires before `nowMs`; null when the full path must run. Call with the state lock held.
 */
export function unchangedActiveTargets(ctx: Context, dbFile: string, nowMs: number): string[] | null {
  if (!shortcutAllowed(ctx)) return null;
  let s: Stamp;
  try {
    s = JSON.parse(fs.readFileSync(stampFile(ctx), 'utf8')) as Stamp;
  } catch {
    return null;
  }
  if (!s || s.version !== VERSION || s.settings !== settings(ctx) || !Array.isArray(s.active)) return null;
  if (!(nowMs >= s.committedAtMs) || (s.nextChangeMs !== null && !(nowMs < s.nextChangeMs))) return null;
  const now = files(ctx, dbFile);
  if (!s.files || now.db !== s.files.db || now.deny !== s.files.deny || now.whitelist !== s.files.whitelist) return null;
  return s.active;
}
