#!/usr/bin/env node
/**
 * `npm run bench`: measures scan throughput on a generated 1,000,000-line mixed sshd + ProFTPD auth log
 * (about 110 MB: a busy server under a botnet of 20,000 addresses) and prints, in one run:
 *   - full scan: lines/s and peak RSS (in a fresh process, as cron runs it), also on one thread
 *   - the floor: a plain Node.js loop that only splits the same file into lines
 *   - an incremental scan after 1,000 lines were appended, and a scan with nothing new
 *   - fail2ban-regex with its sshd filter on the same file, when installed (apt-get install fail2ban)
 * Options: --lines N (default 1000000), --keep (keep the temp dir).
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const args = process.argv.slice(2);
const LINES = Number(args[args.indexOf('--lines') + 1]) || 1_000_000;
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

// A scan in a fresh process, through the real command (config, lock, state files, deny file).
const SCAN = `
const { runScan } = require('./dist/lib/commands/scan');
const { loadConfig } = require('./dist/lib/config');
const { memoryLogger } = require('./dist/lib/log');
const { systemClock } = require('./dist/lib/clock');
(async () => {
  const config = loadConfig(process.argv[1]);
  const t0 = process.hrtime.bigint();
  const r = await runScan({ config, clock: systemClock, log: memoryLogger(), dryRun: false });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  console.log(JSON.stringify({ ms, lines: r.lines, bans: r.banned.length + r.expiredOnArrival.length, maxRssKb: process.resourceUsage().maxRSS }));
})();`;

// The floor: read the file in 1 MiB chunks and split it into lines, doing nothing else.
const SPLIT = `
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
console.log(JSON.stringify({ ms, lines: n, maxRssKb: process.resourceUsage().maxRSS }));`;

const fmt = (n) => Math.round(n).toLocaleString('en-US');
console.log(`autoban bench: ${fmt(LINES)} lines, node ${process.version}, ${os.cpus()[0].model} x${os.cpus().length}`);
const start = Date.now() - LINES * 30 - 60_000;
generate(log, LINES, start);
const size = fs.statSync(log).size + fs.statSync(ftpLog).size;
console.log(`generated ${log} and ${ftpLog} (${(size / 1e6).toFixed(1)} MB together)`);
fs.writeFileSync(path.join(dir, 'hosts.deny'), '');
fs.writeFileSync(path.join(dir, 'autoban.cfg'), `[DEFAULT]\ndeny_file = hosts.deny\nstate_dir = state\nnode_id = bench\nban_duration = 1d\n[sshd]\nlog = auth.log\nparser = sshd\n[ftp]\nlog = proftpd.log\nparser = proftpd\n`);
const cfg = path.join(dir, 'autoban.cfg');

const split = child(SPLIT, [log]);
const split2 = child(SPLIT, [ftpLog]);
split.out.ms += split2.out.ms;
split.out.lines += split2.out.lines;
console.log(`line split only     : ${fmt(split.out.ms)} ms, ${fmt(split.out.lines / (split.out.ms / 1000))} lines/s, peak RSS ${fmt(split.out.maxRssKb / 1024)} MB`);

// The same full scan on one thread (AUTOBAN_THREADS=1), in a directory of its own (fresh state).
const one = path.join(dir, 'one-thread');
fs.mkdirSync(one);
for (const f of ['auth.log', 'proftpd.log']) fs.symlinkSync(path.join(dir, f), path.join(one, f));
fs.writeFileSync(path.join(one, 'hosts.deny'), '');
fs.copyFileSync(path.join(dir, 'autoban.cfg'), path.join(one, 'autoban.cfg'));
const single = child(SCAN, [path.join(one, 'autoban.cfg')], { AUTOBAN_THREADS: '1' });

const full = child(SCAN, [cfg]);
console.log(`full scan           : ${fmt(full.out.ms)} ms (process ${fmt(full.ms)} ms), ${fmt(full.out.lines / (full.out.ms / 1000))} lines/s, peak RSS ${fmt(full.out.maxRssKb / 1024)} MB, ${fmt(full.out.bans)} bans`);
console.log(`  ratio to the floor: ${(full.out.ms / split.out.ms).toFixed(2)}x`);
console.log(`  on one thread     : ${fmt(single.out.ms)} ms, ${fmt(single.out.lines / (single.out.ms / 1000))} lines/s, peak RSS ${fmt(single.out.maxRssKb / 1024)} MB (AUTOBAN_THREADS=1; ${(single.out.ms / split.out.ms).toFixed(2)}x the floor)`);

generate(log, 1000, Date.now() - 50_000);
const inc = child(SCAN, [cfg]);
console.log(`+1,000 lines scan   : ${fmt(inc.out.ms)} ms (process ${fmt(inc.ms)} ms), ${(100 * inc.out.ms / full.out.ms).toFixed(2)}% of the full scan, ${inc.out.bans} new bans`);
const none = child(SCAN, [cfg]);
console.log(`nothing new scan    : ${fmt(none.out.ms)} ms (process ${fmt(none.ms)} ms)`);
const cliNone = (() => {
  const t0 = process.hrtime.bigint();
  spawnSync(process.execPath, [path.join(root, 'dist/bin/autoban.js'), 'scan', '--config', cfg, '--quiet']);
  return Number(process.hrtime.bigint() - t0) / 1e6;
})();
console.log(`autoban scan (CLI), nothing new: ${fmt(cliNone)} ms wall`);

const f2b = spawnSync('sh', ['-c', 'command -v fail2ban-regex'], { encoding: 'utf8' });
if (f2b.status === 0) {
  // The same file both ways: autoban scanning only the sshd log (fresh state, its own directory), and
  // fail2ban-regex on it with the stock sshd filter.
  const alone = path.join(dir, 'sshd-only');
  fs.mkdirSync(alone);
  fs.symlinkSync(log, path.join(alone, 'auth.log'));
  fs.writeFileSync(path.join(alone, 'hosts.deny'), '');
  fs.writeFileSync(path.join(alone, 'autoban.cfg'), `[DEFAULT]\ndeny_file = hosts.deny\nstate_dir = state\nnode_id = bench\nban_duration = 1d\n[sshd]\nlog = auth.log\nparser = sshd\n`);
  const sshdOnly = child(SCAN, [path.join(alone, 'autoban.cfg')]);
  const t0 = process.hrtime.bigint();
  const r = spawnSync('fail2ban-regex', ['--print-no-missed', '--print-no-ignored', log, '/etc/fail2ban/filter.d/sshd.conf'], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const m = /Lines: (\d+) lines, \d+ ignored, (\d+) matched/.exec(r.stdout);
  const f2bLines = m ? Number(m[1]) : NaN;
  console.log(`fail2ban-regex sshd : ${fmt(ms)} ms for the ${fmt(f2bLines)}-line sshd log (${m ? `${fmt(Number(m[2]))} lines matched` : 'exit ' + r.status}), ${fmt(f2bLines / (ms / 1000))} lines/s`);
  console.log(`autoban, same file  : ${fmt(sshdOnly.out.ms)} ms, ${fmt(sshdOnly.out.bans)} bans — ${(ms / sshdOnly.out.ms).toFixed(0)}x faster than fail2ban-regex on the same file`);
  console.log(`  per line, the full scan of both logs is ${((full.out.lines / full.out.ms) / (f2bLines / ms)).toFixed(0)}x fail2ban-regex's rate`);
} else {
  console.log('fail2ban-regex      : not installed (apt-get install fail2ban to compare)');
}
if (args.includes('--keep')) console.log(`kept ${dir}`);
else fs.rmSync(dir, { recursive: true, force: true });
