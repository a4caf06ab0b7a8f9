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
}): { handle: (text: string, start?: number, end?: number) => void; handleEvent: (ev: LoginEvent) => void; stats: LineStats } {
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
    const flags = (suspicious.has(ev.user) ? FLAG_SUSPICIOUS : 0) | (ev.kind === 'invalid_user' ? FLAG_INVALID : 0);
    const off = recordFailure(history, target, Math.floor(ev.timeMs / 1000), n, flags, source.rules, source.name);
    if (off) {
      skip.add(target);
      history.delete(target);
      opts.onOffense(off);
    }
  };
  return { handle, handleEvent, stats };
}
