/** Three short-path scans in a row with random IPv4/IPv6 mixes: deny file and stamp equal what a full commit writes. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runScan } from '../../lib/commands/scan';
import { runBan } from '../../lib/commands/ban';
import { readState } from '../../lib/state';
import { activeBans } from '../../lib/bans';
import { parseDenyFile, renderDenyFile } from '../../lib/deny-file';
import { committedTargets } from '../../lib/stamp';
import { makeEnv, sshdFail } from '../helpers/context';

const local = (hms: string, day = 22) => new Date(`2026-11-${day}T${hms}`).toISOString();
const CFG = `[sshd]\nlog = auth.log\nparser = sshd\nipv6_prefix = 128\n[sshd2]\nlog = auth2.log\nparser = sshd\n`;
const pad = (n: number) => String(n).padStart(2, '0');
const fails = (ip: string, min: number) => Array.from({ length: 5 }, (_, i) => sshdFail(`01:${pad(min)}:${pad(i)}`, ip)).join('');
let seed = 99;
const rnd = (n: number) => (seed = (seed * 48271) % 2147483647) % n;
const hex = () => rnd(65536).toString(16);
const v4 = () => [`${1 + rnd(9)}.${rnd(10)}.${rnd(10)}.${rnd(10)}`, `${1 + rnd(200)}.${rnd(256)}.${rnd(256)}.${rnd(256)}`, `198.51.100.${rnd(256)}`][rnd(3)] as string;
const v6 = () => [`2001:db8::${hex()}`, `2001:db8:${hex()}:${hex()}:${hex()}:${hex()}:${hex()}:${(1 + rnd(65535)).toString(16)}`][rnd(2)] as string;

test.each([1, 2, 3, 4, 5, 6, 7, 8])('short path vs full path, round %i', async (r) => {
  seed = 1000 + r;
  const env = makeEnv(CFG);
  env.write('hosts.deny', 'in.telnetd: ALL\n');
  const mode = r % 4; // 0 mix, 1 v6 only, 2 v4 only, 3 empty start
  let log1 = '';
  let log2 = '';
  let min = 0;
  for (let i = 0; i < 6 && mode !== 3; i++) {
    if (mode !== 2) (rnd(2) ? (log1 += fails(v6(), min)) : (log2 += fails(v6(), min)));
    if (mode !== 1) log1 += fails(v4(), min);
  }
  env.write('auth.log', log1);
  env.write('auth2.log', log2);
  await runScan(env.ctx(local('01:10:00')));
  if (mode === 0) {
    await runBan(env.ctx(local('01:10:10')), { ip: `10.${rnd(256)}.0.0/16` });
    await runBan(env.ctx(local('01:10:20')), { ip: `2001:db8:${hex()}::/48` });
  }
  for (let round = 0; round < 3; round++) {
    min = 11 + round * 10;
    let a1 = '';
    let a2 = '';
    for (let i = 0; i < 4; i++) {
      const k = rnd(4);
      if (k === 0) a1 += fails(v4(), min);
      else if (k === 1) a1 += fails(v6(), min);
      else if (k === 2) a2 += fails(v6(), min);
      else a2 += fails(v4(), min);
    }
    env.append('auth.log', a1);
    env.append('auth2.log', a2);
    const db0 = fs.existsSync(path.join(env.dir,'state/bans.json')) ? env.read('state/bans.json') : null;
    const at = local(`01:${pad(min + 5)}:00`);
    const res = await runScan(env.ctx(at));
    const ctx = env.ctx(at);
    expect(ctx.log.lines.filter((l) => l.startsWith('error') || l.startsWith('warn'))).toEqual([]);
    const quick = fs.existsSync(path.join(env.dir,'state/bans.journal'));
    const targets = activeBans(readState(ctx), new Date(at)).map((b) => b.ip);
    const text = env.read('hosts.deny');
    expect(text).toBe(renderDenyFile(parseDenyFile(text, 'hosts.deny'), targets));
    expect(committedTargets(ctx)).toEqual(targets);
    const stamp = fs.readFileSync(path.join(env.dir, 'state', 'stamp.txt'));
    // What the full path writes.
    fs.rmSync(path.join(env.dir, 'state', 'stamp.txt'));
    await runScan(env.ctx(at));
    const full = fs.readFileSync(path.join(env.dir, 'state', 'stamp.txt'));
    const body = (b: Buffer) => b.subarray(b.indexOf(10) + 1).toString('latin1');
    const headSizes = (b: Buffer) => { const h = JSON.parse(b.toString('utf8', 0, b.indexOf(10))); return [h.active, h.v4, h.w4, h.w6, h.block]; };
    expect([quick, res.banned.length > 0, headSizes(stamp), body(stamp).split('\n').slice(0, headSizes(stamp)[0])]).toEqual([quick, res.banned.length > 0, headSizes(full), body(full).split('\n').slice(0, headSizes(full)[0])]);
    expect(env.read('hosts.deny')).toBe(text);
  }
});
