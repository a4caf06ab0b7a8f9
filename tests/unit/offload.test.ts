/**
 * A big scan lets a worker thread parse the second part of the log (lib/offload.ts) while the main thread
 * handles the first. The outcome must be exactly that of a single-threaded scan (AUTOBAN_THREADS=1): same
 * bans, same deny file, same positions, same counts — also when the worker gives up (a line longer than
 * the reader's limit in its part). Runs the built CLI: the worker is compiled JavaScript.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cli } from '../helpers/cli';
import { tmpdir } from '../helpers/tmpdir';

const MON = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** About `mb` MB of sshd log under attack, ending now: every shape the fast path knows and some it leaves to the reference parser. */
function attackLog(mb: number, monsterAt?: number): Buffer {
  let seed = 7;
  const rnd = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  const pool = Array.from({ length: 3000 }, (_, i) => (i % 50 === 0 ? `2001:db8::${i.toString(16)}` : `${[192, 198, 203][i % 3]}.${[0, 51, 0][i % 3]}.${[2, 100, 113][i % 3]}.${1 + (i % 254)}`).concat());
  const parts: string[] = [];
  let size = 0;
  const lines = Math.round((mb * 1e6) / 110);
  const start = Date.now() - lines * 20 - 60_000;
  for (let i = 0; size < mb * 1e6; i++) {
    const t = new Date(start + i * 20);
    const stamp = `${MON[t.getMonth()]} ${String(t.getDate()).padStart(2, ' ')} ${t.toTimeString().slice(0, 8)}`;
    const h = `${stamp} web1 sshd[${10000 + (i % 5000)}]: `;
    const ip = pool[rnd(pool.length)] as string;
    const u = ['root', 'admin', 'oracle', 'bob'][rnd(4)] as string;
    const k = rnd(12);
    const msg = [
      `Failed password for ${u} from ${ip} port ${1024 + rnd(6e4)} ssh2`,
      `Failed password for invalid user ${u}${rnd(9)} from ${ip} port 22 ssh2`,
      `Invalid user ${u}${rnd(9)} from ${ip} port 22`,
      `pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=${ip}  user=${u}`,
      `PAM 2 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=${ip}  user=${u}`,
      `Connection closed by invalid user ${u} ${ip} port 22 [preauth]`,
      `Disconnecting invalid user ${u} ${ip} port 22: Too many authentication failures [preauth]`,
      `Accepted publickey for bob from ${ip} port 22 ssh2: ED25519 SHA256:abc`,
      `Failed publickey for ${u} from ${ip} port 22 ssh2: RSA SHA256:abc`,
      `error: maximum authentication attempts exceeded for ${u} from ${ip} port 22 ssh2 [preauth]`,
      `pam_unix(sshd:auth): check pass; user unknown`,
      `Received disconnect from ${ip} port 22:11: Bye Bye [preauth]`,
    ][k] as string;
    const line = `${h}${msg}\n`;
    parts.push(line);
    size += line.length;
    if (monsterAt !== undefined && size >= monsterAt * 1e6 && monsterAt >= 0) {
      parts.push(`${'x'.repeat(12 << 20)}\n`);
      monsterAt = -1;
    }
  }
  return Buffer.from(parts.join(''));
}

function scanTwice(log: Buffer, env: Record<string, string> = {}) {
  const run = (env: Record<string, string>) => {
    const dir = tmpdir();
    fs.writeFileSync(path.join(dir, 'auth.log'), log);
    fs.writeFileSync(path.join(dir, 'autoban.cfg'), '[DEFAULT]\ndeny_file = hosts.deny\nstate_dir = state\nnode_id = n1\n[sshd]\nlog = auth.log\nparser = sshd\n');
    const r = cli(['scan', '--config', path.join(dir, 'autoban.cfg'), '-v'], { env });
    expect([r.code, r.stderr.slice(-500)]).toEqual([0, expect.any(String)]);
    const state = (f: string, enc: BufferEncoding = 'utf8') => fs.readFileSync(path.join(dir, 'state', f), enc);
    const positions = JSON.parse(state('positions.json'));
    return {
      deny: fs.readFileSync(path.join(dir, 'hosts.deny'), 'utf8'),
      bans: state('bans.json'),
      // The open connections in its header are keyed by the log's path: the same file, in another temp dir.
      history: Buffer.from(state('history.bin', 'latin1').split(dir).join('<dir>'), 'latin1').toString('base64'),
      offsets: Object.values(positions.files).map((p) => (p as { offset: number }).offset),
      summary: /scan: \d+ new lines.*/.exec(r.stderr)?.[0],
      threaded: /a second thread parsed ([\d.]+) MB/.exec(r.stderr)?.[1],
    };
  };
  return { one: run({ AUTOBAN_THREADS: '1' }), two: run(env) };
}

test('a scan that uses a second thread bans, counts and saves exactly what a single-threaded scan does', () => {
  const log = attackLog(24);
  const { one, two } = scanTwice(log);
  expect(one.threaded).toBeUndefined();
  expect(Number(two.threaded)).toBeGreaterThan(10);
  expect(two.summary).toMatch(/[1-9]\d* new bans/);
  expect(two.deny.split('\n').length).toBeGreaterThan(500);
  expect(two).toEqual({ ...one, threaded: two.threaded });
  expect(one.offsets).toEqual([log.length]);
});

test('when the worker gives up (a monster line in its part), the main thread reads on: same result', () => {
  const log = attackLog(24, 20);
  const { one, two } = scanTwice(log);
  // The worker's records up to the monster line were used; the main thread read the rest.
  expect(Number(two.threaded)).toBeGreaterThan(5);
  expect(Number(two.threaded)).toBeLessThan(19);
  expect(two).toEqual({ ...one, threaded: two.threaded });
  expect(one.offsets).toEqual([log.length]);
});

test('a log bigger than one offload window is read window by window: same result', () => {
  const log = attackLog(40);
  const { one, two } = scanTwice(log, { AUTOBAN_OFFLOAD_WINDOW_MB: '18' });
  // Two windows of 18 MB each give about 70% of 36 MB to the worker; the last 4 MB are read here.
  expect(Number(two.threaded)).toBeGreaterThan(22);
  expect(Number(two.threaded)).toBeLessThan(28);
  expect(two).toEqual({ ...one, threaded: two.threaded });
  expect(one.offsets).toEqual([log.length]);
});
