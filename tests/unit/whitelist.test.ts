import { isWhitelisted, parseWhitelist } from '../../lib/whitelist';

const text = `# office\n192.0.2.0/24\n\n2001:db8:42::/48   # VPN\n203.0.113.9\nnot-an-ip\n`;

test('parses IPs, CIDRs, comments; reports bad lines with their number', () => {
  const { whitelist, errors } = parseWhitelist(text, 'wl.txt');
  expect(whitelist.entries).toEqual(['192.0.2.0/24', '2001:db8:42::/48', '203.0.113.9']);
  expect(errors).toEqual(["wl.txt:6: not an IP address or CIDR network: 'not-an-ip'"]);
});

test.each([
  ['192.0.2.77', true],
  ['192.0.3.1', false],
  ['2001:db8:42:1::5', true],
  ['2001:db8:43::5', false],
  ['203.0.113.9', true],
  ['203.0.113.10', false],
  // a range ban that would cover a whitelisted address counts as whitelisted
  ['203.0.113.0/24', true],
])('isWhitelisted(%s) = %s', (ip, want) => {
  expect(isWhitelisted(ip, parseWhitelist(text, 'wl').whitelist)).toBe(want);
});
