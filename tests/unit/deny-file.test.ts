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
