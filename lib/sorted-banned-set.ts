/**
 * A BannedSet over the stamp's sorted list of active targets, answering by binary search until it has been
 * asked often. Building the hash table for tens of thousands of targets costs several milliseconds in a fresh
 * process, more than a cron run that reads a few hundred new lines spends on everything else; a long read
 * still gets the table (built on the LOOKUPS_BEFORE_TABLE-th question). Answers are the same either way: the
 * targets are canonical, so a canonical IPv4 address is in the table exactly when its text is in the list.
 */
import { BannedSet } from './banned-set';
import { v4Text } from './ip';
import type { SortedTargets } from './target-lines';

const LOOKUPS_BEFORE_TABLE = 4096;

export class SortedBannedSet extends BannedSet {
  private readonly sorted: SortedTargets;
  private readonly extra = new Set<string>();
  private lookups = 0;
  private built = false;
  /** inList's answers so far (the list never changes; `extra` is asked first). */
  private readonly answers = new Map<string, boolean>();

  /** `sorted`: distinct targets in deny-file order (lib/ip.ts targetBefore). */
  constructor(sorted: SortedTargets) {
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
    if (this.extra.has(target)) return true;
    // An attacker's address comes back line after line (5 or 6 per connection): its answer is kept, and only
    // new addresses are searched for (and count towards building the table).
    const known = this.answers.get(target);
    if (known !== undefined) return known;
    if (++this.lookups > LOOKUPS_BEFORE_TABLE) {
      this.build();
      return super.has(target);
    }
    const r = this.inList(target);
    this.answers.set(target, r);
    return r;
  }

  override hasAt(text: string, from: number, to: number): boolean {
    return this.built ? super.hasAt(text, from, to) : this.has(text.slice(from, to));
  }

  override hasV4(addr: number): boolean {
    return this.built ? super.hasV4(addr) : this.has(v4Text(addr));
  }

  /** True when `target` is one of the targets given at construction (not one added since). */
  inList(target: string): boolean {
    return this.sorted.has(target);
  }

  private build(): void {
    this.built = true;
    this.sorted.forEach((t) => super.add(t));
    for (const t of this.extra) super.add(t);
  }
}
