import { parseSharedHostsDeny, parseSharedWhitelist, renderSharedHostsDeny, renderWhitelist } from '../../../lib/sync/legacy';

const OBJ = 's3://bucket/etc/hosts.deny';

describe('shared hosts.deny', () => {
  test('what autoban renders verifies and yields its targets as managed (never adopted)', () => {
    const { text } = renderSharedHostsDeny(['2001:db8::7', '192.0.2.7', '198.51.100.0/24'], 'web1');
    expect(text).toContain('ALL: 192.0.2.7\n');
    expect(text).toContain('ALL: [2001:db8::7]\n');
    const p = parseSharedHostsDeny(text, OBJ);
    expect(p.integrity).toBe('verified');
    expect(p.managed).toEqual(['192.0.2.7', '198.51.100.0/24', '2001:db8::7']);
    expect(p.foreign).toEqual([]);
    expect(p.warnings).toEqual([]);
  });

  test('lines an old node appended after the block are adopted; the block still verifies', () => {
    const { text } = renderSharedHostsDeny(['192.0.2.7'], 'web1');
    const p = parseSharedHostsDeny(`${text}ALL: 203.0.113.5\nALL: [2001:db8::5]\n`, OBJ);
    expect(p.integrity).toBe('verified');
    expect(p.foreign).toEqual(['203.0.113.5', '2001:db8::5']);
  });

  test('a file from the old tool (no header, no markers) is all foreign', () => {
    const p = parseSharedHostsDeny('# old tool\nALL: 192.0.2.1\nALL: 192.0.2.2\n', OBJ);
    expect(p.integrity).toBe('none');
    expect(p.foreign).toEqual(['192.0.2.1', '192.0.2.2']);
  });

  test('a changed line inside the block breaks the checksum', () => {
    const { text } = renderSharedHostsDeny(['192.0.2.7', '192.0.2.8'], 'web1');
    expect(parseSharedHostsDeny(text.replace('192.0.2.8', '192.0.2.9'), OBJ).integrity).toBe('mismatch');
    expect(parseSharedHostsDeny(text.slice(0, -15), OBJ).integrity).toBe('mismatch');
  });

  test.each([
    ['ALL: ALL', /not an IP address/],
    ['ALL: LOCAL', /not an IP address/],
    ['ALL: evil.example.com', /not an IP address/],
    ['ALL: .example.com', /not an IP address/],
    ['ALL: 192.0.2.', /not an IP address/],
    ['ALL: 192.0.2.*', /not an IP address/],
    ['ALL: 0.0.0.0/0', /not an IP address/],
    ['ALL: [::]/0', /not an IP address/],
    ['ALL: ::/0', /not an IP address/],
    ['ALL: 192.0.2.1 : spawn /bin/sh', /extra fields/],
    ['ALL: 192.0.2.1 192.0.2.2', /extra fields/],
    ['sshd: 192.0.2.1', /only 'ALL: <ip>' lines/],
    ['ALL EXCEPT 192.0.2.1', /only 'ALL: <ip>' lines/],
    ['ALL: 192.0.2.1\rALL: ALL', /control characters/],
    ['ALL: 192.0.2.1\u0000', /control characters/],
    [`ALL: 192.0.2.1 ${'x'.repeat(1100)}`, /longer than 1023/],
  ])('refuses %j with a warning naming the object and line', (line, why) => {
    const p = parseSharedHostsDeny(`# comment\nALL: 192.0.2.50\n${line}\n`, OBJ);
    expect(p.foreign).toEqual(['192.0.2.50']);
    expect(p.warnings).toHaveLength(1);
    expect(p.warnings[0]).toMatch(why);
    expect(p.warnings[0]).toContain(`${OBJ}:3:`);
  });

  test('CRLF line ends are tolerated (the address is still an address)', () => {
    expect(parseSharedHostsDeny('ALL: 192.0.2.1\r\nALL: 192.0.2.2\r\n', OBJ).foreign).toEqual(['192.0.2.1', '192.0.2.2']);
  });
});

describe('shared whitelist', () => {
  test('round trip verifies', () => {
    const text = renderWhitelist(['192.0.2.0/24', '2001:db8::/32', '203.0.113.4'], 'web1', 'note');
    const p = parseSharedWhitelist(text, 's3://bucket/etc/ban/whitelist.txt');
    expect(p.integrity).toBe('verified');
    expect(p.entries).toEqual(['192.0.2.0/24', '203.0.113.4', '2001:db8::/32']);
  });

  test('a hand-written whitelist is read, comments and CRLF included', () => {
    const p = parseSharedWhitelist('# office\r\n192.0.2.4  # gateway\r\n\r\n2001:DB8::1\r\n', 'wl');
    expect(p.integrity).toBe('none');
    expect(p.entries).toEqual(['192.0.2.4', '2001:db8::1']);
  });

  test.each(['0.0.0.0/0', '::/0', 'ALL', '*', 'office.example.com', '192.0.2.1 192.0.2.2', '10.0.0.0/4'])('refuses %j (it would whitelist everyone or is not an address)', (line) => {
    const p = parseSharedWhitelist(`192.0.2.4\n${line}\n`, 'wl');
    expect(p.entries).toEqual(['192.0.2.4']);
    expect(p.warnings).toEqual([expect.stringMatching(/^wl:2: /)]);
  });

  test.each([
    ['0 bytes', '', true],
    ['blank lines', '\n  \n', true],
    ['NUL bytes (a crash before the data reached the disk)', '\0'.repeat(64), true],
    ['nothing but refused lines', 'office.example.com\n', true],
    ['a comment line (a deliberate clear)', '# nobody for now\n', false],
    ["autoban's rendering of no entries", renderWhitelist([], 'web1', 'note'), false],
    ['one entry', '192.0.2.4\n', false],
  ])('%s: blank = %s', (_what, text, blank) => {
    expect(parseSharedWhitelist(text as string, 'wl').blank).toBe(blank);
  });

  test('a huge whitelist (a poisoned object under the size cap) is parsed in linear time, duplicates dropped', () => {
    // 200,000 distinct addresses (~2.6 MB): the dedup used to be a linear search per line (minutes, blocking
    // the event loop past the [sync] deadline, so `run` never reached scan). A 16 MB object holds over 1M.
    const lines: string[] = [];
    for (let i = 0; i < 200_000; i++) lines.push(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    const t0 = Date.now();
    const p = parseSharedWhitelist(`${lines.join('\n')}\n10.0.0.1\n`, 'wl');
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(p.entries.length).toBe(200_000);
    expect(p.entries[1]).toBe('10.0.0.1');
  });
});
