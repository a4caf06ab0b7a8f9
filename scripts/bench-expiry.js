#!/usr/bin/env node
/**
 * The cron run of a busy node in which some bans ran out: a ban database of 17,000 active bans (24 h), 10 of
 * which have just expired, and 1,000 new log lines (a few new offenders among them). Builds that state with
 * a full commit, waits for the 10 to expire, then times one `scan` in a fresh process (process wall time,
 * the scan itself, peak RSS). With several --root builds the runs alternate between them (A/B), and the
 * medians are printed: the machine is shared, one run can land on a slow moment.
 * With --forgotten N the database also remembers N bans that ended long ago and reach their end of
 * retention (history_retention, 90 days) at the moment the 10 expire: what a node that has run for longer
 * than the retention meets on nearly every run.
 * Options: --root DIR (repeatable; default this checkout), --runs N (default 5), --bans N, --expire N,
 * --lines N, --forgotten N (default 0), --callgrind (also count the scan's instructions under valgrind once per build).
 * Addresses are documentation ones only (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32).
 */
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) || dflt : dflt);
const roots = args.flatMap((a, i) => (a === '--root' ? [path.resolve(args[i + 1])] : []));
if (roots.length === 0) roots.push(path.join(__dirname, '..'));
const RUNS = opt('--runs', 5);
const BANS = opt('--bans', 17000);
const EXPIRE = opt('--expire', 10);
const LINES = opt('--lines', 1000);
const FORGOTTEN = opt('--forgotten', 0);
const RETENTION_MS = 90 * 86_400_000; // the default history_retention
const CALLGRIND = args.includes('--callgrind');

const v4Pool = [];
for (const net of ['192.0.2', '198.51.100', '203.0.113']) for (let i = 1; i < 255; i++) v4Pool.push(`${net}.${i}`);
const OFFENDERS = v4Pool.splice(0, 12); // never banned: the new offenders of the measured run
const targets = [...v4Pool];
for (let i = 0; targets.length < BANS; i++) targets.push(`2001:db8:${(i >> 8).toString(16)}:${(i & 255).toString(16)}::/64`);

const pad = (n) => String(n).padStart(2, '0');
const MONS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const syslogTime = (ms) => {
  const t = new Date(ms);
  return `${MONS[t.getMonth()]} ${String(t.getDate()).padStart(2, ' ')} ${pad(t.getHours())}:${pad(t.getMinutes())}:${pad(t.getSeconds())}`;
};

/** A state dir whose stamp holds, with `EXPIRE` bans ending at `expireAt`. */
function prepare(root, dir, expireAt) {
  const now = Date.now();
  fs.mkdirSync(path.join(dir, 'state'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'autoban.cfg'), `[DEFAULT]\ndeny_file = ${dir}/hosts.deny\nstate_dir = ${dir}/state\nwhitelist = ${dir}/whitelist.txt\nnode_id = bench\n[sshd]\nlog = ${dir}/auth.log\nparser = sshd\n`);
  fs.writeFileSync(path.join(dir, 'whitelist.txt'), '');
  fs.writeFileSync(path.join(dir, 'hosts.deny'), 'in.telnetd: ALL\n');
  fs.writeFileSync(path.join(dir, 'auth.log'), `${syslogTime(now - 60_000)} web1 sshd[100]: Accepted publickey for alice from 192.0.2.250 port 50000 ssh2\n`);
  const bans = targets.map((ip, i) => {
    const ends = i % Math.floor(targets.length / EXPIRE) === 0 && i / Math.floor(targets.length / EXPIRE) < EXPIRE;
    const expiresAt = ends ? expireAt : now + 3_600_000 + ((i * 7919) % 40_000) * 1000;
    return { ip, rule: 'login_attempts', reason: 'login_attempts failures=5', failures: 5, source: 'sshd', origin: 'scan', node: 'bench', bannedAt: new Date(expiresAt - 86_400_000).toISOString(), expiresAt: new Date(expiresAt).toISOString(), banCount: 1 };
  });
  // Remembered bans of other addresses whose end of retention comes with the expiry (pruned on the full path).
  for (let i = 0; i < FORGOTTEN; i++) {
    const expiresAt = expireAt - RETENTION_MS + (i % 100);
    bans.push({ ip: `2001:db8:fffe:${i.toString(16)}::/64`, rule: 'login_attempts', reason: 'login_attempts failures=5', failures: 5, source: 'sshd', origin: 'scan', node: 'bench', bannedAt: new Date(expiresAt - 86_400_000).toISOString(), expiresAt: new Date(expiresAt).toISOString(), banCount: 1 });
  }
  fs.writeFileSync(path.join(dir, 'state', 'bans.json'), `{"version":1,"bans":[\n${bans.map((b) => JSON.stringify(b)).join(',\n')}\n],"unbans":[]}\n`);
  // The full commit that writes the deny file, the positions and the stamp.
  const r = spawnSync(process.execPath, [path.join(root, 'dist/bin/autoban.js'), 'scan', '--config', path.join(dir, 'autoban.cfg'), '--quiet'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`setup scan failed: ${r.stderr}`);
  // The run's new lines: noise, and six failures each from a few new offenders.
  const lines = [];
  let pid = 2000;
  for (let k = 0; lines.length < LINES; k++) {
    const t = syslogTime(Date.now() - 30_000 + k * 10);
    if (k % 40 === 0 && k / 40 < OFFENDERS.length / 2) {
      const ip = OFFENDERS[k / 40];
      for (let j = 0; j < 6; j++) lines.push(`${t} web1 sshd[${pid}]: Failed password for root from ${ip} port ${40000 + j} ssh2`);
    } else lines.push(`${t} web1 sshd[${pid}]: Connection closed by 2001:db8:ffff::${(k % 65535).toString(16)} port ${40000 + (k % 20000)} [preauth]`);
    pid++;
  }
  fs.appendFileSync(path.join(dir, 'auth.log'), `${lines.slice(0, LINES).join('\n')}\n`);
}

const SCAN = `
const peakKb = () => Number(/VmHWM:\\s+(\\d+)/.exec(require('fs').readFileSync('/proc/self/status', 'utf8'))[1]);
require('./dist/lib/tiering');
const { runScan } = require('./dist/lib/commands/scan');
const { loadConfig } = require('./dist/lib/config');
const { memoryLogger } = require('./dist/lib/log');
const { systemClock } = require('./dist/lib/clock');
(async () => {
  const config = loadConfig(process.argv[1]);
  const log = memoryLogger();
  const t0 = process.hrtime.bigint();
  const r = await runScan({ config, clock: systemClock, log, dryRun: false });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  console.log(JSON.stringify({ ms, bans: r.banned.length, lifted: log.lines.filter((l) => l.startsWith('expired:')).length, maxRssKb: peakKb() }));
})();`;

/**
 * Runs a child to its end. Under valgrind a full-path scan runs for minutes without its event loop getting a
 * turn, so the lock's refresh is held up and the scan gives up as having lost it: `lock`, when given, is
 * refreshed from here meanwhile (what the child's own timer does at normal speed).
 */
function run(cmd, argv, cwd, lock) {
  return new Promise((resolve) => {
    const c = spawn(cmd, argv, { cwd });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d) => (stdout += d));
    c.stderr.on('data', (d) => (stderr += d));
    const t = lock ? setInterval(() => { try { const now = new Date(); fs.utimesSync(lock, now, now); } catch {} }, 2000) : null;
    c.on('close', (status) => { if (t) clearInterval(t); resolve({ status, stdout, stderr }); });
  });
}

async function measure(root, callgrind) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'autoban-bench-expiry-'));
  try {
    const expireAt = Date.now() + 4000;
    prepare(root, dir, expireAt);
    const wait = expireAt + 200 - Date.now();
    if (wait < 0) throw new Error('setup took longer than the wait for the expiry; raise it');
    spawnSync('sleep', [String(wait / 1000)]);
    const cmd = callgrind ? 'valgrind' : process.execPath;
    const out = path.join(dir, 'callgrind.out');
    const pre = callgrind ? ['--tool=callgrind', '--smc-check=all-non-file', `--callgrind-out-file=${out}`, process.execPath] : [];
    const t0 = process.hrtime.bigint();
    const r = await run(cmd, [...pre, '-e', SCAN, path.join(dir, 'autoban.cfg')], root, callgrind ? path.join(dir, 'state', 'autoban.lock') : null);
    const wall = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.status !== 0) throw new Error(`scan failed: ${r.stderr}`);
    const res = JSON.parse(r.stdout.trim().split('\n').pop());
    if (callgrind) res.ir = Number(/Collected\s*:\s*(\d+)/.exec(r.stderr)?.[1]);
    return { ...res, wall };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
(async () => {
  const results = new Map(roots.map((r) => [r, []]));
  for (let i = 0; i < RUNS; i++) for (const root of roots) results.get(root).push(await measure(root, false));
  for (const [root, rs] of results) {
    const f = (k, d = 0) => `${med(rs.map((x) => x[k])).toFixed(d)} [${Math.min(...rs.map((x) => x[k])).toFixed(d)}-${Math.max(...rs.map((x) => x[k])).toFixed(d)}]`;
    console.log(`${root}: ${BANS} bans, ${EXPIRE} expired, ${FORGOTTEN} past retention, +${LINES} lines: process ${f('wall')} ms, scan ${f('ms')} ms, peak RSS ${(med(rs.map((x) => x.maxRssKb)) / 1024).toFixed(1)} MB, ${rs[0].bans} new bans, ${rs[0].lifted} lifted`);
  }
  if (CALLGRIND) {
    for (const root of roots) {
      const c = await measure(root, true);
      console.log(`${root}: callgrind ${c.ir.toLocaleString('en-US')} instructions (${c.bans} new bans, ${c.lifted} lifted)`);
    }
  }
})();
