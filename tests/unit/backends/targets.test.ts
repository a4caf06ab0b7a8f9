import { BackendError } from '../../../lib/backends';
import { collapseTargets, diffTargets, parseTarget, sortKeys, validateTargets } from '../../../lib/backends/targets';

describe('parseTarget', () => {
  test.each([
    ['192.0.2.7', '192.0.2.7'],
    ['192.0.2.7/32', '192.0.2.7'],
    ['198.51.100.0/24', '198.51.100.0/24'],
    ['2001:DB8::7', '2001:db8::7'],
    ['2001:db8:0:0:0:0:0:7', '2001:db8::7'],
    ['2001:db8::7/128', '2001:db8::7'],
    ['2001:db8::/64', '2001:db8::/64'],
    ['2001:db8:0:1:0:0:0:0/64', '2001:db8:0:1::/64'],
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'], // RFC 5952: the longest zero run is compressed
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // ties: the first run
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // a single zero group is not
    ['::1.2.3.4', '::102:304'],
  ])('%s → %s', (input, key) => {
    expect(parseTarget(input)?.key).toBe(key);
  });

  test('an IPv4-mapped address is the IPv4 client it stands for', () => {
    expect(parseTarget('::ffff:192.0.2.7', { unmap: true })).toMatchObject({ family: 4, key: '192.0.2.7' });
  });

  test.each([
    'foo', '', '192.0.2', '192.0.2.256', '010.0.0.1', '192.0.2.7/33', '192.0.2.7/24', '192.0.2.0/024',
    '2001:db8::7/129', '2001:db8::1/64', 'fe80::1%eth0', '192.0.2.7 ', ' 192.0.2.7', '192.0.2.7;reboot',
    '-j ACCEPT', '192.0.2.0/-1', '1.2.3.4/', '::g',
  ])('rejects %j', (input) => {
    expect(parseTarget(input)).toBeNull();
  });
});

describe('validateTargets', () => {
  test('dedupes and sorts, IPv4 first', () => {
    expect(validateTargets('nftables', ['2001:db8::1', '192.0.2.9', '192.0.2.10', '192.0.2.9/32']).map((t) => t.key)).toEqual([
      '192.0.2.9',
      '192.0.2.10',
      '2001:db8::1',
    ]);
  });

  test.each(['192.0.2.7/24', '0.0.0.0/0', '10.0.0.0/7', '::/0', '2001::/15', 'not-an-ip', '192.0.2.7\n-F'])(
    'refuses %j with a one-line BackendError naming the backend',
    (bad) => {
      let err: unknown;
      try {
        validateTargets('ipset', ['192.0.2.1', bad]);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(BackendError);
      expect((err as Error).message).toMatch(/^ipset: refusing invalid ban target /);
      expect((err as Error).message).not.toContain('\n');
    },
  );
});

describe('collapseTargets', () => {
  test('drops addresses and networks inside a wider target, per family', () => {
    const list = validateTargets('nftables', [
      '198.51.100.0/24', '198.51.100.7', '198.51.100.128/25', '198.51.101.1', '2001:db8::/32', '2001:db8:1::5', '2001:db9::5',
    ]);
    expect(collapseTargets(list).map((t) => t.key)).toEqual(['198.51.100.0/24', '198.51.101.1', '2001:db8::/32', '2001:db9::5']);
  });

  test('is fast for 100,000 addresses', () => {
    const ips: string[] = [];
    for (let i = 0; i < 100_000; i++) ips.push(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    ips.push('10.0.0.0/16');
    const t0 = process.hrtime.bigint();
    const out = collapseTargets(validateTargets('nftables', ips));
    expect(Number(process.hrtime.bigint() - t0) / 1e6).toBeLessThan(5000);
    expect(out).toHaveLength(100_000 - 65_536 + 1);
  });
});

test('diffTargets', () => {
  expect(diffTargets(['a', 'b', 'c'], ['b', 'c', 'd'])).toEqual({ add: ['a'], remove: ['d'] });
  expect(diffTargets([], [])).toEqual({ add: [], remove: [] });
});

test('sortKeys: IPv4 before IPv6, numeric address order, kernel oddities last', () => {
  expect(sortKeys(['2001:db8::1', '192.0.2.10', '192.0.2.1-192.0.2.9', '192.0.2.9', '192.0.2.0/24'])).toEqual([
    '192.0.2.0/24', '192.0.2.9', '192.0.2.10', '2001:db8::1', '192.0.2.1-192.0.2.9',
  ]);
});
