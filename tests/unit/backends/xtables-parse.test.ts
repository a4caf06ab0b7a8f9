import { buildIpsetRestore, parseIpsetSave } from '../../../lib/backends/ipset';
import { buildIptablesRestore, parseIptablesChain } from '../../../lib/backends/iptables';
import { nftHooksFor, validateChains } from '../../../lib/backends/chains';
import { BackendError } from '../../../lib/backends';

test('parses iptables -S autoban (v4 and v6), keeping foreign rules apart', () => {
  expect(parseIptablesChain('-N autoban\n-A autoban -s 192.0.2.8/32 -j DROP\n-A autoban -s 198.51.100.0/24 -j DROP\n')).toEqual({
    exists: true,
    drops: ['192.0.2.8', '198.51.100.0/24'],
    foreign: [],
  });
  expect(parseIptablesChain('-N autoban\n-A autoban -s 2001:db8::7/128 -j DROP\n-A autoban -s 2001:db8:1::/48 -j DROP\n-A autoban -j RETURN\n')).toEqual({
    exists: true,
    drops: ['2001:db8::7', '2001:db8:1::/48'],
    foreign: ['-A autoban -j RETURN'],
  });
});

test('iptables-restore script deletes then appends inside autoban only', () => {
  expect(buildIptablesRestore([], [])).toBe('');
  expect(buildIptablesRestore(['192.0.2.9'], ['192.0.2.8'])).toBe('*filter\n-D autoban -s 192.0.2.8 -j DROP\n-A autoban -s 192.0.2.9 -j DROP\nCOMMIT\n');
  // Rebuilding the chain: the flush is inside the same commit as the refill, also when nothing is left to ban.
  expect(buildIptablesRestore(['192.0.2.9'], [], true)).toBe('*filter\n-F autoban\n-A autoban -s 192.0.2.9 -j DROP\nCOMMIT\n');
  expect(buildIptablesRestore([], [], true)).toBe('*filter\n-F autoban\nCOMMIT\n');
});

test('parses ipset save', () => {
  const text = [
    'create autoban6 hash:net family inet6 hashsize 1024 maxelem 1048576 bucketsize 12 initval 0x5c08b19c',
    'add autoban6 2001:db8:1::/48',
    'add autoban6 2001:db8::7',
    'add other 2001:db8::8',
  ].join('\n');
  expect(parseIpsetSave(text, 'autoban6')).toEqual({ exists: true, type: 'hash:net', family: 'inet6', members: ['2001:db8:1::/48', '2001:db8::7'] });
  expect(parseIpsetSave('', 'autoban4')).toEqual({ exists: false, members: [] });
});

test('ipset restore script', () => {
  expect(buildIpsetRestore(4, false, [], [])).toBe('');
  expect(buildIpsetRestore(4, true, ['192.0.2.7'], ['192.0.2.1'])).toBe(
    'create autoban4 hash:net family inet hashsize 1024 maxelem 1048576\ndel autoban4 192.0.2.1\nadd autoban4 192.0.2.7\n',
  );
});

test('chains option', () => {
  expect(validateChains('iptables', undefined)).toEqual(['INPUT']);
  expect(validateChains('iptables', ['INPUT', 'DOCKER-USER', 'INPUT'])).toEqual(['INPUT', 'DOCKER-USER']);
  expect(() => validateChains('iptables', ['autoban'])).toThrow(BackendError);
  expect(() => validateChains('iptables', ['INPUT -j ACCEPT'])).toThrow(/iptables: cannot hook into chain "INPUT -j ACCEPT"/);
  expect(nftHooksFor(['INPUT'])).toEqual(['input']);
  expect(nftHooksFor(['INPUT', 'DOCKER-USER'])).toEqual(['input', 'forward']);
});
