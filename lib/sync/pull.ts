/**
 * sync-pull: fetch the shared whitelist, every node's document and the shared hosts.deny (all outside the
 * state lock), then merge them into the local database in one short locked transaction, which re-renders
 * the deny file. Whatever could be read is merged even when the store fails half-way; the failure is then
 * reported with exit code 69 and the next run tries again.
 */
import * as path from 'node:path';
import type { Context } from '../context';
import { type Applied, loadWhitelist, reportApplied, setDryWhitelist, withState } from '../state';
import { writeFileAtomic } from '../atomic-write';
import { ensureStateDir } from '../lock';
import { settingName } from '../config';
import { parseWhitelist } from '../whitelist';
import { parseTarget } from '../ip';
import type { Ban } from '../types';
import { indexNetUnbans, liftingNetUnban } from '../bans';
import { nodeIdOfKey } from './layout';
import { type PeerDoc, adoptSharedLines, mergePeerDocs } from './merge';
import { decodeNodeDoc } from './node-doc';
import { type SharedHostsDeny, type SharedWhitelist, parseSharedHostsDeny, parseSharedWhitelist, renderWhitelist } from './legacy';
import { type ReadResult, type Verdict, readVerified, withRetries } from './retry';
import { type Session, type SyncDeps, type SyncResult, closeSession, mapLimit, openSession, reasonOf, syncFailure } from './session';
import { syncStateWriter } from './sync-state';
import { plural } from '../plural';
import { readRegularFile } from '../regular-file';
import { linkWriteTarget } from '../link-target';

/** At most this many bad entries are listed per object; the rest are counted. */
const MAX_ENTRY_WARNINGS = 5;
/** At most this many bad lines are listed per plain-text object (whitelist, hosts.deny); the rest are counted. */
const MAX_LINE_WARNINGS = 20;
/** A node document dated further ahead than this means a clock is off (NTP): warned about once per document. */
const MAX_CLOCK_AHEAD_MS = 5 * 60_000;
/** Parallel reads of node documents. */
const READ_CONCURRENCY = 6;

export function whitelistVerdict(name: string): (b: Buffer) => Verdict<SharedWhitelist> {
  return (bytes) => {
    const wl = parseSharedWhitelist(bytes.toString('utf8'), name);
    // A checksum mismatch is a torn copy or a hand edit below the header: trusted once it reads the same twice.
    return wl.integrity === 'verified' ? { kind: 'ok', value: wl } : { kind: 'unverified', value: wl };
  };
}

export function hostsDenyVerdict(name: string): (b: Buffer) => Verdict<SharedHostsDeny> {
  return (bytes) => {
    const hd = parseSharedHostsDeny(bytes.toString('utf8'), name);
    if (hd.integrity === 'verified') return { kind: 'ok', value: hd };
    if (hd.integrity === 'none') return { kind: 'unverified', value: hd };
    return { kind: 'bad', reason: 'the autoban block does not match its checksum (torn, mixed, or edited by hand)' };
  };
}

/**
 * Reports the problems of one object, a few lines at most, then a count of the rest: a poisoned 16 MB
 * object can hold ~100,000 of them. Node documents list 5 bad entries, plain-text objects 20 bad lines,
 * the node-document prefix 5 files that are not named like node documents (a copied backup, junk).
 */
export function reportCapped(s: Session, object: string, problems: string[], what: 'entries' | 'lines' | 'names'): void {
  const max = what === 'lines' ? MAX_LINE_WARNINGS : MAX_ENTRY_WARNINGS;
  for (const p of problems.slice(0, max)) s.warn(p);
  if (problems.length > max) s.warn(`${object}: ${problems.length - max} more ${what === 'names' ? 'files not named <node_id>.json' : `bad ${what}`} ignored`);
}

/** Why `object` was skipped (store messages name the object too: say it once); null when it was not. */
function skipReason(object: string, r: ReadResult<unknown>): string | null {
  if (r.status !== 'rejected' && r.status !== 'unreadable') return null;
  return r.reason.replace(new RegExp(`^(reading )?${object.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `), '');
}

function reportSkip(s: Session, object: string, r: ReadResult<unknown>, what: string): void {
  const reason = skipReason(object, r);
  // Poisoned and torn objects read the same to the operator: skipped this time, read again next run.
  if (reason !== null) s.warn(`skipped ${object} for this run: ${reason}; ${what}`);
}

/**
 * The entries of the local copy of the shared whitelist (the last one pulled, or this node's own before the
 * first pull); [] when there is none. One that cannot be read is exit 66 (loadWhitelist), not "none": that
 * would let a blank shared copy through.
 */
export const lastKnownWhitelist = (ctx: Context): string[] => loadWhitelist(ctx).entries;

/** Why a blank shared whitelist is not applied: it looks like damage, and applying it would unprotect every node. */
export function blankWhitelistWarning(name: string, bytes: number, kept: number): string {
  const what = bytes === 0 ? 'is empty (0 bytes: a truncated upload or a full disk?)' : `has no entries and no comment line (${plural(bytes, 'byte')}: damaged?)`;
  return `${name} ${what}; keeping the previous whitelist (${plural(kept, 'entry', 'entries')}). To clear the whitelist on purpose, leave a comment line in it`;
}

type FetchedDoc = PeerDoc & { errors: string[]; generatedAt: Date };

interface Fetched {
  whitelist: SharedWhitelist | null;
  whitelistAbsent: boolean;
  docs: PeerDoc[];
  hostsDeny: SharedHostsDeny | null;
  /** Set when the store failed or the deadline passed: the step ends with exit 69 after merging the rest. */
  failure: string | null;
}

async function fetchAll(s: Session): Promise<Fetched> {
  const { layout, policy, deadline, ctx } = s;
  const now = ctx.clock.now();
  const out: Fetched = { whitelist: null, whitelistAbsent: false, docs: [], hostsDeny: null, failure: null };
  try {
    const wlName = layout.whitelist.store.describe(layout.whitelist.key);
    const wl = await readVerified(layout.whitelist.store, layout.whitelist.key, whitelistVerdict(wlName), policy, deadline);
    if (wl.status === 'ok') {
      reportCapped(s, wlName, wl.value.warnings, 'lines');
      const known = wl.value.blank ? lastKnownWhitelist(s.ctx) : [];
      if (known.length) s.warn(blankWhitelistWarning(wlName, wl.bytes.length, known.length));
      else out.whitelist = wl.value;
    } else if (wl.status === 'absent') out.whitelistAbsent = true;

    const prefix = layout.nodes.prefix;
    let keys: string[];
    try {
      keys = await withRetries(`listing ${layout.nodes.store.describe(prefix)}`, (t) => layout.nodes.store.list(prefix, { timeoutMs: t }), policy, deadline);
    } catch (e) {
      // A store that cannot be reached fails the listing for the reason the whitelist was skipped: the
      // step's error line says it, once.
      const wlReason = skipReason(wlName, wl);
      if (wlReason !== null && !reasonOf(e).endsWith(`: ${wlReason}`)) reportSkip(s, wlName, wl, 'keeping the local whitelist');
      throw e;
    }
    reportSkip(s, wlName, wl, 'keeping the local whitelist');
    const docKeys: { key: string; node: string }[] = [];
    const badNames: string[] = [];
    for (const key of keys) {
      const node = nodeIdOfKey(prefix, key);
      if (node) docKeys.push({ key, node });
      else if (!key.endsWith('/')) badNames.push(`ignored ${layout.nodes.store.describe(key)}: not a node document name (<node_id>.json)`);
    }
    reportCapped(s, layout.nodes.store.describe(prefix), badNames, 'names');
    const results = await mapLimit(docKeys, READ_CONCURRENCY, async ({ key, node }) => {
      const name = layout.nodes.store.describe(key);
      const r = await readVerified(
        layout.nodes.store,
        key,
        (bytes): Verdict<PeerDoc> => {
          const d = decodeNodeDoc(bytes, name, node, now);
          if (!d.ok) return { kind: 'bad', reason: d.reason };
          // Entry errors are reported once the read is final (below), not on every retry.
          return { kind: 'ok', value: { object: key, events: d.events, errors: d.errors, generatedAt: d.generatedAt } as FetchedDoc };
        },
        policy,
        deadline,
      );
      return { name, node, r };
    });
    for (const { name, node, r } of results) {
      if (r.status === 'ok') {
        const doc = r.value as FetchedDoc;
        reportCapped(s, name, doc.errors, 'entries');
        const aheadMs = doc.generatedAt.getTime() - now.getTime();
        if (aheadMs > MAX_CLOCK_AHEAD_MS) {
          s.warn(
            `${name} is dated ${doc.generatedAt.toISOString()}, ${Math.round(aheadMs / 60_000)} min ahead of this node's clock: is the clock of ${node} (or this node) right? ` +
              'Its bans take effect here only from their own times, and its unbans cancel bans made here before them',
          );
        }
        out.docs.push({ object: doc.object, events: doc.events });
      } else reportSkip(s, name, r, `keeping everything already merged from ${node}`);
    }

    const hdName = layout.hostsDeny.store.describe(layout.hostsDeny.key);
    const hd = await readVerified(layout.hostsDeny.store, layout.hostsDeny.key, hostsDenyVerdict(hdName), policy, deadline);
    if (hd.status === 'ok') {
      out.hostsDeny = hd.value;
      reportCapped(s, hdName, hd.value.warnings, 'lines');
    } else reportSkip(s, hdName, hd, 'nothing adopted from it this run');
  } catch (e) {
    out.failure = reasonOf(e);
  }
  return out;
}

/** The local copy of the shared whitelist (what the state transaction reads), rewritten only when its entries changed. */
function writeLocalWhitelist(s: Session, wl: SharedWhitelist): void {
  const name = s.layout.whitelist.store.describe(s.layout.whitelist.key);
  const file = s.ctx.config.whitelistFile;
  if (!file) {
    if (wl.entries.length) s.warn(`${name} has ${plural(wl.entries.length, 'entry', 'entries')} but [DEFAULT] whitelist is not set, so they are not applied on this node`);
    return;
  }
  let current: string | null = null;
  try {
    current = readRegularFile(file, 'utf8');
  } catch {
    current = null;
  }
  if (current !== null) {
    const have = new Set(parseWhitelist(current, file).whitelist.entries.map((e) => parseTarget(e) ?? e));
    if (have.size === wl.entries.length && wl.entries.every((e) => have.has(e))) return;
  }
  if (s.ctx.dryRun) {
    s.ctx.log.info(`${s.step}: would update ${file} from ${name} (${plural(wl.entries.length, 'entry', 'entries')})`);
    // The commit below and the later steps of a dry run see the whitelist as the real run would have it.
    setDryWhitelist(s.ctx, wl.entries);
    return;
  }
  writeWhitelistCopy(s.ctx, file, wl.entries, name, 'autoban sync-pull');
  s.ctx.log.info(`${s.step}: updated ${file} from ${name} (${plural(wl.entries.length, 'entry', 'entries')})`);
}

/**
 * Writes `file`, this node's copy of the shared whitelist `name`, with `entries`: through a symlink to the
 * file it names (one on a bind mount, or kept by configuration management), as a local whitelist edit does.
 * Renaming over the link would replace it with a copy, and whoever reads the file it named would stop seeing
 * the shared whitelist's changes.
 */
export function writeWhitelistCopy(ctx: Context, file: string, entries: readonly string[], name: string, by: string): void {
  const text = renderWhitelist(entries, ctx.config.nodeId, `Copy of ${name}, written by ${by}.\nEdit the shared copy (autoban whitelist add|remove); this file is overwritten.`);
  // With no whitelist key the copy lives in state_dir, which a fresh node's first pull or edit comes before.
  if (path.dirname(file) === path.resolve(ctx.config.stateDir)) ensureStateDir(ctx.config.stateDir, settingName(ctx.config, 'stateDir'));
  writeFileAtomic(linkWriteTarget(file, ctx.config.followSymlinks), text, { mode: 0o644, keepOwner: true });
}

/**
 * For each of `targets`, the latest start among its bans still unexpired at `now`: a network's unban dated at or
 * after it lifted them all (a target whose last ban came after the unban was lifted for another reason). One
 * pass over the bans.
 */
function unexpiredStarts(bans: readonly Ban[], targets: readonly string[], now: Date): Map<string, number> {
  const want = new Set(targets);
  const out = new Map<string, number>();
  const nowMs = now.getTime();
  for (const b of bans) {
    if (!want.has(b.ip) || (b.expiresAt !== null && b.expiresAt.getTime() <= nowMs)) continue;
    const t = b.bannedAt.getTime();
    if (!((out.get(b.ip) ?? -Infinity) >= t)) out.set(b.ip, t);
  }
  return out;
}

/** sync-pull. Returns skipped when [sync] context = none; throws AppError(69) when the store failed. */
export async function syncPull(ctx: Context, deps: SyncDeps = {}): Promise<SyncResult> {
  const s = openSession('sync-pull', ctx, deps);
  if (!s) return { skipped: true, message: 'sync-pull: sync not configured ([sync] context = none)', warnings: [] };
  try {
    const fetched = await fetchAll(s);
    if (fetched.whitelist) writeLocalWhitelist(s, fetched.whitelist);

    const hdName = s.layout.hostsDeny.store.describe(s.layout.hostsDeny.key);
    const { result, applied } = await withState(ctx, async (tx) => {
      const merged = mergePeerDocs(tx.db, fetched.docs, { localNode: ctx.config.nodeId, now: tx.now, retentionSec: ctx.config.historyRetentionSec });
      let adopted: Ban[] = [];
      if (fetched.hostsDeny) {
        adopted = adoptSharedLines(merged.db, fetched.hostsDeny.foreign, { localNode: ctx.config.nodeId, now: tx.now, object: path.basename(s.layout.hostsDeny.key), whitelist: tx.whitelist });
      }
      const db = adopted.length ? { bans: [...merged.db.bans, ...adopted], unbans: merged.db.unbans } : merged.db;
      // Logged once saved and before the firewall backends' lines, so a backend error follows the bans it failed to enforce.
      const onSaved = (done: Applied) => {
        for (const b of adopted) ctx.log.info(`sync-pull: adopted ${b.ip} from ${hdName}`);
        for (const b of done.added) ctx.log.info(`sync-pull: ${ctx.dryRun ? 'would ban' : 'banned'} ${b.ip} (from node ${b.node}: ${b.reason})`);
        // The commit also lifts the bans whose time ran out (in `run`, before expire gets to them): those are
        // no unban, and saying "unbanned" would send the operator looking for who lifted them.
        // A ban inside a network a peer unbanned has no unban of its own: name the network and who lifted it.
        const unbanned = new Set(merged.addedUnbans.map((u) => u.ip));
        const netUnbans = merged.addedUnbans.some((u) => u.ip.includes('/')) ? indexNetUnbans(merged.addedUnbans) : null;
        const verb = ctx.dryRun ? 'would unban' : 'unbanned';
        const started = netUnbans ? unexpiredStarts(tx.db.bans, done.removed, tx.now) : null;
        for (const ip of done.removed) {
          const at = unbanned.has(ip) || done.whitelisted.has(ip) ? undefined : started?.get(ip);
          const net = at === undefined || !netUnbans ? null : liftingNetUnban(ip, at, netUnbans);
          if (unbanned.has(ip)) ctx.log.info(`sync-pull: ${verb} ${ip}`);
          else if (net) ctx.log.info(`sync-pull: ${verb} ${ip} (inside ${net.ip}, unbanned by node ${net.node})`);
          else ctx.log.info(`sync-pull: ${ctx.dryRun ? 'would lift' : 'lifted'} ${ip} (${done.whitelisted.has(ip) ? 'whitelisted' : 'expired'})`);
        }
      };
      return { db, result: { merged, adopted }, onSaved };
    });
    if (!ctx.dryRun) {
      const wlObject = s.layout.whitelist.store.describe(s.layout.whitelist.key);
      // Only remembered for sync-push: a failure to record it is a warning, the pull is done (see syncStateWriter).
      const w = syncStateWriter(ctx.config.stateDir, (m) => s.warn(m));
      if (fetched.whitelist) await w.update({ whitelistShared: { object: wlObject } });
      else if (fetched.whitelistAbsent) await w.update({ whitelistShared: null });
      w.finish();
    }
    const m = result.merged;
    const message =
      `sync-pull: read ${plural(fetched.docs.length, 'node document')}: ${plural(m.addedBans.length, 'new ban')}, ${plural(m.addedUnbans.length, 'new unban')}` +
      (result.adopted.length ? `, ${result.adopted.length} adopted from ${hdName}` : '') +
      `; ${ctx.config.backends.includes('hostsdeny') ? 'deny file' : 'banned set'} ${applied.added.length || applied.removed.length ? `+${applied.added.length} -${applied.removed.length}` : 'unchanged'}`;
    // A store that failed before any node document was read did no work to sum up: its error line is the
    // step's only line (the bans the commit lifted or added are logged above all the same).
    if (fetched.failure && fetched.docs.length) ctx.log.info(message);
    if (applied.backendErrors.length) {
      // A firewall failure (exit 71) outranks a sync failure: local protection is what matters most.
      if (fetched.failure) ctx.log.error(`sync-pull: ${fetched.failure}`);
      reportApplied(ctx, { ...applied, removed: [] });
    }
    if (fetched.failure) throw syncFailure('sync-pull', fetched.failure);
    return { skipped: false, message, warnings: s.warnings };
  } finally {
    closeSession(s);
  }
}
