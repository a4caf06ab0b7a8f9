/**
 * Adding a few lines to a long sorted list of lines, as bytes. The scan's short path (lib/quick-commit.ts)
 * adds a handful of bans to a deny file and a stamp that each list tens of thousands: splitting, re-joining
 * and re-encoding all of those lines cost more than everything else such a run does (in a fresh process, the
 * strings also have to be allocated, copied by the garbage collector and freed). Here the untouched runs of
 * lines are copied as slices of the old file, and only the new lines are rendered.
 */
import { lowerBound, sortByTarget } from './ip';

/** New targets and where they go: `targets[i]` goes before line `at[i]` of the sorted list (at ascending). */
export interface Insertions {
  targets: string[];
  at: number[];
}

/** Where each of `added` goes in `sorted` (deny-file order, lib/ip.ts targetBefore); ones already there are left out. */
export function insertionPoints(sorted: readonly string[], added: readonly string[]): Insertions {
  const targets: string[] = [];
  const at: number[] = [];
  let from = 0;
  for (const a of sortByTarget(added, (t) => t)) {
    const k = lowerBound(sorted, a, from);
    if (sorted[k] === a || targets[targets.length - 1] === a) continue;
    targets.push(a);
    at.push(k);
    from = k;
  }
  return { targets, at };
}

/**
 * `buf` with the line `render(t)` for each inserted target put before line `at` of the list that starts at byte
 * `from`, where line j (`sorted[j]`) takes `lineBytes(sorted[j])` bytes with its newline. What follows the
 * last insertion is copied as it is. The rendered lines must be ASCII (targets are).
 */
export function spliceLines(buf: Buffer, from: number, sorted: readonly string[], ins: Insertions, lineBytes: (t: string) => number, render: (t: string) => string): Buffer {
  if (ins.targets.length === 0) return buf;
  const parts: Buffer[] = [];
  let j = 0;
  let off = from; // where line j starts
  let copied = 0;
  for (let n = 0; n < ins.at.length; n++) {
    const k = ins.at[n] as number;
    for (; j < k; j++) off += lineBytes(sorted[j] as string);
    parts.push(buf.subarray(copied, off), Buffer.from(`${render(ins.targets[n] as string)}\n`, 'latin1'));
    copied = off;
  }
  parts.push(buf.subarray(copied));
  return Buffer.concat(parts);
}
