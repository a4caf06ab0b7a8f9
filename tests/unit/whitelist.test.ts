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
