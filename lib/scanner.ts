/**
 * The per-line pipeline of a scan: parse → reconcile duplicate reports of one attempt → pick the ban
 * target → record the failure → check the rules. Pure apart from the history map it is given.
 */
import type { LoginEvent, Offense } from './types';
import type { SourceConfig } from './config';
import { PARSERS_IN_PLACE, type ParseContext } from './parsers';
import { createDeduper } from './dedup';
import { FLAG_INVALID, FLAG_SUSPICIOUS, type History, recordFailure } from './detect';
import { networkOf } from './ip';
import type { BannedSet } from './banned-set';
import { type Whitelist, isWhitelisted } from './whitelist';
import { BANNED, type ByteEvent, EVENT, FALLBACK, latin1, newByteEvent } from './parsers/bytes';
import { sshdBytes } from './parsers/sshd-bytes';
import { proftpdBytes } from './parsers/proftpd-bytes';
import { linesOf } from './log-reader';

/** Byte-level fast paths (lib/parsers/bytes.ts), by parser name. */
type ByteRecogniser = (b: Buffer, p: number, e: number, ev: ByteEvent, banned: BannedSet, nowMs: number) => number;
const FAST: Record<string, ByteRecogniser> = { sshd: sshdBytes, proftpd: proftpdBytes };

export interface LineStats {
  lines: number;
  events: number;
  failures: number;
  /** Failure lines about addresses that were already banned (not counted again). */
  banned: number;
}

/** The address or network a failure from `ip` counts against (IPv6: the /ipv6_prefix, unless that would touch the whitelist). */
export function banTarget(ip: string, ipv6Prefix: number, whitelist: Whitelist): string {
  if (!ip.includes(':') || ipv6Prefix >= 128) return ip;
  const net = networkOf(ip, ipv6Prefix);
  return isWhitelisted(net, whitelist) ? ip : net;
}

/**
 * Makes a line handler for one log file of `source`. `skip` holds targets already banned (their
 * failures are not counted again); every offense found is added to it.
 */
export function createLineHandler(opts: {
  source: SourceConfig;
  history: History;
  whitelist: Whitelist;
  skip: BannedSet;
  nowMs: number;
  onOffense: (o: Offense) => void;
  onEvent?: (ev: LoginEvent) => void;
}): {
  handle: (text: string, start?: number, end?: number) => void;
  handleChunk: (buf: Buffer, start: number, end: number) => void;
  handleEvent: (ev: LoginEvent) => void;
  stats: LineStats;
} {
  const { source, history, whitelist, skip } = opts;
  const parse = PARSERS_IN_PLACE[source.parser];
  if (!parse) throw new Error(`unknown parser ${source.parser}`);
  const dedup = createDeduper();
  const suspicious = new Set(source.rules.suspiciousUsers);
  const stats: LineStats = { lines: 0, events: 0, failures: 0, banned: 0 };
  // Lines about already-banned addresses stop at the parser (see ParseContext.banned).
  const ctx: ParseContext = {
    nowMs: opts.nowMs,
    banned: opts.onEvent ? undefined : skip,
    onBanned: (conn, text, from, to) => {
      stats.banned++;
      dedup.seen(conn, text, from, to);
    },
  };
  const wlEmpty = whitelist.nets.length === 0;
  /** One line, text[start, end) (the reader passes its chunk and the line's bounds). */
  const handle = (text: string, start = 0, end = text.length) => {
    stats.lines++;
    const ev = parse(text, start, end, ctx);
    if (ev) handleEvent(ev);
  };
  /** Events that arrive already split from their header (journald entries) enter here. */
  const handleEvent = (ev: LoginEvent) => {
    stats.events++;
    opts.onEvent?.(ev);
    countEvent(ev, suspicious.has(ev.user));
  };

  // The fast path: whole lines as bytes, recognised in place; only lines it leaves undecided are decoded.
  const fast = FAST[source.parser];
  const susBytes = source.rules.suspiciousUsers.map((u) => Buffer.from(u, 'utf8'));
  const bev = newByteEvent();
  /** The event handed on for a line recognised in place (reused: handleEvent keeps nothing of it). */
  const fev: LoginEvent = { timeMs: 0, parser: source.parser, outcome: 'failure', kind: 'password', ip: '', user: '', count: 1, conn: undefined, evidence: 'attempt' };
  const isSuspicious = (b: Buffer, from: number, to: number): boolean => {
    for (const u of susBytes) {
      if (u.length !== to - from) continue;
      let i = 0;
      while (i < u.length && u[i] === b[from + i]) i++;
      if (i === u.length) return true;
    }
    return false;
  };
  /** Whole lines buf[start, end) (each ending in a newline), as the reader delivers them. */
  const handleChunk = (buf: Buffer, start: number, end: number) => {
    if (!fast || opts.onEvent) {
      linesOf(handle)(buf, start, end);
      return;
    }
    let pos = start;
    while (pos < end) {
      let nl = buf.indexOf(10, pos);
      if (nl < 0 || nl > end) nl = end;
      let e = nl;
      if (e > pos && buf[e - 1] === 13) e--;
      if (e > pos) {
        stats.lines++;
        const r = fast(buf, pos, e, bev, skip, opts.nowMs);
        if (r === EVENT) {
          stats.events++;
          fev.timeMs = bev.timeMs;
          fev.outcome = bev.outcome;
          fev.kind = bev.kind;
          fev.ip = latin1(buf, bev.ipFrom, bev.ipTo);
          fev.count = bev.count;
          fev.conn = bev.conn;
          fev.evidence = bev.evidence;
          countEvent(fev, isSuspicious(buf, bev.userFrom, bev.userTo));
        } else if (r === BANNED) {
          stats.banned++;
          dedup.seenBytes(bev.conn, buf, bev.ipFrom, bev.ipTo);
        } else if (r === FALLBACK) {
          const line = buf.toString('utf8', pos, e);
          const ev = parse(line, 0, line.length, ctx);
          if (ev) handleEvent(ev);
        }
      }
      pos = nl + 1;
    }
  };

  const countEvent = (ev: LoginEvent, isSus: boolean) => {
    const n = dedup.count(ev);
    if (n === 0) return;
    if (!wlEmpty && isWhitelisted(ev.ip, whitelist)) {
      stats.failures += n;
      return;
    }
    const target = banTarget(ev.ip, source.ipv6Prefix, whitelist);
    if (skip.has(target)) {
      stats.banned++;
      return;
    }
    stats.failures += n;
    const flags = (isSus ? FLAG_SUSPICIOUS : 0) | (ev.kind === 'invalid_user' ? FLAG_INVALID : 0);
    const off = recordFailure(history, target, Math.floor(ev.timeMs / 1000), n, flags, source.rules, source.name);
    if (off) {
      skip.add(target);
      history.delete(target);
      opts.onOffense(off);
    }
  };
  return { handle, handleChunk, handleEvent, stats };
}
