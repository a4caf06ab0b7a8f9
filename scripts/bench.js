#!/usr/bin/env node
/**
 * `npm run bench`: measures scan throughput on a generated 1,000,000-line mixed sshd + ProFTPD auth log
 * (about 110 MB: a busy server under a botnet of 20,000 addresses) and prints, in one run:
 *   - full scan: lines/s and peak RSS (in a fresh process, as cron runs it), also on one thread
 *   - the floor: a plain Node.js loop that only splits the same file into lines
 *   - an incremental scan after 1,000 lines were appended, and a scan with nothing new
 *   - fail2ban-regex with its sshd filter on the same file, when installed (apt-get install fail2ban)
 * Each autoban figure is the median of --runs N runs (default 5; min-max in brackets): this machine's speed
 * drifts, and one run can land on a slow moment. fail2ban-regex (45 s here) runs once.
 * Options: --lines N (default 1000000), --runs N, --keep (keep the temp dir).
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) || dflt : dflt);
const LINES = opt('--lines', 1_000_000);
const RUNS = Math.max(1, opt('--runs', 5));
const root = path.join(__dirname, '..');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'autoban-bench-'));
const log = path.join(dir, 'auth.log');
const ftpLog = path.join(dir, 'proftpd.log');

/** Deterministic pseudo-random numbers (mulberry32), so every run generates the same log. */
let seed = 42;
const rnd = (n) => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) % n;
};

/**
 * Appends about `count` lines, time-ordered, to the sshd log (`file`) and the ProFTPD log beside it, shaped
 * like a busy server under a botnet: connections from a pool of 20,000 attacking addresses (1-6 attempts
 * each, logged the several ways sshd and PAM log them), some legitimate logins, and other programs' lines.
 */
function generate(file, count, startMs) {
  const fd = fs.openSync(file, 'a');
  const ffd = fs.openSync(ftpLog, 'a');
  const users = ['root', 'admin', 'oracle', 'test', 'bob', 'alice', 'ubuntu', 'postgres', 'git', 'www'];
  const mons = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const pool = Array.from({ length: 20000 }, () => `${[192, 198, 203][rnd(3)]}.${rnd(256)}.${rnd(256)}.${1 + rnd(254)}`);
  let buf = [];
  let fbuf = [];
  let pid = 10000 + rnd(1000);
  let n = 0;
  let i = 0;
  const flush = (force) => {
    if (buf.length >= 10000 || (force && buf.length)) {
      fs.writeSync(fd, `${buf.join('\n')}\n`);
      buf = [];
    }
    if (fbuf.length >= 10000 || (force && fbuf.length)) {
      fs.writeSync(ffd, `${fbuf.join('\n')}\n`);
      fbuf = [];
    }
  };
  while (n < count) {
    const t = new Date(startMs + (i++) * 50); // 20 lines per second
    const stamp = `${mons[t.getMonth()]} ${String(t.getDate()).padStart(2, ' ')} ${t.toTimeString().slice(0, 8)}`;
    const iso = `${t.getFullYear()}-${String(t.getMonth() + 1).padStart(2, '0')}-${String(t.getDate()).padStart(2, '0')} ${t.toTimeString().slice(0, 8)},${String(t.getMilliseconds()).padStart(3, '0')}`;
    const ip = pool[rnd(pool.length)];
    const u = users[rnd(users.length)];
    pid = pid >= 65000 ? 10000 : pid + 1 + rnd(3);
    const port = 1024 + rnd(60000);
    const k = rnd(20);
    const lines = [];
    if (k < 8) {
      // password attempts for an existing user, each logged by PAM and by sshd
      const tries = 1 + rnd(6);
      for (let a = 0; a < tries; a++) {
        lines.push(`${stamp} web1 sshd[${pid}]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=${ip}  user=${u}`);
        lines.push(`${stamp} web1 sshd[${pid}]: Failed password for ${u} from ${ip} port ${port} ssh2`);
      }
      if (tries > 1) lines.push(`${stamp} web1 sshd[${pid}]: PAM ${tries - 1} more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=${ip}  user=${u}`);
      lines.push(`${stamp} web1 sshd[${pid}]: Connection closed by authenticating user ${u} ${ip} port ${port} [preauth]`);
    } else if (k < 11) {
      const bad = `${u}${rnd(100)}`;
      lines.push(`${stamp} web1 sshd[${pid}]: Invalid user ${bad} from ${ip} port ${port}`);
      lines.push(`${stamp} web1 sshd[${pid}]: pam_unix(sshd:auth): check pass; user unknown`);
      lines.push(`${stamp} web1 sshd[${pid}]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=${ip}`);
      lines.push(`${stamp} web1 sshd[${pid}]: Failed password for invalid user ${bad} from ${ip} port ${port} ssh2`);
      lines.push(`${stamp} web1 sshd[${pid}]: Connection closed by invalid user ${bad} ${ip} port ${port} [preauth]`);
    } else if (k < 13) {
      const me = `203.0.113.${1 + rnd(200)}`;
      lines.push(`${stamp} web1 sshd[${pid}]: Accepted publickey for ${u} from ${me} port ${port} ssh2: ED25519 SHA256:Xr3m1b5kq7J2pX9Z8c4t0mQ1nLw6oYv3uHa2sTe5fGk`);
      lines.push(`${stamp} web1 sshd[${pid}]: pam_unix(sshd:session): session opened for user ${u}(uid=1000) by (uid=0)`);
    } else if (k < 16) {
      for (let a = 0; a < 1 + rnd(3); a++) fbuf.push(`${iso} web1 proftpd[${pid}] web1.example.com (${ip}[${ip}]): USER ${u} (Login failed): Incorrect password`);
      fbuf.push(`${iso} web1 proftpd[${pid}] web1.example.com (${ip}[${ip}]): FTP session closed.`);
      n += 2;
    } else if (k < 18) {
      lines.push(`${stamp} web1 CRON[${pid}]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)`);
    } else {
      lines.push(`${stamp} web1 systemd-logind[${pid}]: New session ${rnd(100000)} of user ${u}.`);
    }
    buf.push(...lines);
    n += lines.length;
    flush(false);
  }
  flush(true);
  fs.closeSync(fd);
  fs.closeSync(ffd);
}

function child(script, extraArgs, env = {}) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ['-e', script, ...extraArgs], { encoding: 'utf8', cwd: root, maxBuffer: 1 << 26, env: { ...process.env, ...env } });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`bench child failed: ${r.stderr}`);
  return { ms, out: JSON.parse(r.stdout.trim().split('\n').pop()) };
}

/**
 * Peak RSS of the child process alone. getrusage's maxRSS can carry the parent's peak across fork and exec
 * (this process held the whole log when it spawned), which made a plain line-splitting loop look like 131 MB;
 * on Linux the fresh address space's high-water mark (VmHWM) is the child's own.
 */
const PEAK = `const peakKb = () => { try { return Number(/VmHWM:\\s+(\\d+)/.exec(require('fs').readFileSync('/proc/self/status', 'utf8'))[1]); } catch { return process.resourceUsage().maxRSS; } };`;

// A scan in a fresh process, through the real command (config, lock, state files, deny file).
const SCAN = `
${PEAK}
require('./dist/lib/tiering'); // first, as lib/cli.ts imports it (V8 tiering for a short run)
const { runScan } = require('./dist/lib/commands/scan');
const { loadConfig } = require('./dist/lib/config');
const { memoryLogger } = require('./dist/lib/log');
const { systemClock } = require('./dist/lib/clock');
(async () => {
  const config = loadConfig(process.argv[1]);
  const t0 = process.hrtime.bigint();
  const r = await runScan({ config, clock: systemClock, log: memoryLogger(), dryRun: false });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  console.log(JSON.stringify({ ms, lines: r.lines, bans: r.banned.length + r.expiredOnArrival.length, maxRssKb: peakKb() }));
})();`;

// The floor: read the file in 1 MiB chunks and split it into lines, doing nothing else.
const SPLIT = `
${PEAK}
const fs = require('fs');
const t0 = process.hrtime.bigint();
const fd = fs.openSync(process.argv[1], 'r');
const buf = Buffer.allocUnsafe(1 << 20);
let carry = '', n = 0, len = 0;
for (;;) {
  const got = fs.readSync(fd, buf, 0, buf.length, null);
  if (!got) break;
  const text = carry + buf.toString('utf8', 0, got);
  let pos = 0, nl;
  while ((nl = text.indexOf('\\n', pos)) >= 0) { const line = text.slice(pos, nl); len += line.length; n++; pos = nl + 1; }
  carry = text.slice(pos);
}
const ms = Number(process.hrtime.bigint() - t0) / 1e6;
console.log(JSON.stringify({ ms, lines: n, maxRssKb: peakKb() }));`;

const fmt = (n) => Math.round(n).toLocaleString('en-US');
/** Median and range of numbers. */
const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return { med: s[Math.floor((s.length - 1) / 2)], min: s[0], max: s[s.length - 1] };
};
const range = (xs, unit = ' ms') => {
  const { med, min, max } = stats(xs);
  return xs.length > 1 ? `${fmt(med)}${unit} [${fmt(min)}-${fmt(max)}]` : `${fmt(med)}${unit}`;
};
/**
 * The generator writes 120 MB without fsync; left in the page cache, that dirty data makes every fsync of
 * the scan that follows wait for it to reach the disk. A production log was written long before the cron run
 * that reads it, so the bench flushes first.
 */
const flush = () => spawnSync('sync');

console.log(`autoban bench: ${fmt(LINES)} lines, node ${process.version}, ${os.cpus()[0].model} x${os.cpus().length}, median of ${RUNS} run${RUNS > 1 ? 's' : ''}`);
const start = Date.now() - LINES * 30 - 60_000;
generate(log, LINES, start);
const size = fs.statSync(log).size + fs.statSync(ftpLog).size;
console.log(`generated ${log} and ${ftpLog} (${(size / 1e6).toFixed(1)} MB together)`);
const cfgText = `[DEFAULT]\ndeny_file = hosts.deny\nstate_dir = state\nnode_id = bench\nban_duration = 1d\n[sshd]\nlog = auth.log\nparser = sshd\n[ftp]\nlog = proftpd.log\nparser = proftpd\n`;
fs.writeFileSync(path.join(dir, 'autoban.cfg'), cfgText);
const cfg = path.join(dir, 'autoban.cfg');

// The 1,000 lines appended between the full scan and the incremental one, made once: every run appends the same.
const base = { auth: fs.statSync(log).size, ftp: fs.statSync(ftpLog).size };
generate(log, 1000, Date.now() - 50_000);
// Copied out, so this process does not keep the whole 100 MB log alive while the scans run.
const appended = { auth: Buffer.from(fs.readFileSync(log).subarray(base.auth)), ftp: Buffer.from(fs.readFileSync(ftpLog).subarray(base.ftp)) };
fs.truncateSync(log, base.auth);
fs.truncateSync(ftpLog, base.ftp);
flush();

const splits = [];
for (let i = 0; i < RUNS; i++) {
  const a = child(SPLIT, [log]).out;
  const b = child(SPLIT, [ftpLog]).out;
  splits.push({ ms: a.ms + b.ms, lines: a.lines + b.lines, rss: Math.max(a.maxRssKb, b.maxRssKb) });
}
const floor = stats(splits.map((x) => x.ms)).med;
console.log(`line split only     : ${range(splits.map((x) => x.ms))}, ${fmt(splits[0].lines / (floor / 1000))} lines/s, peak RSS ${fmt(stats(splits.map((x) => x.rss)).med / 1024)} MB`);

/** A fresh start: the logs as generated, no state, an empty deny file. */
const reset = (d) => {
  fs.rmSync(path.join(d, 'state'), { recursive: true, force: true });
  fs.writeFileSync(path.join(d, 'hosts.deny'), '');
};

// The same full scan on one thread (AUTOBAN_THREADS=1), in a directory of its own.
const one = path.join(dir, 'one-thread');
fs.mkdirSync(one);
for (const f of ['auth.log', 'proftpd.log']) fs.symlinkSync(path.join(dir, f), path.join(one, f));
fs.copyFileSync(cfg, path.join(one, 'autoban.cfg'));
const singles = [];
for (let i = 0; i < RUNS; i++) {
  reset(one);
  singles.push(child(SCAN, [path.join(one, 'autoban.cfg')], { AUTOBAN_THREADS: '1' }).out);
}

const fulls = [];
const incs = [];
const nones = [];
const clis = [];
for (let i = 0; i < RUNS; i++) {
  fs.truncateSync(log, base.auth);
  fs.truncateSync(ftpLog, base.ftp);
  reset(dir);
  const full = child(SCAN, [cfg]);
  fulls.push({ ...full.out, wall: full.ms });
  fs.appendFileSync(log, appended.auth);
  fs.appendFileSync(ftpLog, appended.ftp);
  flush();
  const inc = child(SCAN, [cfg]);
  incs.push({ ...inc.out, wall: inc.ms });
  const none = child(SCAN, [cfg]);
  nones.push({ ...none.out, wall: none.ms });
  const t0 = process.hrtime.bigint();
  spawnSync(process.execPath, [path.join(root, 'dist/bin/autoban.js'), 'scan', '--config', cfg, '--quiet']);
  clis.push(Number(process.hrtime.bigint() - t0) / 1e6);
}
const fullMs = stats(fulls.map((x) => x.ms)).med;
const lines = fulls[0].lines;
console.log(`full scan           : ${range(fulls.map((x) => x.ms))} (process ${range(fulls.map((x) => x.wall), ' ms')}), ${fmt(lines / (fullMs / 1000))} lines/s, peak RSS ${range(fulls.map((x) => x.maxRssKb / 1024), ' MB')}, ${fmt(fulls[0].bans)} bans`);
console.log(`  ratio to the floor: ${(fullMs / floor).toFixed(2)}x (target: within 2x)`);
const singleMs = stats(singles.map((x) => x.ms)).med;
console.log(`  on one thread     : ${range(singles.map((x) => x.ms))}, ${fmt(lines / (singleMs / 1000))} lines/s, peak RSS ${range(singles.map((x) => x.maxRssKb / 1024), ' MB')} (AUTOBAN_THREADS=1; ${(singleMs / floor).toFixed(2)}x the floor)`);
const incMs = stats(incs.map((x) => x.ms)).med;
console.log(`+1,000 lines scan   : ${range(incs.map((x) => x.ms))} (process ${range(incs.map((x) => x.wall))}), ${(100 * incMs / fullMs).toFixed(2)}% of the full scan (target: under 5%), ${incs[0].bans} new bans`);
console.log(`nothing new scan    : ${range(nones.map((x) => x.ms))} (process ${range(nones.map((x) => x.wall))})`);
console.log(`autoban scan (CLI), nothing new: ${range(clis)} wall`);

const f2b = spawnSync('sh', ['-c', 'command -v fail2ban-regex'], { encoding: 'utf8' });
if (f2b.status === 0) {
  // The same file both ways: autoban scanning only the sshd log (fresh state, its own directory), and
  // fail2ban-regex on it with the stock sshd filter.
  fs.truncateSync(log, base.auth);
  const alone = path.join(dir, 'sshd-only');
  fs.mkdirSync(alone);
  fs.symlinkSync(log, path.join(alone, 'auth.log'));
  fs.writeFileSync(path.join(alone, 'autoban.cfg'), `[DEFAULT]\ndeny_file = hosts.deny\nstate_dir = state\nnode_id = bench\nban_duration = 1d\n[sshd]\nlog = auth.log\nparser = sshd\n`);
  const sshdOnly = [];
  for (let i = 0; i < RUNS; i++) {
    reset(alone);
    sshdOnly.push(child(SCAN, [path.join(alone, 'autoban.cfg')]).out);
  }
  const t0 = process.hrtime.bigint();
  const r = spawnSync('fail2ban-regex', ['--print-no-missed', '--print-no-ignored', log, '/etc/fail2ban/filter.d/sshd.conf'], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const m = /Lines: (\d+) lines, \d+ ignored, (\d+) matched/.exec(r.stdout);
  const f2bLines = m ? Number(m[1]) : NaN;
  const aloneMs = stats(sshdOnly.map((x) => x.ms)).med;
  console.log(`fail2ban-regex sshd : ${fmt(ms)} ms for the ${fmt(f2bLines)}-line sshd log (${m ? `${fmt(Number(m[2]))} lines matched` : 'exit ' + r.status}), ${fmt(f2bLines / (ms / 1000))} lines/s`);
  console.log(`autoban, same file  : ${range(sshdOnly.map((x) => x.ms))}, ${fmt(sshdOnly[0].bans)} bans — ${(ms / aloneMs).toFixed(0)}x faster than fail2ban-regex on the same file (targets: 50x, 100x)`);
  console.log(`  per line, the full scan of both logs is ${((lines / fullMs) / (f2bLines / ms)).toFixed(0)}x fail2ban-regex's rate`);
} else {
  console.log('fail2ban-regex      : not installed (apt-get install fail2ban to compare)');
}
if (args.includes('--keep')) console.log(`kept ${dir}`);
else fs.rmSync(dir, { recursive: true, force: true });
