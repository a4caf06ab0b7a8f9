/**
 * The first half of the scan's per-line pipeline, with no state: split whole lines out of a byte chunk, run
 * the byte-level recogniser (lib/parsers/bytes.ts) and write what it found as fixed-size numeric records;
 * lines it leaves to the reference parser are decoded and passed along as text. The second half (banned
 * check, reconciling, counting: scanner.ts replay) reads the records in order.
 *
 * Splitting the pipeline here is what lets a big scan use a second core: a worker thread
 * (lib/scan-worker.ts) can record the second part of a log while the main thread handles the first, and
 * the main thread then replays the worker's records exactly as if it had recorded them itself.
 */
import type { LoginEvent } from './types';
import { EVENT, FALLBACK, type ByteEvent, newByteEvent } from './parsers/bytes';
import { sshdBytes } from './parsers/sshd-bytes';
import { proftpdBytes } from './parsers/proftpd-bytes';

/** Numbers per record: code, address (or fallback index), connection, time. */
export const REC = 4;
export const R_EVENT = 1;
export const R_FALLBACK = 3;

export const KINDS: LoginEvent['kind'][] = ['password', 'invalid_user', 'refused', 'max_attempts', 'success'];
/** Four bits of a record (scanner.ts replay reads them back). */
export const EVIDENCE: LoginEvent['evidence'][] = ['attempt', 'pam', 'pam_unix', 'pam_more', 'connection', 'pam_bare', 'attempt_kbd', 'address', 'address_open'];

/**
 * An R_EVENT record's code: bits 0-1 the record type, then the kind (3 bits), the evidence (4 bits), the
 * suspicious-user flag (1 bit) and the count (the rest: sshd's "PAM N more" has at most 4 digits, so the code
 * stays a small integer).
 */
const KIND_SHIFT = 2;
const KIND_MASK = 7;
const EVIDENCE_SHIFT = 5;
const EVIDENCE_MASK = 15;
const SUSPICIOUS_SHIFT = 9;
const COUNT_SHIFT = 10;
// Exported apart from their declarations: this module's own uses then compile to constants, not to loads of
// `exports.X` in the recorder's per-line loop.
export { KIND_SHIFT, KIND_MASK, EVIDENCE_SHIFT, EVIDENCE_MASK, SUSPICIOUS_SHIFT, COUNT_SHIFT };

type Recogniser = (b: Buffer, p: number, e: number, ev: ByteEvent, nowMs: number) => number;
const RECOGNISERS: Record<string, Recogniser> = { sshd: sshdBytes, proftpd: proftpdBytes };

/** True when `parser` has a byte-level recogniser (others are parsed line by line as text). */
export const hasRecogniser = (parser: string): boolean => parser in RECOGNISERS;

/** Records of some lines, in line order. */
export interface RecordBatch {
  recs: Float64Array;
  /** Records written. */
  n: number;
  /** Lines for the reference parser; an R_FALLBACK record holds the index. */
  fallbacks: string[];
  /** Lines seen (including those that made no record). */
  lines: number;
}

export const newBatch = (capacity: number): RecordBatch => ({ recs: new Float64Array(capacity * REC), n: 0, fallbacks: [], lines: 0 });

/** What the recorder needs to know about its source. */
export interface RecorderOptions {
  parser: string;
  /** Suspicious user names (their records carry a flag: the user name itself is never copied). */
  suspicious: readonly string[];
  nowMs: number;
}

/**
 * Makes a recorder: record(buf, start, end) records the whole lines buf[start, end) into `batch`, calling
 * `full(batch)` whenever it fills up (the callee empties or grows it).
 */
export function createRecorder(opts: RecorderOptions, batch: RecordBatch, full: (b: RecordBatch) => void): (buf: Buffer, start: number, end: number) => void {
  const recognise = RECOGNISERS[opts.parser];
  if (!recognise) throw new Error(`no byte-level recogniser for ${opts.parser}`);
  const sus = opts.suspicious.map((u) => Buffer.from(u, 'utf8'));
  const isSuspicious = (b: Buffer, from: number, to: number): boolean => {
    for (let k = 0; k < sus.length; k++) {
      const u = sus[k] as Buffer;
      if (u.length !== to - from) continue;
      let i = 0;
      while (i < u.length && u[i] === b[from + i]) i++;
      if (i === u.length) return true;
    }
    return false;
  };
  const ev = newByteEvent();
  const nowMs = opts.nowMs;
  return (buf, start, end) => {
    let pos = start;
    while (pos < end) {
      let nl = buf.indexOf(10, pos);
      if (nl < 0 || nl > end) nl = end;
      let e = nl;
      if (e > pos && buf[e - 1] === 13) e--;
      if (e > pos) {
        batch.lines++;
        const r = recognise(buf, pos, e, ev, nowMs);
        if (r === EVENT || r === FALLBACK) {
          const recs = batch.recs;
          const o = batch.n * REC;
          if (r === EVENT) {
            recs[o] = R_EVENT | (KINDS.indexOf(ev.kind) << KIND_SHIFT) | (EVIDENCE.indexOf(ev.evidence) << EVIDENCE_SHIFT) | ((isSuspicious(buf, ev.userFrom, ev.userTo) ? 1 : 0) << SUSPICIOUS_SHIFT) | (ev.count << COUNT_SHIFT);
            recs[o + 1] = ev.v4;
            recs[o + 2] = ev.conn as number;
            recs[o + 3] = ev.timeMs;
          } else {
            recs[o] = R_FALLBACK;
            recs[o + 1] = batch.fallbacks.length;
            batch.fallbacks.push(buf.toString('utf8', pos, e));
          }
          if (++batch.n * REC === batch.recs.length) full(batch);
        }
      }
      pos = nl + 1;
    }
  };
}

/** Doubles a batch's room (a worker posts whole chunks: a chunk of very short lines may need more). */
export function growBatch(b: RecordBatch): void {
  const bigger = new Float64Array(b.recs.length * 2);
  bigger.set(b.recs);
  b.recs = bigger;
}
