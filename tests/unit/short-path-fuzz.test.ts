/** Random target lists of every kind (fixed-width stamp records): the spliced deny file and stamp list equal a full render. */
import { renderDenyFile, parseDenyFile, managedBlockAt, spliceDenyFile, spliceOutOfDenyFile, blockBytes } from '../../lib/deny-file';
import { deletionPoints, insertionPoints, spliceLines, spliceOutLines } from '../../lib/sorted-splice';
import { TargetRecords } from '../../lib/target-lines';
import { sortByTarget } from '../../lib/ip';

let seed = 12345;
const rnd = (n: number) => (seed = (seed * 48271) % 2147483647) % n;
const hex = () => rnd(65536).toString(16);
const target = (): string => {
  switch (rnd(8)) {
    case 0: return `${1 + rnd(223)}.${rnd(256)}.${rnd(256)}.${rnd(256)}`;
    case 1: return `${1 + rnd(9)}.${rnd(10)}.${rnd(10)}.${rnd(10)}`;
    case 2: return `198.51.${rnd(256)}.0/24`;
    case 3: return `10.${rnd(256)}.0.0/16`;
    case 4: return `2001:db8:${hex()}::${hex()}`;
    case 5: return `2001:db8:${hex()}::/64`;
    case 6: return `${hex()}:${hex()}:${hex()}:${hex()}:${hex()}:${hex()}:${hex()}:${(rnd(65535)+1).toString(16)}`;
    default: return `2001:db8:${hex()}:${hex()}::/${[48, 56, 64][rnd(3)]}`;
  }
};
const norm = (t: string) => require('../../lib/ip').parseTarget(t) as string;
const distinct = (n: number, not: Set<string> = new Set(), only?: (t: string) => boolean) => {
  const out = new Set<string>();
  let guard = 0;
  while (out.size < n && guard++ < 100000) {
    const t = norm(target());
    if (t && !not.has(t) && (!only || only(t))) out.add(t);
  }
  return [...out];
};

/** Emulates writeStampAfterBans' list part. */
function stampAfter(c: TargetRecords, ins: { targets: string[]; at: number[] }): string[] {
  const { w4, w6 } = c;
  if (ins.targets.some((t) => t.length >= (t.includes(':') ? w6 : w4))) {
    return sortByTarget([...c.toArray(), ...ins.targets], (t) => t);
  }
  const parts = spliceLines(c.buf.subarray(0, c.to), ins, (t) => TargetRecords.record(t, w4, w6).slice(0, -1));
  const v4 = c.v4 + ins.targets.filter((t) => !t.includes(':')).length;
  const buf = Buffer.concat(parts);
  const n = c.length + ins.targets.length;
  const r = new TargetRecords(buf, 0, v4, n - v4, w4, w6);
  expect(r.to).toBe(buf.length);
  return r.toArray();
}

const filters: [string, ((t: string) => boolean) | undefined][] = [
  ['any', undefined], ['v6 only', (t) => t.includes(':')], ['v4 only', (t) => !t.includes(':')], ['v4 plain', (t) => !t.includes(':') && !t.includes('/')],
];
test.each(filters)('fuzz %s', (_, only) => {
  for (let iter = 0; iter < 400; iter++) {
    const n = [0, 1, 2, 5, 30][rnd(5)] as number;
    const k = [0, 1, 2, 5, 20][rnd(5)] as number;
    const old = sortByTarget(distinct(n, new Set(), rnd(2) ? only : undefined), (t) => t);
    const added = distinct(k, new Set(old), rnd(2) ? only : undefined);
    const around = rnd(2) ? { before: [], after: [] } : { before: ['in.telnetd: ALL'], after: ['sshd: LOCAL : allow'] };
    const text = renderDenyFile(around, old);
    const rec = TargetRecords.render(old);
    const body = Buffer.concat([rec.bytes, Buffer.from('x 1\n')]);
    const c = new TargetRecords(body, 0, rec.v4, old.length - rec.v4, rec.w4, rec.w6);
    expect(c.toArray()).toEqual(old);
    const block = managedBlockAt(Buffer.from(text, 'latin1'), c, blockBytes(old));
    expect(block).not.toBeNull();
    const ins = insertionPoints(c, [...added, ...old.slice(0, 1)]);
    const out = spliceDenyFile(Buffer.from(text, 'latin1'), block!, c, ins);
    const want = renderDenyFile(around, [...old, ...added]);
    expect(Buffer.concat(out.parts).toString('latin1')).toBe(want);
    const newList = sortByTarget([...old, ...added], (t) => t);
    expect(out.blockTo - block!.from).toBe(blockBytes(newList));
    expect(stampAfter(c, ins)).toEqual(newList);
  }
});

test.each(filters)('fuzz taking lines out, %s', (_, only) => {
  for (let iter = 0; iter < 400; iter++) {
    const n = [0, 1, 2, 5, 30][rnd(5)] as number;
    const old = sortByTarget(distinct(n, new Set(), rnd(2) ? only : undefined), (t) => t);
    const gone = old.filter(() => rnd(3) === 0);
    const around = rnd(2) ? { before: [], after: [] } : { before: ['in.telnetd: ALL'], after: ['sshd: LOCAL : allow'] };
    const text = renderDenyFile(around, old);
    const rec = TargetRecords.render(old);
    const c = new TargetRecords(Buffer.concat([rec.bytes, Buffer.from('x 1\n')]), 0, rec.v4, old.length - rec.v4, rec.w4, rec.w6);
    const block = managedBlockAt(Buffer.from(text, 'latin1'), c, blockBytes(old));
    const out = spliceOutOfDenyFile(Buffer.from(text, 'latin1'), block!, c, gone);
    const left = old.filter((t) => !gone.includes(t));
    expect(Buffer.concat(out!.parts).toString('latin1')).toBe(renderDenyFile(around, left));
    expect(out!.blockTo - block!.from).toBe(blockBytes(left));
    // The stamp's records: the same lines found and cut out.
    const at = deletionPoints(c, gone);
    const parts = spliceOutLines(c.buf.subarray(0, c.to), at!);
    const v4 = left.filter((t) => !t.includes(':')).length;
    expect(new TargetRecords(Buffer.concat(parts), 0, v4, left.length - v4, rec.w4, rec.w6).toArray()).toEqual(left);
    // A target that is not there: null, so the full path runs.
    const absent = distinct(1, new Set(old))[0] as string;
    expect(spliceOutOfDenyFile(Buffer.from(text, 'latin1'), block!, c, sortByTarget([...gone, absent], (t) => t))).toBeNull();
  }
});
