/** A damaged or hand-edited stamp (flipped bytes, bad sizes, truncation) only costs the full path: the right bans, no exception. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runScan } from '../../lib/commands/scan';
import { runBan } from '../../lib/commands/ban';
import { readState } from '../../lib/state';
import { activeBans } from '../../lib/bans';
import { makeEnv, sshdFail } from '../helpers/context';
const local = (hms: string) => new Date(`2026-11-22T${hms}`).toISOString();
const CFG = `[sshd]\nlog = auth.log\nparser = sshd\n`;
const fails = (ip: string, m: number) => Array.from({ length: 5 }, (_, i) => sshdFail(`01:${String(m).padStart(2, '0')}:0${i}`, ip)).join('');
let seed = 5;
const rnd = (n: number) => (seed = (seed * 48271) % 2147483647) % n;
test('damaged stamps', async () => {
  for (let it = 0; it < 40; it++) {
    const env = makeEnv(CFG);
    env.write('auth.log', fails('192.0.2.1', 0) + fails('2001:db8::5', 1) + fails('198.51.100.7', 2));
    await runScan(env.ctx(local('01:10:00')));
    await runBan(env.ctx(local('01:10:10')), { ip: '10.1.0.0/16' });
    const sf = path.join(env.dir, 'state', 'stamp.txt');
    const b = fs.readFileSync(sf);
    const nl = b.indexOf(10);
    const mode = it === 0 ? 3 : rnd(4); if (it === 0) fs.rmSync(sf);
    if (mode === 0) b[nl + 1 + rnd(b.length - nl - 1)] = 32 + rnd(90);
    else if (mode === 1) { const h = JSON.parse(b.toString('utf8', 0, nl)); for (const k of ['v4', 'w4', 'w6', 'active', 'block']) if (rnd(2)) h[k] = [0, 1, -1, 1.5, 64, 65, 'x', null][rnd(8)]; fs.writeFileSync(sf, Buffer.concat([Buffer.from(JSON.stringify(h)), b.subarray(nl)])); }
    else if (mode === 2) fs.writeFileSync(sf, b.subarray(0, rnd(b.length)));
    if (mode !== 1 && mode !== 2) fs.writeFileSync(sf, b);
    env.append('auth.log', fails('192.0.2.1', 20) + fails('10.1.2.3', 20) + fails('203.0.113.9', 20) + fails('2001:db8::6', 20));
    const ctx = env.ctx(local('01:30:00'));
    const r = await runScan(ctx);
    expect(r.banned.map((x) => x.ip)).toEqual(['10.1.2.3', '203.0.113.9']);
    const targets = activeBans(readState(ctx), new Date(local('01:30:00'))).map((x) => x.ip);
    expect(targets).toEqual(['10.1.0.0/16', '10.1.2.3', '192.0.2.1', '198.51.100.7', '203.0.113.9', '2001:db8::/64']);
    expect(env.denyTargets()).toEqual(['10.1.0.0/255.255.0.0', '10.1.2.3', '192.0.2.1', '198.51.100.7', '203.0.113.9', '[2001:db8::]/64']);
  }
});
