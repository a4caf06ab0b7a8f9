/**
 * Adding a few lines to a long sorted list of lines, as bytes. The scan's short path (lib/quick-commit.ts)
 * adds a handful of bans to a deny file and a stamp that each list tens of thousands: splitting, re-joining
 * and re-encoding all of those lines cost more than everything else such a run does (in a fresh process, the
 * strings also have to be allocated, copied by the garbage collector and freed). Here the untouched runs of
 * lines stay slices of the old file, only the new lines are rendered, and the pieces are written as they are
 * (lib/atomic-write.ts takes a list of buffers): not even one copy of the whole file is made. Lines are
 * taken out the same way when bans run out (deletionPoints, spliceOutLines).
 */
import { sortByTarget } from './ip';
import type { SortedTargets } from './target-lines';

/** New targets and where they go: `targets[i]` goes before the line that starts at byte `at[i]` of the list (at ascending). */
export interface Insertions {
  targets: string[];
  at: number[];
}

/** Where each of `added` goes in `sorted` (deny-file order, lib/ip.ts targetBefore); ones already there are left out. */
export function insertionPoints(sorted: SortedTargets, added: readonly string[]): Insertions {
  const targets: string[] = [];
  const at: number[] = [];
  let from = sorted.from;
  for (const a of sortByTarget(added, (t) => t)) {
    const k = sorted.lowerBound(a, from);
    if (sorted.holdsAt(k, a) || targets[targets.length - 1] === a) continue;
    targets.push(a);
    at.push(k);
    from = k;
  }
  return { targets, at };
}

/**
 * The same insertions into another rendering of the same list (the deny file's block for the stamp's list):
 * each target goes before the line of the target it went before in `of`.
 */
export function insertionPointsIn(lines: SortedTargets, of: SortedTargets, ins: Insertions): Insertions {
  const at: number[] = [];
  let from = lines.from;
  for (let i = 0; i < ins.targets.length; i++) {
    const k = ins.at[i] as number;
    from = k < of.to ? lines.lowerBound(of.textAt(k), from) : lines.to;
    at.push(from);
  }
  return { targets: ins.targets, at };
}

/** `buf` with the line `render(t)` put before byte `at` for each insertion, as the pieces to write in order. */
export function spliceLines(buf: Buffer, ins: Insertions, render: (t: string) => string): Buffer[] {
  if (ins.targets.length === 0) return [buf];
  const parts: Buffer[] = [];
  let copied = 0;
  for (let n = 0; n < ins.at.length; n++) {
    const k = ins.at[n] as number;
    parts.push(buf.subarray(copied, k), Buffer.from(`${render(ins.targets[n] as string)}\n`, 'latin1'));
    copied = k;
  }
  parts.push(buf.subarray(copied));
  return parts;
}

/** Where the lines holding `targets` (sorted, all in `sorted`) start; null when one is not there. */
export function deletionPoints(sorted: SortedTargets, targets: readonly string[]): number[] | null {
  const at: number[] = [];
  let from = sorted.from;
  for (const t of targets) {
    const k = sorted.lowerBound(t, from);
    if (!sorted.holdsAt(k, t)) return null;
    at.push(k);
    from = k;
  }
  return at;
}

/** `buf` without the lines starting at `at` (ascending), as the pieces to write in order. */
export function spliceOutLines(buf: Buffer, at: readonly number[]): Buffer[] {
  if (at.length === 0) return [buf];
  const parts: Buffer[] = [];
  let copied = 0;
  for (const k of at) {
    parts.push(buf.subarray(copied, k));
    copied = buf.indexOf(10, k) + 1;
  }
  parts.push(buf.subarray(copied));
  return parts;
}
