/**
 * Splits the header off a log line: classic syslog ("Nov 26 16:12:20 host prog[pid]: msg"),
 * RFC 3339 syslog ("2026-11-22T01:36:50.392818+00:00 host prog[pid]: msg"), or no header at all
 * (sshd -E files). Pure; never throws.
 */
import { parseRfc3339, parseSyslogTime } from './time';

export interface Header {
  /** Epoch ms from the line, or NaN when the line carries no time. */
  timeMs: number;
  host: string;
  prog: string;
  pid: string;
  /** Index where the message text starts. */
  msgStart: number;
}

let lastStamp = '';
let lastNow = 0;
let lastMs = NaN;

function syslogTime(stamp: string, nowMs: number, parse: (s: string, n: number) => number): number {
  if (stamp !== lastStamp || nowMs !== lastNow) {
    lastStamp = stamp;
    lastNow = nowMs;
    lastMs = parse(stamp, nowMs);
  }
  return lastMs;
}

const rfc = (s: string) => parseRfc3339(s);

/** Parses a syslog header; returns null when the line has one but it is malformed. */
export function parseSyslogHeader(line: string, nowMs: number): Header | null {
  let timeMs: number;
  let pos: number;
  const c0 = line.charCodeAt(0);
  if (c0 >= 65 && c0 <= 90 && line.charCodeAt(15) === 32) {
    // "Nov 26 16:12:20 "
    timeMs = syslogTime(line.slice(0, 15), nowMs, parseSyslogTime);
    pos = 16;
  } else if (c0 >= 48 && c0 <= 57 && line.charCodeAt(4) === 45 && line.charCodeAt(10) === 84) {
    // "2026-11-22T01:36:50.392818+00:00 "
    const sp = line.indexOf(' ', 19);
    if (sp < 0 || sp > 40) return null;
    timeMs = syslogTime(line.slice(0, sp), nowMs, rfc);
    pos = sp + 1;
  } else {
    return null;
  }
  if (Number.isNaN(timeMs)) return null;
  const hostEnd = line.indexOf(' ', pos);
  if (hostEnd < 0) return null;
  const host = line.slice(pos, hostEnd);
  const progEnd = line.indexOf(': ', hostEnd + 1);
  if (progEnd < 0 || progEnd - hostEnd > 80) return null;
  const tag = line.slice(hostEnd + 1, progEnd);
  const br = tag.indexOf('[');
  let prog = tag;
  let pid = '';
  if (br >= 0 && tag.endsWith(']')) {
    prog = tag.slice(0, br);
    pid = tag.slice(br + 1, -1);
  }
  return { timeMs, host, prog, pid, msgStart: progEnd + 2 };
}
