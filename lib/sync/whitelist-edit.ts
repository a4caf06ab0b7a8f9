/**
 * `autoban whitelist add|remove|list`: edits the shared whitelist when sync is on (the local file otherwise).
 * The store has no conditional writes, so an edit is read → change → write → read back after a short random
 * pause; if another edit overwrote ours in between, ours is applied again on top of theirs. Afterwards the
 * local copy is updated and the deny file re-rendered, so the change takes effect here at once.
 */
import { randomInt } from 'node:crypto';
import type { Context } from '../context';
import { writeFileAtomic } from '../atomic-write';
import { badTargetMessage } from '../ip';
import { AppError, ExitCode } from '../errors';
import { compareTargets } from '../bans';
import { reportApplied, withState } from '../state';
import { type Whitelist, canonicalEntry, checkWhitelistEntry, coveringEntries, isWhitelisted, parseWhitelist } from '../whitelist';
import { describeBan } from '../commands/scan';
import { type SharedWhitelist, renderWhitelist } from './legacy';
import { whitelistVerdict, writeWhitelistCopy } from './pull';
import { readVerified, withRetries } from './retry';
import { type SyncDeps, closeSession, openSession, reasonOf, syncFailure } from './session';
import { plural } from '../plural';
import { readRegularFile } from '../regular-file';
import { linkWriteTarget } from '../link-target';

export type WhitelistOp = 'add' | 'remove' | 'list';

export interface WhitelistResult {
  /** Where the list lives: the shared object or the local file. */
  location: string;
  entries: string[];
  changed: boolean;
  message: string;
  /** The edit did not do what was asked for (an address still whitelisted by a network): logged as a warning. */
  warn?: boolean;
}

const EDIT_ROUNDS = 4;
const SHARED_NOTE = 'Shared autoban whitelist: one IP address or CIDR network per line.\nChange it with `autoban whitelist add|remove`, or edit it and delete the first line.';

/**
 * Canonical address or network typed by a user, or a usage error. A network too wide to whitelist is refused
 * for add (the limit every whitelist reader applies: lib/whitelist.ts tooWideReason) but accepted for remove,
 * so a hand-edited line that scan ignores can be taken out the same way.
 */
function parseEntry(op: 'add' | 'remove', text: string | undefined): string {
  const typed = (text ?? '').trim();
  const c = checkWhitelistEntry(typed);
  if ('entry' in c) return c.entry;
  const wide = canonicalEntry(typed);
  if (op === 'remove' && wide) return wide;
  if (c.tooWide) throw new AppError(ExitCode.Usage, `whitelist ${op}: refusing ${c.error}`);
  throw new AppError(ExitCode.Usage, badTargetMessage(text ?? ''));
}

/** " (F line N)" for an entry of the local file; nothing for one of the shared copy (autoban renders it, lines shift). */
const placeOf = (where: string, lineNo: number | null) => (lineNo === null ? '' : ` (${where} line ${lineNo})`);

/** The networks other than `entry` that whitelist all of it, in words: "203.0.113.0/24 (F line 3)". */
function coverText(entry: string, wl: Whitelist, where: string, withLines: boolean, lineShift: (n: number) => number = (n) => n): string | null {
  const cov = coveringEntries(entry, wl);
  if (cov.length === 0) return null;
  return cov.map((c) => `${c.entry}${placeOf(where, withLines ? lineShift(c.lineNo) : null)}`).join(', ');
}

/**
 * What add or remove of `entry` does when a network in the list already covers it, or null: an add changes
 * nothing (the address is whitelisted already; a redundant line would only outlive the network by surprise),
 * and a remove cannot stop it being whitelisted, which the admin must hear rather than "not in".
 */
function coveredResult(op: 'add' | 'remove', entry: string, wl: Whitelist, where: string, withLines: boolean): Pick<WhitelistResult, 'message' | 'warn'> | null {
  const cover = coverText(entry, wl, where, withLines);
  if (!cover) return null;
  const first = coveringEntries(entry, wl)[0]?.entry as string;
  if (op === 'add') return { message: `${entry} is already whitelisted: ${cover} covers it; not added` };
  return {
    message: `${entry} is not in ${where} itself, but ${cover} covers it, so it stays whitelisted: removing ${entry} alone cannot change that (autoban whitelist remove ${first} removes the network)`,
    warn: true,
  };
}

function apply(entries: readonly string[], op: 'add' | 'remove', entry: string): string[] {
  return op === 'add' ? [...new Set([...entries, entry])].sort(compareTargets) : entries.filter((e) => e !== entry);
}

/** `whitelist list`'s count: "1 entry in", "2 entries in". */
const entriesIn = (n: number) => `${plural(n, 'entry', 'entries')} in`;

const done = (entries: readonly string[], op: 'add' | 'remove', entry: string) => (op === 'add' ? entries.includes(entry) : !entries.includes(entry));

/**
 * Local file edit: comments and the order of the other lines are kept byte for byte. Read and written as
 * latin1 (one char per byte), like the local deny file: entries are ASCII, and an admin's comment in any
 * encoding (a Latin-1 `# Büro`) survives instead of becoming U+FFFD.
 */
function editLocal(ctx: Context, op: WhitelistOp, entry: string | null): WhitelistResult {
  const file = ctx.config.whitelistFile;
  if (!file) throw new AppError(ExitCode.Config, `${ctx.config.file}: [DEFAULT] whitelist: not set, so there is no whitelist file to ${op === 'list' ? 'read' : 'edit'}`);
  let text = '';
  try {
    text = readRegularFile(file, 'latin1');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new AppError(ExitCode.NoInput, `cannot read ${file}: ${(e as Error).message}`);
  }
  // A UTF-8 byte order mark (Notepad) is not part of the first entry; read as UTF-8 it was trimmed away.
  const noBom = (t: string) => t.replace(/^\u00ef\u00bb\u00bf/, '');
  const canon = (line: string) => {
    const c = noBom(line).replace(/#.*/, '').trim();
    return c ? (canonicalEntry(c) ?? c) : null;
  };
  const wl = parseWhitelist(noBom(text), file).whitelist;
  const entries = wl.entries;
  if (op === 'list' || entry === null) return { location: file, entries, changed: false, message: `${entriesIn(entries.length)} ${file}` };
  const lines = text === '' ? [] : text.replace(/\n$/, '').split('\n');
  // Lines, not entries: a remove also takes out a line scan ignores (a network too wide to whitelist).
  const listed = op === 'add' ? entries.includes(entry) : lines.some((l) => canon(l) === entry);
  if (!listed) {
    const covered = coveredResult(op, entry, wl, file, true);
    if (covered) return { location: file, entries, changed: false, ...covered };
  }
  if (listed === (op === 'add')) return { location: file, entries, changed: false, message: `${entry} is ${op === 'add' ? 'already' : 'not'} in ${file}` };
  const next = op === 'add' ? [...lines, entry] : lines.filter((l) => canon(l) !== entry);
  if (!ctx.dryRun) writeFileAtomic(linkWriteTarget(file, ctx.config.followSymlinks), Buffer.from(`${next.join('\n')}\n`, 'latin1'), { mode: 0o644, keepOwner: true });
  const result: WhitelistResult = { location: file, entries: apply(entries, op, entry), changed: true, message: editMessage(op, entry, file, ctx.dryRun) };
  if (op === 'remove') {
    // Line numbers as the file reads after the edit (before it, in a dry run, which writes nothing).
    const gone = lines.map((l, i) => (canon(l) === entry ? i + 1 : 0)).filter((n) => n > 0);
    const shift = (n: number) => (ctx.dryRun ? n : n - gone.filter((g) => g < n).length);
    const still = coverText(entry, wl, file, true, shift);
    if (still) Object.assign(result, { message: `${result.message}; it stays whitelisted: ${still} covers it`, warn: true });
  }
  return result;
}

/** The shared copy's entries as a Whitelist (no line numbers worth quoting: autoban renders that object). */
const sharedList = (entries: readonly string[], name: string): Whitelist => parseWhitelist(entries.join('\n'), name).whitelist;

/** A remove's message, plus the networks that keep the address whitelisted all the same. */
function stillCovered(message: string, op: 'add' | 'remove', entry: string, entries: readonly string[], name: string): Pick<WhitelistResult, 'message' | 'warn'> {
  const still = op === 'remove' ? coverText(entry, sharedList(entries, name), name, false) : null;
  return still ? { message: `${message}; it stays whitelisted: ${still} covers it`, warn: true } : { message };
}

/** What an edit did, in the same words for the local file and the shared copy: "added X to F", "would remove X from F". */
function editMessage(op: 'add' | 'remove', entry: string, where: string, dryRun: boolean): string {
  return `${dryRun ? `would ${op}` : op === 'add' ? 'added' : 'removed'} ${entry} ${op === 'add' ? 'to' : 'from'} ${where}`;
}

/** Adds, removes or lists whitelist entries. `entry` is required for add/remove. */
export async function runWhitelistEdit(ctx: Context, op: WhitelistOp, entryText?: string, deps: SyncDeps = {}): Promise<WhitelistResult> {
  const entry = op === 'list' ? null : parseEntry(op, entryText);
  const s = openSession('whitelist', ctx, deps);
  let result: WhitelistResult;
  if (!s) {
    result = editLocal(ctx, op, entry);
  } else {
    try {
      const { store, key } = s.layout.whitelist;
      const name = store.describe(key);
      const read = async (): Promise<SharedWhitelist | null> => {
        const r = await readVerified(store, key, whitelistVerdict(name), s.policy, s.deadline);
        if (r.status === 'ok') return r.value;
        if (r.status === 'absent') return null;
        throw new Error(`${name}: ${r.reason}`);
      };
      let current = await read();
      // Read once: this edit writes the local copy only at its end.
      const local = ctx.config.whitelistFile ? editLocal(ctx, 'list', null).entries : [];
      // A blank shared copy (truncated upload, full disk) is not what anyone meant: sync-pull keeps the
      // last-known whitelist, and an edit starts from it too instead of wiping it on every node.
      const damaged = () => current !== null && current.blank && local.length > 0;
      if (damaged()) s.warn(`${name} is blank (no entry, no comment line: a truncated upload or a full disk?); starting from the last-known whitelist (${plural(local.length, 'entry', 'entries')})`);
      // No shared whitelist yet: it starts as this node's local one.
      const base = () => (current && !damaged() ? current.entries : local);
      let covered: Pick<WhitelistResult, 'message' | 'warn'> | null = null;
      if (op === 'list' || entry === null) {
        const note = !current ? ' (not created yet: showing the local whitelist)' : damaged() ? ' (the shared copy is blank: showing the last-known whitelist)' : '';
        result = { location: name, entries: base(), changed: false, message: `${entriesIn(base().length)} ${name}${note}` };
      } else if ((covered = base().includes(entry) ? null : coveredResult(op, entry, sharedList(base(), name), name, false))) {
        result = { location: name, entries: base(), changed: false, ...covered };
      } else if (done(base(), op, entry)) {
        result = { location: name, entries: base(), changed: false, message: `${entry} is ${op === 'add' ? 'already' : 'not'} in ${name}` };
      } else if (ctx.dryRun) {
        result = { location: name, entries: apply(base(), op, entry), changed: true, ...stillCovered(editMessage(op, entry, name, true), op, entry, base(), name) };
      } else {
        let confirmed = false;
        for (let round = 1; round <= EDIT_ROUNDS && !confirmed; round++) {
          const next = apply(base(), op, entry);
          const body = Buffer.from(renderWhitelist(next, ctx.config.nodeId, SHARED_NOTE));
          await withRetries(`writing ${name}`, (t) => store.put(key, body, { timeoutMs: t }), s.policy, s.deadline);
          await new Promise((r) => setTimeout(r, randomInt(100, 300) * round));
          current = await read();
          confirmed = current !== null && done(current.entries, op, entry);
        }
        if (!confirmed || !current) throw new Error(`${name}: another edit kept overwriting this one; try again`);
        result = { location: name, entries: current.entries, changed: true, ...stillCovered(editMessage(op, entry, name, false), op, entry, current.entries, name) };
        if (ctx.config.whitelistFile) {
          writeWhitelistCopy(ctx, ctx.config.whitelistFile, current.entries, name, 'autoban');
        }
      }
    } catch (e) {
      if (e instanceof AppError) throw e;
      throw syncFailure('whitelist', `${op}: ${reasonOf(e)}`);
    } finally {
      closeSession(s);
    }
  }
  // The edit is made (the file or the shared copy): said first, then what its commit lifts.
  if (result.warn) ctx.log.warn(`whitelist: ${result.message}`);
  else ctx.log.info(`whitelist: ${result.message}`);
  // Take effect here now: an address just whitelisted leaves the deny file, one just removed may return.
  if (result.changed && !ctx.dryRun) {
    const { applied } = await withState(ctx, async (tx) => ({ db: tx.db, result: undefined }));
    // Bans a remove puts back in force, in the words scan and ban use for a ban coming into force; before
    // reportApplied, which throws on a firewall backend error after its own lines.
    const removedEntry = op === 'remove' && entry !== null ? parseWhitelist(entry, '').whitelist : null;
    const now = ctx.clock.now();
    for (const b of applied.added) ctx.log.info(`banned ${describeBan(b, now)} (${removedEntry && isWhitelisted(b.ip, removedEntry) ? 'no longer whitelisted' : 'back in force'})`);
    reportApplied(ctx, applied, 'expired');
  }
  return result;
}
