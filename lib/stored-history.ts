/**
 * A source's failure history as history.bin holds it, decoded only where a scan looks.
 *
 * A cron run that reads a few hundred new lines touches a few hundred of the thousands of targets the
 * history tracks, yet turning every entry into a Map entry with its own array when loading, and every one
 * back into bytes when saving, cost more than reading and counting the new lines (cold code: each of those
 * loops runs once per process). Here the stored entries stay in the typed arrays they were read into; an
 * entry becomes an ordinary Map entry when it is read, changed or deleted, and saving copies the untouched
 * ones as bytes (lib/scan-state.ts encodeHistoryBin). It behaves as the Map it extends, order included:
 * stored entries keep their place, new targets come after them; iterating it first decodes everything.
 */
import type { Failure } from './types';

/** Entries as read from history.bin: entry i is targets[i], with failures floats[from[i], to[i]). */
export interface StoredEntries {
  targets: string[];
  floats: Float64Array;
  from: Uint32Array;
  to: Uint32Array;
}

/** What a stored entry has become: still only stored, an entry of the Map (read or changed), or deleted. */
const STORED = 0;
const IN_MAP = 1;
const DELETED = 2;

export class StoredHistory extends Map<string, Failure[]> {
  /** null once everything was decoded (then this is a plain Map). */
  private stored: StoredEntries | null;
  private readonly index = new Map<string, number>();
  private readonly state: Uint8Array;
  /** Stored entries still in STORED state. */
  private live: number;

  constructor(stored: StoredEntries) {
    super();
    this.stored = stored;
    const n = stored.targets.length;
    for (let i = 0; i < n; i++) this.index.set(stored.targets[i] as string, i);
    this.state = new Uint8Array(n);
    this.live = n;
  }

  /** The entry number of a target still only stored, or -1. */
  private storedAt(target: string): number {
    if (!this.stored) return -1;
    const i = this.index.get(target);
    return i !== undefined && this.state[i] === STORED ? i : -1;
  }

  private decode(i: number): Failure[] {
    const s = this.stored as StoredEntries;
    const a = s.from[i] as number;
    const n = (s.to[i] as number) - a;
    // A plain loop: Array.from(floats.subarray(…)) makes a typed array per entry, several µs each in cold code.
    const list: Failure[] = new Array(n);
    for (let j = 0; j < n; j++) list[j] = s.floats[a + j] as number;
    return list;
  }

  override get size(): number {
    return super.size + (this.stored ? this.live : 0);
  }

  override get(target: string): Failure[] | undefined {
    const v = super.get(target);
    if (v !== undefined) return v;
    const i = this.storedAt(target);
    if (i < 0) return undefined;
    const list = this.decode(i);
    this.state[i] = IN_MAP;
    this.live--;
    super.set(target, list);
    return list;
  }

  override has(target: string): boolean {
    return super.has(target) || this.storedAt(target) >= 0;
  }

  override set(target: string, list: Failure[]): this {
    const i = this.storedAt(target);
    if (i >= 0) {
      this.state[i] = IN_MAP;
      this.live--;
    }
    return super.set(target, list);
  }

  override delete(target: string): boolean {
    const i = this.stored ? this.index.get(target) : undefined;
    if (i !== undefined && this.state[i] !== DELETED) {
      if (this.state[i] === STORED) this.live--;
      this.state[i] = DELETED;
      super.delete(target);
      return true;
    }
    return super.delete(target);
  }

  override clear(): void {
    this.stored = null;
    super.clear();
  }

  /**
   * Drops failures packed below `keepFrom` from the entries still only stored, and those left with none
   * (lib/detect.ts pruneHistory prunes the decoded ones). Trimmed in place in the typed arrays: sorted, so
   * nearly all need one comparison.
   */
  pruneStored(keepFrom: number): void {
    const s = this.stored;
    if (!s) return;
    const { floats, from, to, targets } = s;
    for (let i = 0; i < targets.length; i++) {
      if (this.state[i] !== STORED) continue;
      let f = from[i] as number;
      const e = to[i] as number;
      if (f < e && (floats[f] as number) >= keepFrom) continue;
      while (f < e && (floats[f] as number) < keepFrom) f++;
      from[i] = f;
      if (f === e) {
        this.state[i] = DELETED;
        this.live--;
      }
    }
  }

  /**
   * For encodeHistoryBin, in the order iterating would give: `run(i, j)` for each run of entries i..j-1 that
   * are still only stored and lie back to back in `floats` (so they copy as one block), and
   * `mapped(target, list)` for each Map entry.
   */
  visit(run: (s: StoredEntries, i: number, j: number) => void, mapped: (target: string, list: Failure[]) => void): void {
    const s = this.stored;
    if (!s) {
      super.forEach((list, k) => mapped(k, list));
      return;
    }
    const { from, to, targets } = s;
    const n = targets.length;
    let start = -1; // first entry of the current run
    for (let i = 0; i < n; i++) {
      const st = this.state[i];
      if (st === STORED && start >= 0 && from[i] === to[i - 1]) continue;
      if (start >= 0) run(s, start, i);
      start = -1;
      if (st === STORED) start = i;
      else if (st === IN_MAP) mapped(targets[i] as string, super.get(targets[i] as string) as Failure[]);
    }
    if (start >= 0) run(s, start, n);
    // Then the targets that were not stored (or were deleted and came back), in the order they were added.
    super.forEach((list, k) => {
      const i = this.index.get(k);
      if (i === undefined || this.state[i] === DELETED) mapped(k, list);
    });
  }

  /** Turns every stored entry into a Map entry, keeping the order, and becomes a plain Map. */
  private decodeAll(): void {
    const s = this.stored;
    if (!s) return;
    const all: [string, Failure[]][] = [];
    this.visit(
      (_, i, j) => {
        for (let k = i; k < j; k++) all.push([s.targets[k] as string, this.decode(k)]);
      },
      (k, list) => all.push([k, list]),
    );
    this.stored = null;
    super.clear();
    for (const [k, v] of all) super.set(k, v);
  }

  override forEach(cb: (value: Failure[], key: string, map: Map<string, Failure[]>) => void, thisArg?: unknown): void {
    this.decodeAll();
    super.forEach(cb, thisArg);
  }

  override entries(): MapIterator<[string, Failure[]]> {
    this.decodeAll();
    return super.entries();
  }

  override keys(): MapIterator<string> {
    this.decodeAll();
    return super.keys();
  }

  override values(): MapIterator<Failure[]> {
    this.decodeAll();
    return super.values();
  }

  override [Symbol.iterator](): MapIterator<[string, Failure[]]> {
    return this.entries();
  }
}
