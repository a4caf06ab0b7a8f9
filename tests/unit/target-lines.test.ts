/** TargetLines answers over the bytes exactly as a binary search over the split list would. */
import { lowerBound, sortByTarget } from '../../lib/ip';
import { TargetLines, TargetRecords } from '../../lib/target-lines';

let seed = 7;
const rnd = (n: number) => (seed = (seed * 48271) % 2147483647) % n;
const target = (): string => {
  switch (rnd(5)) {
    case 0:
      return `${1 + rnd(223)}.${rnd(256)}.${rnd(256)}.${rnd(256)}`;
    case 1:
      return `198.51.${rnd(256)}.0/24`;
    case 2:
      return `192.0.2.${rnd(256)}`;
    case 3:
      return `2001:db8:${rnd(65536).toString(16)}::${rnd(65536).toString(16)}`;
    default:
      return `2001:db8:${rnd(16).toString(16)}::/64`;
  }
};

test.each([0, 1, 2, 7, 500])('with %i targets: lowerBound, has, first, last and toArray agree with the list', (n) => {
  const list = sortByTarget([...new Set(Array.from({ length: n }, target))], (t) => t);
  const lines = TargetLines.of(list);
  // Byte offset of each line, to compare positions.
  const offsets = [0];
  for (const t of list) offsets.push((offsets[offsets.length - 1] as number) + t.length + 1);
  const probes = [...list, ...Array.from({ length: 300 }, target), '', '0', '::', 'zzz', '255.255.255.255', '192.0.2.1 '];
  for (const p of probes) {
    const k = lowerBound(list, p, 0);
    expect([p, lines.lowerBound(p)]).toEqual([p, offsets[k]]);
    expect([p, lines.has(p)]).toEqual([p, list[k] === p]);
  }
  expect(lines.first()).toBe(list[0]);
  expect(lines.last()).toBe(list[list.length - 1]);
  expect(lines.toArray()).toEqual(list);
  expect(lines.length).toBe(list.length);
});

test('a search can start at a later line, and a decoded list compares what the lines hold', () => {
  const list = ['192.0.2.1', '192.0.2.5', '198.51.100.0/24', '2001:db8::1'];
  const buf = Buffer.from(`head\n${list.map((t) => `ALL: <${t}>`).join('\n')}\nEND\n`, 'latin1');
  const from = 5;
  const to = buf.indexOf('END');
  const lines = new TargetLines(buf, from, to, list.length, (l) => l.slice(6, -1));
  expect(lines.toArray()).toEqual(list);
  expect(lines.has('192.0.2.5')).toBe(true);
  expect(lines.has('192.0.2.4')).toBe(false);
  const at = lines.lowerBound('192.0.2.4');
  expect(lines.textAt(at)).toBe('192.0.2.5');
  expect(lines.lowerBound('192.0.2.0', at)).toBe(at); // never before where it was told to start
  expect(lines.lowerBound('2001:db8::2')).toBe(to);
});

test.each([0, 1, 2, 7, 500])('with %i targets as fixed-width records: the same answers, at record offsets', (n) => {
  const list = sortByTarget([...new Set(Array.from({ length: n }, target))], (t) => t);
  const r = TargetRecords.render(list);
  const records = new TargetRecords(Buffer.concat([Buffer.from('x\n'), r.bytes]), 2, r.v4, list.length - r.v4, r.w4, r.w6);
  const offsets = list.map((_, k) => 2 + (k < r.v4 ? k * r.w4 : r.v4 * r.w4 + (k - r.v4) * r.w6));
  offsets.push(records.to);
  // Probes longer than any record of their family too (they sort after an equal prefix).
  const probes = [...list, ...list.map((t) => `${t}0`), ...Array.from({ length: 300 }, target), '', '0', '::', 'zzz', '255.255.255.255/32', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128'];
  for (const p of probes) {
    const k = lowerBound(list, p, 0);
    expect([p, records.lowerBound(p)]).toEqual([p, offsets[k]]);
    expect([p, records.has(p)]).toEqual([p, list[k] === p]);
  }
  for (let k = 0; k < list.length; k++) expect(records.textAt(offsets[k] as number)).toBe(list[k]);
  expect(records.first()).toBe(list[0]);
  expect(records.last()).toBe(list[list.length - 1]);
  expect(records.toArray()).toEqual(list);
  expect(records.length).toBe(list.length);
  // Every record of a family has its width, and padding is spaces before the newline.
  expect(r.bytes.toString('latin1').split('\n').slice(0, -1).every((l, k) => l.length + 1 === (k < r.v4 ? r.w4 : r.w6) && l.trimEnd() === list[k])).toBe(true);
});
