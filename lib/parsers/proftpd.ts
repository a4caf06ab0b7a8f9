/**
 * ProFTPD messages, from the SystemLog file, from syslog, or from an ExtendedLog with the AUTH format
 * the README recommends. The client address is always the one ProFTPD writes in brackets in the
 * session prefix "(name[IP])" — which comes before any text the client typed — or, in the ExtendedLog,
 * the %a field, which also comes before the user name. Pure; never throws.
 */
import type { LoginEvent } from '../types';
import { parseIp } from '../ip';
import { connKey, headerTime, pidNumber, progIs, scanSyslogHeader } from './syslog-header';
import { parseClfTime, parseLocalDateTime } from './time';
import type { ParseContext } from './index';

const PROFTPD = ['proftpd'];
const ANON_REJECT = ': AnonRejectPasswords denies login';

type Msg = Pick<LoginEvent, 'outcome' | 'kind' | 'user' | 'evidence'>;

/**
 * "USER bob (Login failed): <reason>" or "ANON ftp (Login failed): <reason>": the last "(Login failed)" is the
 * server's (the name comes before it). Null when there is none.
 */
function loginFailed(msg: string): Msg | null {
  const lf = msg.lastIndexOf(' (Login failed): ');
  if (lf < 0) return null;
  const reason = msg.slice(lf + 17);
  const user = msg.slice(5, lf);
  const kind = /^(?:No such user|Invalid user|User .* not found)/i.test(reason) ? 'invalid_user' : /password/i.test(reason) ? 'password' : 'refused';
  return { outcome: 'failure', kind, user, evidence: 'attempt' };
}

/** Classifies the message after the session prefix. */
export function parseProftpdMessage(msg: string): Msg | null {
  if (msg.startsWith('USER ')) {
    // "USER bob: Login successful." / "USER bob: no such user found from … to …" /
    // "USER bob (Login failed): Incorrect password". The user name is client text and may contain any of
    // these phrases, so the server-written ending is matched first, from the end of the line.
    if (msg.endsWith(': Login successful.') || msg.endsWith(': Login successful')) {
      return { outcome: 'success', kind: 'success', user: msg.slice(5, msg.lastIndexOf(': Login successful')), evidence: 'attempt' };
    }
    // "USER bob: Authenticated without password" is a login that succeeded (anonymous, .tlslogin): a name
    // such as "x (Login failed): y" must not make it a failure.
    if (msg.endsWith(': Authenticated without password')) return null;
    const ns = msg.lastIndexOf(': no such user found from ');
    if (ns >= 0 && /^: no such user found from \S+ \[[^\]\s]+\] to \S+$/.test(msg.slice(ns))) {
      return { outcome: 'failure', kind: 'invalid_user', user: msg.slice(5, ns), evidence: 'attempt' };
    }
    return loginFailed(msg);
  }
  if (msg.startsWith('ANON ')) {
    // "ANON ftp (Login failed): Limit access denies login" (mod_auth.c; older releases end it "login."): an
    // <Anonymous> login refused. The name is the USER argument as sent. "ANON AUTH: User ftp, authenticating
    // using alias <name>" ends in client text (a login going ahead), so a name must not make it a failure.
    if (msg.startsWith('ANON AUTH: ')) return null;
    // "ANON ftp: AnonRejectPasswords denies login": the password (an e-mail address) matched AnonRejectPasswords
    // and the login failed like a wrong password (mod_auth.c "goto auth_failure"). The ending is the server's,
    // checked before any "(Login failed)" a name may hold; the address is the session prefix's either way.
    if (msg.endsWith(ANON_REJECT)) return { outcome: 'failure', kind: 'refused', user: msg.slice(5, msg.length - ANON_REJECT.length), evidence: 'attempt' };
    return loginFailed(msg);
  }
  if (msg.startsWith('SECURITY VIOLATION: ') && /root login attempted/i.test(msg)) {
    return { outcome: 'failure', kind: 'refused', user: 'root', evidence: 'connection' };
  }
  if (msg.startsWith('Maximum login attempts')) {
    return { outcome: 'failure', kind: 'max_attempts', user: '', evidence: 'connection' };
  }
  return null;
}

/**
 * Finds the session prefix "(name[IP])" right after the server name; returns the IP and where the message starts.
 * `sep` is ": " in the SystemLog file and " - " through syslog.
 */
function sessionPrefix(line: string, from: number): { ip: string; msgStart: number } | null {
  // "<server> (<client name>[<client ip>])"
  const open = line.indexOf(' (', from);
  if (open < 0 || open - from > 255) return null;
  const close = line.indexOf('])', open);
  if (close < 0 || close - open > 320) return null;
  const lb = line.lastIndexOf('[', close);
  if (lb <= open) return null;
  const ip = parseIp(line.slice(lb + 1, close));
  if (!ip) return null;
  let msgStart = close + 2;
  if (line.startsWith(': ', msgStart)) msgStart += 2;
  else if (line.startsWith(' - ', msgStart)) msgStart += 3;
  else return null;
  return { ip, msgStart };
}

function event(timeMs: number, ip: string, m: Msg, conn?: number): LoginEvent {
  return { timeMs, parser: 'proftpd', outcome: m.outcome, kind: m.kind, ip, user: m.user, count: 1, conn, evidence: m.evidence };
}

/**
 * ExtendedLog line written by `LogFormat autoban "%t %a %m %s %U"` (or with %{iso8601} instead of %t):
 * "[22/Nov/2026:01:32:05 +0000] 192.0.2.7 PASS 530 bob". PASS with 530 is a failed login, 230 a success.
 */
function parseExtended(line: string, timeMs: number, rest: number): LoginEvent | null {
  const sp1 = line.indexOf(' ', rest);
  if (sp1 < 0) return null;
  const ip = parseIp(line.slice(rest, sp1));
  if (!ip) return null;
  if (!line.startsWith('PASS ', sp1 + 1)) return null;
  const code = line.slice(sp1 + 6, sp1 + 9);
  if (line.charCodeAt(sp1 + 9) !== 32 && sp1 + 9 !== line.length) return null;
  const user = line.slice(sp1 + 10);
  if (code === '530') return event(timeMs, ip, { outcome: 'failure', kind: 'password', user, evidence: 'attempt' });
  if (code === '230') return event(timeMs, ip, { outcome: 'success', kind: 'success', user, evidence: 'attempt' });
  return null;
}

/**
 * Parses the ProFTPD line s[start, end). A failure whose address is in ctx.banned is reported to
 * ctx.onBanned instead (see ParseContext).
 */
export function parseProftpdAt(s: string, start: number, end: number, ctx: ParseContext): LoginEvent | null {
  const ev = parseProftpd(s.slice(start, end), ctx);
  if (ev && ctx.banned !== undefined && ev.outcome === 'failure' && ctx.banned.has(ev.ip)) {
    ctx.onBanned?.(typeof ev.conn === 'number' ? ev.conn : undefined, ev.ip, 0, ev.ip.length);
    return null;
  }
  return ev;
}

/** Parses one ProFTPD line in any of the supported layouts. */
export function parseProftpd(line: string, ctx: ParseContext): LoginEvent | null {
  if (line.length < 20) return null;
  const c0 = line.charCodeAt(0);
  if (c0 === 91) {
    // "[22/Nov/2026:01:32:05 +0000] …" ExtendedLog with %t
    const end = line.indexOf('] ');
    if (end !== 27) return null;
    const t = parseClfTime(line.slice(0, 28));
    return Number.isNaN(t) ? null : parseExtended(line, t, 29);
  }
  if (c0 >= 48 && c0 <= 57 && line.charCodeAt(10) === 32) {
    // "2026-11-22 01:32:05,187 host proftpd[15120] server (client[ip]): msg" (SystemLog file)
    // or "2026-11-22 01:32:05,187 192.0.2.7 PASS 530 bob" (ExtendedLog with %{iso8601})
    const tsEnd = line.indexOf(' ', 11);
    if (tsEnd < 0) return null;
    const t = parseLocalDateTime(line.slice(0, tsEnd));
    if (Number.isNaN(t)) return null;
    const hostEnd = line.indexOf(' ', tsEnd + 1);
    if (hostEnd < 0) return null;
    if (line.startsWith('PASS ', hostEnd + 1)) return parseExtended(line, t, tsEnd + 1);
    const tagEnd = line.indexOf(' ', hostEnd + 1);
    const tag = line.slice(hostEnd + 1, tagEnd);
    if (!tag.startsWith('proftpd[')) return null;
    const sp = sessionPrefix(line, tagEnd + 1);
    if (!sp) return null;
    const m = parseProftpdMessage(line.slice(sp.msgStart));
    return m ? event(t, sp.ip, m, pidNumber(tag.slice(8, -1))) : null;
  }
  // Through syslog: "Nov 22 01:32:05 host proftpd[15120]: server (client[ip]) - msg"
  const h = scanSyslogHeader(line, 0, line.length);
  if (!h || !progIs(line, h, PROFTPD)) return null;
  const sp = sessionPrefix(line, h.msgStart);
  if (!sp) return null;
  const m = parseProftpdMessage(line.slice(sp.msgStart));
  if (!m) return null;
  const t = headerTime(line, 0, h, ctx.nowMs);
  return Number.isNaN(t) ? null : event(t, sp.ip, m, connKey(line, h));
}

/** A ProFTPD message from journald: "server (client[IP]) - USER …", time and pid from trusted fields. */
export function parseProftpdJournal(msg: string, timeMs: number, conn: number | undefined): LoginEvent | null {
  const sp = sessionPrefix(msg, 0);
  if (!sp) return null;
  const m = parseProftpdMessage(msg.slice(sp.msgStart));
  return m ? event(timeMs, sp.ip, m, conn) : null;
}
