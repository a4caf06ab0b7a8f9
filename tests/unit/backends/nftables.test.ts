import {
  buildNftDiffScript,
  buildNftRebuildScript,
  nftElementKey,
  nftStructureProblems,
  parseNftTable,
} from '../../../lib/backends/nftables';

const rule = (chain: string, proto: string, set: string) => ({
  rule: {
    family: 'inet', table: 'autoban', chain, handle: 4,
    expr: [{ match: { op: '==', left: { payload: { protocol: proto, field: 'saddr' } }, right: `@${set}` } }, { drop: null }],
  },
});

/** Shape of `nft -j list table inet autoban` from nftables 1.0.6 (Debian 12). */
const LISTING = JSON.stringify({
  nftables: [
    { metainfo: { version: '1.0.6', release_name: 'Lester Gooch #5', json_schema_version: 1 } },
    { table: { family: 'inet', name: 'autoban', handle: 2 } },
    { set: { family: 'inet', name: 'banned4', table: 'autoban', type: 'ipv4_addr', handle: 2, flags: ['interval'],
      elem: ['192.0.2.7', { prefix: { addr: '198.51.100.0', len: 24 } }] } },
    { set: { family: 'inet', name: 'banned6', table: 'autoban', type: 'ipv6_addr', handle: 3, flags: ['interval'],
      elem: ['2001:db8::7', { prefix: { addr: '2001:db8:1::', len: 48 } }, { elem: { val: '2001:db8::9', comment: 'x' } }] } },
    { chain: { family: 'inet', table: 'autoban', name: 'input', handle: 1, type: 'filter', hook: 'input', prio: -10, policy: 'accept' } },
    rule('input', 'ip', 'banned4'),
    rule('input', 'ip6', 'banned6'),
  ],
});

test('parses sets, elements and chains from nft -j', () => {
  const s = parseNftTable(LISTING);
  expect(s.exists).toBe(true);
  expect(s.sets.banned4?.elems).toEqual(['192.0.2.7', '198.51.100.0/24']);
  expect(s.sets.banned6?.elems).toEqual(['2001:db8::7', '2001:db8:1::/48', '2001:db8::9']);
  expect(nftStructureProblems(s, ['input'])).toEqual([]);
});

test('element keys: prefixes are canonical, ranges stay visible as extras', () => {
  expect(nftElementKey({ prefix: { addr: '2001:db8:0:0::', len: 64 } })).toBe('2001:db8::/64');
  expect(nftElementKey({ range: ['192.0.2.1', '192.0.2.9'] })).toBe('192.0.2.1-192.0.2.9');
});

test('structure problems: missing table, wrong priority, missing forward hook, tampered rules', () => {
  expect(nftStructureProblems(parseNftTable('{}'), ['input'])).toEqual(['table inet autoban is missing']);
  const doc = JSON.parse(LISTING) as { nftables: Array<Record<string, Record<string, unknown>>> };
  (doc.nftables[4] as { chain: { prio: number } }).chain.prio = 0;
  doc.nftables.push(rule('input', 'ip', 'banned4') as never);
  const problems = nftStructureProblems(parseNftTable(JSON.stringify(doc)), ['input', 'forward']);
  expect(problems).toEqual([
    'chain input has the wrong hook or priority',
    "chain input does not hold exactly autoban's two drop rules",
    'chain forward is missing',
  ]);
});

test('rebuild script recreates only table inet autoban, in one transaction', () => {
  expect(buildNftRebuildScript(['input'], { 4: ['192.0.2.7'], 6: [] })).toBe(
    [
      'add table inet autoban',
      'delete table inet autoban',
      'table inet autoban {',
      '  set banned4 { type ipv4_addr; flags interval; }',
      '  set banned6 { type ipv6_addr; flags interval; }',
      '  chain input {',
      '    type filter hook input priority -10; policy accept;',
      '    ip saddr @banned4 drop',
      '    ip6 saddr @banned6 drop',
      '  }',
      '}',
      'add element inet autoban banned4 { 192.0.2.7 }',
      '',
    ].join('\n'),
  );
});

test('diff script: additions are added; a removal rewrites only that family', () => {
  expect(buildNftDiffScript({ 4: ['192.0.2.7'], 6: [] }, { 4: ['192.0.2.7'], 6: [] })).toBe('');
  expect(buildNftDiffScript({ 4: ['192.0.2.7', '192.0.2.8'], 6: ['2001:db8::1'] }, { 4: ['192.0.2.7'], 6: ['2001:db8::1', '2001:db8::2'] })).toBe(
    ['add element inet autoban banned4 { 192.0.2.8 }', 'flush set inet autoban banned6', 'add element inet autoban banned6 { 2001:db8::1 }', ''].join('\n'),
  );
});

test('large additions are split into lines of 1000 elements', () => {
  const many = Array.from({ length: 2500 }, (_, i) => `10.0.${i >> 8}.${i & 255}`);
  const lines = buildNftDiffScript({ 4: many, 6: [] }, { 4: [], 6: [] }).trim().split('\n');
  expect(lines).toHaveLength(3);
  expect(lines[2]?.split(', ')).toHaveLength(500);
});
