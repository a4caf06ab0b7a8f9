/**
 * The per-line pipeline of a scan: parse → reconcile duplicate reports of one attempt → pick the ban
 * target → record the failure → check the rules. Pure apart from the history map it is given.
 */
import type { LoginEvent, Offense } from './types';
import type { SourceConfig } from './config';
import { PARSERS } from './parsers';
import { createDeduper } from './dedup';
import { FLAG_INVALID, FLAG_SUSPICIOUS, type History, recordFailure } from './detect';
import { networkOf } from './ip';
import { type Whitelist, isWhitelisted } from './whitelist';

export interface LineStats {
  lines: number;
  events: number;
  failures: number;
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
  skip: Set<string>;
  nowMs: number;
  onOffense: (o: Offense) => void;
  onEvent?: (ev: LoginEvent) => void;
}): { handle: (line: string) => void; handleEvent: (ev: LoginEvent) => void; stats: LineStats } {
  const { source, history, whitelist, skip } = opts;
  const parse = PARSERS[source.parser];
  if (!parse) throw new Error(`unknown parser ${source.parser}`);
  const dedup = createDeduper();
  const suspicious = new Set(source.rules.suspiciousUsers);
  const ctx = { nowMs: opts.nowMs };
  const stats: LineStats = { lines: 0, events: 0, failures: 0 };
  const wlEmpty = whitelist.nets.length === 0;
  const handle = (line: string) => {
    stats.lines++;
    const ev = parse(line, ctx);
    if (ev) handleEvent(ev);
  };
  /** Events that arrive already split from their header (journald entries) enter here. */
  const handleEvent = (ev: LoginEvent) => {
    stats.events++;
    opts.onEvent?.(ev);
    const n = dedup(ev);
    if (n === 0) return;
    stats.failures += n;
    if (!wlEmpty && isWhitelisted(ev.ip, whitelist)) return;
    const target = banTarget(ev.ip, source.ipv6Prefix, whitelist);
    if (skip.has(target)) return;
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
