/**
 * Sorted lists of ban targets read straight from the bytes of a file (the stamp's body, the deny file's
 * managed block), one per line, searched without splitting them into strings.
 *
 * A cron run that reads a few hundred new lines asks the stamp's list a few hundred questions. Splitting its
 * tens of thousands of lines into strings first cost more than everything else such a run does: the split
 * itself, then the garbage collector copying strings it could not free. Searching the bytes instead must
 * not walk them in JavaScript either: in a fresh process that code runs in V8's interpreter, at tens of
 * thousands of instructions per question. So the stamp keeps its list as fixed-width records (TargetRecords):
 * line k is at a computed offset, and each step of the search is one native Buffer#compare. The deny file's
 * lines (TargetLines) are searched only for where new lines go, a few questions per commit.
 */
import { targetBefore } from './ip';

const NL = 10;
const COLON = 58;
const SPACE = 32;

/** Buffer's own latin1Slice (not in @types/node): toString('latin1', …) without its argument checks. */
type Latin1Sliceable = Buffer & { latin1Slice(start: number, end: number): string };

/** What the short path asks of a sorted list of targets; positions are byte offsets of line starts. */
export interface SortedTargets {
  readonly buf: Buffer;
  readonly from: number;
  readonly to: number;
  readonly length: number;
  textAt(s: number): string;
  first(): string | undefined;
  last(): string | undefined;
  /** Byte offset of the first line at or after `lo` (a line start) whose target is not before `t`; `to` if none. */
  lowerBound(t: string, lo?: number): number;
  /** True when the line starting at `s` (from `lowerBound`) holds `t`. */
  holdsAt(s: number, t: string): boolean;
  has(t: string): boolean;
  forEach(fn: (target: string) => void): void;
  toArray(): string[];
}

/**
 * Targets as fixed-width records: the IPv4 ones first, each padded with spaces to `w4` bytes with its
 * newline, then the IPv6 ones at `w6`. Padding keeps the order: a space sorts before every character of a
 * target, as the end of a shorter string does.
 */
export class TargetRecords implements SortedTargets {
  readonly to: number;
  readonly length: number;
  private readonly v6From: number;

  constructor(
    readonly buf: Buffer,
    readonly from: number,
    readonly v4: number,
    readonly v6: number,
    readonly w4: number,
    readonly w6: number,
  ) {
    this.length = v4 + v6;
    this.v6From = from + v4 * w4;
    this.to = this.v6From + v6 * w6;
  }

  /** Record widths for `targets` (sorted): the longest of each family, with the newline. */
  static widths(targets: readonly string[]): { v4: number; w4: number; w6: number } {
    let v4 = 0;
    let w4 = 1;
    let w6 = 1;
    for (const t of targets) {
      if (t.includes(':')) w6 = Math.max(w6, t.length + 1);
      else (v4++, (w4 = Math.max(w4, t.length + 1)));
    }
    return { v4, w4, w6 };
  }

  /** The record of `t` at its family's width (`t` must fit). */
  static record(t: string, w4: number, w6: number): string {
    return `${t.padEnd((t.includes(':') ? w6 : w4) - 1)}\n`;
  }

  /** `targets` (sorted) as records, and their widths. */
  static render(targets: readonly string[]): { bytes: Buffer; v4: number; w4: number; w6: number } {
    const w = TargetRecords.widths(targets);
    return { bytes: Buffer.from(targets.map((t) => TargetRecords.record(t, w.w4, w.w6)).join(''), 'latin1'), ...w };
  }

  private width(s: number): number {
    return s < this.v6From ? this.w4 : this.w6;
  }

  textAt(s: number): string {
    let e = s + this.width(s) - 1;
    while (e > s && this.buf[e - 1] === SPACE) e--;
    return this.buf.toString('latin1', s, e);
  }

  first(): string | undefined {
    return this.length ? this.textAt(this.from) : undefined;
  }

  last(): string | undefined {
    return this.length ? this.textAt(this.to - (this.v6 ? this.w6 : this.w4)) : undefined;
  }

  lowerBound(t: string, lo0: number = this.from): number {
    const v6 = t.includes(':');
    const w = v6 ? this.w6 : this.w4;
    // Its family's records only: every IPv4 target is before every IPv6 one.
    const base = v6 ? this.v6From : this.from;
    const end = v6 ? this.to : this.v6From;
    // A key longer than any record of its family goes after a record equal to its first w - 1 characters.
    const long = t.length > w - 1;
    const key = long ? t.slice(0, w - 1) : t.padEnd(w - 1);
    let lo = Math.ceil((Math.min(Math.max(lo0, base), end) - base) / w);
    let hi = (end - base) / w;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const at = base + mid * w;
      // One native call per step: latin1Slice is the binding itself, where toString and compare first run
      // JavaScript argument checks (in a fresh process, interpreted: that cost more than the whole search).
      const x = (this.buf as Latin1Sliceable).latin1Slice(at, at + w - 1);
      if (x < key || (long && x === key)) lo = mid + 1;
      else hi = mid;
    }
    return base + lo * w;
  }

  holdsAt(s: number, t: string): boolean {
    return s < this.to && this.textAt(s) === t;
  }

  has(t: string): boolean {
    return this.holdsAt(this.lowerBound(t), t);
  }

  forEach(fn: (target: string) => void): void {
    for (let s = this.from; s < this.to; s += this.width(s)) fn(this.textAt(s));
  }

  toArray(): string[] {
    const out: string[] = [];
    this.forEach((t) => out.push(t));
    return out;
  }
}

/** Targets one per line, as the deny file's block holds them (`decode` gives the target a line holds). */
export class TargetLines implements SortedTargets {
  /**
   * Lines [from, to) of `buf`, each ending in a newline, in deny-file order (lib/ip.ts targetBefore) of the
   * targets they hold. `length`: how many there are (the caller knows, from what wrote them). `decode`:
   * the target a line holds (a deny-file line's `ALL: [2001:db8::1]`); absent, the line is the target.
   */
  constructor(
    readonly buf: Buffer,
    readonly from: number,
    readonly to: number,
    readonly length: number,
    private readonly decode?: (line: string) => string,
  ) {}

  /** A list of `targets` (sorted) in a buffer of its own: for tests, and for callers that hold strings. */
  static of(targets: readonly string[]): TargetLines {
    const buf = Buffer.from(targets.length ? `${targets.join('\n')}\n` : '', 'latin1');
    return new TargetLines(buf, 0, buf.length, targets.length);
  }

  /** Where the line holding byte `at` (from ≤ at < to) starts. */
  private lineStart(at: number, lo: number): number {
    let p = at;
    while (p > lo && this.buf[p - 1] !== NL) p--;
    return p;
  }

  /** Where the line starting at `s` ends (its newline; every line has one, `to` is just past the last). */
  private lineEnd(s: number): number {
    // A loop, not buf.indexOf: lines are short, and Buffer#indexOf's argument checks cost more than the search.
    const b = this.buf;
    let e = s;
    while (e < this.to && b[e] !== NL) e++;
    return e;
  }

  /** The target on the line starting at byte `s` (a line start in [from, to)). */
  textAt(s: number): string {
    const line = this.buf.toString('latin1', s, this.lineEnd(s));
    return this.decode ? this.decode(line) : line;
  }

  first(): string | undefined {
    return this.to > this.from ? this.textAt(this.from) : undefined;
  }

  last(): string | undefined {
    return this.to > this.from ? this.textAt(this.lineStart(this.to - 1, this.from)) : undefined;
  }

  /** -1, 0 or 1: the target on line [s, e) against `t`, in deny-file order. */
  private compare(s: number, e: number, t: string): number {
    if (this.decode) {
      const x = this.decode(this.buf.toString('latin1', s, e));
      return x === t ? 0 : targetBefore(x, t) ? -1 : 1;
    }
    const b = this.buf;
    // targetBefore on the bytes: IPv4 before IPv6, then by text (targets are ASCII).
    let v6 = false;
    for (let i = s; i < e; i++) {
      if (b[i] === COLON) {
        v6 = true;
        break;
      }
    }
    const tv6 = t.includes(':');
    if (v6 !== tv6) return tv6 ? -1 : 1;
    const n = Math.min(e - s, t.length);
    for (let i = 0; i < n; i++) {
      const c = b[s + i] as number;
      const d = t.charCodeAt(i);
      if (c !== d) return c < d ? -1 : 1;
    }
    return e - s === t.length ? 0 : e - s < t.length ? -1 : 1;
  }

  /** Byte offset of the first line at or after `lo` (a line start) whose target is not before `t`; `to` if none. */
  lowerBound(t: string, lo: number = this.from): number {
    let hi = this.to;
    while (lo < hi) {
      const s = this.lineStart((lo + hi) >>> 1, lo);
      const e = this.lineEnd(s);
      if (this.compare(s, e, t) < 0) lo = e + 1;
      else hi = s;
    }
    return lo;
  }

  /** True when the line starting at `s` (from `lowerBound`) holds `t`. */
  holdsAt(s: number, t: string): boolean {
    return s < this.to && this.compare(s, this.lineEnd(s), t) === 0;
  }

  has(t: string): boolean {
    return this.holdsAt(this.lowerBound(t), t);
  }

  forEach(fn: (target: string) => void): void {
    for (let s = this.from; s < this.to; ) {
      const e = this.lineEnd(s);
      const line = this.buf.toString('latin1', s, e);
      fn(this.decode ? this.decode(line) : line);
      s = e + 1;
    }
  }

  toArray(): string[] {
    const out: string[] = [];
    this.forEach((t) => out.push(t));
    return out;
  }
}
