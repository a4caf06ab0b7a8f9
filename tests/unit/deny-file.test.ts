import { BEGIN_MARKER, END_MARKER, DamagedMarkersError, denyLine, parseDenyFile, renderDenyFile } from '../../lib/deny-file';

test('renders the syntax mod_wrap2 and libwrap accept', () => {
  expect(denyLine('192.0.2.7')).toBe('ALL: 192.0.2.7');
  expect(denyLine('2001:db8::7')).toBe('ALL: [2001:db8::7]');
  expect(denyLine('2001:db8:1:2::/64')).toBe('ALL: [2001:db8:1:2::]/64');
  expect(denyLine('192.0.2.0/24')).toBe('ALL: 192.0.2.0/255.255.255.0');
});

test('keeps foreign lines exactly, adopts plain ALL: ip lines, sorts, ends with a newline', () => {
  const original = ['# my rules', 'sshd: 198.51.100.0/255.255.255.0 : spawn /bin/true', 'ALL: 203.0.113.9', 'ALL: ALL EXCEPT LOCAL', ''].join('\n');
  const parsed = parseDenyFile(original, 'hosts.deny');
  expect(parsed.adopted).toEqual(['203.0.113.9']);
  const out = renderDenyFile(parsed, ['2001:db8::7', '203.0.113.9', '192.0.2.7']);
  expect(out).toBe(
    ['# my rules', 'sshd: 198.51.100.0/255.255.255.0 : spawn /bin/true', 'ALL: ALL EXCEPT LOCAL', BEGIN_MARKER, 'ALL: 192.0.2.7', 'ALL: 203.0.113.9', 'ALL: [2001:db8::7]', END_MARKER, ''].join('\n'),
  );
  for (const line of out.split('\n').filter((l) => l.startsWith('ALL: ') && !l.includes('EXCEPT'))) {
    expect(line).not.toMatch(/\r|\s:/);
    expect(line.length).toBeLessThan(1024);
  }
  // Round trip: the managed block reads back, foreign lines stay put.
  const again = parseDenyFile(out, 'hosts.deny');
  expect(again.managed).toEqual(['192.0.2.7', '203.0.113.9', '2001:db8::7']);
  expect(again.adopted).toEqual([]);
  expect(renderDenyFile(again, again.managed)).toBe(out);
});

test('lines after the block stay after it', () => {
  const text = ['a', BEGIN_MARKER, 'ALL: 192.0.2.1', END_MARKER, 'b', ''].join('\n');
  expect(renderDenyFile(parseDenyFile(text, 'f'), [])).toBe(['a', BEGIN_MARKER, END_MARKER, 'b', ''].join('\n'));
});

test.each([
  [[BEGIN_MARKER, 'ALL: 192.0.2.1']],
  [['ALL: 192.0.2.1', END_MARKER]],
  [[END_MARKER, BEGIN_MARKER]],
  [[BEGIN_MARKER, END_MARKER, BEGIN_MARKER, END_MARKER]],
])('damaged markers are refused: %j', (lines) => {
  expect(() => parseDenyFile(lines.join('\n'), '/etc/hosts.deny')).toThrow(DamagedMarkersError);
  expect(() => parseDenyFile(lines.join('\n'), '/etc/hosts.deny')).toThrow(/\/etc\/hosts.deny: the autoban markers are damaged/);
});

describe('spliceDenyFile', () => {
  const { managedBlockAt, spliceDenyFile } = jest.requireActual('../../lib/deny-file') as typeof import('../../lib/deny-file');
  const { insertionPoints } = jest.requireActual('../../lib/sorted-splice') as typeof import('../../lib/sorted-splice');
  const { TargetLines } = jest.requireActual('../../lib/target-lines') as typeof import('../../lib/target-lines');
  // Deterministic pseudo-random targets of every kind: addresses of both families and networks.
  let seed = 11;
  const rnd = (n: number) => (seed = (seed * 48271) % 2147483647) % n;
  const target = (): string => {
    switch (rnd(4)) {
      case 0:
        return `${1 + rnd(223)}.${rnd(256)}.${rnd(256)}.${rnd(256)}`;
      case 1:
        return `198.51.${rnd(256)}.0/24`;
      case 2:
        return `2001:db8:${rnd(65536).toString(16)}::${rnd(65536).toString(16)}`;
      default:
        return `2001:db8:${rnd(65536).toString(16)}::/64`;
    }
  };
  const distinct = (n: number, not: Set<string> = new Set()) => {
    const out = new Set<string>();
    while (out.size < n) {
      const t = target();
      if (!not.has(t)) out.add(t);
    }
    return [...out];
  };

  test.each([
    [0, 1],
    [1, 0],
    [0, 0],
    [50, 1],
    [300, 40],
    [5, 200],
  ])('with %i targets and %i added, the result is exactly a full render', (n, k) => {
    for (const around of [{ before: [], after: [] }, { before: ['in.telnetd: ALL', '# é comment'], after: ['sshd: LOCAL : allow'] }]) {
      const old = distinct(n);
      const added = distinct(k, new Set(old));
      const text = renderDenyFile(around, old);
      const sorted = TargetLines.of(parseDenyFile(text, 'hosts.deny').managed);
      const block = managedBlockAt(Buffer.from(text), sorted);
      expect(block).not.toBeNull();
      // Twice the same new target, and one already there: each line is written once.
      const ins = insertionPoints(sorted, [...added, ...added.slice(0, 1), ...old.slice(0, 1)]);
      expect(ins.targets).toHaveLength(added.length);
      const out = spliceDenyFile(Buffer.from(text), block as NonNullable<typeof block>, sorted, ins);
      const want = renderDenyFile(around, [...old, ...added]);
      expect(Buffer.concat(out.parts).toString()).toBe(want);
      expect(out.blockTo).toBe(Buffer.byteLength(want) - Buffer.byteLength(`${END_MARKER}\n${around.after.map((l) => `${l}\n`).join('')}`));
    }
  });

  test('a block that does not hold the expected lines is not spliced', () => {
    const text = Buffer.from(renderDenyFile({ before: [], after: [] }, ['192.0.2.1', '192.0.2.2']));
    expect(managedBlockAt(text, TargetLines.of(['192.0.2.1', '192.0.2.2']))).not.toBeNull();
    expect(managedBlockAt(text, TargetLines.of(['192.0.2.1', '192.0.2.2', '192.0.2.3']))).toBeNull();
    expect(managedBlockAt(text, TargetLines.of(['192.0.2.1']))).toBeNull();
    expect(managedBlockAt(text, TargetLines.of(['192.0.2.1', '192.0.2.22']))).toBeNull(); // as many lines, other lengths
    expect(managedBlockAt(text, TargetLines.of(['192.0.2.2', '192.0.2.1']))).toBeNull(); // first and last lines are checked
    expect(managedBlockAt(text, TargetLines.of(['192.0.2.1', '192.0.2.3']))).toBeNull();
    expect(managedBlockAt(Buffer.from('in.telnetd: ALL\n'), TargetLines.of([]))).toBeNull();
    // The length the stamp recorded: markers, first and last lines are checked, not each line's length.
    const bytes = text.indexOf('# END') - text.indexOf('\n') - 1;
    const at = managedBlockAt(text, TargetLines.of(['192.0.2.1', '192.0.2.2']), bytes);
    expect(at && text.toString('latin1', at.from, at.to)).toBe('ALL: 192.0.2.1\nALL: 192.0.2.2\n');
    expect(managedBlockAt(text, TargetLines.of(['192.0.2.1', '192.0.2.2']), bytes - 1)).toBeNull();
    expect(managedBlockAt(text, TargetLines.of(['192.0.2.1']), bytes)).toBeNull(); // a line more than the stamp says
    expect(managedBlockAt(text, TargetLines.of(['192.0.2.1', '192.0.2.2']), 10_000)).toBeNull();
  });
});
