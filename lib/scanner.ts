/**
 * The per-line pipeline of a scan: parse → reconcile duplicate reports of one attempt → pick the ban
 * target → record the failure → check the rules. Pure apart from the history map it is given.
 */
import type { LoginEvent, Offense } from './types';
import type { SourceConfig } from './config';
import { PARSERS_IN_PLACE, type ParseContext } from './parsers';
import { type DedupState, createDeduper } from './dedup';
import { FLAG_INVALID, FLAG_SUSPICIOUS, type History, recordFailure } from './detect';
import { networkOf, unbannableReason, v4Text } from './ip';
import type { BannedSet } from './banned-set';
import { type Whitelist, isWhitelisted } from './whitelist';
import { COUNT_SHIFT, EVIDENCE, EVIDENCE_MASK, EVIDENCE_SHIFT, KINDS, KIND_MASK, KIND_SHIFT, REC, R_FALLBACK, SUSPICIOUS_SHIFT, type RecordBatch, createRecorder, hasRecogniser, newBatch } from './scan-records';
import { linesOf } from './log-reader';
import type { KeptFailures } from './kept-failures';

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
  return isWhitelisted(net, whitelist) || unbannableReason(net) !== null ? ip : net;
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
  /** Where the previous read of the same log left its connections (lib/dedup.ts DedupState). */
  dedup?: DedupState;
  /** A read of a log whose position was lost: the failures history already held, not to be counted again (lib/kept-failures.ts). */
  kept?: KeptFailures | null;
}): {
  handle: (text: string, start?: number, end?: number) => void;
  handleChunk: (buf: Buffer, start: number, end: number) => void;
  /** Replays records made elsewhere (a worker thread) for the lines that follow those handled so far. */
  replay: ((batch: RecordBatch) => void) | null;
  handleEvent: (ev: LoginEvent) => void;
  /** The connections the next read of the same log carries on from (lib/dedup.ts save()). */
  saveDedup: () => DedupState | null;
  stats: LineStats;
} {
  const { source, history, whitelist, skip } = opts;
  const kept = opts.kept ?? null;
  const parse = PARSERS_IN_PLACE[source.parser];
  if (!parse) throw new Error(`unknown parser ${source.parser}`);
  const dedup = createDeduper(opts.dedup);
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
    // A line that only names its connection's address, or a host-named PAM line (lib/dedup.ts), is no login event
    // of its own: it is not listed or counted as one, and the reconciler decides what it adds.
    if (ev.evidence !== 'address' && ev.evidence !== 'address_open' && ev.ip !== '') {
      stats.events++;
      opts.onEvent?.(ev);
    }
    countEvent(ev, suspicious.has(ev.user));
  };

  // The fast path: whole lines as bytes, recorded (scan-records.ts) and replayed here at once; or
  // recorded by a worker thread and handed to replay() in order.
  /** The event handed on for a recorded line (reused: countEvent keeps nothing of it). */
  const fev: LoginEvent = { timeMs: 0, parser: source.parser, outcome: 'failure', kind: 'password', ip: '', user: '', count: 1, conn: undefined, evidence: 'attempt' };
  let lastBannedConn = -1;
  let lastBannedV4 = -1;
  const replay = (batch: RecordBatch) => {
    stats.lines += batch.lines;
    const recs = batch.recs;
    const end = batch.n * REC;
    for (let o = 0; o < end; o += REC) {
      const code = recs[o] as number;
      if ((code & 3) === R_FALLBACK) {
        lastBannedConn = -1;
        const line = batch.fallbacks[recs[o + 1] as number] as string;
        const ev = parse(line, 0, line.length, ctx);
        if (ev) handleEvent(ev);
        continue;
      }
      // What the reference parser would say now (bytes.ts decide()): banned, no event, or the event.
      const v4 = recs[o + 1] as number;
      const conn = recs[o + 2] as number;
      const kind = KINDS[(code >> KIND_SHIFT) & KIND_MASK] as LoginEvent['kind'];
      if (kind === 'success') {
        // Counted as an event, and that is all a success does to a scan (dedup.count ignores it).
        if (!Number.isNaN(recs[o + 3] as number)) stats.events++;
        continue;
      }
      const evidence = EVIDENCE[(code >> EVIDENCE_SHIFT) & EVIDENCE_MASK] as LoginEvent['evidence'];
      if (evidence === 'address' || evidence === 'address_open') {
        // "Connection closed by authenticating user …" (which ends its connection) or "Postponed keyboard-interactive
        // …" (which does not): counts only what its pid held, checked like any failure then (countEvent); a banned
        // address drops what was held, and the line is not one "about a banned address".
        const t = recs[o + 3] as number;
        if (Number.isNaN(t)) continue;
        if (skip.hasV4(v4)) {
          dedup.seenV4(conn, v4);
          continue;
        }
        const ip = v4String(v4);
        if (!dedup.address(conn, ip, t, evidence === 'address')) continue;
        fev.timeMs = t;
        fev.kind = kind;
        fev.evidence = evidence;
        fev.count = 0;
        fev.conn = conn;
        fev.ip = ip;
        countEvent(fev, ((code >> SUSPICIOUS_SHIFT) & 1) === 1, v4);
        continue;
      }
      if ((conn === lastBannedConn && v4 === lastBannedV4) || skip.hasV4(v4)) {
        // The record before was about the same connection and banned address: still banned (bans are only
        // added), and seenV4 left that connection either forgotten or with this address: nothing to do.
        stats.banned++;
        if (conn !== lastBannedConn || v4 !== lastBannedV4) {
          dedup.seenV4(conn, v4);
          lastBannedConn = conn;
          lastBannedV4 = v4;
        }
        continue;
      }
      lastBannedConn = -1;
      const t = recs[o + 3] as number;
      if (Number.isNaN(t)) continue;
      stats.events++;
      fev.timeMs = t;
      fev.kind = kind;
      fev.evidence = evidence;
      fev.count = code >> COUNT_SHIFT;
      fev.conn = conn;
      fev.ip = v4String(v4);
      // The target is the address itself (IPv4), and it was just found not banned.
      countEvent(fev, ((code >> SUSPICIOUS_SHIFT) & 1) === 1, v4);
    }
    batch.n = 0;
    batch.lines = 0;
    batch.fallbacks.length = 0;
  };
  const recordable = hasRecogniser(source.parser) && !opts.onEvent;
  const batch = newBatch(1 << 12); // records per replay; a full batch is replayed and reused
  const record = recordable ? createRecorder({ parser: source.parser, suspicious: source.rules.suspiciousUsers, nowMs: opts.nowMs }, batch, replay) : null;
  /** Whole lines buf[start, end) (each ending in a newline), as the reader delivers them. */
  const handleChunk = (buf: Buffer, start: number, end: number) => {
    if (!record) {
      linesOf(handle)(buf, start, end);
      return;
    }
    record(buf, start, end);
    replay(batch);
  };

  // Recent addresses' strings, reused: an attacker's lines come in bursts, and a string that was already
  // used as a Map key keeps its hash (no allocation, no re-hashing in the reconciler and the history).
  // Small while the read is (a cron run's few hundred lines), full size once it proves long.
  let v4Bits = 10;
  let v4Strings: string[] = new Array(1 << v4Bits).fill('');
  let v4Keys = new Float64Array(1 << v4Bits).fill(-1);
  const v4String = (v4: number): string => {
    if (v4Bits < 16 && stats.lines > 1 << 15) {
      v4Bits = 16;
      v4Strings = new Array(1 << v4Bits).fill('');
      v4Keys = new Float64Array(1 << v4Bits).fill(-1);
    }
    const i = Math.imul(v4 | 0, 0x9e3779b1) >>> (32 - v4Bits);
    if (v4Keys[i] === v4) return v4Strings[i] as string;
    const text = v4Text(v4);
    v4Keys[i] = v4;
    v4Strings[i] = text;
    return text;
  };

  /** Counts a failure; `v4` ≥ 0: an IPv4 address (its own target) just found not banned. */
  const countEvent = (ev: LoginEvent, isSus: boolean, v4 = -1) => {
    const v4Free = v4 >= 0;
    const n = dedup.count(ev, v4Free ? v4 : undefined);
    if (n === 0) return;
    if (!wlEmpty && isWhitelisted(ev.ip, whitelist)) {
      stats.failures += n;
      return;
    }
    // Loopback and the like are never banned (a local user's failed `ssh root@localhost`); counted as failures.
    if (v4Free ? v4 === 0x7f000001 || v4 >>> 24 === 0 || v4 >>> 24 >= 224 : unbannableReason(ev.ip) !== null) {
      stats.failures += n;
      return;
    }
    const target = v4Free ? ev.ip : banTarget(ev.ip, source.ipv6Prefix, whitelist);
    if (!v4Free && skip.has(target)) {
      stats.banned++;
      return;
    }
    stats.failures += n;
    const tSec = Math.floor(ev.timeMs / 1000);
    // The one check a normal scan pays: null unless this log is read again after its position was lost.
    const m = kept === null ? n : n - kept.take(target, tSec, n);
    if (m === 0) return;
    const flags = (isSus ? FLAG_SUSPICIOUS : 0) | (ev.kind === 'invalid_user' ? FLAG_INVALID : 0);
    const off = recordFailure(history, target, tSec, m, flags, source.rules, source.name);
    if (off) {
      skip.add(target);
      history.delete(target);
      opts.onOffense(off);
    }
  };
  return { handle, handleChunk, replay: recordable ? replay : null, handleEvent, saveDedup: dedup.save, stats };
}
