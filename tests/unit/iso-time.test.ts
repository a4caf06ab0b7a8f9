/** isoTime gives exactly Date#toISOString, on random dates of every year and on the awkward ones. */
import fc from 'fast-check';
import { isoTime } from '../../lib/iso-time';

test('same text as toISOString for any date, in and out of the fast range', () => {
  const edges = [0, 1, 951_782_400_000, 951_868_799_999, 4_107_542_399_999, 253_402_300_799_999, 253_402_300_800_000, -1, -62_198_755_200_000, 8.64e15];
  for (const ms of edges) expect([ms, isoTime(new Date(ms))]).toEqual([ms, new Date(ms).toISOString()]);
  fc.assert(
    fc.property(fc.integer({ min: -8.64e15, max: 8.64e15 }), fc.integer({ min: 0, max: 253_402_300_799_999 }), (any, inRange) => {
      for (const ms of [any, inRange, inRange - (inRange % 86_400_000)]) expect(isoTime(new Date(ms))).toBe(new Date(ms).toISOString());
    }),
    { numRuns: 20_000 },
  );
});

test('dates alternating between a few days (a ban and its expiry) keep each day right', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.constantFrom(0, 1, 2, 30), fc.integer({ min: 0, max: 86_399_999 })), { minLength: 2, maxLength: 40 }),
      fc.integer({ min: 0, max: 100_000 }),
      (seq, base) => {
        for (const [d, inDay] of seq) {
          const ms = (base + d) * 86_400_000 + inDay;
          expect(isoTime(new Date(ms))).toBe(new Date(ms).toISOString());
        }
      },
    ),
    { numRuns: 2_000 },
  );
});
