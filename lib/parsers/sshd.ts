/**
 * OpenSSH sshd messages. Every message that names the client puts the address in a fixed place that
 * sshd writes after any attacker-chosen text (the user name), so the address is always taken from the
 * END of the message (or, for PAM lines, from the fixed field order before `user=`). Pure; never throws.
 *
 * Lines are parsed in place: a message is s[ms, end) inside the reader's chunk, and the helpers below keep
 * every search inside those bounds, so no string is made for a line until it turns out to be an event.
 */
import type { LoginEvent } from '../types';
import { parseIp } from '../ip';
import type { BannedSet } from '../banned-set';
import { connKey, headerTime, progIs, scanSyslogHeader } from './syslog-header';
import type { ParseContext } from './index';

const PROGS = ['sshd', 'sshd-session', 'sshd-auth'];

/** The event, with time and connection filled in by the caller (one object per event: this is the hot path). */
function ev(outcome: 'failure' | 'success', kind: LoginEvent['kind'], ip: string, user: string, evidence: LoginEvent['evidence'], port?: string, count = 1): LoginEvent {
  return { timeMs: 0, parser: 'sshd', outcome, kind, ip, user, count, conn: undefined, evidence, port };
}

/** True when s[from, to) is 1–5 decimal digits. Hand-written: this runs for most lines of a busy log. */
function isPort(s: string, from: number, to: number): boolean {
  if (to - from < 1 || to - from > 5) return false;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** s[ms, end) ends with `p` at `e` (not reaching back before the message). */
const endsAt = (s: string, p: string, ms: number, e: number): boolean => e - p.length >= ms && s.endsWith(p, e);

/**
 * Like msg.lastIndexOf(p, e) on the message alone (a match cannot run past the line: no pattern holds a
 * newline). Hand-written: the patterns sit a few characters from where the search starts, and
 * String#lastIndexOf is a runtime call that costs more than walking back those few characters.
 */
function lastIn(s: string, p: string, ms: number, e: number): number {
  const c = p.charCodeAt(0);
  for (let i = e; i >= ms; i--) if (s.charCodeAt(i) === c && s.startsWith(p, i)) return i;
  return -1;
}

/** Like msg.indexOf(p, from) on the message s[.., end) alone. */
function firstIn(s: string, p: string, from: number, end: number): number {
  const i = s.indexOf(p, from);
  return i >= 0 && i + p.length <= end ? i : -1;
}

const KEY_DESC = /^ ssh2: [A-Z0-9@.-]+ (?:SHA256|MD5):[A-Za-z0-9+/=:]+$/;

/**
 * Returned instead of an event when the message's address is one the caller already bans
 * (ParseContext.banned): a first scan of a big log under attack meets most lines of an address after it
 * was banned, and those lines then cost only finding the address.
 */
const BANNED: unique symbol = Symbol('banned');
/** Where the banned address of the last BANNED result is written. */
const bannedHit = { text: '', from: 0, to: 0 };
function bannedAt(text: string, from: number, to: number): typeof BANNED {
  bannedHit.text = text;
  bannedHit.from = from;
  bannedHit.to = to;
  return BANNED;
}

/** Where fromTail / userIpPortTail found things (reused: one message is parsed at a time). */
const tail = { ip: '', head: 0, portStart: -1, portEnd: -1 };

/** The address text s[from, to): canonical, null when not an address, or BANNED when `banned` holds it. */
function addressAt(s: string, from: number, to: number, banned: BannedSet | undefined): string | null | typeof BANNED {
  if (banned !== undefined && banned.hasAt(s, from, to)) return bannedAt(s, from, to);
  return parseIp(s.slice(from, to));
}

/**
 * "… from IP port N ssh2[: KEYTYPE SHA256:…]", "… from IP port N" or "… from IP" at the END of the message
 * s[ms, end) (before an optional " [preauth]"). Fills `tail` (head = where " from " starts).
 */
function fromTail(s: string, ms: number, end: number, banned: BannedSet | undefined): boolean | typeof BANNED {
  if (endsAt(s, ' [preauth]', ms, end)) end -= 10;
  if (endsAt(s, ' ssh2', ms, end) || endsAt(s, ' ssh1', ms, end)) end -= 5;
  else {
    // sshd's key description after "ssh2: " (publickey failures/successes): "ssh2: RSA SHA256:abc".
    const keyIdx = lastIn(s, ' ssh2: ', ms, end);
    if (keyIdx >= 0 && KEY_DESC.test(s.slice(keyIdx, end))) end = keyIdx;
  }
  tail.portStart = tail.portEnd = -1;
  const portIdx = lastIn(s, ' port ', ms, end);
  if (portIdx >= 0 && isPort(s, portIdx + 6, end)) {
    tail.portStart = portIdx + 6;
    tail.portEnd = end;
    end = portIdx;
  }
  const fromIdx = lastIn(s, ' from ', ms, end);
  if (fromIdx < 0) return false;
  const ip = addressAt(s, fromIdx + 6, Math.max(fromIdx + 6, end), banned);
  if (ip === BANNED) return BANNED;
  if (!ip) return false;
  tail.ip = ip;
  tail.head = fromIdx;
  return true;
}

const tailPort = (s: string): string | undefined => (tail.portStart < 0 ? undefined : s.slice(tail.portStart, tail.portEnd));

/** "… USER IP port N" at the end of s[ms, end) (Connection closed / Disconnecting forms, no "from"). */
function userIpPortTail(s: string, ms: number, end: number, banned: BannedSet | undefined): boolean | typeof BANNED {
  const portIdx = lastIn(s, ' port ', ms, end);
  if (portIdx < 0 || !isPort(s, portIdx + 6, end)) return false;
  const sp = lastIn(s, ' ', ms, portIdx - 1);
  if (sp < 0) return false;
  const ip = addressAt(s, sp + 1, Math.max(sp + 1, portIdx), banned);
  if (ip === BANNED) return BANNED;
  if (!ip) return false;
  tail.ip = ip;
  tail.head = sp;
  tail.portStart = portIdx + 6;
  tail.portEnd = end;
  return true;
}

/** "[invalid user ]U" in s[from, to) → the user, and whether sshd called it invalid. */
const forUser = { user: '', invalid: false };
function userAfter(s: string, from: number, to: number): typeof forUser {
  forUser.invalid = to - from >= 13 && (s.startsWith('invalid user ', from) || s.startsWith('illegal user ', from));
  forUser.user = to > from ? s.slice(forUser.invalid ? from + 13 : from, to) : '';
  return forUser;
}

/** The message (from ms) starts with `prefix`, and the prefix ends before the address part found by fromTail/userIpPortTail. */
const headStarts = (s: string, ms: number, prefix: string): boolean => tail.head - ms >= prefix.length && s.startsWith(prefix, ms);

/** The user written from `from` up to the address part (empty when the address part starts first). */
const userTo = (s: string, from: number): string => (tail.head > from ? s.slice(from, tail.head) : '');

// pam_unix's fixed field order: logname= uid= euid= tty= ruser= rhost= [ user=]. The first rhost after
// ruser= is the one sshd gave PAM; a user name can only add text after it. Anchored at both ends, no
// nested quantifiers: linear time on any input.
const PAM_FIELDS = /^logname=\S* uid=\d+ euid=\d+ tty=\S* ruser=\S* rhost=(\S+)(?: {1,2}user=(.*)| *)$/;

function pamFields(s: string, from: number, end: number, banned: BannedSet | undefined): { ip: string; user: string } | null | typeof BANNED {
  const text = s.slice(from, end);
  if (banned !== undefined) {
    // The first " rhost=" is the one PAM_FIELDS captures: every field before it is \S*, and a user name
    // comes after it. A banned address only needs the line's shape confirmed (test() builds no captures).
    const r = firstIn(s, ' rhost=', from, end);
    if (r >= 0) {
      let e = firstIn(s, ' ', r + 7, end);
      if (e < 0) e = end;
      if (banned.hasAt(s, r + 7, e)) return PAM_FIELDS.test(text) ? bannedAt(s, r + 7, e) : null;
    }
  }
  const m = PAM_FIELDS.exec(text);
  if (!m) return null;
  // With UseDNS yes sshd gives PAM the client's host name: never resolved, never taken for an address. The
  // line is returned without one (ip ''), and lib/dedup.ts counts it for the address its connection's own
  // lines name (same pid), or not at all.
  return { ip: parseIp(m[1] as string) ?? '', user: m[2] ?? '' };
}

/**
 * "… from NAME" at the end of s[ms, end): sshd's " from %.100s" with the host name UseDNS yes resolved (no port
 * follows, and a name holds no space). Fills tail.head; false when the tail is not one such token or is an address.
 */
function fromNameTail(s: string, ms: number, end: number): boolean {
  const fromIdx = lastIn(s, ' from ', ms, end);
  if (fromIdx < 0 || end - fromIdx - 6 < 1 || end - fromIdx - 6 > 100) return false;
  for (let i = fromIdx + 6; i < end; i++) if (s.charCodeAt(i) <= 32) return false;
  if (parseIp(s.slice(fromIdx + 6, end))) return false;
  tail.head = fromIdx;
  tail.portStart = tail.portEnd = -1;
  return true;
}

/** The "error: PAM: REASON for " reasons counted (see parseMessage), with the " for " after each. */
const PAM_REASONS = ['Authentication failure for ', 'User not known to the underlying authentication module for ', 'authentication error for '] as const;
const CHANGE_USER = ': Change of username or service not allowed: (';
const PAM_MORE = /^PAM (\d{1,4}) more authentication failures?; /;
const ROOT_REFUSED = /^ROOT LOGIN REFUSED FROM (\S+)(?: port (\d{1,5}))?(?: \[preauth\])?$/;

/** "REASON for [illegal user ]U from IP" from r (see case 101 of parseMessage); `bare`: the -E form. */
function pamReason(s: string, ms: number, r: number, end: number, banned: BannedSet | undefined, bare: boolean): LoginEvent | null | typeof BANNED {
  const k = PAM_REASONS.findIndex((reason) => s.startsWith(reason, r));
  if (k < 0) return null;
  const t = fromTail(s, ms, end, banned);
  if (t === BANNED) return t;
  // UseDNS yes: "… from HOSTNAME". Kept without an address (see pamFields) under its pid; the -E form has
  // neither pid nor port, so nothing can tell its connection: not counted (lib/dedup.ts, README).
  const named = t !== true && !bare && fromNameTail(s, ms, end);
  if (t !== true && !named) return null;
  const { user, invalid } = userAfter(s, r + PAM_REASONS[k]!.length, tail.head);
  // sshd logs every failure of a user that does not exist at INFO ("Failed keyboard-interactive/pam for invalid
  // user U …" follows each one): in the -E file that line counts it, and this one would count it again.
  if (bare && invalid) return null;
  return ev('failure', invalid || k === 1 ? 'invalid_user' : 'password', named ? '' : tail.ip, user, bare ? 'pam_bare' : 'pam', named ? undefined : tailPort(s));
}

/** "PREFIX U IP port N [preauth]", the user from ms + userAt: the 'address' event (see case 67 of parseMessage). */
function addressLine(s: string, ms: number, end: number, userAt: number): LoginEvent | null {
  if (!endsAt(s, ' [preauth]', ms, end) || userIpPortTail(s, ms, end - 10, undefined) !== true) return null;
  return ev('failure', 'password', tail.ip, userTo(s, ms + userAt), 'address', tailPort(s), 0);
}

/**
 * "Postponed keyboard-interactive[/DEVICE] for [invalid user ]U from IP port N ssh2 [preauth]" (the message s[ms, end)
 * starts with "Postponed keyboard-interactive"): the 'address_open' event (see case 80 of parseMessage). DEVICE is
 * the server's kbdint device ("pam", "bsdauth"), never client text.
 */
function postponedLine(s: string, ms: number, end: number): LoginEvent | null {
  let u = ms + 30;
  if (u < end && s.charCodeAt(u) === 47) {
    let d = u + 1;
    while (d < end && d - u <= 16 && s.charCodeAt(d) >= 97 && s.charCodeAt(d) <= 122) d++;
    if (d === u + 1 || d - u > 16) return null;
    u = d;
  }
  if (u + 5 > end || !s.startsWith(' for ', u)) return null;
  if (fromTail(s, ms, end, undefined) !== true) return null;
  const { user, invalid } = userAfter(s, u + 5, tail.head);
  return ev('failure', invalid ? 'invalid_user' : 'password', tail.ip, user, 'address_open', tailPort(s), 0);
}

/**
 * Parses the message s[ms, end) of an sshd line. With `banned`, a failure whose address is in it yields
 * the BANNED marker instead of an event.
 */
function parseMessage(s: string, ms: number, end: number, banned: BannedSet | undefined, bare = false): LoginEvent | null | typeof BANNED {
  // Newer sshd prefixes some messages with "error: " ("error: maximum authentication attempts exceeded …").
  if (s.startsWith('error: ', ms) && !s.startsWith('error: PAM: ', ms)) ms += 7;
  if (ms >= end) return null;
  switch (s.charCodeAt(ms)) {
    case 70: {
      // F: "Failed password for [invalid user ]U from IP port N ssh2"
      if (!s.startsWith('Failed ', ms)) return null;
      // sshd cuts a message at 500 characters (syslog(pri, "%.500s"); 1021 in an -E file). A Failed line that
      // long names a key after " ssh2: ", and a certificate's ID there is the client's text: cut inside it, the
      // line can end in a "from IP port N" of the client's choosing.
      if (end - ms >= 500 && firstIn(s, ' ssh2: ', ms, end) >= 0) return null;
      const t = fromTail(s, ms, end, banned);
      if (t !== true) return t || null;
      const forIdx = firstIn(s, ' for ', ms, tail.head);
      if (forIdx < 0) return null;
      const { user, invalid } = userAfter(s, forIdx + 5, tail.head);
      // -E only: the Failed line of an attempt whose portless PAM line may have counted it (lib/dedup.ts pairs them).
      const kbdPam = bare && !invalid && s.startsWith('Failed keyboard-interactive/pam for ', ms);
      return ev('failure', invalid ? 'invalid_user' : 'password', tail.ip, user, kbdPam ? 'attempt_kbd' : 'attempt', tailPort(s));
    }
    case 73: {
      // I: "Invalid user U from IP port N"
      if (!s.startsWith('Invalid user ', ms)) return null;
      const t = fromTail(s, ms, end, banned);
      if (t !== true) return t || null;
      return ev('failure', 'invalid_user', tail.ip, userTo(s, ms + 13), 'connection', tailPort(s));
    }
    case 65: {
      // A: "Accepted password for U from IP port N ssh2" (successes are not counted: never skipped)
      if (!s.startsWith('Accepted ', ms)) return null;
      if (fromTail(s, ms, end, undefined) !== true) return null;
      const forIdx = firstIn(s, ' for ', ms, tail.head);
      if (forIdx < 0) return null;
      return ev('success', 'success', tail.ip, userTo(s, forIdx + 5), 'attempt', tailPort(s));
    }
    case 112: {
      // p: "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=IP  user=U"
      const marker = 'authentication failure; ';
      if (!s.startsWith('pam_unix(sshd:auth): ', ms) && !s.startsWith('pam_unix(sshd-session:auth): ', ms)) return null;
      const i = firstIn(s, marker, ms, end);
      if (i < 0 || i - ms > 40) return null;
      const f = pamFields(s, i + marker.length, end, banned);
      if (f === BANNED) return BANNED;
      return f && (f.ip || !bare) ? ev('failure', 'password', f.ip, f.user, 'pam_unix') : null;
    }
    case 80: {
      // P, in sshd's -E file only (it drops the "error: " prefix there): "PAM: Authentication failure for U from IP",
      // one per failed keyboard-interactive attempt, and for a user that exists the only line of the first
      // MaxAuthTries / 2 failures of a connection (sshd logs "Failed keyboard-interactive/pam" at VERBOSE until then).
      // The line has no port; lib/dedup.ts pairs it with the Failed line that may follow ('pam_bare').
      if (bare && s.startsWith('PAM: ', ms)) return pamReason(s, ms, ms + 5, end, banned, true);
      // P, -E only: "Postponed keyboard-interactive for U from IP port N ssh2 [preauth]", which sshd logs at the
      // same level as the attempt's "Failed keyboard-interactive/pam" line, before the attempt's PAM line. It counts
      // nothing (count 0); lib/dedup.ts uses it to tell a Failed line whose PAM line came in this read.
      if (bare && s.startsWith('Postponed keyboard-interactive for ', ms)) {
        const t = fromTail(s, ms, end, banned);
        if (t !== true) return t || null;
        const { user, invalid } = userAfter(s, ms + 35, tail.head);
        return invalid ? null : ev('failure', 'password', tail.ip, user, 'kbd_postponed', tailPort(s), 0);
      }
      // P, with a pid (syslog, journald): "Postponed keyboard-interactive[/DEVICE] for [invalid user ]U from IP port N
      // ssh2 [preauth]", logged as an attempt starts (at LogLevel INFO, for a user that exists, only once its
      // connection has failed MaxAuthTries / 2 times). It counts nothing (count 0, 'address_open'): it names its
      // pid's address for the host-named PAM lines (UseDNS yes) that lib/dedup.ts holds, without ending the
      // connection as the 'address' lines do. Never BANNED, like them.
      if (!bare && s.startsWith('Postponed keyboard-interactive', ms)) return postponedLine(s, ms, end);
      // P: "PAM 2 more authentication failures; logname= … rhost=IP  user=U"
      const m = PAM_MORE.exec(s.slice(ms, Math.min(end, ms + 45)));
      if (!m) return null;
      const f = pamFields(s, ms + m[0].length, end, banned);
      if (f === BANNED) return BANNED;
      return f && (f.ip || !bare) ? ev('failure', 'password', f.ip, f.user, 'pam_more', undefined, Number(m[1])) : null;
    }
    case 101: {
      // e: "error: PAM: REASON for [illegal user ]U from IP" (auth-pam.c: "PAM: %s for %s%.100s from %.100s", the
      // reason being pam_strerror of a failed keyboard-interactive attempt). The reasons that mean a wrong
      // password or an unknown user: Linux-PAM's "Authentication failure" and "User not known to the underlying
      // authentication module", OpenPAM's "authentication error". Others (an expired account …) are not guesses.
      if (!s.startsWith('error: PAM: ', ms)) return null;
      return pamReason(s, ms, ms + 12, end, banned, false);
    }
    case 85: {
      // U: "User U from IP not allowed because not listed in AllowUsers"
      if (!s.startsWith('User ', ms)) return null;
      const i = lastIn(s, ' not allowed because ', ms, end);
      if (i < 0) return null;
      const t = fromTail(s, ms, i, banned);
      if (t !== true) return t || null;
      return ev('failure', 'refused', tail.ip, userTo(s, ms + 5), 'connection', tailPort(s));
    }
    case 82: {
      // R: "ROOT LOGIN REFUSED FROM IP [port N]"
      const m = ROOT_REFUSED.exec(s.slice(ms, end));
      if (!m) return null;
      if (banned !== undefined && banned.has(m[1] as string)) return bannedAt(m[1] as string, 0, (m[1] as string).length);
      const ip = parseIp(m[1] as string);
      return ip ? ev('failure', 'refused', ip, 'root', 'connection', m[2]) : null;
    }
    case 109: {
      // m: "maximum authentication attempts exceeded for [invalid user ]U from IP port N ssh2 [preauth]"
      if (!s.startsWith('maximum authentication attempts exceeded for ', ms)) return null;
      const t = fromTail(s, ms, end, banned);
      if (t !== true) return t || null;
      const { user, invalid } = userAfter(s, ms + 45, tail.head);
      return ev('failure', invalid ? 'invalid_user' : 'max_attempts', tail.ip, user, 'connection', tailPort(s));
    }
    case 67: {
      // C: "Connection closed|reset by authenticating user U IP port N [preauth]": the end of a connection that
      // failed to log in. It counts nothing itself (count 0, 'address'): it names the address of its pid, for the
      // host-named PAM lines of that connection (UseDNS yes) that lib/dedup.ts holds until then. Never BANNED:
      // the caller checks the address once it knows what the line stands for.
      const byAuth = s.startsWith('Connection closed by authenticating user ', ms) ? 41 : s.startsWith('Connection reset by authenticating user ', ms) ? 40 : 0;
      if (byAuth) return addressLine(s, ms, end, byAuth);
      // C: "Connection closed by invalid user U IP port N [preauth]": a connection for a user that does not
      // exist (or is not allowed) counts at least once, even when no password was tried.
      if (!s.startsWith('Connection closed by invalid user ', ms) || !endsAt(s, ' [preauth]', ms, end)) return null;
      const t = userIpPortTail(s, ms, end - 10, banned);
      if (t !== true) return t || null;
      return ev('failure', 'invalid_user', tail.ip, userTo(s, ms + 34), 'connection', tailPort(s));
    }
    case 68: {
      // D: "Disconnected from authenticating user U IP port N [preauth]": like "Connection closed by authenticating user".
      if (s.startsWith('Disconnected from authenticating user ', ms)) return addressLine(s, ms, end, 38);
      // D: "Disconnected from invalid user U IP port N [preauth]"
      if (s.startsWith('Disconnected from invalid user ', ms)) {
        if (!endsAt(s, ' [preauth]', ms, end)) return null;
        const t = userIpPortTail(s, ms, end - 10, banned);
        if (t !== true) return t || null;
        return ev('failure', 'invalid_user', tail.ip, userTo(s, ms + 31), 'connection', tailPort(s));
      }
      // D: "Disconnecting invalid user U IP port N: Too many authentication failures [preauth]"
      //    "Disconnecting authenticating user U IP port N: Too many authentication failures [preauth]"
      if (!s.startsWith('Disconnecting ', ms)) return null;
      // D: "Disconnecting invalid|authenticating user U IP port N: Change of username or service not allowed:
      //    (U,S) -> (U2,S2) [preauth]": the client asked to log in as another user on the same connection
      //    (RFC 4252 lets the server disconnect; OpenSSH's ssh never does it, user-cycling brute forcers do).
      //    The reason repeats client text, but a user name never holds a ":" (sshd cuts it at the first one for
      //    the BSD auth style) and an address never holds ": ", so the first ": " ends sshd's "IP port N". As a
      //    second check, the reason must go on with that same user name and "," (cut where sshd cuts the reason
      //    to 100 characters), so a name could only move the split by holding ": Change …: (" and itself again.
      const invalidHead = s.startsWith('Disconnecting invalid user ', ms);
      if (invalidHead || s.startsWith('Disconnecting authenticating user ', ms)) {
        const c = firstIn(s, ': ', ms, end);
        if (c >= 0 && s.startsWith(CHANGE_USER, c)) {
          if (!endsAt(s, ' [preauth]', ms, end)) return null;
          const t = userIpPortTail(s, ms, c, banned);
          if (t !== true) return t || null;
          const user = userTo(s, ms + (invalidHead ? 27 : 34));
          const again = s.slice(c + CHANGE_USER.length, end - 10);
          if (!again.startsWith(`${user},`) && !`${user},`.startsWith(again)) return null;
          return ev('failure', invalidHead ? 'invalid_user' : 'refused', tail.ip, user, 'connection', tailPort(s));
        }
      }
      let e = endsAt(s, ' [preauth]', ms, end) ? end - 10 : end;
      const suffix = ': Too many authentication failures';
      if (!endsAt(s, suffix, ms, e)) return null;
      e -= suffix.length;
      // sshd cuts the reason to 100 characters ("Disconnecting %s: %.100s"), and two of its reasons carry
      // client text: "bad service request SERVICE" and "Change of username or service not allowed: (USER,…".
      // Cut there, they can end in "IP port N: Too many authentication failures" of the client's choosing.
      if (firstIn(s, ': bad service request ', ms, e) >= 0 || firstIn(s, ': Change of username or service not allowed: ', ms, e) >= 0) return null;
      const t = userIpPortTail(s, ms, e, banned);
      if (t !== true) return t || null;
      const invalid = headStarts(s, ms, 'Disconnecting invalid user ');
      const user = invalid ? userTo(s, ms + 27) : headStarts(s, ms, 'Disconnecting authenticating user ') ? userTo(s, ms + 34) : '';
      return ev('failure', invalid ? 'invalid_user' : 'max_attempts', tail.ip, user, 'connection', tailPort(s));
    }
    default:
      return null;
  }
}

/** Parses the message part of an sshd line (one string: journald's MESSAGE). */
export function parseSshdMessage(msg: string): LoginEvent | null {
  return parseMessage(msg, 0, msg.length, undefined) as LoginEvent | null;
}

/**
 * Parses one sshd line, s[start, end) (syslog, RFC 3339 syslog, or a bare sshd -E line). Lines of other
 * programs are ignored, so an auth.log shared with su, sudo or cron is fine.
 */
export function parseSshdAt(s: string, start: number, end: number, ctx: ParseContext): LoginEvent | null {
  if (end - start < 10) return null;
  const h = scanSyslogHeader(s, start, end);
  let ms = start; // sshd -E writes the bare message
  if (h) {
    if (!progIs(s, h, PROGS)) return null;
    ms = h.msgStart;
  }
  const p = parseMessage(s, ms, end, ctx.banned, !h);
  if (p === BANNED) {
    ctx.onBanned?.(h ? connKey(s, h) : undefined, bannedHit.text, bannedHit.from, bannedHit.to);
    return null;
  }
  if (!p) return null;
  // -E lines carry no time, so the scan time stands in for them.
  p.timeMs = h ? headerTime(s, start, h, ctx.nowMs) : ctx.nowMs;
  if (Number.isNaN(p.timeMs)) return null;
  p.conn = h ? connKey(s, h) : undefined;
  if (p.conn === undefined && p.port) p.conn = `${p.ip}:${p.port}`;
  return p;
}

/** One sshd line as a string. */
export const parseSshd = (line: string, ctx: ParseContext): LoginEvent | null => parseSshdAt(line, 0, line.length, ctx);

/** An sshd message that arrived without a header (journald): time and connection come from trusted fields. */
export function parseSshdJournal(msg: string, timeMs: number, conn: number | undefined): LoginEvent | null {
  const p = parseSshdMessage(msg);
  if (!p) return null;
  p.timeMs = timeMs;
  p.conn = conn ?? (p.port ? `${p.ip}:${p.port}` : undefined);
  return p;
}
