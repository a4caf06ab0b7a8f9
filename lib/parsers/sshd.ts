/**
 * OpenSSH sshd messages. Every message that names the client puts the address in a fixed place that
 * sshd writes after any attacker-chosen text (the user name), so the address is always taken from the
 * END of the message (or, for PAM lines, from the fixed field order before `user=`). Pure; never throws.
 */
import type { LoginEvent } from '../types';
import { parseIp } from '../ip';
import { connKey, headerTime, progIs, scanSyslogHeader } from './syslog-header';
import type { ParseContext } from './index';

const PROGS = ['sshd', 'sshd-session', 'sshd-auth'];

/** The event, with time and connection filled in by the caller (one object per event: this is the hot path). */
function ev(outcome: 'failure' | 'success', kind: LoginEvent['kind'], ip: string, user: string, evidence: LoginEvent['evidence'], port?: string, count = 1): LoginEvent {
  return { timeMs: 0, parser: 'sshd', outcome, kind, ip, user, count, conn: undefined, evidence, port };
}

/** True when msg[from, to) is 1–5 decimal digits. Hand-written: this runs for most lines of a busy log. */
function isPort(msg: string, from: number, to: number): boolean {
  if (to - from < 1 || to - from > 5) return false;
  for (let i = from; i < to; i++) {
    const c = msg.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

const KEY_DESC = /^ ssh2: [A-Z0-9@.-]+ (?:SHA256|MD5):[A-Za-z0-9+/=:]+$/;

/**
 * "… from IP port N ssh2[: KEYTYPE SHA256:…]", "… from IP port N" or "… from IP" at the END of msg (before
 * an optional " [preauth]"). Works on indexes so the common case allocates only the IP and the head.
 */
function fromTail(msg: string, end = msg.length): { head: string; ip: string; port?: string } | null {
  if (msg.endsWith(' [preauth]', end)) end -= 10;
  // sshd's key description after "ssh2: " (publickey failures/successes): "ssh2: RSA SHA256:abc".
  const keyIdx = msg.lastIndexOf(' ssh2: ', end);
  if (keyIdx >= 0 && KEY_DESC.test(msg.slice(keyIdx, end))) end = keyIdx + 5;
  if (msg.endsWith(' ssh2', end) || msg.endsWith(' ssh1', end)) end -= 5;
  let port: string | undefined;
  const portIdx = msg.lastIndexOf(' port ', end);
  if (portIdx >= 0 && isPort(msg, portIdx + 6, end)) {
    port = msg.slice(portIdx + 6, end);
    end = portIdx;
  }
  const fromIdx = msg.lastIndexOf(' from ', end);
  if (fromIdx < 0) return null;
  const ip = parseIp(msg.slice(fromIdx + 6, end));
  if (!ip) return null;
  return { head: msg.slice(0, fromIdx), ip, port };
}

/** "… USER IP port N" at the end of msg[0, end) (Connection closed / Disconnecting forms, no "from"). */
function userIpPortTail(msg: string, end = msg.length): { head: string; ip: string; port: string } | null {
  const portIdx = msg.lastIndexOf(' port ', end);
  if (portIdx < 0 || !isPort(msg, portIdx + 6, end)) return null;
  const sp = msg.lastIndexOf(' ', portIdx - 1);
  if (sp < 0) return null;
  const ip = parseIp(msg.slice(sp + 1, portIdx));
  if (!ip) return null;
  return { head: msg.slice(0, sp), ip, port: msg.slice(portIdx + 6, end) };
}

/** "for [invalid user ]U" → {user, invalid}. */
function forUser(head: string, prefixLen: number): { user: string; invalid: boolean } {
  let u = head.slice(prefixLen);
  const invalid = u.startsWith('invalid user ') || u.startsWith('illegal user ');
  if (invalid) u = u.slice(13);
  return { user: u, invalid };
}

// pam_unix's fixed field order: logname= uid= euid= tty= ruser= rhost= [ user=]. The first rhost after
// ruser= is the one sshd gave PAM; a user name can only add text after it. Anchored at both ends, no
// nested quantifiers: linear time on any input.
const PAM_FIELDS = /^logname=\S* uid=\d+ euid=\d+ tty=\S* ruser=\S* rhost=(\S+)(?: {1,2}user=(.*)| *)$/;

function pamFields(msg: string, from: number): { ip: string; user: string } | null {
  const m = PAM_FIELDS.exec(from ? msg.slice(from) : msg);
  if (!m) return null;
  const ip = parseIp(m[1] as string);
  return ip ? { ip, user: m[2] ?? '' } : null;
}

/** Parses the message part of an sshd line. */
export function parseSshdMessage(text: string): LoginEvent | null {
  // Newer sshd prefixes some messages with "error: " ("error: maximum authentication attempts exceeded …").
  const msg = text.startsWith('error: ') && !text.startsWith('error: PAM: ') ? text.slice(7) : text;
  switch (msg.charCodeAt(0)) {
    case 70: {
      // F: "Failed password for [invalid user ]U from IP port N ssh2"
      if (!msg.startsWith('Failed ')) return null;
      const t = fromTail(msg);
      if (!t) return null;
      const forIdx = t.head.indexOf(' for ');
      if (forIdx < 0) return null;
      const { user, invalid } = forUser(t.head, forIdx + 5);
      return ev('failure', invalid ? 'invalid_user' : 'password', t.ip, user, 'attempt', t.port);
    }
    case 73: {
      // I: "Invalid user U from IP port N"
      if (!msg.startsWith('Invalid user ')) return null;
      const t = fromTail(msg);
      if (!t) return null;
      return ev('failure', 'invalid_user', t.ip, t.head.slice(13), 'connection', t.port);
    }
    case 65: {
      // A: "Accepted password for U from IP port N ssh2"
      if (!msg.startsWith('Accepted ')) return null;
      const t = fromTail(msg);
      if (!t) return null;
      const forIdx = t.head.indexOf(' for ');
      if (forIdx < 0) return null;
      return ev('success', 'success', t.ip, t.head.slice(forIdx + 5), 'attempt', t.port);
    }
    case 112: {
      // p: "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=IP  user=U"
      const marker = 'authentication failure; ';
      if (!msg.startsWith('pam_unix(sshd:auth): ') && !msg.startsWith('pam_unix(sshd-session:auth): ')) return null;
      const i = msg.indexOf(marker);
      if (i < 0 || i > 40) return null;
      const f = pamFields(msg, i + marker.length);
      return f ? ev('failure', 'password', f.ip, f.user, 'pam') : null;
    }
    case 80: {
      // P: "PAM 2 more authentication failures; logname= … rhost=IP  user=U"
      const m = /^PAM (\d{1,4}) more authentication failures?; /.exec(msg);
      if (!m) return null;
      const f = pamFields(msg, m[0].length);
      return f ? ev('failure', 'password', f.ip, f.user, 'pam_more', undefined, Number(m[1])) : null;
    }
    case 101: {
      // e: "error: PAM: Authentication failure for [illegal user ]U from IP"
      if (!msg.startsWith('error: PAM: Authentication failure for ')) return null;
      const t = fromTail(msg);
      if (!t) return null;
      const { user, invalid } = forUser(t.head, 39);
      return ev('failure', invalid ? 'invalid_user' : 'password', t.ip, user, 'pam', t.port);
    }
    case 85: {
      // U: "User U from IP not allowed because not listed in AllowUsers"
      if (!msg.startsWith('User ')) return null;
      const i = msg.lastIndexOf(' not allowed because ');
      if (i < 0) return null;
      const t = fromTail(msg, i);
      return t ? ev('failure', 'refused', t.ip, t.head.slice(5), 'connection', t.port) : null;
    }
    case 82: {
      // R: "ROOT LOGIN REFUSED FROM IP [port N]"
      const m = /^ROOT LOGIN REFUSED FROM (\S+)(?: port (\d{1,5}))?(?: \[preauth\])?$/.exec(msg);
      if (!m) return null;
      const ip = parseIp(m[1] as string);
      return ip ? ev('failure', 'refused', ip, 'root', 'connection', m[2]) : null;
    }
    case 109: {
      // m: "maximum authentication attempts exceeded for [invalid user ]U from IP port N ssh2 [preauth]"
      if (!msg.startsWith('maximum authentication attempts exceeded for ')) return null;
      const t = fromTail(msg);
      if (!t) return null;
      const { user, invalid } = forUser(t.head, 45);
      return ev('failure', invalid ? 'invalid_user' : 'max_attempts', t.ip, user, 'connection', t.port);
    }
    case 67: {
      // C: "Connection closed by invalid user U IP port N [preauth]": a connection for a user that does not
      // exist (or is not allowed) counts at least once, even when no password was tried.
      if (!msg.startsWith('Connection closed by invalid user ') || !msg.endsWith(' [preauth]')) return null;
      const t = userIpPortTail(msg, msg.length - 10);
      return t ? ev('failure', 'invalid_user', t.ip, t.head.slice(34), 'connection', t.port) : null;
    }
    case 68: {
      // D: "Disconnected from invalid user U IP port N [preauth]"
      if (msg.startsWith('Disconnected from invalid user ')) {
        if (!msg.endsWith(' [preauth]')) return null;
        const t = userIpPortTail(msg, msg.length - 10);
        return t ? ev('failure', 'invalid_user', t.ip, t.head.slice(31), 'connection', t.port) : null;
      }
      // D: "Disconnecting invalid user U IP port N: Too many authentication failures [preauth]"
      //    "Disconnecting authenticating user U IP port N: Too many authentication failures [preauth]"
      if (!msg.startsWith('Disconnecting ')) return null;
      let end = msg.endsWith(' [preauth]') ? msg.length - 10 : msg.length;
      const suffix = ': Too many authentication failures';
      if (!msg.endsWith(suffix, end)) return null;
      end -= suffix.length;
      const t = userIpPortTail(msg, end);
      if (!t) return null;
      const invalid = t.head.startsWith('Disconnecting invalid user ');
      const user = invalid ? t.head.slice(27) : t.head.startsWith('Disconnecting authenticating user ') ? t.head.slice(34) : '';
      return ev('failure', invalid ? 'invalid_user' : 'max_attempts', t.ip, user, 'connection', t.port);
    }
    default:
      return null;
  }
}

/**
 * Parses one sshd line (syslog, RFC 3339 syslog, or a bare sshd -E line). Lines of other programs
 * are ignored, so an auth.log shared with su, sudo or cron is fine.
 */
export function parseSshd(line: string, ctx: ParseContext): LoginEvent | null {
  if (line.length < 10) return null;
  const h = scanSyslogHeader(line);
  let msg: string;
  if (h) {
    if (!progIs(line, h, PROGS)) return null;
    msg = line.slice(h.msgStart);
  } else {
    // sshd -E writes the bare message.
    msg = line;
  }
  const p = parseSshdMessage(msg);
  if (!p) return null;
  // -E lines carry no time, so the scan time stands in for them.
  p.timeMs = h ? headerTime(line, h, ctx.nowMs) : ctx.nowMs;
  if (Number.isNaN(p.timeMs)) return null;
  p.conn = h ? connKey(line, h) : undefined;
  if (p.conn === undefined && p.port) p.conn = `${p.ip}:${p.port}`;
  return p;
}

/** An sshd message that arrived without a header (journald): time and connection come from trusted fields. */
export function parseSshdJournal(msg: string, timeMs: number, conn: number | undefined): LoginEvent | null {
  const p = parseSshdMessage(msg);
  if (!p) return null;
  p.timeMs = timeMs;
  p.conn = conn ?? (p.port ? `${p.ip}:${p.port}` : undefined);
  return p;
}
