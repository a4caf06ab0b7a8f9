import { parseIp, parseTarget, networkOf, parseNet, netsOverlap, unbannableReason } from '../../lib/ip';

test.each([
  ['192.0.2.1', '192.0.2.1'],
  ['::ffff:192.0.2.1', '192.0.2.1'],
  ['::FFFF:c000:0201', '192.0.2.1'],
  ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
  ['2001:db8:0:1:0:0:0:1', '2001:db8:0:1::1'],
  ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
  ['2001:0:0:1:1:0:0:1', '2001::1:1:0:0:1'],
  ['fe80::1%eth0', 'fe80::1'],
  ['[2001:db8::7]', '2001:db8::7'],
])('parseIp(%s) = %s', (input, want) => {
  expect(parseIp(input)).toBe(want);
});

test.each(['192.0.2.256', '192.0.2', '192.0.2.01', 'localhost', 'ALL', '*', '192.0.2.1 ', '', '1.2.3.4.5', 'LOCAL', '2001:db8::g'])('parseIp(%j) is null', (input) => {
  expect(parseIp(input)).toBeNull();
});

test.each([
  ['192.0.2.0/24', '192.0.2.0/24'],
  ['192.0.2.7/32', '192.0.2.7'],
  ['2001:db8::/32', '2001:db8::/32'],
  ['2001:db8:1:2::/64', '2001:db8:1:2::/64'],
])('parseTarget(%s) = %s', (input, want) => {
  expect(parseTarget(input)).toBe(want);
});

test.each(['0.0.0.0/0', '::/0', '10.0.0.0/7', '192.0.2.1/24', '192.0.2.0/33', 'ALL: ALL', '192.0.2.0/24 x', '192.0.2.0/24\n', '*.example.com'])('parseTarget(%j) is refused', (input) => {
  expect(parseTarget(input)).toBeNull();
});

test('networkOf gives the enclosing network', () => {
  expect(networkOf('2001:db8:1:2:aaaa:bbbb:cccc:dddd', 64)).toBe('2001:db8:1:2::/64');
  expect(networkOf('192.0.2.77', 24)).toBe('192.0.2.0/24');
});

test('netsOverlap', () => {
  expect(netsOverlap(parseNet('192.0.2.0/24')!, parseNet('192.0.2.9')!)).toBe(true);
  expect(netsOverlap(parseNet('192.0.2.0/24')!, parseNet('198.51.100.9')!)).toBe(false);
  expect(netsOverlap(parseNet('2001:db8::/32')!, parseNet('192.0.2.9')!)).toBe(false);
});

describe('unbannableReason', () => {
  test.each(['127.0.0.1', '127.0.0.0/8', '0.0.0.0', '0.0.0.0/8', '224.0.0.1', '239.255.255.250', '255.255.255.255', '::', '::1', '::/16', 'ff02::1', 'ff00::/8'])('%s is never banned', (t) =>
    expect(unbannableReason(t)).not.toBeNull(),
  );
  test.each(['192.0.2.7', '198.51.100.0/24', '127.0.0.3', '10.0.0.0/8', '2001:db8::1', '2001:db8::/32', '::c000:207', 'fe80::1'])('%s is bannable', (t) =>
    expect(unbannableReason(t)).toBeNull(),
  );
});
