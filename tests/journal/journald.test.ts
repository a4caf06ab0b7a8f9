/**
 * The journald source against a real systemd-journald, started by hand in a private mount namespace
 * (its sockets and volatile storage on tmpfs mounts that vanish with the namespace): entries written by a
 * process whose name really is sshd count; entries forged with `logger -t sshd` (SYSLOG_IDENTIFIER=sshd,
 * but _COMM=logger) never do; the cursor makes the next run read only new entries.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CLI } from '../helpers/cli';
import { tmpdir } from '../helpers/tmpdir';
import { canUseMountNamespaces, warnSkip } from '../helpers/root';

const JOURNALD = ['/lib/systemd/systemd-journald', '/usr/lib/systemd/systemd-journald'].find((p) => fs.existsSync(p));
const OK = canUseMountNamespaces() && !!JOURNALD && spawnSync('journalctl', ['--version']).status === 0;
if (!OK) warnSkip('journal/journald', 'needs root, unshare -m and systemd-journald + journalctl (Debian package systemd)');

test('journal source: genuine sshd entries ban, forged ones never, the cursor avoids re-reading', () => {
  if (!OK) return;
  const dir = tmpdir();
  // A process whose name (journald's trusted _COMM) is "sshd": a copy of Debian's python3 that sends one
  // native journal entry and stays alive a moment, so journald can read its /proc entry (it looks the
  // name up after receiving; a sender that already exited gets no _COMM, which would only make it ignored).
  fs.copyFileSync(fs.realpathSync('/usr/bin/python3'), path.join(dir, 'sshd'));
  fs.chmodSync(path.join(dir, 'sshd'), 0o755);
  fs.writeFileSync(
    path.join(dir, 'send.py'),
    'import socket, sys, time\ns = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)\ns.sendto(sys.stdin.read().encode(), "/run/systemd/journal/socket")\ntime.sleep(0.3)\n',
  );
  fs.writeFileSync(path.join(dir, 'hosts.deny'), '');
  fs.writeFileSync(path.join(dir, 'autoban.cfg'), `deny_file = hosts.deny\nstate_dir = state\nnode_id = j\n[sshd]\njournal = true\n`);
  const entry = (ip: string, user = 'root') => `MESSAGE=Failed password for ${user} from ${ip} port 4242 ssh2`;
  // The forged entries come from logger with SYSLOG_IDENTIFIER=sshd: their _COMM is "logger" (or absent
  // when logger exited first); neither is sshd.
  const script = `
    set -u
    mount -t tmpfs tmpfs /run && mkdir -p /run/systemd/journal /run/log/journal
    mount -t tmpfs tmpfs /etc/systemd && printf '[Journal]\\nStorage=volatile\\nReadKMSG=no\\nForwardToSyslog=no\\nForwardToWall=no\\nRateLimitBurst=0\\n' > /etc/systemd/journald.conf
    ${JOURNALD} & JP=$!
    trap 'kill $JP 2>/dev/null; wait $JP 2>/dev/null' EXIT
    wait_for() { for i in $(seq 50); do [ "$(journalctl -q -o cat --no-pager | grep -c "$1")" -ge "$2" ] && return; sleep 0.1; done; }
    for i in $(seq 50); do [ -S /run/systemd/journal/socket ] && break; sleep 0.1; done
    wait_for 'Journal started' 1
    # genuine: comm=sshd, two failures as root from 192.0.2.61
    printf '%s\\n' '${entry('192.0.2.61')}' | ${dir}/sshd ${dir}/send.py
    printf '%s\\n' '${entry('192.0.2.61')}' | ${dir}/sshd ${dir}/send.py
    # forged: SYSLOG_IDENTIFIER=sshd through the native and the syslog socket, comm=logger
    printf '%s\\nSYSLOG_IDENTIFIER=sshd\\n' '${entry('198.51.100.66')}' | logger --journald
    printf '%s\\nSYSLOG_IDENTIFIER=sshd\\n' '${entry('198.51.100.66')}' | logger --journald
    logger -u /run/systemd/journal/dev-log -t sshd 'Failed password for root from 198.51.100.67 port 1 ssh2'
    logger -u /run/systemd/journal/dev-log -t sshd 'Failed password for root from 198.51.100.67 port 1 ssh2'
    wait_for 198.51.100.67 2
    wait_for 192.0.2.61 2
    cd ${dir}
    ${process.execPath} ${CLI} scan --config autoban.cfg --verbose; echo "rc1=$?"
    echo "deny1=$(grep '^ALL' hosts.deny | tr '\\n' ',')"
    # second run: one more failure from a new address (below the threshold), then a second one
    printf '%s\\n' '${entry('192.0.2.62', 'bob')}' | ${dir}/sshd ${dir}/send.py
    wait_for 192.0.2.62 1
    ${process.execPath} ${CLI} scan --config autoban.cfg --verbose; echo "rc2=$?"
    printf '%s\\n' '${entry('192.0.2.62', 'admin')}' | ${dir}/sshd ${dir}/send.py
    printf '%s\\n' '${entry('192.0.2.62', 'admin')}' | ${dir}/sshd ${dir}/send.py
    wait_for 192.0.2.62 3
    ${process.execPath} ${CLI} scan --config autoban.cfg --verbose; echo "rc3=$?"
    echo "deny3=$(grep '^ALL' hosts.deny | tr '\\n' ',')"
  `;
  const r = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script], { encoding: 'utf8', timeout: 60_000 });
  const out = r.stdout + r.stderr;
  expect(out).toContain('rc1=0');
  expect(out).toContain('rc2=0');
  expect(out).toContain('rc3=0');
  expect(out).toContain('deny1=ALL: 192.0.2.61,\n');
  expect(out).toContain('deny3=ALL: 192.0.2.61,ALL: 192.0.2.62,\n');
  expect(out).not.toContain('198.51.100.66 rule');
  expect(out).not.toContain('198.51.100.67 rule');
  // The third run read only the two entries written after the second run (the cursor was kept).
  const scans = [...out.matchAll(/scan: journal \[sshd\]: (\d+) entries/g)].map((m) => Number(m[1]));
  expect(scans).toHaveLength(3);
  expect(scans[1]).toBe(1);
  expect(scans[2]).toBe(2);
  const positions = JSON.parse(fs.readFileSync(path.join(dir, 'state', 'positions.json'), 'utf8'));
  expect(positions.journal.sshd).toMatch(/^s=/);
}, 90_000);

test('a journal source without journalctl fails with a clear message (exit 66)', () => {
  const dir = tmpdir();
  fs.writeFileSync(path.join(dir, 'hosts.deny'), '');
  fs.writeFileSync(path.join(dir, 'autoban.cfg'), `deny_file = hosts.deny\nstate_dir = state\n[sshd]\njournal = true\n`);
  const r = spawnSync(process.execPath, [CLI, 'scan', '--config', path.join(dir, 'autoban.cfg')], { encoding: 'utf8', env: { ...process.env, PATH: '/nonexistent' } });
  expect(r.status).toBe(66);
  expect(r.stderr).toContain('journalctl: command not found');
});
