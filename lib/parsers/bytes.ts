/**
 * Byte-level recognisers: the scan's fast path. A scan reads ~100 MB of log; decoding it into strings and
 * running the general parsers on every line costs several times more than reading it. The recognisers here
 * work on the raw bytes of the reader's chunk and handle the few line shapes that make up nearly all of a
 * log under attack. Every other line is answered FALLBACK, and the caller decodes that one line and gives
 * it to the reference parser (sshd.ts, proftpd.ts), which defines what a line means. The contract, checked
 * by tests/unit/parsers/bytes.test.ts over fixtures, captured daemon lines and generated near-misses:
 * whatever a recogniser answers other than FALLBACK is exactly what the reference parser would say.
 *
 * To keep that contract simple, a recogniser answers FALLBACK whenever it meets a byte >= 0x80 where the
 * reference parser counts characters, and whenever the address is not a plain IPv4 dotted quad.
 */
import type { LoginEvent } from '../types';
import type { BannedSet } from '../banned-set';
import { parseLocalDateTime, parseRfc3339, parseSyslogTime } from './time';

/** Not a login event (the reference parser returns null). */
export const NONE = 0;
/** A login event, written to the ByteEvent. */
export const EVENT = 1;
/** A failure about an address in the banned set (the reference parser reports it to onBanned): see decide(). */
export const BANNED = 2;
/** Not decided here: decode the line and ask the reference parser. */
export const FALLBACK = 3;

/**
 * What the reference parser makes of a line the recogniser called EVENT, given the banned set: a failure
 * about a banned address is reported as such whatever its time (sshd.ts stops at the address before the
 * time is read); otherwise a line without a valid time is no event. Successes are never "banned".
 */
export function decide(ev: ByteEvent, banned: BannedSet): number {
  // An 'address' or 'address_open' line ("Connection closed by authenticating user …", "Postponed
  // keyboard-interactive …") is never BANNED: sshd.ts returns it, and the scan checks its address only when it
  // stands for held failures.
  if (ev.outcome === 'failure' && ev.evidence !== 'address' && ev.evidence !== 'address_open' && banned.hasV4(ev.v4)) return BANNED;
  return Number.isNaN(ev.timeMs) ? NONE : EVENT;
}

/** An event recognised in place. One object is reused for every line: nothing is allocated per line. */
export interface ByteEvent {
  timeMs: number;
  outcome: LoginEvent['outcome'];
  kind: LoginEvent['kind'];
  evidence: LoginEvent['evidence'];
  count: number;
  /** The pid (every line the fast path accepts has one). */
  conn: number | undefined;
  /** The address is buf[ipFrom, ipTo), a canonical dotted quad whose value is v4. */
  ipFrom: number;
  ipTo: number;
  v4: number;
  /** The user name as written is buf[userFrom, userTo). */
  userFrom: number;
  userTo: number;
}

export const newByteEvent = (): ByteEvent => ({
  timeMs: 0,
  outcome: 'failure',
  kind: 'password',
  evidence: 'attempt',
  count: 1,
  conn: undefined,
  ipFrom: 0,
  ipTo: 0,
  v4: -1,
  userFrom: 0,
  userTo: 0,
});

/**
 * buf[from, to) as a latin1 string. Buffer#latin1Slice is what toString('latin1') calls after checking its
 * arguments; the scan calls this for every address it counts.
 */
export const latin1 = (b: Buffer, from: number, to: number): string => (b as unknown as { latin1Slice(a: number, z: number): string }).latin1Slice(from, to);

/** A fixed ASCII text to compare in place: its bytes, and the same as little-endian 32-bit words. */
export interface Pattern {
  length: number;
  bytes: Uint8Array;
  words: Int32Array;
}

export function ascii(s: string): Pattern {
  const bytes = Uint8Array.from(s, (c) => c.charCodeAt(0));
  const words = new Int32Array(bytes.length >> 2);
  for (let w = 0; w < words.length; w++) words[w] = bytes[4 * w]! | (bytes[4 * w + 1]! << 8) | (bytes[4 * w + 2]! << 16) | (bytes[4 * w + 3]! << 24);
  return { length: bytes.length, bytes, words };
}

// A view of the buffer being parsed, for comparing four bytes at a time (made once per buffer).
let viewOf: Uint8Array | null = null;
let view: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(4));

/** b[at, at + p.length) equals p, and lies before `end`. */
export function hasAt(b: Uint8Array, at: number, p: Pattern, end: number): boolean {
  const n = p.length;
  if (at < 0 || at + n > end) return false;
  if (b !== viewOf) {
    view = new DataView(b.buffer, b.byteOffset, b.byteLength);
    viewOf = b;
  }
  const words = p.words;
  let i = 0;
  for (let w = 0; w < words.length; w++, i += 4) if (view.getInt32(at + i, true) !== words[w]) return false;
  const bytes = p.bytes;
  for (; i < n; i++) if (b[at + i] !== bytes[i]) return false;
  return true;
}

/** The line b[.., end) ends with p, not reaching back before `from`. */
export const endsWith = (b: Uint8Array, p: Pattern, from: number, end: number): boolean => end - p.length >= from && hasAt(b, end - p.length, p, end);

/**
 * The dotted quad at b[from, to) as a number, or -1 unless it is a strict one (the rules of ip.ts v4At and
 * parseIp: four parts, no empty part, no leading zero, each at most 255).
 */
export function v4Bytes(b: Uint8Array, from: number, to: number): number {
  if (to - from < 7 || to - from > 15) return -1;
  let addr = 0;
  let parts = 0;
  let i = from;
  for (;;) {
    const start = i;
    let v = 0;
    while (i < to) {
      const c = b[i] as number;
      if (c === 46) break;
      if (c < 48 || c > 57) return -1;
      v = v * 10 + (c - 48);
      i++;
    }
    const len = i - start;
    if (len === 0 || len > 3 || v > 255 || (len > 1 && b[start] === 48)) return -1;
    addr = addr * 256 + v;
    parts++;
    if (i === to) break;
    i++;
    if (i === to || parts === 4) return -1;
  }
  return parts === 4 ? addr : -1;
}

/** Where v4Before found the address: it starts at `start` and has the value `addr`. */
export const quad = { start: 0, addr: 0 };

/**
 * The strict dotted quad (as v4Bytes) that is the whole run of digits and dots ending at `to` (not reaching
 * before `from`), read backwards in one pass; false when that run is not one (the caller falls back).
 */
export function v4Before(b: Uint8Array, from: number, to: number): boolean {
  let i = to;
  let addr = 0;
  let scale = 1;
  for (let part = 0; part < 4; part++) {
    let v = 0;
    let len = 0;
    let mul = 1;
    while (i > from) {
      const c = b[i - 1] as number;
      if (c < 48 || c > 57) break;
      v += (c - 48) * mul;
      mul *= 10;
      len++;
      i--;
    }
    if (len === 0 || len > 3 || v > 255 || (len > 1 && b[i] === 48)) return false;
    addr += v * scale;
    scale *= 256;
    if (part < 3) {
      if (i <= from || b[i - 1] !== 46) return false;
      i--;
    }
  }
  // The run must end here: another digit or dot would make it something else.
  if (i > from) {
    const c = b[i - 1] as number;
    if (c === 46 || (c >= 48 && c <= 57)) return false;
  }
  quad.start = i;
  quad.addr = addr;
  return true;
}

/** The pid text b[from, to) as a number, or -1 unless it is 1–9 digits (syslog-header.ts connKey). */
export function pidBytes(b: Uint8Array, from: number, to: number): number {
  if (to <= from || to - from > 9) return -1;
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = b[i] as number;
    if (c < 48 || c > 57) return -1;
    n = n * 10 + (c - 48);
  }
  return n;
}

/** True when b[from, to) holds only printable ASCII (what a reference regex's `.` and `\S` agree on). */
export function printable(b: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = b[i] as number;
    if (c < 32 || c > 126) return false;
  }
  return true;
}

/**
 * A copy of the last header the recogniser parsed. Consecutive lines of one connection usually share their
 * whole header ("Nov 26 16:12:20 web1 sshd[778947]: "), and the same bytes mean the same header, program,
 * pid and time: comparing them four at a time is cheaper than reading them again.
 */
export class HeaderCache {
  readonly bytes = new Uint8Array(256);
  private readonly words = new DataView(this.bytes.buffer);
  /** Length of the cached header (0: none); it ends where the message starts. */
  len = 0;
  nowMs = NaN;

  /** b[p, p + len) (inside the line, which ends at e) is the cached header. */
  matches(b: Uint8Array, p: number, e: number, nowMs: number): boolean {
    const len = this.len;
    if (len === 0 || nowMs !== this.nowMs || e - p < len) return false;
    if (b !== viewOf) {
      view = new DataView(b.buffer, b.byteOffset, b.byteLength);
      viewOf = b;
    }
    const w = this.words;
    let i = 0;
    for (; i + 4 <= len; i += 4) if (view.getInt32(p + i, true) !== w.getInt32(i, true)) return false;
    const c = this.bytes;
    for (; i < len; i++) if (b[p + i] !== c[i]) return false;
    return true;
  }

  /** Remembers b[p, p + len) as the header (too long ones are not cached). */
  store(b: Uint8Array, p: number, len: number, nowMs: number): boolean {
    if (len > this.bytes.length) {
      this.len = 0;
      return false;
    }
    this.bytes.set(b.subarray(p, p + len));
    this.len = len;
    this.nowMs = nowMs;
    return true;
  }
}

/** No byte of b[from, to) is >= 0x80 (four at a time). */
function asciiRange(b: Uint8Array, from: number, to: number): boolean {
  if (b !== viewOf) {
    view = new DataView(b.buffer, b.byteOffset, b.byteLength);
    viewOf = b;
  }
  let i = from;
  for (; i + 4 <= to; i += 4) if ((view.getInt32(i, true) & 0x80808080) !== 0) return false;
  for (; i < to; i++) if ((b[i] as number) >= 128) return false;
  return true;
}

/** Header fields found by syslogHeader (offsets into the buffer); reused. */
export const hdr = { rfc: false, stampEnd: 0, progStart: 0, progEnd: 0, pidStart: 0, pidEnd: 0, msgStart: 0 };

/**
 * The syslog header of the line b[p, e), exactly as syslog-header.ts scanSyslogHeader finds it: EVENT (found,
 * in `hdr`), FALLBACK (a byte >= 0x80 where the reference counts characters), or NONE: no header at the byte
 * positions checked. NONE is final only for an ASCII line start; the sshd recogniser falls back on it (a bare
 * `sshd -E` line, or a multi-byte character that moves the reference's positions).
 */
export function syslogHeader(b: Uint8Array, p: number, e: number): number {
  if (e - p < 17) return NONE;
  const c0 = b[p] as number;
  let pos: number;
  if (c0 >= 65 && c0 <= 90 && b[p + 15] === 32 && b[p + 3] === 32) {
    hdr.rfc = false;
    hdr.stampEnd = p + 15;
    pos = p + 16;
  } else if (c0 >= 48 && c0 <= 57 && b[p + 4] === 45 && b[p + 10] === 84) {
    let sp = -1;
    for (let i = p; i < p + 19; i++) if ((b[i] as number) >= 128) return FALLBACK;
    for (let i = p + 19; i < e && i - p <= 40; i++) {
      const c = b[i] as number;
      if (c === 32) {
        sp = i;
        break;
      }
      if (c >= 128) return FALLBACK;
    }
    if (sp < 0) return NONE;
    hdr.rfc = true;
    hdr.stampEnd = sp;
    pos = sp + 1;
  } else {
    return NONE;
  }
  // The reference finds these fields by character position: the bytes before them must be characters.
  if (!asciiRange(b, p, pos)) return FALLBACK;
  let hostEnd = -1;
  for (let i = pos; i < e; i++) {
    const c = b[i] as number;
    if (c === 32) {
      hostEnd = i;
      break;
    }
    if (c >= 128) return FALLBACK;
  }
  if (hostEnd < 0) return NONE;
  let progEnd = -1;
  for (let i = hostEnd + 1; i - hostEnd <= 80 && i + 2 <= e; i++) {
    const c = b[i] as number;
    if (c === 58 && b[i + 1] === 32) {
      progEnd = i;
      break;
    }
    if (c >= 128) return FALLBACK;
  }
  if (progEnd < 0) return NONE;
  let nameEnd = progEnd;
  let pidStart = progEnd;
  let pidEnd = progEnd;
  if (b[progEnd - 1] === 93) {
    for (let i = progEnd - 1; i > hostEnd; i--) {
      if (b[i] === 91) {
        nameEnd = i;
        pidStart = i + 1;
        pidEnd = progEnd - 1;
        break;
      }
    }
  }
  hdr.progStart = hostEnd + 1;
  hdr.progEnd = nameEnd;
  hdr.pidStart = pidStart;
  hdr.pidEnd = pidEnd;
  hdr.msgStart = progEnd + 2;
  return EVENT;
}

/** The header's program name is one of `names`. */
export function progIn(b: Uint8Array, names: readonly Pattern[]): boolean {
  const len = hdr.progEnd - hdr.progStart;
  for (const n of names) if (n.length === len && hasAt(b, hdr.progStart, n, hdr.progEnd)) return true;
  return false;
}

/**
 * Parses timestamps, remembering the last one: consecutive lines mostly share theirs, and then cost one
 * compare of a few bytes. Same results as the string parsers (it calls them on a miss).
 */
export class StampCache {
  private last = new Uint8Array(48);
  private lastLen = -1;
  private lastMs = NaN;
  private lastNow = NaN;
  private lastKind = -1;

  /** Time of b[from, to): kind 0 syslog "Mmm dd hh:mm:ss", 1 RFC 3339. */
  time(b: Buffer, from: number, to: number, kind: number, nowMs: number): number {
    const len = to - from;
    if (len === this.lastLen && kind === this.lastKind && nowMs === this.lastNow && len <= 48) {
      const last = this.last;
      let i = 0;
      while (i < len && b[from + i] === last[i]) i++;
      if (i === len) return this.lastMs;
    }
    const text = latin1(b, from, to);
    const ms = kind === 0 ? parseSyslogTime(text, nowMs) : parseRfc3339(text);
    if (len <= 48) {
      this.last.set(b.subarray(from, to));
      this.lastLen = len;
      this.lastKind = kind;
      this.lastNow = nowMs;
      this.lastMs = ms;
    }
    return ms;
  }
}

/** Milliseconds of the fraction "[,.]d{1,6}" at b[from + 19, to) (none: 0), or -1 when it is not one (time.ts fractionMs). */
function fractionMs(b: Uint8Array, from: number, to: number): number {
  const len = to - from;
  if (len === 19) return 0;
  const sep = b[from + 19];
  const n = len - 20;
  if ((sep !== 44 && sep !== 46) || n < 1 || n > 6) return -1;
  let ms = 0;
  for (let i = 0; i < 3; i++) {
    const c = i < n ? (b[from + 20 + i] as number) : 48;
    if (c < 48 || c > 57) return -1;
    ms = ms * 10 + (c - 48);
  }
  for (let i = 3; i < n; i++) {
    const c = b[from + 20 + i] as number;
    if (c < 48 || c > 57) return -1;
  }
  return ms;
}

/**
 * ProFTPD's "2026-11-22 01:32:05,187" (time.ts parseLocalDateTime) on bytes. ProFTPD logs a line or two a
 * second, so the second changes from line to line, the minute rarely: the minute is parsed once (the local
 * time zone's rules are behind that, and slow), the seconds and the fraction in place. Seconds add to the
 * minute's time as they are: time zones change their offset on whole minutes (since 1972 every offset is
 * whole minutes), and a leap second :60 rolls into the next minute as Date rolls it. Older years are parsed
 * whole each time.
 */
export class LocalTimeCache {
  /** "YYYY-MM-DD HH:MM" of the cached minute, and its epoch ms (NaN: none). */
  private minute = new Uint8Array(16);
  private minuteMs = NaN;

  time(b: Buffer, from: number, to: number): number {
    if (to - from >= 19 && !Number.isNaN(this.minuteMs) && b[from + 16] === 58) {
      const m = this.minute;
      let i = 0;
      while (i < 16 && b[from + i] === m[i]) i++;
      const s1 = (b[from + 17] as number) - 48;
      const s2 = (b[from + 18] as number) - 48;
      if (i === 16 && s1 >= 0 && s1 <= 6 && s2 >= 0 && s2 <= 9 && s1 * 10 + s2 <= 60) {
        const ms = fractionMs(b, from, to);
        return ms < 0 ? NaN : this.minuteMs + (s1 * 10 + s2) * 1000 + ms;
      }
    }
    const t = parseLocalDateTime(latin1(b, from, to));
    if (!Number.isNaN(t) && (b[from] as number) >= 50) {
      // Years 2000 and later (see above). t is valid, so bytes 17-18 are the seconds' digits.
      this.minute.set(b.subarray(from, from + 16));
      this.minuteMs = t - fractionMs(b, from, to) - ((b[from + 17] as number) * 10 + (b[from + 18] as number) - 528) * 1000;
    }
    return t;
  }
}
