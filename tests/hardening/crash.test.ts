/**
 * kill -9 at random moments, many times, of `ban` and of `run` (sync-pull → scan → expire → sync-push over a
 * shared directory): the deny file is always complete and parseable, the database always loads, the shared
 * documents are whole, and every ban a finished command reported is present.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CLI, cli } from '../helpers/cli';
import { makeEnv, sshdFail } from '../helpers/context';
import { parseDenyFile } from '../../lib/deny-file';
import { decodeDb } from '../../lib/ban-codec';

function runAndMaybeKill(args: string[], killAfterMs: number): Promise<number | null> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI, ...args], { stdio: 'ignore' });
    const timer = setTimeout(() => p.kill('SIGKILL'), killAfterMs);
    p.on('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

test('bans and scans killed at random moments (40 rounds or more) lose nothing that was reported', async () => {
  // `run` with a shared directory: every kill may land in sync-pull, scan, expire or sync-push.
  const env = makeEnv('[sshd]\nlog = auth.log\n[sync]\ncontext = local\nshared_dir = shared\n', { defaults: 'lock_timeout = 40s\n' });
  fs.mkdirSync(path.join(env.dir, 'shared'));
  // The log's lines are from Nov 22, 01:00; the clock is pinned just after them so that the scan's bans are
  // live whatever day the test runs (a ban of a day-old log line would already have expired).
  const cfg = ['--config', path.join(env.dir, 'autoban.cfg'), '--now', new Date('2026-11-22T02:00:00').toISOString()];
  // A log with 30 attackers (2 root failures each) that every scan works through.
  env.write('auth.log', Array.from({ length: 30 }, (_, i) => sshdFail('01:00:00', `203.0.113.${i + 1}`, 'root') + sshdFail('01:00:01', `203.0.113.${i + 1}`, 'root')).join(''));
  const reported: string[] = [];
  // Deterministic "random" kill times spread over start-up, lock, scan and write. Every fourth ban is left
  // to finish, so that some reported bans exist for the assertions to protect however slow the machine is.
  let seed = 7;
  const next = () => (seed = (seed * 48271) % 2147483647) % 600;
  let killed = 0;
  for (let i = 0; i < 80 && (i < 40 || reported.length < 8); i++) {
    const ip = `198.51.100.${i + 1}`;
    const [banCode, scanCode] = await Promise.all([runAndMaybeKill(['ban', ip, ...cfg], i % 4 === 3 ? 60_000 : 30 + next()), runAndMaybeKill(['run', '--no-jitter', ...cfg], 30 + next())]);
    if (banCode === 0) reported.push(ip);
    if (banCode === null) killed++;
    if (scanCode === null) killed++;
    expect([0, null, 75]).toContain(banCode);
    expect([0, null, 75]).toContain(scanCode);
    // Whatever a killed sync-push left in the shared directory is whole (temp file + rename).
    const nodesDir = path.join(env.dir, 'shared', 'nodes');
    for (const f of (fs.existsSync(nodesDir) ? fs.readdirSync(nodesDir, { withFileTypes: true }) : []).filter((d) => d.isFile() && d.name.endsWith('.json'))) {
      expect(() => JSON.parse(fs.readFileSync(path.join(env.dir, 'shared', 'nodes', f.name), 'utf8'))).not.toThrow();
    }
    // After every round: the deny file parses, the database loads.
    const deny = env.read('hosts.deny');
    expect(deny === '' || deny.endsWith('# END autoban\n')).toBe(true);
    expect(() => parseDenyFile(deny, 'hosts.deny')).not.toThrow();
    const dbText = fs.existsSync(path.join(env.dir, 'state', 'bans.json')) ? env.read('state/bans.json') : null;
    if (dbText) expect(decodeDb(dbText, 'bans.json').errors).toEqual([]);
    for (const r of reported) expect(deny).toContain(`ALL: ${r}\n`);
  }
  expect(reported.length).toBeGreaterThanOrEqual(8); // some finished…
  expect(killed).toBeGreaterThanOrEqual(5); // …and some were killed mid-way
  // …and one clean run afterwards completes the scan: all 30 attackers banned.
  expect(cli(['run', '--no-jitter', ...cfg]).code).toBe(0);
  const targets = env.denyTargets();
  for (let i = 1; i <= 30; i++) expect(targets).toContain(`203.0.113.${i}`);
  for (const r of reported) expect(targets).toContain(r);
}, 180_000);
