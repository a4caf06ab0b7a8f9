/** SortedBannedSet answers exactly as BannedSet does, before and after it builds its table. */
import { BannedSet } from '../../lib/banned-set';
import { SortedBannedSet } from '../../lib/sorted-banned-set';
import { sortByTarget, v4At } from '../../lib/ip';
import { TargetLines } from '../../lib/target-lines';

test('same answers as BannedSet for members, non-members, odd text and added targets', () => {
  const targets = sortByTarget(['192.0.2.1', '192.0.2.10', '10.0.0.1', '198.51.100.0/24', '2001:db8::1', '2001:db8:1::/64', '203.0.113.255'], (t) => t);
  const sorted = new SortedBannedSet(TargetLines.of(targets));
  const plain = new BannedSet(targets);
  const probes = [...targets, '192.0.2.2', '010.0.0.1', '2001:db8::2', '198.51.100.1', 'x', '', '192.0.2.1 ', '2001:DB8::1'];
  // hasV4: the scan's fast path asks by 32-bit value (for canonical dotted quads).
  const v4 = (p: string) => (v4At(p, 0, p.length) >= 0 ? v4At(p, 0, p.length) : 0);
  const ask = () => probes.map((p) => [sorted.has(p), sorted.hasAt(`at ${p} end`, 3, 3 + p.length), sorted.hasV4(v4(p))]);
  const expected = () => probes.map((p) => [plain.has(p), plain.hasAt(`at ${p} end`, 3, 3 + p.length), plain.hasV4(v4(p))]);
  expect(ask()).toEqual(expected());
  for (const s of [sorted, plain]) s.add('192.0.2.2');
  probes.push('192.0.2.2');
  expect(ask()).toEqual(expected());
  expect(sorted.inList('192.0.2.2')).toBe(false);
  expect(sorted.inList('192.0.2.1')).toBe(true);
  // Past the lookup limit the table is built; answers do not change.
  // The same address asked again is answered from what was found before: only new ones count.
  for (let i = 0; i < 5000; i++) sorted.has('192.0.2.99');
  expect((sorted as unknown as { built: boolean }).built).toBe(false);
  for (let i = 0; i < 5000; i++) sorted.has(`10.1.${i >> 8}.${i & 255}`);
  expect((sorted as unknown as { built: boolean }).built).toBe(true);
  expect(ask()).toEqual(expected());
  expect(sorted.size).toBe(plain.size);
});
