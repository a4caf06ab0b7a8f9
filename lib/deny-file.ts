/**
 * The TCP-wrappers deny file. autoban owns only the lines between its markers; every other line is
 * kept byte for byte. Rendering is pure and sorted, in the syntax mod_wrap2 and libwrap both accept:
 * `ALL: 192.0.2.7`, `ALL: 192.0.2.0/255.255.255.0`, `ALL: [2001:db8::7]`, `ALL: [2001:db8:1:2::]/64`.
 */
import { parseIp, parseNet, parseTarget, formatNet, sortByTarget, unbannableReason, v4At } from './ip';
import { type Insertions, deletionPoints, insertionPointsIn, spliceLines, spliceOutLines } from './sorted-splice';
import { bytesOf } from './atomic-write';
import { type SortedTargets, TargetLines } from './target-lines';

export const BEGIN_MARKER = '# BEGIN autoban -- managed by autoban, edits between these markers are overwritten';
export const END_MARKER = '# END autoban';

export interface DenyFile {
  /** Lines before the managed block (or all foreign lines when there is none yet), minus adopted ones. */
  before: string[];
  after: string[];
  /** Targets in the managed block. */
  managed: string[];
  /** Plain `ALL: ip` lines outside the block (from the tool autoban replaces, or an admin): adopted as bans. */
  adopted: string[];
}

/** Thrown when the markers are damaged: rewriting would risk an admin's lines, so autoban refuses. */
export class DamagedMarkersError extends Error {}

/** Parses a deny-file entry (`192.0.2.7`, `[2001:db8::7]`, `192.0.2.0/255.255.255.0`, `…/24`) to a target. */
export function parseDenyTarget(text: string): string | null {
  let t = text;
  const v6 = /^\[([0-9A-Fa-f:.]+)\](?:\/(\d{1,3}))?$/.exec(t);
  if (v6) t = v6[2] ? `${v6[1]}/${v6[2]}` : (v6[1] as string);
  const mask = /^([\d.]+)\/(\d+\.\d+\.\d+\.\d+)$/.exec(t);
  if (mask) {
    const m = parseNet(mask[2] as string);
    if (!m) return null;
    const bits = m.addr.toString(2).padStart(32, '0');
    if (!/^1*0*$/.test(bits)) return null;
    t = `${mask[1]}/${bits.indexOf('0') < 0 ? 32 : bits.indexOf('0')}`;
  }
  return parseTarget(t);
}

/** A plain `ALL: <target>` line (what the old tool wrote, and what autoban writes). */
export const ALL_LINE = /^ALL\s*:\s*(\S+)\s*$/;

/** Splits deny-file text into foreign lines, the managed block and adoptable lines. */
export function parseDenyFile(text: string, file: string): DenyFile {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const begins = lines.flatMap((l, i) => (l.trimEnd() === BEGIN_MARKER ? [i] : []));
  const ends = lines.flatMap((l, i) => (l.trimEnd() === END_MARKER ? [i] : []));
  if (begins.length > 1 || ends.length > 1 || begins.length !== ends.length || (begins[0] ?? 0) > (ends[0] ?? 0)) {
    throw new DamagedMarkersError(
      `${file}: the autoban markers are damaged (found ${begins.length} BEGIN and ${ends.length} END lines); fix them by hand — autoban will not rewrite the file until then`,
    );
  }
  const managed: string[] = [];
  const adopted: string[] = [];
  const pick = (ls: string[]) =>
    ls.filter((l) => {
      const m = ALL_LINE.exec(l.replace(/\r$/, ''));
      const t = m ? parseDenyTarget(m[1] as string) : null;
      // An admin's own `ALL: 127.0.0.1` is theirs to keep: autoban never bans such targets (unbannableReason).
      if (!t || unbannableReason(t) !== null) return true;
      adopted.push(t);
      return false;
    });
  if (begins.length === 0) return { before: pick(lines), after: [], managed, adopted };
  const b = begins[0] as number;
  const e = ends[0] as number;
  for (const l of lines.slice(b + 1, e)) {
    // What autoban writes for an IPv4 address (nearly every line of a big block) needs no regex.
    if (l.startsWith('ALL: ') && v4At(l, 5, l.length) >= 0) {
      managed.push(l.slice(5));
      continue;
    }
    const m = ALL_LINE.exec(l);
    const t = m ? parseDenyTarget(m[1] as string) : null;
    if (t) managed.push(t);
  }
  return { before: pick(lines.slice(0, b)), after: pick(lines.slice(e + 1)), managed, adopted };
}

/** One deny-file line for a target. */
export function denyLine(target: string): string {
  // Plain addresses (nearly every ban) are already canonical: no need to parse them again.
  if (!target.includes('/')) {
    if (v4At(target, 0, target.length) < 0 && parseIp(target) !== target) throw new Error(`not a ban target: ${target}`);
    return target.includes(':') ? `ALL: [${target}]` : `ALL: ${target}`;
  }
  const net = parseNet(target);
  if (!net) throw new Error(`not a ban target: ${target}`);
  const full = net.family === 4 ? 32 : 128;
  if (net.family === 6) {
    const addr = formatNet({ ...net, prefix: full });
    return net.prefix === full ? `ALL: [${addr}]` : `ALL: [${addr}]/${net.prefix}`;
  }
  if (net.prefix === full) return `ALL: ${target}`;
  const mask = formatNet({ family: 4, addr: ((1n << 32n) - 1n) ^ ((1n << BigInt(32 - net.prefix)) - 1n), prefix: 32 });
  return `ALL: ${formatNet({ ...net, prefix: 32 })}/${mask}`;
}

/** Renders the whole file: foreign lines as they were, then the managed block with `targets` (sorted; `sorted`: they already are). */
export function renderDenyFile(parsed: Pick<DenyFile, 'before' | 'after'>, targets: readonly string[], opts: { sorted?: boolean } = {}): string {
  // A commit passes its active targets already in this order (lib/bans.ts activeBans): no need to sort again.
  const sorted = opts.sorted ? targets : sortByTarget(targets, (t) => t);
  const block = [BEGIN_MARKER, ...sorted.map(denyLine), END_MARKER];
  return `${[...parsed.before, ...block, ...parsed.after].join('\n')}\n`;
}

/** Length of denyLine(target) with its newline, without building it for plain addresses. */
export function denyLineBytes(target: string): number {
  if (target.includes('/')) return denyLine(target).length + 1;
  return target.includes(':') ? target.length + 8 : target.length + 6;
}

/** Bytes of the lines renderDenyFile writes for `targets` inside the managed block (newlines included). */
export function blockBytes(targets: readonly string[]): number {
  let n = 0;
  for (let i = 0; i < targets.length; i++) n += denyLineBytes(targets[i] as string);
  return n;
}

/** The managed block of a deny file as located by managedBlockAt: bytes [from, to) hold its lines. */
export interface ManagedBlock {
  from: number;
  to: number;
}

const BEGIN_LINE = Buffer.from(`${BEGIN_MARKER}\n`);
const BEGIN_AFTER_LINE = Buffer.from(`\n${BEGIN_MARKER}\n`);
const END_LINE = Buffer.from(`${END_MARKER}\n`);

/** True when `buf` holds `line` and a newline at `at`. */
function lineAt(buf: Buffer, at: number, line: string): boolean {
  return at >= 0 && at + line.length < buf.length && buf[at + line.length] === 10 && buf.toString('latin1', at, at + line.length) === line;
}

/**
 * Where the managed block's lines are in `buf`, when it holds the lines renderDenyFile writes for `targets`;
 * null otherwise. The caller knows the file is the one written for these targets (its fingerprint: device,
 * inode, size, mtime in ns); this is the consistency check, kept to what costs nothing per line: the markers,
 * the block's length, and its first and last lines. `bytes`, when the caller knows it (the stamp records it),
 * saves adding up tens of thousands of line lengths in a run that bans a few addresses.
 */
export function managedBlockAt(buf: Buffer, targets: SortedTargets, bytes?: number): ManagedBlock | null {
  const begin = buf.subarray(0, BEGIN_LINE.length).equals(BEGIN_LINE) ? 0 : buf.indexOf(BEGIN_AFTER_LINE);
  if (begin < 0) return null;
  const from = begin === 0 ? BEGIN_LINE.length : begin + BEGIN_LINE.length + 1;
  const to = from + (bytes ?? blockBytes(targets.toArray()));
  if (to + END_LINE.length > buf.length || !buf.subarray(to, to + END_LINE.length).equals(END_LINE)) return null;
  if (targets.length === 0) return to === from ? { from, to } : null;
  const first = denyLine(targets.first() as string);
  const last = denyLine(targets.last() as string);
  const lastAt = to - last.length - 1;
  if (!lineAt(buf, from, first) || !lineAt(buf, lastAt, last) || !(lastAt === from || (lastAt > from && buf[lastAt - 1] === 10))) return null;
  return { from, to };
}

/** The target a managed line holds (`ALL: [2001:db8::1]` → `2001:db8::1`); plain IPv4 lines need no parsing. */
function blockLineTarget(line: string): string {
  const t = line.slice(5);
  return t.includes('[') || t.includes('/') ? (parseDenyTarget(t) ?? t) : t;
}

/**
 * Adds targets to a deny file that renderDenyFile wrote for `targets` (its block located by managedBlockAt;
 * `ins`: where they go in `targets`): the new lines go to their sorted places and nothing else is touched,
 * which gives byte for byte what renderDenyFile would for both lists together. Lines outside the block are
 * kept as bytes, whatever their encoding. The file comes back as the pieces to write in order.
 */
export function spliceDenyFile(buf: Buffer, block: ManagedBlock, targets: SortedTargets, ins: Insertions): { parts: Buffer[]; blockTo: number } {
  const lines = new TargetLines(buf, block.from, block.to, targets.length, blockLineTarget);
  const parts = spliceLines(buf, insertionPointsIn(lines, targets, ins), denyLine);
  return { parts, blockTo: bytesOf(parts) - (buf.length - block.to) };
}

/**
 * Takes `gone` (sorted, each in the block) out of a deny file that renderDenyFile wrote for `targets` (its block
 * located by managedBlockAt): byte for byte what renderDenyFile gives for the rest. null when a target's line
 * is not there (then the full path re-renders).
 */
export function spliceOutOfDenyFile(buf: Buffer, block: ManagedBlock, targets: SortedTargets, gone: readonly string[]): { parts: Buffer[]; blockTo: number } | null {
  const lines = new TargetLines(buf, block.from, block.to, targets.length, blockLineTarget);
  const at = deletionPoints(lines, gone);
  if (!at) return null;
  const parts = spliceOutLines(buf, at);
  return { parts, blockTo: bytesOf(parts) - (buf.length - block.to) };
}
