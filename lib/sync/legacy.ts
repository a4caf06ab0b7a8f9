/**
 * The two plain-text shared objects kept for people and for nodes that still run the old tool:
 * hosts.deny (merged bans) and whitelist.txt. Both are untrusted input. Only `ALL: <ip or network>` lines
 * (hosts.deny) or one address/network per line (whitelist) are accepted; everything else is reported with
 * the object name and line number and ignored.
 *
 * What autoban writes starts with a checksum header, so a reader can tell a torn or mixed copy from a good one:
 *   # autoban-sync v1 node=web1 sha256=<hex>
 * For hosts.deny the checksum covers the managed block (BEGIN..END lines); lines that old nodes append after
 * the block are outside it and are adopted as bans. For whitelist.txt it covers everything after the header.
 * Pure.
 */
import { ALL_LINE, BEGIN_MARKER, END_MARKER, denyLine, parseDenyTarget } from '../deny-file';
import { compareTargets } from '../bans';
import { checkWhitelistEntry } from '../whitelist';
import { sha256Hex } from './canonical-json';
import { quote } from './node-doc';

/** mod_wrap2 ignores longer lines; nothing legitimate is that long. */
export const MAX_LINE_BYTES = 1023;

const HEADER_RE = /^# autoban-sync v(\d+) node=([A-Za-z0-9][A-Za-z0-9._-]{0,62}) sha256=([0-9a-f]{64})$/;
// eslint-disable-next-line no-control-regex
const CONTROL_RE = /[\u0000-\u0008\u000a-\u001f\u007f]/;

/** Is the text's integrity known? `verified`: checksum matches; `mismatch`: header present but content differs; `none`: no header. */
export type Integrity = 'verified' | 'mismatch' | 'none';

export interface Header {
  version: number;
  node: string;
  sha256: string;
}

function header(line: string | undefined): Header | null {
  const m = line === undefined ? null : HEADER_RE.exec(line);
  return m ? { version: Number(m[1]), node: m[2] as string, sha256: m[3] as string } : null;
}

export function headerLine(nodeId: string, sha: string): string {
  return `# autoban-sync v1 node=${nodeId} sha256=${sha}`;
}

/** Splits text into lines, each with its 1-based number; a trailing CR (CRLF files) is dropped. */
function splitLines(text: string): { no: number; line: string }[] {
  const raw = text.split('\n');
  if (raw[raw.length - 1] === '') raw.pop();
  return raw.map((l, i) => ({ no: i + 1, line: l.endsWith('\r') ? l.slice(0, -1) : l }));
}

/** Why a line cannot be used at all (before looking at its meaning), or null. */
function lineDefect(line: string): string | null {
  if (Buffer.byteLength(line) > MAX_LINE_BYTES) return `line longer than ${MAX_LINE_BYTES} bytes`;
  if (CONTROL_RE.test(line)) return 'control characters (embedded CR, NUL, ...) in the line';
  return null;
}

export interface SharedHostsDeny {
  integrity: Integrity;
  header: Header | null;
  /** Checksum of the managed block as found (equal to the header's when verified). */
  blockSha: string | null;
  /** Targets in the managed block (autoban's own rendering; never adopted: they come from node documents). */
  managed: string[];
  /** Valid `ALL: ip` lines outside the block: bans from nodes that do not run autoban, to adopt. */
  foreign: string[];
  /** One line per refused line, naming the object and line number. */
  warnings: string[];
}

/** Parses the shared hosts.deny text read from `objectName`. */
export function parseSharedHostsDeny(text: string, objectName: string): SharedHostsDeny {
  const lines = splitLines(text);
  const warnings: string[] = [];
  const hdr = header(lines[0]?.line);
  const begin = lines.findIndex((l) => l.line.trimEnd() === BEGIN_MARKER);
  const end = lines.findIndex((l) => l.line.trimEnd() === END_MARKER);
  const hasBlock = begin >= 0 && end > begin;
  let blockSha: string | null = null;
  if (hasBlock) blockSha = sha256Hex(lines.slice(begin, end + 1).map((l) => `${l.line}\n`).join(''));
  const integrity: Integrity = hdr ? (hdr.sha256 === blockSha ? 'verified' : 'mismatch') : 'none';
  const managed: string[] = [];
  const foreign: string[] = [];
  lines.forEach(({ no, line }, i) => {
    if (i === 0 && hdr) return;
    const inBlock = hasBlock && i > begin && i < end;
    if (hasBlock && (i === begin || i === end)) return;
    const trimmed = line.trim();
    if (trimmed === '' || (trimmed.startsWith('#') && !CONTROL_RE.test(line))) return;
    const where = `${objectName}:${no}`;
    const defect = lineDefect(line);
    if (defect) {
      warnings.push(`${where}: ${defect}; line ignored`);
      return;
    }
    const m = ALL_LINE.exec(line);
    if (!m) {
      const why = /^ALL\s*:/.test(line) ? 'extra fields after the address' : "only 'ALL: <ip>' lines are accepted";
      warnings.push(`${where}: ${why}: ${quote(line)}; line ignored`);
      return;
    }
    const target = parseDenyTarget(m[1] as string);
    if (!target) {
      warnings.push(`${where}: not an IP address or network (names, wildcards, ALL, LOCAL and networks wider than /8 or /16 are refused): ${quote(line)}; line ignored`);
      return;
    }
    (inBlock ? managed : foreign).push(target);
  });
  if (!hasBlock && (begin >= 0 || end >= 0)) warnings.push(`${objectName}: autoban markers incomplete; lines treated as foreign`);
  return { integrity, header: hdr, blockSha, managed, foreign: [...new Set(foreign)], warnings };
}

/** The managed block for `targets` (one `ALL:` line each, sorted) and its checksum. */
export function renderHostsDenyBlock(targets: readonly string[]): { block: string; sha: string } {
  const sorted = [...new Set(targets)].sort(compareTargets);
  const block = [BEGIN_MARKER, ...sorted.map(denyLine), END_MARKER].map((l) => `${l}\n`).join('');
  return { block, sha: sha256Hex(block) };
}

/** The whole shared hosts.deny as autoban publishes it. */
export function renderSharedHostsDeny(targets: readonly string[], nodeId: string): { text: string; sha: string } {
  const { block, sha } = renderHostsDenyBlock(targets);
  const note = '# Merged bans of every autoban node. Do not edit: use `autoban ban` / `autoban unban`.\n';
  return { text: `${headerLine(nodeId, sha)}\n${note}${block}`, sha };
}

export interface SharedWhitelist {
  integrity: Integrity;
  header: Header | null;
  /** Canonical addresses and networks, in file order, without duplicates. */
  entries: string[];
  /**
   * No entry and no comment line (0 bytes, blank, NULs, nothing but refused lines): what a truncated upload,
   * a full disk or a crash leaves, not a deliberate clear (which keeps at least a comment line, as autoban's
   * own rendering always does).
   */
  blank: boolean;
  warnings: string[];
}

/** Parses whitelist text read from `objectName`: one IP or CIDR per line, `#` comments. */
export function parseSharedWhitelist(text: string, objectName: string): SharedWhitelist {
  const lines = splitLines(text);
  const hdr = header(lines[0]?.line);
  let integrity: Integrity = 'none';
  if (hdr) {
    const body = text.slice(text.indexOf('\n') + 1);
    integrity = sha256Hex(body) === hdr.sha256 ? 'verified' : 'mismatch';
  }
  const warnings: string[] = [];
  const entries: string[] = [];
  const seen = new Set<string>();
  let comment = hdr !== null;
  lines.forEach(({ no, line }, i) => {
    if (i === 0 && hdr) return;
    const where = `${objectName}:${no}`;
    const defect = lineDefect(line);
    if (defect) {
      warnings.push(`${where}: ${defect}; line ignored`);
      return;
    }
    if (line.trimStart().startsWith('#')) comment = true;
    const content = line.replace(/#.*/, '').trim();
    if (content === '') return;
    if (/\s/.test(content)) {
      warnings.push(`${where}: extra fields (one address or network per line): ${quote(line)}; line ignored`);
      return;
    }
    // The same check as the local whitelist file's (lib/whitelist.ts): one policy, one limit on width.
    const c = checkWhitelistEntry(content);
    if ('error' in c && c.tooWide) {
      warnings.push(`${where}: ${c.error}; line ignored`);
      return;
    }
    if ('error' in c) {
      warnings.push(`${where}: not an IP address or network (names, wildcards and networks wider than /8 or /16 are refused): ${quote(line)}; line ignored`);
      return;
    }
    if (seen.has(c.entry)) return;
    seen.add(c.entry);
    entries.push(c.entry);
  });
  return { integrity, header: hdr, entries, blank: entries.length === 0 && !comment, warnings };
}

/** Whitelist text as autoban writes it (shared object, or the local copy): header, note, sorted entries. */
export function renderWhitelist(entries: readonly string[], nodeId: string, note: string): string {
  const sorted = [...new Set(entries)].sort(compareTargets);
  const body = `${note
    .split('\n')
    .map((l) => `# ${l}\n`)
    .join('')}${sorted.map((e) => `${e}\n`).join('')}`;
  return `${headerLine(nodeId, sha256Hex(body))}\n${body}`;
}
