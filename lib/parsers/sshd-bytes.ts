/**
 * The sshd fast path (see bytes.ts for the contract): the line shapes a brute-force attack fills a log
 * with, recognised on bytes. Each branch mirrors a case of sshd.ts parseMessage; the comments say why its
 * answer is the reference's. Anything else is FALLBACK (decode the line, ask sshd.ts).
 */
import { type ByteEvent, EVENT, FALLBACK, HeaderCache, NONE, type Pattern, StampCache, ascii, endsWith, hasAt, hdr, pidBytes, printable, progIn, quad, syslogHeader, v4Before, v4Bytes } from './bytes';

const PROGS = ['sshd', 'sshd-session', 'sshd-auth'].map(ascii);
const ERROR = ascii('error: ');
const FAILED = ascii('Failed ');
const FAILED_PASSWORD = ascii('Failed password for ');
const INVALID = ascii('Invalid user ');
const ACCEPTED = ascii('Accepted ');
const ACCEPTED_PASSWORD = ascii('Accepted password for ');
const ACCEPTED_PUBLICKEY = ascii('Accepted publickey for ');
const SSH2_KEY = ascii(' ssh2: ');
const SHA256 = ascii('SHA256:');
const MD5 = ascii('MD5:');
const PAM_AUTH = ascii('pam_unix(sshd:auth): ');
const PAM_AUTH_SESSION = ascii('pam_unix(sshd-session:auth): ');
const AUTH_FAILURE = ascii('authentication failure; ');
const PAM = ascii('PAM ');
const POSTPONED_KBD_HEAD = ascii('Postponed keyboard-interactive');
const POSTPONED_KBD = ascii('Postponed keyboard-interactive for ');
const MORE = ascii(' more authentication failure');
const SEMI = ascii('; ');
const USER = ascii('User ');
const ROOT = ascii('ROOT LOGIN REFUSED FROM ');
const MAXIMUM = ascii('maximum authentication attempts exceeded for ');
const CLOSED_INVALID = ascii('Connection closed by invalid user ');
const CONNECTION = ascii('Connection ');
const CLOSED_AUTH = ascii('Connection closed by authenticating user ');
const RESET_AUTH = ascii('Connection reset by authenticating user ');
const DISCONNECTED_AUTH = ascii('Disconnected from authenticating user ');
const DISCONNECTED_INVALID = ascii('Disconnected from invalid user ');
const DISCONNECTING = ascii('Disconnecting ');
const PREAUTH = ascii(' [preauth]');
const SSH2 = ascii(' ssh2');
const SSH1 = ascii(' ssh1');
const PORT = ascii(' port ');
const FROM = ascii(' from ');
const INVALID_USER = ascii('invalid user ');
const ILLEGAL_USER = ascii('illegal user ');
/** The pam_unix fields as sshd always fills them (PAM_FIELDS in sshd.ts accepts more; those fall back). */
const PAM_FIELDS = ascii('logname= uid=0 euid=0 tty=ssh ruser= rhost=');
const USER_EQ = ascii('user=');

const stamps = new StampCache();

/** The last header, and what it said: an sshd program?, its pid, and (once asked) its time. */
const headers = new HeaderCache();
const lastHeader = { sshd: false, pid: -1, stampLen: 0, rfc: false, timeMs: NaN, timeKnown: false };

/** Where tail() found the address, and where " from " / the space before it starts. */
const at = { ipFrom: 0, ipTo: 0, v4: -1, head: 0 };

/**
 * " PORT_DIGITS" at the end of b[ms, x) preceded by an IPv4 address, preceded by `sep` (" from ", or a
 * single space): fills `at`. sshd.ts finds the last " port " and the last " from " (or space) before it;
 * when the message ends in " port <1-5 digits>", neither can occur later (both need letters or a space,
 * and the digits, dots and the end of the message have none), so the positions found here are the same.
 * Also rules out sshd.ts's key-description branch: that needs the message to end in "SHA256:…" or "MD5:…".
 */
function tail(b: Uint8Array, ms: number, x: number, sep: Pattern | null): boolean {
  let d = x;
  while (d > ms && x - d < 6) {
    const c = b[d - 1] as number;
    if (c < 48 || c > 57) break;
    d--;
  }
  if (d === x || x - d > 5) return false;
  const portIdx = d - 6;
  if (!hasAt(b, portIdx, PORT, d) || portIdx < ms) return false;
  if (!v4Before(b, ms, portIdx)) return false;
  const ipFrom = quad.start;
  const v4 = quad.addr;
  if (sep) {
    if (ipFrom - sep.length < ms || !hasAt(b, ipFrom - sep.length, sep, ipFrom)) return false;
    at.head = ipFrom - sep.length;
  } else {
    if (ipFrom - 1 < ms || b[ipFrom - 1] !== 32) return false;
    at.head = ipFrom - 1;
  }
  at.ipFrom = ipFrom;
  at.ipTo = portIdx;
  at.v4 = v4;
  return true;
}

/**
 * Where the key description sshd appends to publickey lines (" ssh2: ED25519 SHA256:…") starts, when the
 * message b[ms, x) ends in one as sshd.ts KEY_DESC defines it (/^ ssh2: [A-Z0-9@.-]+ (?:SHA256|MD5):[A-Za-z0-9+/=:]+$/);
 * -1 otherwise. That start is also the last " ssh2: " (neither the type nor the hash can hold one).
 */
function keyDescStart(b: Uint8Array, ms: number, x: number): number {
  let i = x;
  while (i > ms) {
    const c = b[i - 1] as number;
    if (!((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 47 && c <= 58) || c === 43 || c === 61)) break; // A-Za-z / 0-9 : + =
    i--;
  }
  const hash = i;
  if (!((hasAt(b, hash, SHA256, x) && x > hash + 7) || (hasAt(b, hash, MD5, x) && x > hash + 4)) || b[hash - 1] !== 32) return -1;
  let t = hash - 1;
  while (t > ms) {
    const c = b[t - 1] as number;
    if (!((c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 64 || c === 46 || c === 45)) break; // A-Z 0-9 @ . -
    t--;
  }
  if (t === hash - 1 || !hasAt(b, t - 7, SSH2_KEY, t) || t - 7 < ms) return -1;
  return t - 7;
}

/**
 * The rest of "PREFIX U IP port N [preauth]" (the message b[ms, e) starts with `prefix`): fills `at` and the
 * user bounds of `ev` and answers EVENT; NONE without " [preauth]", FALLBACK when no address and port end it.
 */
function preauthUser(b: Uint8Array, ms: number, e: number, prefix: Pattern, ev: ByteEvent): number {
  if (!endsWith(b, PREAUTH, ms, e)) return NONE;
  if (!tail(b, ms, e - 10, null)) return FALLBACK;
  ev.userFrom = ms + prefix.length;
  ev.userTo = Math.max(at.head, ev.userFrom);
  return EVENT;
}

/** pam_unix fields from `f` to the end `e`: fills `at` and the user bounds of `ev`; false: fall back. */
function pamFields(b: Uint8Array, f: number, e: number, ev: ByteEvent): boolean {
  if (!hasAt(b, f, PAM_FIELDS, e)) return false;
  const ipFrom = f + PAM_FIELDS.length;
  let k = ipFrom;
  while (k < e) {
    const c = b[k] as number;
    if (c !== 46 && (c < 48 || c > 57)) break;
    k++;
  }
  const v4 = v4Bytes(b, ipFrom, k);
  if (v4 < 0) return false;
  // PAM_FIELDS ends in rhost=(\S+)(?: {1,2}user=(.*)| *)$
  let userFrom = e;
  if (k < e) {
    if (b[k] !== 32) return false;
    let s = k;
    while (s < e && b[s] === 32) s++;
    if (s < e) {
      if (s - k > 2 || !hasAt(b, s, USER_EQ, e) || !printable(b, s + 5, e)) return false;
      userFrom = s + 5;
    }
  }
  at.ipFrom = ipFrom;
  at.ipTo = k;
  at.v4 = v4;
  ev.userFrom = userFrom;
  ev.userTo = e;
  return true;
}

/**
 * Recognises the sshd line b[p, e). On EVENT, `ev` holds the event; its time is NaN when the header's is
 * malformed (sshd.ts then reports a banned address as banned, and drops any other line: see decide()).
 */
export function sshdBytes(b: Buffer, p: number, e: number, ev: ByteEvent, nowMs: number): number {
  if (e - p < 10) return NONE;
  const lh = lastHeader;
  let ms: number;
  if (headers.matches(b, p, e, nowMs)) {
    if (!lh.sshd) return NONE;
    ms = p + headers.len;
  } else {
    const h = syslogHeader(b, p, e);
    if (h !== EVENT) return FALLBACK; // no header: a bare `sshd -E` line (or a non-ASCII header)
    ms = hdr.msgStart;
    if (headers.store(b, p, ms - p, nowMs)) {
      lh.sshd = progIn(b, PROGS);
      lh.pid = pidBytes(b, hdr.pidStart, hdr.pidEnd);
      lh.stampLen = hdr.stampEnd - p;
      lh.rfc = hdr.rfc;
      lh.timeKnown = false;
      if (!lh.sshd) return NONE;
    } else {
      // Not cached (a header over 256 bytes): answer from this line alone.
      if (!progIn(b, PROGS)) return NONE;
      lh.pid = pidBytes(b, hdr.pidStart, hdr.pidEnd);
      lh.stampLen = hdr.stampEnd - p;
      lh.rfc = hdr.rfc;
      lh.timeKnown = false;
    }
  }
  if (ms >= e) return NONE;
  let outcome: ByteEvent['outcome'] = 'failure';
  let kind: ByteEvent['kind'];
  let evidence: ByteEvent['evidence'];
  let count = 1;
  switch (b[ms]) {
    case 70: {
      // "Failed password for [invalid user ]U from IP port N ssh2"; other methods fall back.
      if (!hasAt(b, ms, FAILED, e)) return NONE;
      if (!hasAt(b, ms, FAILED_PASSWORD, e)) return FALLBACK;
      if (e - ms >= 500) return FALLBACK; // sshd.ts refuses some lines that long (counted in characters)
      let x = e;
      if (endsWith(b, PREAUTH, ms, x)) x -= 10;
      if (endsWith(b, SSH2, ms, x) || endsWith(b, SSH1, ms, x)) x -= 5;
      if (!tail(b, ms, x, FROM)) return FALLBACK;
      // The first " for " is the one in "Failed password for ", if it ends before " from ".
      const uf = ms + FAILED_PASSWORD.length;
      if (at.head < uf) return FALLBACK;
      const invalid = at.head - uf >= 13 && (hasAt(b, uf, INVALID_USER, e) || hasAt(b, uf, ILLEGAL_USER, e));
      ev.userFrom = invalid ? uf + 13 : uf;
      ev.userTo = at.head;
      kind = invalid ? 'invalid_user' : 'password';
      evidence = 'attempt';
      break;
    }
    case 73: {
      // "Invalid user U from IP port N"
      if (!hasAt(b, ms, INVALID, e)) return NONE;
      let x = e;
      if (endsWith(b, PREAUTH, ms, x)) x -= 10;
      if (endsWith(b, SSH2, ms, x) || endsWith(b, SSH1, ms, x)) x -= 5;
      if (!tail(b, ms, x, FROM)) return FALLBACK;
      ev.userFrom = ms + 13;
      ev.userTo = Math.max(at.head, ms + 13);
      kind = 'invalid_user';
      evidence = 'connection';
      break;
    }
    case 112: {
      // "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=IP  user=U"
      let f = hasAt(b, ms, PAM_AUTH, e) ? ms + PAM_AUTH.length : hasAt(b, ms, PAM_AUTH_SESSION, e) ? ms + PAM_AUTH_SESSION.length : -1;
      if (f < 0) return NONE;
      if (!hasAt(b, f, AUTH_FAILURE, e)) {
        // sshd.ts looks for the marker within 40 characters of the message start ("check pass; user unknown"
        // has none). Characters, not bytes: with the marker anywhere in the line, let sshd.ts decide.
        for (let i = ms; i + AUTH_FAILURE.length <= e; i++) if (hasAt(b, i, AUTH_FAILURE, e)) return FALLBACK;
        return NONE;
      }
      f += AUTH_FAILURE.length;
      if (!pamFields(b, f, e, ev)) return FALLBACK;
      kind = 'password';
      evidence = 'pam_unix';
      break;
    }
    case 80: {
      if (hasAt(b, ms, POSTPONED_KBD_HEAD, e)) {
        // "Postponed keyboard-interactive for [invalid user ]U from IP port N ssh2 [preauth]": names its pid's
        // address without ending the connection ('address_open', count 0: see sshd.ts). The "/DEVICE" form and
        // any other ending fall back.
        if (!hasAt(b, ms, POSTPONED_KBD, e) || !endsWith(b, PREAUTH, ms, e) || !endsWith(b, SSH2, ms, e - 10)) return FALLBACK;
        if (!tail(b, ms, e - 15, FROM)) return FALLBACK;
        const uf = ms + POSTPONED_KBD.length;
        if (at.head < uf) return FALLBACK;
        const invalid = at.head - uf >= 13 && (hasAt(b, uf, INVALID_USER, e) || hasAt(b, uf, ILLEGAL_USER, e));
        ev.userFrom = invalid ? uf + 13 : uf;
        ev.userTo = at.head;
        kind = invalid ? 'invalid_user' : 'password';
        evidence = 'address_open';
        count = 0;
        break;
      }
      // "PAM 2 more authentication failures; logname= … rhost=IP  user=U"
      if (!hasAt(b, ms, PAM, e)) return NONE;
      let i = ms + 4;
      let n = 0;
      while (i < e && i - ms < 9) {
        const c = b[i] as number;
        if (c < 48 || c > 57) break;
        n = n * 10 + (c - 48);
        i++;
      }
      if (i === ms + 4 || i - ms > 8 || !hasAt(b, i, MORE, e)) return FALLBACK;
      i += MORE.length;
      if (b[i] === 115) i += 1; // failures
      if (!hasAt(b, i, SEMI, e)) return FALLBACK;
      if (!pamFields(b, i + 2, e, ev)) return FALLBACK;
      count = n;
      kind = 'password';
      evidence = 'pam_more';
      break;
    }
    case 67: {
      // "Connection closed|reset by authenticating user U IP port N [preauth]": names its pid's address ('address',
      // count 0: see sshd.ts). The commonest line of a password attack after "Failed password": recognised here.
      if (!hasAt(b, ms, CONNECTION, e)) return NONE;
      const byAuth = hasAt(b, ms, CLOSED_AUTH, e) ? CLOSED_AUTH : hasAt(b, ms, RESET_AUTH, e) ? RESET_AUTH : null;
      if (byAuth) {
        const r = preauthUser(b, ms, e, byAuth, ev);
        if (r !== EVENT) return r;
        kind = 'password';
        evidence = 'address';
        count = 0;
        break;
      }
      // "Connection closed by invalid user U IP port N [preauth]"
      if (!hasAt(b, ms, CLOSED_INVALID, e)) return NONE;
      const r = preauthUser(b, ms, e, CLOSED_INVALID, ev);
      if (r !== EVENT) return r;
      kind = 'invalid_user';
      evidence = 'connection';
      break;
    }
    // The other messages sshd.ts knows are rare: recognise their start, leave them to it.
    case 65: {
      // "Accepted password|publickey for U from IP port N ssh2[: KEYTYPE SHA256:…]"
      if (!hasAt(b, ms, ACCEPTED, e)) return NONE;
      const prefix = hasAt(b, ms, ACCEPTED_PASSWORD, e) ? ACCEPTED_PASSWORD : hasAt(b, ms, ACCEPTED_PUBLICKEY, e) ? ACCEPTED_PUBLICKEY : null;
      if (!prefix) return FALLBACK;
      let x = e;
      if (endsWith(b, PREAUTH, ms, x)) x -= 10;
      if (endsWith(b, SSH2, ms, x) || endsWith(b, SSH1, ms, x)) x -= 5;
      else {
        x = keyDescStart(b, ms, x);
        if (x < 0) return FALLBACK;
      }
      if (!tail(b, ms, x, FROM)) return FALLBACK;
      const uf = ms + prefix.length;
      if (at.head < uf) return FALLBACK;
      ev.userFrom = uf;
      ev.userTo = at.head;
      outcome = 'success';
      kind = 'success';
      evidence = 'attempt';
      break;
    }
    case 101:
      return hasAt(b, ms, ERROR, e) ? FALLBACK : NONE;
    case 85:
      return hasAt(b, ms, USER, e) ? FALLBACK : NONE;
    case 82:
      return hasAt(b, ms, ROOT, e) ? FALLBACK : NONE;
    case 109:
      return hasAt(b, ms, MAXIMUM, e) ? FALLBACK : NONE;
    case 68:
      if (hasAt(b, ms, DISCONNECTED_AUTH, e)) {
        // "Disconnected from authenticating user U IP port N [preauth]": like "Connection closed by authenticating user".
        const r = preauthUser(b, ms, e, DISCONNECTED_AUTH, ev);
        if (r !== EVENT) return r;
        kind = 'password';
        evidence = 'address';
        count = 0;
        break;
      }
      return hasAt(b, ms, DISCONNECTED_INVALID, e) || hasAt(b, ms, DISCONNECTING, e) ? FALLBACK : NONE;
    default:
      return NONE;
  }
  const pid = lh.pid;
  if (pid < 0) return FALLBACK; // no pid: sshd.ts keys the connection by address and port
  ev.conn = pid;
  ev.ipFrom = at.ipFrom;
  ev.ipTo = at.ipTo;
  ev.v4 = at.v4;
  if (!lh.timeKnown) {
    lh.timeMs = stamps.time(b, p, p + lh.stampLen, lh.rfc ? 1 : 0, nowMs);
    // Only a cached header's time may be reused (the header of this line is the cached one unless too long).
    lh.timeKnown = headers.len > 0;
  }
  ev.timeMs = lh.timeMs;
  ev.outcome = outcome;
  ev.kind = kind;
  ev.evidence = evidence;
  ev.count = count;
  return EVENT;
}
