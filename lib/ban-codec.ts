/**
 * The ban database on disk: {"version":1,"bans":[…],"unbans":[…]} with ISO-8601 UTC dates. Decoding is
 * strict and total: every entry is checked, bad entries are reported with their index and skipped.
 */
import type { Ban, BanDb, BanOrigin, Unban } from './types';
import { parseTarget, v4At } from './ip';
import { isoTime } from './iso-time';

export const DB_VERSION = 1;
const ORIGINS: BanOrigin[] = ['scan', 'manual', 'adopted', 'peer'];

export interface EncodedBan {
  ip: string;
  rule: string;
  reason: string;
  failures: number;
  source: string;
  origin: BanOrigin;
  node: string;
  bannedAt: string;
  expiresAt: string | null;
  banCount: number;
}

/** A ban as JSON-ready plain data (also the shape `status --json` prints). */
export function encodeBan(b: Ban): EncodedBan {
  return {
    ip: b.ip,
    rule: b.rule,
    reason: b.reason,
    failures: b.failures,
    source: b.source,
    origin: b.origin,
    node: b.node,
    bannedAt: isoTime(b.bannedAt),
    expiresAt: b.expiresAt ? isoTime(b.expiresAt) : null,
    banCount: b.banCount,
  };
}

function str(v: unknown, max = 512): v is string {
  return typeof v === 'string' && v.length <= max && !/[\r\n\0]/.test(v);
}
function date(v: unknown): Date | null {
  if (typeof v !== 'string' || v.length > 40) return null;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** Decodes one ban; returns a reason string when it is unusable. */
export function decodeBan(v: unknown): Ban | string {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return 'not an object';
  const o = v as Record<string, unknown>;
  // A canonical dotted quad (nearly every entry) is its own target: no need to rebuild it.
  const ip = typeof o.ip === 'string' ? (v4At(o.ip, 0, o.ip.length) >= 0 ? o.ip : parseTarget(o.ip)) : null;
  if (!ip) return `ip: not a valid address or network: ${JSON.stringify(o.ip)?.slice(0, 60)}`;
  if (!str(o.rule) || !str(o.reason) || !str(o.source) || !str(o.node, 128)) return 'rule, reason, source and node must be one-line strings';
  if (!ORIGINS.includes(o.origin as BanOrigin)) return `origin: expected one of ${ORIGINS.join(', ')}`;
  const bannedAt = date(o.bannedAt);
  if (!bannedAt) return 'bannedAt: not a date';
  const expiresAt = o.expiresAt === null ? null : date(o.expiresAt);
  if (o.expiresAt !== null && !expiresAt) return 'expiresAt: not a date or null';
  const failures = Number.isSafeInteger(o.failures) && (o.failures as number) >= 0 ? (o.failures as number) : 0;
  const banCount = Number.isSafeInteger(o.banCount) && (o.banCount as number) >= 1 ? (o.banCount as number) : 1;
  return { ip, rule: o.rule, reason: o.reason, failures, source: o.source, origin: o.origin as BanOrigin, node: o.node, bannedAt, expiresAt, banCount };
}

export interface EncodedUnban {
  ip: string;
  at: string;
  node: string;
}

export function encodeUnban(u: Unban): EncodedUnban {
  return { ip: u.ip, at: isoTime(u.at), node: u.node };
}

export function decodeUnban(v: unknown): Unban | string {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return 'not an object';
  const o = v as Record<string, unknown>;
  const ip = typeof o.ip === 'string' ? parseTarget(o.ip) : null;
  if (!ip) return 'ip: not a valid address or network';
  const at = date(o.at);
  if (!at) return 'at: not a date';
  if (!str(o.node, 128)) return 'node: not a one-line string';
  return { ip, at, node: o.node };
}

/**
 * The line each ban was read from or last written as. A busy node keeps tens of thousands of bans and adds a
 * few per run: re-serialising all of them on every save was most of a commit's time. Bans are never
 * mutated (changes make new objects), so a ban's line stays valid for as long as the object lives.
 */
const encodedLine = new WeakMap<Ban, string>();

function banLine(b: Ban): string {
  let line = encodedLine.get(b);
  if (line === undefined) {
    line = formatBanLine(b);
    encodedLine.set(b, line);
  }
  return line;
}

/** Strings JSON.stringify writes as they are, between quotes: printable ASCII without `"` and `\\`. */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
const jsonString = (s: string): string => (PLAIN.test(s) ? `"${s}"` : JSON.stringify(s));
const jsonNumber = (n: number): string => (Number.isFinite(n) ? `${n}` : 'null');

/**
 * Exactly the text of JSON.stringify(encodeBan(b)), built directly: a commit of tens of thousands of new bans
 * spent most of its time creating and serialising the intermediate objects. (A test holds the two equal.)
 */
export function formatBanLine(b: Ban): string {
  const exp = b.expiresAt ? `"${isoTime(b.expiresAt)}"` : 'null';
  return `{"ip":${jsonString(b.ip)},"rule":${jsonString(b.rule)},"reason":${jsonString(b.reason)},"failures":${jsonNumber(b.failures)},"source":${jsonString(b.source)},"origin":${jsonString(b.origin)},"node":${jsonString(b.node)},"bannedAt":"${isoTime(b.bannedAt)}","expiresAt":${exp},"banCount":${jsonNumber(b.banCount)}}`;
}

/**
 * The lines of many bans. Bans read from disk keep their line; the others (a first scan may bring tens of
 * thousands) are serialised by one JSON.stringify of them all and cut at the entry boundaries: one flat
 * string instead of a string, an object and a dozen string pieces per ban, which is what made a big commit
 * slow (mostly garbage collection). `},{"ip":` can only be a boundary: inside a JSON string every `"` is escaped.
 */
function banLines(bans: readonly Ban[]): string[] {
  const lines: string[] = new Array(bans.length);
  const fresh: number[] = [];
  for (let i = 0; i < bans.length; i++) {
    const line = encodedLine.get(bans[i] as Ban);
    if (line === undefined) fresh.push(i);
    else lines[i] = line;
  }
  if (fresh.length < 64) {
    for (const i of fresh) lines[i] = banLine(bans[i] as Ban);
    return lines;
  }
  const all = JSON.stringify(fresh.map((i) => encodeBan(bans[i] as Ban)));
  let start = 1;
  for (let k = 0; k < fresh.length; k++) {
    const end = k === fresh.length - 1 ? all.length - 1 : all.indexOf('},{"ip":', start) + 1;
    if (end <= start) throw new Error('encodeDb: entry boundary not found'); // cannot happen: see above
    lines[fresh[k] as number] = all.slice(start, end);
    start = end + 1;
  }
  return lines;
}

/** One ban as its database line: the exact text bans.json holds for it (and the journal, lib/ban-journal.ts). */
export function encodeBanLine(b: Ban): string {
  return banLine(b);
}

/** Decodes one database line (a journal entry); the line is remembered for the next save. */
export function decodeBanLine(line: string): Ban | string {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return 'not valid JSON';
  }
  const r = decodeBan(v);
  if (typeof r !== 'string') encodedLine.set(r, line);
  return r;
}

/**
 * The bans as the database writes them, one per line. When none has its line yet (the first big scan of a
 * node) the whole list is one JSON.stringify, with a newline put after each entry's comma: no string per ban.
 */
function banList(bans: readonly Ban[], list: (items: string[]) => string): string {
  if (bans.length < 64 || bans.some((b) => encodedLine.has(b))) return list(banLines(bans));
  const all = JSON.stringify(bans.map(encodeBan));
  // `},{"ip":` can only be an entry boundary (inside a JSON string every `"` is escaped).
  return `[\n${all.slice(1, -1).replaceAll('},{"ip":', '},\n{"ip":')}\n]`;
}

const sortedBans = (bans: readonly Ban[]): Ban[] => [...bans].sort((a, b) => (a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : a.bannedAt.getTime() - b.bannedAt.getTime()));
const unbanList = (unbans: readonly Unban[]): string =>
  listOf([...unbans].sort((a, b) => (a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : a.at.getTime() - b.at.getTime())).map((u) => JSON.stringify(encodeUnban(u))));
// One entry per line: still plain JSON, readable and diff-friendly, but a third of the size of an
// indented document (a busy node keeps tens of thousands of bans; this file is rewritten on every change).
const listOf = (items: string[]): string => (items.length ? `[\n${items.join(',\n')}\n]` : '[]');
const DB_HEAD = `{"version":${DB_VERSION},"bans":`;

/** Serialises the database (sorted, so unchanged content gives identical bytes). */
export function encodeDb(db: BanDb): string {
  return `${DB_HEAD}${banList(sortedBans(db.bans), listOf)},"unbans":${unbanList(db.unbans)}}\n`;
}

/**
 * encodeDb's text as the bytes saved. A first big scan's bans (none with a line yet) are written straight
 * into one buffer: no object, JSON text and line-broken copy of 4 MB each for 17,000 bans, which made that
 * commit the scan's peak of memory. (A test holds the bytes equal to encodeDb's text.)
 */
export function encodeDbBytes(db: BanDb): Buffer {
  const bans = sortedBans(db.bans);
  if (bans.length < 64 || bans.some((b) => encodedLine.has(b))) return Buffer.from(`${DB_HEAD}${banList(bans, listOf)},"unbans":${unbanList(db.unbans)}}\n`);
  const tail = Buffer.from(`\n],"unbans":${unbanList(db.unbans)}}\n`);
  let buf = Buffer.allocUnsafe(bans.length * 256 + 64);
  let o = buf.write(`${DB_HEAD}[\n`, 0, 'latin1');
  // The text from "rule" to "bannedAt" is shared by many bans (same rule, failures, source, node): made once.
  const middles = new Map<string, { b: Ban; bytes: Buffer }[]>();
  const middleOf = (b: Ban): Buffer => {
    let list = middles.get(b.reason);
    if (!list) middles.set(b.reason, (list = []));
    for (const m of list) if (m.b.rule === b.rule && m.b.failures === b.failures && m.b.source === b.source && m.b.origin === b.origin && m.b.node === b.node) return m.bytes;
    const text = `,"rule":${jsonString(b.rule)},"reason":${jsonString(b.reason)},"failures":${jsonNumber(b.failures)},"source":${jsonString(b.source)},"origin":${jsonString(b.origin)},"node":${jsonString(b.node)},"bannedAt":"`;
    const bytes = Buffer.from(text);
    list.push({ b, bytes });
    return bytes;
  };
  for (let i = 0; i < bans.length; i++) {
    const b = bans[i] as Ban;
    const ip = jsonString(b.ip);
    const mid = middleOf(b);
    // Room for this ban: the address (UTF-8: 3 bytes a character at most), the shared part, two dates, two numbers.
    const need = 8 + ip.length * 3 + mid.length + 160;
    if (o + need > buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(buf.length * 2, o + need));
      buf.copy(bigger, 0, 0, o);
      buf = bigger;
    }
    if (i > 0) o += buf.write(',\n', o, 'latin1');
    o += buf.write('{"ip":', o, 'latin1');
    o += buf.write(ip, o, 'utf8');
    o += mid.copy(buf, o);
    o += buf.write(`${isoTime(b.bannedAt)}","expiresAt":${b.expiresAt ? `"${isoTime(b.expiresAt)}"` : 'null'},"banCount":${jsonNumber(b.banCount)}}`, o, 'latin1');
  }
  if (o + tail.length > buf.length) {
    const bigger = Buffer.allocUnsafe(o + tail.length);
    buf.copy(bigger, 0, 0, o);
    buf = bigger;
  }
  o += tail.copy(buf, o);
  return buf.subarray(0, o);
}

/**
 * The entries of a file laid out as encodeDb writes it, one JSON text per entry; null for any other layout
 * (hand-edited, truncated), which then goes through the whole-document parser and its error messages.
 */
function entriesByLine(text: string): { bans: string[]; unbans: string[] } | null {
  const lines = text.split('\n');
  if (lines.pop() !== '') return null;
  const head = `{"version":${DB_VERSION},"bans":`;
  let i = 0;
  const items = (out: string[]): boolean => {
    while (i < lines.length && (lines[i] as string).startsWith('{')) {
      const l = lines[i++] as string;
      const more = i < lines.length && (lines[i] as string).startsWith('{');
      if (l.endsWith(',') !== more) return false;
      out.push(more ? l.slice(0, -1) : l);
    }
    return out.length > 0;
  };
  const bans: string[] = [];
  const unbans: string[] = [];
  const first = lines[i++];
  let rest: string | undefined;
  if (first === `${head}[`) {
    if (!items(bans)) return null;
    rest = lines[i++];
  } else if (first?.startsWith(`${head}[]`)) {
    rest = first.slice(head.length + 1); // from the "]" of "[]", like the line after a list of bans
  } else return null;
  if (rest === '],"unbans":[]}') return i === lines.length ? { bans, unbans } : null;
  if (rest !== '],"unbans":[') return null;
  if (!items(unbans) || lines[i++] !== ']}') return null;
  return i === lines.length ? { bans, unbans } : null;
}

/**
 * Parses database text. Throws (with `file` in the message) when the document as a whole is unusable
 * (not JSON, wrong shape or version); skips and reports single bad entries.
 */
export function decodeDb(text: string, file: string): { db: BanDb; errors: string[] } {
  const errors: string[] = [];
  const bans: Ban[] = [];
  const unbans: Unban[] = [];
  const byLine = entriesByLine(text);
  if (byLine) {
    // Our own layout: entry by entry, remembering each ban's line for the next save.
    try {
      byLine.bans.forEach((line, i) => {
        const r = decodeBan(JSON.parse(line));
        if (typeof r === 'string') errors.push(`${file}: bans[${i}]: ${r}`);
        else {
          encodedLine.set(r, line);
          bans.push(r);
        }
      });
      byLine.unbans.forEach((line, i) => {
        const r = decodeUnban(JSON.parse(line));
        if (typeof r === 'string') errors.push(`${file}: unbans[${i}]: ${r}`);
        else unbans.push(r);
      });
      return { db: { bans, unbans }, errors };
    } catch {
      // A damaged entry: let the whole-document parser below say what is wrong.
      errors.length = bans.length = unbans.length = 0;
    }
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message}); the file is damaged or truncated`);
  }
  const o = doc as Record<string, unknown>;
  if (!o || typeof o !== 'object' || !Array.isArray(o.bans)) throw new Error(`${file}: expected {"version":${DB_VERSION},"bans":[…]}`);
  if (o.version !== DB_VERSION) throw new Error(`${file}: unsupported version ${JSON.stringify(o.version)} (expected ${DB_VERSION})`);
  o.bans.forEach((b, i) => {
    const r = decodeBan(b);
    if (typeof r === 'string') errors.push(`${file}: bans[${i}]: ${r}`);
    else bans.push(r);
  });
  (Array.isArray(o.unbans) ? o.unbans : []).forEach((u, i) => {
    const r = decodeUnban(u);
    if (typeof r === 'string') errors.push(`${file}: unbans[${i}]: ${r}`);
    else unbans.push(r);
  });
  return { db: { bans, unbans }, errors };
}
