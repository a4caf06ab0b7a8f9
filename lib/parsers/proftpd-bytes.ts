/**
 * The ProFTPD fast path (see bytes.ts for the contract): SystemLog lines
 * "2026-11-22 01:32:05,187 host proftpd[15120] server (name[IP]): USER bob (Login failed): Incorrect password",
 * "… ANON ftp (Login failed): Limit access denies login" and the other messages of such a session, recognised
 * on bytes. Mirrors proftpd.ts parseProftpd; every other layout (syslog, ExtendedLog) and message is FALLBACK.
 */
import { type ByteEvent, EVENT, FALLBACK, LocalTimeCache, NONE, ascii, endsWith, hasAt, pidBytes, v4Bytes } from './bytes';

const PROFTPD = ascii('proftpd[');
const PASS = ascii('PASS ');
const USER = ascii('USER ');
const WRONG_PASSWORD = ascii(' (Login failed): Incorrect password');
const ANON = ascii('ANON ');
const ANON_AUTH = ascii('ANON AUTH: ');
const ANON_LIMIT = ascii(' (Login failed): Limit access denies login');
const ANON_LIMIT_DOT = ascii(' (Login failed): Limit access denies login.');
const ANON_REJECT = ascii(': AnonRejectPasswords denies login');
const SECURITY = ascii('SECURITY VIOLATION: ');
const MAXIMUM = ascii('Maximum login attempts');

const stamps = new LocalTimeCache();

/** First `c` in b[from, e) no further than `max` bytes on; -1 if none; -2 on a byte >= 0x80 (fall back). */
function findByte(b: Uint8Array, c: number, from: number, e: number, max: number): number {
  for (let i = from; i < e && i - from <= max; i++) {
    const x = b[i] as number;
    if (x === c) return i;
    if (x >= 128) return -2;
  }
  return -1;
}

/** Recognises the ProFTPD line b[p, e); fills `ev` as sshdBytes does. */
export function proftpdBytes(b: Buffer, p: number, e: number, ev: ByteEvent): number {
  if (e - p < 20) return NONE;
  const c0 = b[p] as number;
  if (c0 < 48 || c0 > 57 || b[p + 10] !== 32) return FALLBACK; // ExtendedLog with %t, or through syslog
  for (let i = p; i < p + 11; i++) if ((b[i] as number) >= 128) return FALLBACK;
  const tsEnd = findByte(b, 32, p + 11, e, e);
  if (tsEnd === -2) return FALLBACK;
  if (tsEnd < 0) return NONE;
  const t = stamps.time(b, p, tsEnd);
  if (Number.isNaN(t)) return NONE;
  const hostEnd = findByte(b, 32, tsEnd + 1, e, e);
  if (hostEnd === -2) return FALLBACK;
  if (hostEnd < 0) return NONE;
  if (hasAt(b, hostEnd + 1, PASS, e)) return FALLBACK; // ExtendedLog with %{iso8601}
  const tagEnd = findByte(b, 32, hostEnd + 1, e, e);
  if (tagEnd < 0) return FALLBACK;
  if (!hasAt(b, hostEnd + 1, PROFTPD, tagEnd)) return NONE;
  if (b[tagEnd - 1] !== 93) return FALLBACK;
  const pid = pidBytes(b, hostEnd + 9, tagEnd - 1);
  if (pid < 0) return FALLBACK;
  // The session prefix "server (name[IP])": proftpd.ts sessionPrefix.
  const from = tagEnd + 1;
  let open = -1;
  for (let i = from; i + 1 < e && i - from <= 255; i++) {
    const x = b[i] as number;
    if (x >= 128) return FALLBACK;
    if (x === 32 && b[i + 1] === 40) {
      open = i;
      break;
    }
  }
  if (open < 0) return NONE;
  let close = -1;
  for (let i = open; i + 1 < e && i - open <= 320; i++) {
    const x = b[i] as number;
    if (x >= 128) return FALLBACK;
    if (x === 93 && b[i + 1] === 41) {
      close = i;
      break;
    }
  }
  if (close < 0) return NONE;
  let lb = close - 1;
  while (lb > open && b[lb] !== 91) lb--;
  if (lb <= open) return NONE;
  const v4 = v4Bytes(b, lb + 1, close);
  if (v4 < 0) return FALLBACK;
  let ms = close + 2;
  if (b[ms] === 58 && b[ms + 1] === 32 && ms + 2 <= e) ms += 2;
  else if (b[ms] === 32 && b[ms + 1] === 45 && b[ms + 2] === 32 && ms + 3 <= e) ms += 3;
  else return NONE;
  // proftpd.ts parseProftpdMessage. A message ending in "(Login failed): Incorrect password" cannot also end
  // in "Login successful" or match its "no such user found … to HOST" form, so the user is all before it.
  let kind: ByteEvent['kind'] = 'password';
  if (hasAt(b, ms, USER, e)) {
    if (!endsWith(b, WRONG_PASSWORD, ms, e)) return FALLBACK;
    ev.userFrom = ms + 5;
    ev.userTo = Math.max(e - WRONG_PASSWORD.length, ms + 5);
  } else if (hasAt(b, ms, ANON, e)) {
    // "ANON ftp (Login failed): Limit access denies login[.]" and "ANON ftp: AnonRejectPasswords denies login":
    // as above, the user is all before the ending; neither names a password or an unknown user, so both are
    // "refused". "ANON AUTH: …" is left to proftpd.ts.
    const tail = endsWith(b, ANON_LIMIT, ms, e) ? ANON_LIMIT.length : endsWith(b, ANON_LIMIT_DOT, ms, e) ? ANON_LIMIT_DOT.length : endsWith(b, ANON_REJECT, ms, e) ? ANON_REJECT.length : -1;
    if (tail < 0 || hasAt(b, ms, ANON_AUTH, e)) return FALLBACK;
    ev.userFrom = ms + 5;
    ev.userTo = Math.max(e - tail, ms + 5);
    kind = 'refused';
  } else {
    return hasAt(b, ms, SECURITY, e) || hasAt(b, ms, MAXIMUM, e) ? FALLBACK : NONE;
  }
  ev.conn = pid;
  ev.ipFrom = lb + 1;
  ev.ipTo = close;
  ev.v4 = v4;
  ev.timeMs = t;
  ev.outcome = 'failure';
  ev.kind = kind;
  ev.evidence = 'attempt';
  ev.count = 1;
  return EVENT;
}
