import * as fs from 'node:fs';
import * as path from 'node:path';
import { runScan } from '../../lib/commands/scan';
import { makeEnv, sshdFail } from '../helpers/context';
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

test('a network written with host bits set is refused with the network it names', () => {
  const { errors } = parseWhitelist('192.0.2.49/24\n2001:db8::1/32\n', 'wl.txt');
  expect(errors).toEqual(["wl.txt:1: '192.0.2.49/24' is a network with host bits set; write 192.0.2.0/24", "wl.txt:2: '2001:db8::1/32' is a network with host bits set; write 2001:db8::/32"]);
  const { badTargetMessage } = require('../../lib/ip') as typeof import('../../lib/ip');
  expect(badTargetMessage('198.51.100.7/24')).toBe("'198.51.100.7/24' is a network with host bits set; write 198.51.100.0/24");
  expect(badTargetMessage('host.example.com')).toMatch(/^not an IP address or network/);
});

test('a whitelist that cannot be read (here a directory) stops the scan with exit 66, banning nobody', async () => {
  const env = makeEnv('[sshd]\nlog = auth.log\n');
  env.write('auth.log', sshdFail('01:00:01', '192.0.2.7', 'root') + sshdFail('01:00:02', '192.0.2.7', 'root'));
  fs.rmSync(path.join(env.dir, 'whitelist.txt'));
  fs.mkdirSync(path.join(env.dir, 'whitelist.txt'));
  await expect(runScan(env.ctx('2026-11-22T01:05:00'))).rejects.toMatchObject({ code: 66, message: expect.stringContaining('cannot read whitelist') });
  expect(env.denyTargets()).toEqual([]);
});

test('whitelist list counts in words a user reads: 1 entry, 2 entries', async () => {
  const { runWhitelistEdit } = await import('../../lib/sync/whitelist-edit');
  const { makeEnv } = await import('../helpers/context');
  const env = makeEnv('[sshd]\nlog = auth.log\n');
  env.write('whitelist.txt', '192.0.2.10\n');
  expect((await runWhitelistEdit(env.ctx('2026-11-22T02:00:00Z'), 'list')).message).toBe(`1 entry in ${env.dir}/whitelist.txt`);
  env.write('whitelist.txt', '192.0.2.10\n192.0.2.11\n');
  expect((await runWhitelistEdit(env.ctx('2026-11-22T02:00:00Z'), 'list')).message).toBe(`2 entries in ${env.dir}/whitelist.txt`);
});

describe('one width limit for every whitelist (the local file, the shared copy, whitelist add): /8 for IPv4, /16 for IPv6', () => {
  const { parseSharedWhitelist } = require('../../lib/sync/legacy') as typeof import('../../lib/sync/legacy');

  test.each([
    ['0.0.0.0/0', '/0 is wider than /8, the widest IPv4 network a whitelist entry may be (it would exempt every IPv4 address from banning)'],
    ['::/0', '/0 is wider than /16, the widest IPv6 network a whitelist entry may be (it would exempt every IPv6 address from banning)'],
    ['10.0.0.0/7', '/7 is wider than /8, the widest IPv4 network a whitelist entry may be (it would exempt 1/128 of all IPv4 addresses from banning)'],
    ['2000::/3', '/3 is wider than /16, the widest IPv6 network a whitelist entry may be (it would exempt 1/8 of all IPv6 addresses from banning)'],
    // host bits set and too wide: the network it names is refused for its width, not "write 0.0.0.0/0"
    ['192.0.2.1/0', '/0 is wider than /8, the widest IPv4 network a whitelist entry may be (it would exempt every IPv4 address from banning)'],
  ])('a hand-edited local %s is refused with its file, line and why; the other lines still count', (line, why) => {
    const { whitelist, errors } = parseWhitelist(`192.0.2.4\n${line}   # everyone, for now\n`, '/etc/ban/whitelist.txt');
    expect(errors).toEqual([`/etc/ban/whitelist.txt:2: '${line}': ${why}`]);
    expect(whitelist.entries).toEqual(['192.0.2.4']);
    expect(isWhitelisted('203.0.113.7', whitelist)).toBe(false);
  });

  test('the widest allowed networks, and the forms the shared copy and `whitelist add` take, are accepted', () => {
    const { whitelist, errors } = parseWhitelist('10.0.0.0/8\n2001::/16\n[2001:db8::]/32\n198.51.100.0/255.255.255.0\n2001:DB8:1::1\n', 'wl');
    expect(errors).toEqual([]);
    expect(whitelist.entries).toEqual(['10.0.0.0/8', '2001::/16', '2001:db8::/32', '198.51.100.0/24', '2001:db8:1::1']);
  });

  test('the local file and the shared copy keep the same entries from the same text', () => {
    const text = '# mixed\n0.0.0.0/0\n::/0\n10.0.0.0/7\n10.0.0.0/8\n2000::/3\n2001::/16\n[2001:db8::]/32\n192.0.2.1/0\n192.0.2.0/24\n203.0.113.9\n';
    const local = parseWhitelist(text, 'wl');
    const shared = parseSharedWhitelist(text, 'wl');
    expect(local.whitelist.entries).toEqual(shared.entries);
    // Each refused line is reported by both, at the same line, for the same reason.
    expect(shared.warnings).toEqual(local.errors.map((e) => `${e}; line ignored`));
  });

  test('a scan with 0.0.0.0/0 in the local whitelist still bans, and says at that run which line it ignored and why', async () => {
    const env = makeEnv('[sshd]\nlog = auth.log\n');
    env.write('whitelist.txt', '# let everyone in while we debug\n0.0.0.0/0\n');
    env.write('auth.log', sshdFail('01:00:01', '192.0.2.7', 'root') + sshdFail('01:00:02', '192.0.2.7', 'root'));
    const ctx = env.ctx('2026-11-22T01:05:00');
    await runScan(ctx);
    expect(env.denyTargets()).toEqual(['192.0.2.7']);
    expect(ctx.log.lines).toContain(
      `warning: whitelist: ${env.dir}/whitelist.txt:2: '0.0.0.0/0': /0 is wider than /8, the widest IPv4 network a whitelist entry may be (it would exempt every IPv4 address from banning) (line ignored)`,
    );
  });
});

describe('whitelist add|remove of an address a whitelisted network covers (local file)', () => {
  const setup = (wl: string) => {
    const env = makeEnv('[sshd]\nlog = auth.log\n');
    env.write('whitelist.txt', wl);
    return env;
  };

  test('remove of an address inside a whitelisted network names the network and its line instead of "not in"', async () => {
    const { runWhitelistEdit } = await import('../../lib/sync/whitelist-edit');
    const env = setup('# office\n192.0.2.10\n203.0.113.0/24   # lab\n');
    const ctx = env.ctx('2026-11-22T02:00:00Z');
    const r = await runWhitelistEdit(ctx, 'remove', '203.0.113.7');
    expect(r.changed).toBe(false);
    const f = `${env.dir}/whitelist.txt`;
    expect(ctx.log.lines).toEqual([
      `warning: whitelist: 203.0.113.7 is not in ${f} itself, but 203.0.113.0/24 (${f} line 3) covers it, so it stays whitelisted: removing 203.0.113.7 alone cannot change that (autoban whitelist remove 203.0.113.0/24 removes the network)`,
    ]);
    expect(env.read('whitelist.txt')).toBe('# office\n192.0.2.10\n203.0.113.0/24   # lab\n');
  });

  test('add of an address a network covers adds no redundant line and says which network covers it', async () => {
    const { runWhitelistEdit } = await import('../../lib/sync/whitelist-edit');
    const env = setup('2001:db8:42::/48\n203.0.113.0/24\n');
    const ctx = env.ctx('2026-11-22T02:00:00Z');
    const r = await runWhitelistEdit(ctx, 'add', '2001:db8:42:1::5');
    expect(r.changed).toBe(false);
    expect(ctx.log.lines).toEqual([`whitelist: 2001:db8:42:1::5 is already whitelisted: 2001:db8:42::/48 (${env.dir}/whitelist.txt line 1) covers it; not added`]);
    expect(env.read('whitelist.txt')).toBe('2001:db8:42::/48\n203.0.113.0/24\n');
    // A network that covers nothing listed is added as before.
    await runWhitelistEdit(env.ctx('2026-11-22T02:00:00Z'), 'add', '198.51.100.0/24');
    expect(env.read('whitelist.txt')).toBe('2001:db8:42::/48\n203.0.113.0/24\n198.51.100.0/24\n');
  });

  test('remove of an address listed itself and inside a listed network removes the line and warns it stays whitelisted (line as the file now reads)', async () => {
    const { runWhitelistEdit } = await import('../../lib/sync/whitelist-edit');
    const env = setup('203.0.113.7\n# lab\n203.0.113.0/24\n');
    const ctx = env.ctx('2026-11-22T02:00:00Z');
    expect((await runWhitelistEdit(ctx, 'remove', '203.0.113.7')).changed).toBe(true);
    const f = `${env.dir}/whitelist.txt`;
    expect(ctx.log.lines).toEqual([`warning: whitelist: removed 203.0.113.7 from ${f}; it stays whitelisted: 203.0.113.0/24 (${f} line 2) covers it`]);
    expect(env.read('whitelist.txt')).toBe('# lab\n203.0.113.0/24\n');
  });

  test('add of a too-wide network says why; remove takes such a hand-edited line out', async () => {
    const { runWhitelistEdit } = await import('../../lib/sync/whitelist-edit');
    const env = setup('192.0.2.10\n0.0.0.0/0\n');
    await expect(runWhitelistEdit(env.ctx('2026-11-22T02:00:00Z'), 'add', '10.0.0.0/7')).rejects.toMatchObject({
      code: 64,
      message: "whitelist add: refusing '10.0.0.0/7': /7 is wider than /8, the widest IPv4 network a whitelist entry may be (it would exempt 1/128 of all IPv4 addresses from banning)",
    });
    const ctx = env.ctx('2026-11-22T02:00:00Z');
    expect((await runWhitelistEdit(ctx, 'remove', '0.0.0.0/0')).changed).toBe(true);
    expect(env.read('whitelist.txt')).toBe('192.0.2.10\n');
  });
});
