/** A flood of one failure each from 100,000 addresses bans nobody and stays fast and small. */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeEnv } from '../helpers/context';
import { ROOT } from '../helpers/cli';

test('100,000 distinct addresses with one failure each: no bans, bounded time and memory', () => {
  const env = makeEnv('[sshd]\nlog = auth.log\n', { defaults: 'ipv6_prefix = 128\n' });
  const lines: string[] = [];
  for (let i = 0; i < 100_000; i++) {
    const ip = i % 2 ? `2001:db8:${(i >> 16).toString(16)}:${(i & 0xffff).toString(16)}::1` : `198.${18 + ((i >> 16) & 1)}.${(i >> 8) & 255}.${i & 255}`;
    lines.push(`Nov 22 01:${String(Math.floor(i / 2000) % 60).padStart(2, '0')}:00 host sshd[${i}]: Failed password for bob from ${ip} port 1 ssh2`);
  }
  fs.writeFileSync(path.join(env.dir, 'auth.log'), `${lines.join('\n')}\n`);
  const script = `
    const { runScan } = require('./dist/lib/commands/scan');
    const { loadConfig } = require('./dist/lib/config');
    const { memoryLogger } = require('./dist/lib/log');
    const { fixedClock } = require('./dist/lib/clock');
    (async () => {
      const t0 = Date.now();
      const r = await runScan({ config: loadConfig(process.argv[1]), clock: fixedClock(process.argv[2]), log: memoryLogger(), dryRun: false });
      console.log(JSON.stringify({ ms: Date.now() - t0, bans: r.banned.length, failures: r.failures, rssMb: process.resourceUsage().maxRSS / 1024 }));
    })();`;
  const r = spawnSync(process.execPath, ['-e', script, path.join(env.dir, 'autoban.cfg'), new Date('2026-11-22T01:59:00').toISOString()], { cwd: ROOT, encoding: 'utf8' });
  expect(r.status).toBe(0);
  const out = JSON.parse(r.stdout);
  expect(out.bans).toBe(0);
  expect(out.failures).toBe(100_000);
  expect(out.ms).toBeLessThan(15_000); // takes well under a second; this only catches blow-ups
  expect(out.rssMb).toBeLessThan(300);
  expect(env.denyTargets()).toEqual([]);
});
