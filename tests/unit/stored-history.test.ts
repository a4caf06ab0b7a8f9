/**
 * StoredHistory (history.bin's entries, decoded on demand) must be indistinguishable from the plain Map it
 * stands in for: the same answers to every Map operation the scan uses, the same order, the same pruning,
 * and the same file when saved again — whichever entries were looked at, changed or deleted in between.
 */
import fc from 'fast-check';
import { decodeHistoryBin, encodeHistoryBin } from '../../lib/scan-state';
import { type History, pruneHistory, recordFailure } from '../../lib/detect';
import { StoredHistory } from '../../lib/stored-history';
import type { RuleSet } from '../../lib/types';

const targets = ['192.0.2.1', '192.0.2.2', '192.0.2.3', '198.51.100.9', '2001:db8::/64', '203.0.113.5'];

/** A history.bin of `entries` decoded again: one StoredHistory per source. */
function stored(entries: [string, number[]][]): StoredHistory {
  const h = decodeHistoryBin(encodeHistoryBin(new Map([['sshd', new Map(entries)]]))).histories.get('sshd');
  expect(h).toBeInstanceOf(StoredHistory);
  return h as StoredHistory;
}

const entriesArb = fc
  .uniqueArray(fc.constantFrom(...targets), { maxLength: targets.length })
  .chain((ts) => fc.tuple(...ts.map((t) => fc.tuple(fc.constant(t), fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 5 }).map((a) => a.sort((x, y) => x - y))))));

type Op =
  | { op: 'get' | 'has' | 'delete'; t: string }
  | { op: 'set'; t: string; list: number[] }
  | { op: 'push'; t: string; f: number }
  | { op: 'prune'; keepFrom: number }
  | { op: 'save' };
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constantFrom('get' as const, 'has' as const, 'delete' as const), t: fc.constantFrom(...targets) }),
  fc.record({ op: fc.constant('set' as const), t: fc.constantFrom(...targets), list: fc.array(fc.integer({ min: 0, max: 40 }), { maxLength: 3 }) }),
  fc.record({ op: fc.constant('push' as const), t: fc.constantFrom(...targets), f: fc.integer({ min: 0, max: 60 }) }),
  fc.record({ op: fc.constant('prune' as const), keepFrom: fc.integer({ min: 0, max: 44 }) }),
  fc.record({ op: fc.constant('save' as const) }),
);

/** pruneHistory's cut for a packed keepFrom (it takes seconds and a window). */
const prune = (h: History, keepFrom: number) => pruneHistory(h, keepFrom / 4 - 1 + 10, 10);

test('behaves exactly as a plain Map under any sequence of operations, and saves the same file', () => {
  fc.assert(
    fc.property(entriesArb, fc.array(opArb, { maxLength: 25 }), (entries, ops) => {
      const model: History = new Map(entries.map(([t, l]) => [t, [...l]]));
      let h: History = stored(entries);
      for (const o of ops) {
        switch (o.op) {
          case 'get':
            expect(h.get(o.t)).toEqual(model.get(o.t));
            break;
          case 'has':
            expect(h.has(o.t)).toBe(model.has(o.t));
            break;
          case 'delete':
            expect(h.delete(o.t)).toBe(model.delete(o.t));
            break;
          case 'set':
            h.set(o.t, [...o.list]);
            model.set(o.t, [...o.list]);
            break;
          case 'push':
            // recordFailure's way of changing a list: in place, through get()
            h.get(o.t)?.push(o.f);
            model.get(o.t)?.push(o.f);
            break;
          case 'prune':
            prune(h, o.keepFrom * 4);
            prune(model, o.keepFrom * 4);
            break;
          case 'save':
            expect(encodeHistoryBin(new Map([['sshd', h]]))).toEqual(encodeHistoryBin(new Map([['sshd', model]])));
            h = decodeHistoryBin(encodeHistoryBin(new Map([['sshd', h]]))).histories.get('sshd') ?? new Map();
            break;
        }
        expect(h.size).toBe(model.size);
      }
      expect(encodeHistoryBin(new Map([['sshd', h]]))).toEqual(encodeHistoryBin(new Map([['sshd', model]])));
      expect([...h]).toEqual([...model]); // iterating decodes the rest, in the same order
      expect(h.size).toBe(model.size);
    }),
    { numRuns: 400 },
  );
});

test('a scan that touches one target decodes only that one', () => {
  const h = stored(targets.map((t, i) => [t, [i * 4 + 400]]));
  const rules: RuleSet = { suspiciousUsers: [], suspiciousThreshold: 2, suspiciousPeriodSec: 300, loginThreshold: 5, loginPeriodSec: 300, invalidUserThreshold: 3, invalidUserPeriodSec: 300, slowThreshold: 20, slowPeriodSec: 86400 };
  expect(recordFailure(h, '192.0.2.2', 105, 1, 0, rules, 'sshd')).toBeNull();
  // Map's own view holds only what was looked at; the rest is still in the stored arrays.
  expect(Map.prototype.get.call(h, '192.0.2.2')).toEqual([404, 420]);
  expect(Map.prototype.has.call(h, '192.0.2.3')).toBe(false);
  expect(h.size).toBe(targets.length);
  expect(h.get('192.0.2.3')).toEqual([408]);
});
