import { buildPayload, decodeNodeDoc, encodeNodeDoc, payloadSha } from '../../../lib/sync/node-doc';
import { canonicalJson, sha256Hex } from '../../../lib/sync/canonical-json';
import { T0, at, makeBan, makeUnban } from './builders';

const OBJ = 's3://bucket/etc/nodes/web1.json';

function docWith(payload: unknown, over: Record<string, unknown> = {}): Buffer {
  const doc = { version: 1, node: 'web1', generatedAt: T0.toISOString(), sha256: sha256Hex(canonicalJson(payload)), payload, ...over };
  return Buffer.from(JSON.stringify(doc));
}

const goodBan = { ip: '192.0.2.7', rule: 'login_attempts', reason: 'x', failures: 6, source: 'sshd', origin: 'scan', node: 'web1', bannedAt: T0.toISOString(), expiresAt: null, banCount: 1 };

describe('node document', () => {
  test('round trip: what a node publishes decodes to the same events', () => {
    const db = { bans: [makeBan(), makeBan({ ip: '2001:db8::7', expiresAt: null }), makeBan({ ip: '198.51.100.0/24', origin: 'manual' })], unbans: [makeUnban({ ip: '203.0.113.9' })] };
    const bytes = encodeNodeDoc('web1', buildPayload(db, 'web1'), T0);
    const d = decodeNodeDoc(bytes, OBJ, 'web1', at(1));
    expect(d.ok).toBe(true);
    if (!d.ok) return;
    expect(d.errors).toEqual([]);
    expect(d.events.bans.map((b) => b.ip).sort()).toEqual(['192.0.2.7', '198.51.100.0/24', '2001:db8::7']);
    expect(d.events.bans.find((b) => b.ip === '2001:db8::7')?.expiresAt).toBeNull();
    expect(d.events.unbans).toEqual([{ ip: '203.0.113.9', at: at(10), node: 'web1' }]);
  });

  test('publishes only its own events, not what it learnt from peers', () => {
    const db = {
      bans: [makeBan(), makeBan({ ip: '192.0.2.8', node: 'web2', origin: 'peer' }), makeBan({ ip: '192.0.2.9', node: 'web2', origin: 'scan' })],
      unbans: [makeUnban(), makeUnban({ node: 'web2' })],
    };
    const p = buildPayload(db, 'web1');
    expect(p.bans.map((b) => b.ip)).toEqual(['192.0.2.7']);
    expect(p.unbans.map((u) => u.node)).toEqual(['web1']);
  });

  test('the checksum does not depend on database order, so an unchanged node uploads nothing', () => {
    const a = makeBan({ ip: '192.0.2.1' });
    const b = makeBan({ ip: '192.0.2.2' });
    expect(payloadSha(buildPayload({ bans: [a, b], unbans: [] }, 'web1'))).toBe(payloadSha(buildPayload({ bans: [b, a], unbans: [] }, 'web1')));
  });

  test.each([
    ['truncated', (b: Buffer) => b.subarray(0, b.length - 20), /not valid JSON/],
    ['one byte changed', (b: Buffer) => Buffer.from(b.toString().replace('192.0.2.7', '192.0.2.8')), /checksum mismatch/],
    ['old and new bytes mixed', (b: Buffer) => Buffer.concat([b.subarray(0, 60), Buffer.from(b.toString().replace('login', 'LOGIN')).subarray(60)]), /checksum mismatch/],
  ])('a torn copy (%s) is refused as a whole', (_n, tear, why) => {
    const bytes = encodeNodeDoc('web1', buildPayload({ bans: [makeBan()], unbans: [] }, 'web1'), T0);
    const d = decodeNodeDoc(tear(bytes), OBJ, 'web1', at(1));
    expect(d.ok).toBe(false);
    if (!d.ok) expect(d.reason).toMatch(why);
  });

  test.each([
    ['not an object', Buffer.from('[1,2]'), /not a JSON object/],
    ['wrong version', docWith({ bans: [], unbans: [] }, { version: 2 }), /newer autoban/],
    ['node of another object', docWith({ bans: [], unbans: [] }, { node: 'web2' }), /does not match the object name/],
    ['payload of the wrong shape', docWith({ bans: {}, unbans: [] }), /payload/],
    ['extra top-level field', docWith({ bans: [], unbans: [] }, { extra: 1 }), /unexpected field/],
    ['missing checksum', docWith({ bans: [], unbans: [] }, { sha256: undefined }), /sha256/],
  ])('a document of the wrong shape is refused: %s', (_n, bytes, why) => {
    const d = decodeNodeDoc(bytes, OBJ, 'web1', at(1));
    expect(d.ok).toBe(false);
    if (!d.ok) expect(d.reason).toMatch(why);
  });

  test.each([
    ['ALL', { ip: 'ALL' }, /bans\[0\]: ip/],
    ['LOCAL', { ip: 'LOCAL' }, /bans\[0\]: ip/],
    ['0.0.0.0/0', { ip: '0.0.0.0/0' }, /bans\[0\]: ip/],
    ['::/0', { ip: '::/0' }, /bans\[0\]: ip/],
    ['a host name', { ip: 'evil.example.com' }, /bans\[0\]: ip/],
    ['a wildcard', { ip: '192.0.2.*' }, /bans\[0\]: ip/],
    ['an embedded newline', { ip: '192.0.2.1\nALL: ALL' }, /bans\[0\]: ip/],
    ['a newline in the reason', { reason: 'x\nALL: ALL' }, /bans\[0\]: reason/],
    ['another node', { node: 'web2' }, /bans\[0\]: node/],
    ['origin peer', { origin: 'peer' }, /bans\[0\]: origin/],
    ['a date from the far future', { bannedAt: '2099-01-01T00:00:00.000Z' }, /in the future/],
    ['expiry before start', { expiresAt: '2000-01-01T00:00:00.000Z' }, /not after bannedAt/],
    ['an extra field', { extra: 'x' }, /unexpected field/],
    ['a fractional count', { banCount: 1.5 }, /banCount/],
  ])('a bad ban entry (%s) is reported by index and dropped; the good ones are kept', (_n, patch, why) => {
    const bytes = docWith({ bans: [{ ...goodBan, ...patch }, { ...goodBan, ip: '192.0.2.99' }], unbans: [] });
    const d = decodeNodeDoc(bytes, OBJ, 'web1', at(1));
    expect(d.ok).toBe(true);
    if (!d.ok) return;
    expect(d.errors).toHaveLength(1);
    expect(d.errors[0]).toMatch(why);
    expect(d.errors[0]).toContain(OBJ);
    expect(d.events.bans.map((b) => b.ip)).toEqual(['192.0.2.99']);
  });

  test('an unban dated in the future is refused (it would cancel every later ban of the address)', () => {
    const bytes = docWith({ bans: [], unbans: [{ ip: '192.0.2.7', at: '2099-01-01T00:00:00.000Z', node: 'web1' }, { ip: '0.0.0.0/0', at: T0.toISOString(), node: 'web1' }] });
    const d = decodeNodeDoc(bytes, OBJ, 'web1', at(1));
    expect(d.ok && d.errors).toEqual([expect.stringMatching(/unbans\[0\]: at: .* in the future/), expect.stringMatching(/unbans\[1\]: ip/)]);
  });
});
