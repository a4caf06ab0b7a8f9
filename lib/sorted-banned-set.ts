/**
 * A BannedSet over the stamp's sorted list of active targets, answering by binary search until it has been
 * asked often. Building the hash table for tens of thousands of targets costs several milliseconds in a fresh
 * process, more than a cron run that reads a few hundred new lines spends on everything else; a long read
 * still gets the table (built on the LOOKUPS_BEFORE_TABLE-th question). Answers are the same either way: the
 * targets are canonical, so a canonical IPv4 address is in the table exactly when its text is in the list.
 */
import { BannedSet } from './banned-set';
import { lowerBound, v4Text } from './ip';

const LOOKUPS_BEFORE_TABLE = 4096;

export class SortedBannedSet extends BannedSet {
  private readonly sorted: readonly string[];
  private readonly extra = new Set<string>();
  private lookups = 0;
  private built = false;

  /** `sorted`: distinct targets in deny-file order (lib/ip.ts targetBefore). */
  constructor(sorted: readonly string[]) {
    super();
    this.sorted = sorted;
  }

  override get size(): number {
    return this.built ? super.size : this.sorted.length + this.extra.size;
  }

  override add(target: string): void {
    if (this.built) super.add(target);
    else if (!this.has(target)) this.extra.add(target);
  }

  override has(target: string): boolean {
    if (this.built) return super.has(target);
    if (++this.lookups > LOOKUPS_BEFORE_TABLE) {
      this.build();
      return super.has(target);
    }
    return this.extra.has(target) || this.inList(target);
  }

  override hasAt(text: string, from: number, to: number): boolean {
    return this.built ? super.hasAt(text, from, to) : this.has(text.slice(from, to));
  }

  override hasV4(addr: number): boolean {
    return this.built ? super.hasV4(addr) : this.has(v4Text(addr));
  }

  /** True when `target` is one of the targets given at construction (not one added since). */
  inList(target: string): boolean {
    const s = this.sorted;
    if (target.includes(':')) return s[lowerBound(s, target, this.ipv6Start())] === target;
    // IPv4 targets come first, in plain text order: compare strings directly (no targetBefore per step).
    let lo = 0;
    let hi = this.ipv6Start();
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((s[mid] as string) < target) lo = mid + 1;
      else hi = mid;
    }
    return s[lo] === target;
  }

  private v6From = -1;
  /** Index of the first IPv6 target in `sorted` (they follow all IPv4 ones). */
  private ipv6Start(): number {
    if (this.v6From < 0) {
      const s = this.sorted;
      let lo = 0;
      let hi = s.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if ((s[mid] as string).includes(':')) hi = mid;
        else lo = mid + 1;
      }
      this.v6From = lo;
    }
    return this.v6From;
  }

  private build(): void {
    this.built = true;
    for (const t of this.sorted) super.add(t);
    for (const t of this.extra) super.add(t);
  }
}
