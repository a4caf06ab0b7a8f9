/**
 * Splits the header off a log line: classic syslog ("Nov 26 16:12:20 host prog[pid]: msg"),
 * RFC 3339 syslog ("2026-11-22T01:36:50.392818+00:00 host prog[pid]: msg"), or no header at all
 * (sshd -E files). Pure; never throws. It returns positions, not strings, and parses the time only on
 * request: most lines of an auth log belong to other programs or are not login events, and the scan's
 * speed is decided by how little it does for them.
 */
import { parseRfc3339, parseSyslogTime } from './time';

export interface Header {
  kind: 'bsd' | 'rfc3339';
  /** End of the timestamp. */
  stampEnd: number;
  hostStart: number;
  hostEnd: number;
  progStart: number;
  /** End of the program name ('[' or ':'). */
  progEnd: number;
  /** pid text bounds (equal when there is no pid). */
  pidStart: number;
  pidEnd: number;
  msgStart: number;
}

// One reused result object: this runs for every line of a log, and callers use the header at once.
const scratch: Header = { kind: 'bsd', stampEnd: 0, hostStart: 0, hostEnd: 0, progStart: 0, progEnd: 0, pidStart: 0, pidEnd: 0, msgStart: 0 };

/**
 * Finds the header fields of the line text[start, end) (positions in the result are offsets into text);
 * null when the line has no (well-formed) syslog header. The result is overwritten by the next call: use it
 * before parsing another line. Lines are parsed in place in the reader's chunk: no string per line.
 */
export function scanSyslogHeader(text: string, start = 0, end = text.length): Header | null {
  let pos: number;
  let kind: Header['kind'];
  const c0 = text.charCodeAt(start);
  if (end - start < 17) return null;
  if (c0 >= 65 && c0 <= 90 && text.charCodeAt(start + 15) === 32 && text.charCodeAt(start + 3) === 32) {
    kind = 'bsd';
    pos = start + 16;
  } else if (c0 >= 48 && c0 <= 57 && text.charCodeAt(start + 4) === 45 && text.charCodeAt(start + 10) === 84) {
    const sp = text.indexOf(' ', start + 19);
    if (sp < 0 || sp - start > 40 || sp >= end) return null;
    kind = 'rfc3339';
    pos = sp + 1;
  } else {
    return null;
  }
  const hostEnd = text.indexOf(' ', pos);
  if (hostEnd < 0 || hostEnd >= end) return null;
  const progEnd = text.indexOf(': ', hostEnd + 1);
  if (progEnd < 0 || progEnd - hostEnd > 80 || progEnd + 2 > end) return null;
  let nameEnd = progEnd;
  let pidStart = progEnd;
  let pidEnd = progEnd;
  if (text.charCodeAt(progEnd - 1) === 93) {
    const br = lastCharBefore(text, 91, progEnd, hostEnd);
    if (br > hostEnd) {
      nameEnd = br;
      pidStart = br + 1;
      pidEnd = progEnd - 1;
    }
  }
  scratch.kind = kind;
  scratch.stampEnd = kind === 'bsd' ? start + 15 : pos - 1;
  scratch.hostStart = pos;
  scratch.hostEnd = hostEnd;
  scratch.progStart = hostEnd + 1;
  scratch.progEnd = nameEnd;
  scratch.pidStart = pidStart;
  scratch.pidEnd = pidEnd;
  scratch.msgStart = progEnd + 2;
  return scratch;
}

/** Last position of char `c` in text[after + 1, before), or -1 (String#lastIndexOf has no lower bound). */
function lastCharBefore(text: string, c: number, before: number, after: number): number {
  for (let i = before - 1; i > after; i--) if (text.charCodeAt(i) === c) return i;
  return -1;
}

/** True when the header's program name is one of `names`. */
export function progIs(text: string, h: Header, names: readonly string[]): boolean {
  const len = h.progEnd - h.progStart;
  for (const n of names) if (n.length === len && text.startsWith(n, h.progStart)) return true;
  return false;
}

let lastStamp = '';
let lastNow = NaN;
let lastMs = NaN;

/** The header's time in epoch ms (NaN when malformed); consecutive lines with the same stamp cost one compare. */
export function headerTime(text: string, start: number, h: Header, nowMs: number): number {
  const len = h.stampEnd - start;
  if (nowMs === lastNow && lastStamp.length === len && text.startsWith(lastStamp, start)) return lastMs;
  lastStamp = text.slice(start, h.stampEnd);
  lastNow = nowMs;
  lastMs = h.kind === 'bsd' ? parseSyslogTime(lastStamp, nowMs) : parseRfc3339(lastStamp);
  return lastMs;
}

/** A pid as a number (undefined when it is not one). */
export function pidNumber(text: string): number | undefined {
  const n = Number(text);
  return text.length > 0 && text.length < 10 && Number.isInteger(n) && n >= 0 ? n : undefined;
}

/**
 * The pid, for reconciling the lines of one connection (undefined when the line has none). The host is left
 * out: a log holds one host's lines, and the reconciler also starts a new connection when the address
 * changes, so a pid reused on a merged multi-host log cannot mix two clients.
 */
export function connKey(text: string, h: Header): number | undefined {
  let n = 0;
  if (h.pidEnd <= h.pidStart || h.pidEnd - h.pidStart > 9) return undefined;
  for (let i = h.pidStart; i < h.pidEnd; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
    n = n * 10 + (c - 48);
  }
  return n;
}
