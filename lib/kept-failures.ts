/**
 * Failures a re-read must not count twice. When a log's position is lost (positions.json damaged, the file's
 * entry gone, a journal source's cursor and mark both gone) the scan reads it again as a first run does, and the
 * failures history.bin kept from the earlier read come round a second time. Each failure history held cancels at
 * most one re-read failure of the same target at the same second (a multiset): the lines logged after the last
 * run, even in the same second as one read before, still count. Pure: built over the history as loaded.
 */
import type { Failure } from './types';
import { failureTime } from './detect';

export interface KeptFailures {
  /** How many of `n` failures of `target` at `tSec` history already held (each used once); the rest count. */
  take(target: string, tSec: number, n: number): number;
  /** Failures taken so far: read again, and not counted again. */
  readonly matched: number;
}

/**
 * A matcher over `held` (one source's failures as history.bin held them: target → packed failures), or null when
 * it holds none, so that a re-read with nothing kept costs the counting nothing. `held` must not change afterwards.
 */
export function createKeptFailures(held: ReadonlyMap<string, readonly Failure[]> | undefined): KeptFailures | null {
  if (!held || held.size === 0) return null;
  /** target → second → failures history held at that second not yet taken; built per target when first asked. */
  const left = new Map<string, Map<number, number>>();
  let matched = 0;
  return {
    get matched() {
      return matched;
    },
    take(target, tSec, n) {
      let bySec = left.get(target);
      if (!bySec) {
        bySec = new Map();
        for (const f of held.get(target) ?? []) {
          const t = failureTime(f);
          bySec.set(t, (bySec.get(t) ?? 0) + 1);
        }
        left.set(target, bySec);
      }
      const have = bySec.get(tSec);
      if (!have) return 0;
      const took = Math.min(have, n);
      bySec.set(tSec, have - took);
      matched += took;
      return took;
    },
  };
}
