/**
 * The journald source against a real systemd-journald, started by hand in a private mount namespace (its
 * sockets on a tmpfs that vanishes with the namespace, its volatile journal on a bind mount of a test
 * directory, so the test can read it back afterwards). One `sshd`-named copy of python3 sends every entry:
 * run as root it stands for the real sshd and its entries ban; run as nobody it is a local user's forgery
 * and never bans, nor do entries forged with `logger -t sshd` (SYSLOG_IDENTIFIER=sshd, _COMM=logger); the
 * cursor makes the next run read only new entries.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CLI } from '../helpers/cli';
import { tmpdir } from '../helpers/tmpdir';
import { canUseMountNamespaces, warnSkip } from '../helpers/root';
import { type JournalEntry, readJournal } from '../../lib/journal-reader';
import { isTrustedEntry } from '../../lib/journal-trust';

const JOURNALD = ['/lib/systemd/systemd-journald', '/usr/lib/systemd/systemd-journald'].find((p) => fs.existsSync(p));
const has = (cmd: string, ...args: string[]) => spawnSync(cmd, args).status === 0;
const OK = canUseMountNamespaces() && !!JOURNALD && fs.existsSync('/usr/bin/python3') && has('journalctl', '--version') && has('setpriv', '--version');
if (!OK) warnSkip('journal/journald', 'needs root, unshare -m, setpriv, /usr/bin/python3 and systemd-journald + journalctl (Debian package systemd)');

const GENUINE = '192.0.2.61';
const GENUINE_LATER = '192.0.2.62';
const GENUINE_AFTER_DAMAGE = '192.0.2.63';
/** One failure for root (suspicious: 2 ban) counted before the cursor is damaged, one after. */
const ONCE_BEFORE_DAMAGE = '192.0.2.64';
const FORGED_BY_USER = '203.0.113.70';
const FORGED_BY_LOGGER = ['198.51.100.66', '198.51.100.67'];
const NOBODY = 65534;

// Sends one native journal entry (one field per argument) and stays alive until the test has seen the entry
// in the journal and releases it with SIGTERM: journald reads the sender's /proc entry (_COMM, _SYSTEMD_UNIT)
// after receiving, and a sender that already exited would get none. Exits 3 if never released.
const SENDER = `import signal, socket, sys, time
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.sendto("".join(f + "\\n" for f in sys.argv[1:]).encode(), "/run/systemd/journal/socket")
time.sleep(60)
sys.exit(3)
`;

const failure = (ip: string, user = 'root') => `Failed password for ${user} from ${ip} port 4242 ssh2`;

/** Shell functions and the start of journald, inside the namespace (what both scenarios begin with). */
function preamble(dir: string): string {
  return `
    set -u
    SP=
    trap 'kill $JP $SP 2>/dev/null; wait' EXIT
    fail() { echo "FAILED: $*"; exit 97; }
    # wait_for COUNT MATCH...: until COUNT entries match (journalctl matches); fails the scenario after 20 s.
    wait_for() {
      n=$1; shift
      for i in $(seq "\${WAIT_TENTHS:-200}"); do
        [ "$(journalctl -q --no-pager -o cat "$@" | grep -c .)" -ge "$n" ] && return 0
        sleep 0.1
      done
      fail "wait_for: fewer than $n journal entries match $* after $(( \${WAIT_TENTHS:-200} / 10 )) s"
    }
    # send UID MESSAGE: one entry from the process named sshd running as UID, released once it is in the journal.
    SEQ=0
    send() {
      SEQ=$((SEQ + 1))
      setpriv --reuid="$1" --regid="$1" --clear-groups ${dir}/sshd -I ${dir}/send.py "MESSAGE=$2" "AUTOBAN_TEST_SEQ=$SEQ" & SP=$!
      wait_for 1 AUTOBAN_TEST_SEQ=$SEQ
      kill $SP; wait $SP || fail "sender $SEQ exited $? before it was released"
      SP=
    }
    mount -t tmpfs tmpfs /run && mkdir -p /run/systemd/journal /run/log/journal || fail "tmpfs on /run"
    mount --bind ${dir}/journal /run/log/journal || fail "bind mount of the journal directory"
    mount -t tmpfs tmpfs /etc/systemd && printf '[Journal]\\nStorage=volatile\\nReadKMSG=no\\nForwardToSyslog=no\\nForwardToWall=no\\nRateLimitBurst=0\\n' > /etc/systemd/journald.conf || fail "journald.conf"
    ${JOURNALD} & JP=$!
    for i in $(seq 200); do [ -S /run/systemd/journal/socket ] && break; sleep 0.1; done
    [ -S /run/systemd/journal/socket ] || fail "journald created no socket in 20 s"
    wait_for 1 MESSAGE_ID=f77379a8490b408bbe5f6940505a777b
    echo "socket=$(stat -c %a /run/systemd/journal/socket)"
    # The helper itself fails loudly (checked by the test), in a subshell so that the scenario goes on.
    ( WAIT_TENTHS=3; wait_for 1 AUTOBAN_TEST_SEQ=0 ) >/dev/null; echo "selftest=$?"
  `;
}

/** The shell scenario run inside the namespace: journald, the senders, the scans. */
function scenario(dir: string): string {
  return `${preamble(dir)}
    # genuine: the sshd-named process as root, two failures for root from ${GENUINE}
    send 0 '${failure(GENUINE)}'
    send 0 '${failure(GENUINE)}'
    # forged by a local user: the same process as nobody
    send ${NOBODY} '${failure(FORGED_BY_USER)}'
    send ${NOBODY} '${failure(FORGED_BY_USER)}'
    # forged with logger: SYSLOG_IDENTIFIER=sshd through the native and the syslog socket, comm=logger
    printf '%s\\nSYSLOG_IDENTIFIER=sshd\\n' 'MESSAGE=${failure(FORGED_BY_LOGGER[0] as string)}' | logger --journald
    printf '%s\\nSYSLOG_IDENTIFIER=sshd\\n' 'MESSAGE=${failure(FORGED_BY_LOGGER[0] as string)}' | logger --journald
    logger -u /run/systemd/journal/dev-log -t sshd '${failure(FORGED_BY_LOGGER[1] as string)}'
    logger -u /run/systemd/journal/dev-log -t sshd '${failure(FORGED_BY_LOGGER[1] as string)}'
    wait_for 4 SYSLOG_IDENTIFIER=sshd
    cd ${dir}
    ${process.execPath} ${CLI} scan --config autoban.cfg --verbose; echo "rc1=$?"
    echo "deny1=$(grep '^ALL' hosts.deny | tr '\\n' ',')"
    # second run: one more failure from a new address (below the threshold), then a second one
    send 0 '${failure(GENUINE_LATER, 'bob')}'
    ${process.execPath} ${CLI} scan --config autoban.cfg --verbose; echo "rc2=$?"
    send 0 '${failure(GENUINE_LATER, 'admin')}'
    send 0 '${failure(GENUINE_LATER, 'admin')}'
    ${process.execPath} ${CLI} scan --config autoban.cfg --verbose; echo "rc3=$?"
    echo "deny3=$(grep '^ALL' hosts.deny | tr '\\n' ',')"
    send 0 '${failure(ONCE_BEFORE_DAMAGE)}'
    ${process.execPath} ${CLI} scan --config autoban.cfg --verbose; echo "rc3b=$?"
    # a damaged cursor in positions.json: the next run warns, reads on after the last entry read and saves a new cursor
    ${process.execPath} -e "const fs = require('fs'), f = 'state/positions.json', p = JSON.parse(fs.readFileSync(f, 'utf8')); p.journal.sshd = 'garbage text'; fs.writeFileSync(f, JSON.stringify(p))"
    send 0 '${failure(GENUINE_AFTER_DAMAGE)}'
    ${process.execPath} ${CLI} scan --config autoban.cfg --verbose; echo "rc4=$?"
    echo "cursor4=$(${process.execPath} -p "require('./state/positions.json').journal.sshd")"
    ${process.execPath} ${CLI} scan --config autoban.cfg --verbose; echo "rc5=$?"
    echo "deny5=$(grep '^ALL' hosts.deny | tr '\\n' ',')"
    send 0 '${failure(ONCE_BEFORE_DAMAGE)}'
    ${process.execPath} ${CLI} scan --config autoban.cfg --verbose; echo "rc6=$?"
    echo "deny6=$(grep '^ALL' hosts.deny | tr '\\n' ',')"
    echo "scenario=done"
  `;
}

/** A test directory with the sender (python3 copied as sshd), an empty journal directory and a config. */
function prepare(): string {
  const dir = tmpdir();
  fs.chmodSync(dir, 0o755); // nobody must reach the sender
  fs.copyFileSync(fs.realpathSync('/usr/bin/python3'), path.join(dir, 'sshd'));
  fs.chmodSync(path.join(dir, 'sshd'), 0o755);
  fs.writeFileSync(path.join(dir, 'send.py'), SENDER, { mode: 0o644 });
  fs.mkdirSync(path.join(dir, 'journal'));
  fs.writeFileSync(path.join(dir, 'hosts.deny'), '');
  fs.writeFileSync(path.join(dir, 'autoban.cfg'), `deny_file = hosts.deny\nstate_dir = state\nnode_id = j\n[sshd]\njournal = true\n`);
  return dir;
}

function runScenario(script: string): { status: number | null; out: string } {
  const r = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script], { encoding: 'utf8', timeout: 100_000 });
  return { status: r.status, out: (r.stdout ?? '') + (r.stderr ?? '') + (r.error ? `\n${r.error.message}` : '') };
}

describe('journal source against a real journald', () => {
  let dir = '';
  let status: number | null = null;
  let out = '';

  beforeAll(() => {
    if (!OK) return;
    dir = prepare();
    ({ status, out } = runScenario(scenario(dir)));
  }, 120_000);

  test('the scenario ran to the end: every entry reached the journal, every sender was released', () => {
    if (!OK) return;
    expect(out).not.toContain('FAILED:');
    expect(out).toContain('scenario=done');
    expect(status).toBe(0);
    expect(out).toContain('socket=666'); // writable by nobody: the forged entries really were sent
    expect(out).toContain('selftest=97'); // wait_for does not give up silently
  });

  test('genuine sshd entries ban, logger forgeries never, the cursor avoids re-reading', () => {
    if (!OK) return;
    expect(out).toContain('rc1=0');
    expect(out).toContain('rc2=0');
    expect(out).toContain('rc3=0');
    expect(out).toMatch(new RegExp(`deny1=.*ALL: ${GENUINE.replace(/\./g, '\\.')},`));
    expect(out).toMatch(/deny3=.*ALL: 192\.0\.2\.61,.*ALL: 192\.0\.2\.62,/);
    for (const ip of FORGED_BY_LOGGER) expect(out).not.toContain(`${ip} rule`);
    // The first run read the genuine and the nobody-sent entries (both _COMM=sshd); the third only the two
    // entries written after the second run (the cursor was kept).
    const scans = [...out.matchAll(/scan: journal \[sshd\]: (\d+) entr(?:y|ies)/g)].map((m) => Number(m[1]));
    expect(scans.slice(0, 3)).toEqual([4, 1, 2]);
    const positions = JSON.parse(fs.readFileSync(path.join(dir, 'state', 'positions.json'), 'utf8'));
    expect(positions.journal.sshd).toMatch(/^s=/);
  });

  test('a damaged saved cursor: one warning, the source is read on after the last entry read, so nothing is counted twice, and a new cursor is saved', () => {
    if (!OK) return;
    // Before: journalctl "Failed to seek to cursor" made this and every later scan of the source exit 66.
    expect(out).toContain('rc3b=0');
    expect(out).toContain('rc4=0');
    expect(out).toContain('rc5=0');
    expect(out).toContain('rc6=0');
    // ONCE_BEFORE_DAMAGE is not banned: its one real failure for root, read a second time, is not counted again.
    expect(out).toContain(`deny5=ALL: ${GENUINE},ALL: ${GENUINE_LATER},\n`);
    // The fourth run read only the entry sent after the third (b) run; the fifth, from the cursor the fourth
    // saved, nothing. Before: the fourth read every sshd entry since the first-run start again (9), and counted
    // the one failure of ${ONCE_BEFORE_DAMAGE} a second time: two for root, a ban.
    const scans = [...out.matchAll(/scan: journal \[sshd\]: (\d+) entr(?:y|ies)/g)].map((m) => Number(m[1]));
    expect(scans.slice(3)).toEqual([1, 1, 0, 1]);
    expect(out).toMatch(/cursor4=s=/);
    // Its second real failure bans it: the one counted before the damage was kept.
    expect(out).toContain(`deny6=ALL: ${GENUINE},ALL: ${GENUINE_LATER},ALL: ${ONCE_BEFORE_DAMAGE},\n`);
    const warnings = out.split('\n').filter((l) => /cursor/i.test(l) && /warning/i.test(l));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/journal \[sshd\]: the saved journal cursor is not valid \(journalctl cannot seek to it\); reading after the last entry read \(\d{4}-/);
    const positions = JSON.parse(fs.readFileSync(path.join(dir, 'state', 'positions.json'), 'utf8'));
    expect(positions.journalAt.sshd).toEqual({ us: expect.any(Number), s: expect.stringMatching(/^[0-9a-f]{32}$/), i: expect.stringMatching(/^[0-9a-f]+$/) });
    expect(positions.journal.sshd).toContain(`s=${positions.journalAt.sshd.s};i=${positions.journalAt.sshd.i};`);
  });

  test('a process named sshd run by an unprivileged user cannot get an address banned', () => {
    if (!OK) return;
    expect(out).not.toContain(FORGED_BY_USER);
    expect(out).toContain(`deny1=ALL: ${GENUINE},\n`);
    expect(out).toContain(`deny3=ALL: ${GENUINE},ALL: ${GENUINE_LATER},\n`);
  });

  test("readJournal reports journald's _UID and _SYSTEMD_UNIT; only the root sender's entries are trusted", async () => {
    if (!OK) return;
    const read = async (match: string[]) => {
      const entries: JournalEntry[] = [];
      await readJournal({ match, directory: path.join(dir, 'journal') }, (e) => entries.push(e));
      return entries;
    };
    const sshd = await read(['_COMM=sshd']);
    const from = (ip: string) => sshd.filter((e) => e.message.includes(` from ${ip} `));
    expect(from(GENUINE).map((e) => [e.comm, e.uid])).toEqual([['sshd', '0'], ['sshd', '0']]);
    expect(from(FORGED_BY_USER).map((e) => [e.comm, e.uid])).toEqual([['sshd', String(NOBODY)], ['sshd', String(NOBODY)]]);
    for (const e of sshd) expect(e.unit).not.toMatch(/^sshd?\.service$/); // the test does not run inside ssh's unit
    const trusted = sshd.filter((e) => isTrustedEntry(e, 'sshd')).map((e) => e.message);
    expect(trusted).toEqual([failure(GENUINE), failure(GENUINE), failure(GENUINE_LATER, 'bob'), failure(GENUINE_LATER, 'admin'), failure(GENUINE_LATER, 'admin'), failure(ONCE_BEFORE_DAMAGE), failure(GENUINE_AFTER_DAMAGE), failure(ONCE_BEFORE_DAMAGE)]);
    const logged = await read(['SYSLOG_IDENTIFIER=sshd']);
    expect(logged.length).toBeLessThanOrEqual(4); // entries whose logger exited before journald looked have no _COMM
    for (const e of logged) expect(isTrustedEntry(e, 'sshd')).toBe(false);
  });
});

test('a journal source without journalctl fails with a clear message (exit 66)', () => {
  const dir = tmpdir();
  fs.writeFileSync(path.join(dir, 'hosts.deny'), '');
  fs.writeFileSync(path.join(dir, 'autoban.cfg'), `deny_file = hosts.deny\nstate_dir = state\n[sshd]\njournal = true\n`);
  const r = spawnSync(process.execPath, [CLI, 'scan', '--config', path.join(dir, 'autoban.cfg')], { encoding: 'utf8', env: { ...process.env, PATH: '/nonexistent' } });
  expect(r.status).toBe(66);
  expect(r.stderr).toContain('journalctl: command not found');
});

const AFTER_VACUUM = '192.0.2.71';
const AFTER_REBOOT = '192.0.2.72';
const AFTER_REBOOT_DAMAGED = '192.0.2.73';
const AFTER_KILL = '192.0.2.74';

/**
 * The other ways a read loses its place, each followed by scans that must count every failure once: the entry the
 * cursor names is vacuumed, the machine reboots (a volatile journal starts empty, under a new boot ID), the cursor
 * is damaged after such a reboot, journalctl is killed in the middle of a read.
 */
function recovery(dir: string): string {
  return `${preamble(dir)}
    cd ${dir}
    scan() {
      ${process.execPath} ${CLI} scan --config autoban.cfg --verbose; echo "rc$1=$?"
      echo "deny$1=$(grep '^ALL' hosts.deny | tr '\\n' ',')"
    }
    damage() { ${process.execPath} -e "const fs = require('fs'), f = 'state/positions.json', p = JSON.parse(fs.readFileSync(f, 'utf8')); p.journal.sshd = 'garbage text'; fs.writeFileSync(f, JSON.stringify(p))"; }
    # reboot N: journald stops, its volatile journal goes, and it starts again under a new boot ID.
    reboot() {
      kill $JP; wait $JP
      rm -rf /run/log/journal/*
      cat /proc/sys/kernel/random/uuid > boot_id_$1
      mount --bind boot_id_$1 /proc/sys/kernel/random/boot_id || fail "bind mount of a boot ID"
      ${JOURNALD} & JP=$!
      wait_for 1 MESSAGE_ID=f77379a8490b408bbe5f6940505a777b
      [ "$(journalctl -q --no-pager -o json -n 1 _BOOT_ID=$(tr -d - < boot_id_$1) | grep -c .)" = 1 ] || fail "journald did not take boot ID $1"
    }
    # the entry the cursor names is vacuumed: rotated (SIGUSR2) into an archived file, which is then deleted
    send 0 '${failure(AFTER_VACUUM)}'
    scan 1
    kill -USR2 $JP
    for i in $(seq 200); do ls /run/log/journal/*/system@*.journal >/dev/null 2>&1 && break; sleep 0.1; done
    ls /run/log/journal/*/system@*.journal >/dev/null 2>&1 || fail "journald did not rotate in 20 s"
    send 0 '${failure(AFTER_VACUUM)}'
    rm /run/log/journal/*/system@*.journal
    echo "vacuumed=$(journalctl -q --no-pager -o cat _COMM=sshd | grep -c .)"
    scan 2
    # a reboot: the cursor names an entry of a journal that is gone, of another boot
    reboot 1
    send 0 '${failure(AFTER_REBOOT)}'
    scan 3
    send 0 '${failure(AFTER_REBOOT)}'
    scan 4
    # a reboot, and the cursor damaged: read on after the mark, by time (the new journal is another sequence)
    reboot 2
    send 0 '${failure(AFTER_REBOOT_DAMAGED)}'
    damage
    scan 5
    send 0 '${failure(AFTER_REBOOT_DAMAGED)}'
    scan 6
    # journalctl killed after printing one entry: the run fails, and saves neither cursor nor failures
    mkdir killbin
    printf '#!/bin/sh\\n%s "$@" | head -n 1\\nkill -KILL $$\\n' "$(command -v journalctl)" > killbin/journalctl && chmod 755 killbin/journalctl
    for i in 1 2 3; do send 0 '${failure(AFTER_KILL, 'carol')}'; done
    cp state/positions.json positions.before; cp state/history.bin history.before
    PATH=${dir}/killbin:$PATH scan 7
    cmp -s positions.before state/positions.json && cmp -s history.before state/history.bin && echo "unchanged7=yes"
    scan 8
    send 0 '${failure(AFTER_KILL, 'carol')}'
    scan 9
    send 0 '${failure(AFTER_KILL, 'carol')}'
    scan 10
    echo "scenario=done"
  `;
}

describe('journal source against a real journald: vacuum, reboot, journalctl killed', () => {
  let status: number | null = null;
  let out = '';

  beforeAll(() => {
    if (!OK) return;
    ({ status, out } = runScenario(recovery(prepare())));
  }, 120_000);

  test('the scenario ran to the end', () => {
    if (!OK) return;
    expect(out).not.toContain('FAILED:');
    expect(out).toContain('scenario=done');
    expect(status).toBe(0);
  });

  test('every failure is counted once: the next entry after a vacuumed or rebooted-away cursor is read, nothing before it again', () => {
    if (!OK) return;
    for (const n of [1, 2, 3, 4, 5, 6, 8, 9, 10]) expect(out).toContain(`rc${n}=0`);
    expect(out).toContain('vacuumed=1'); // only the second failure is left in the journal
    const scans = [...out.matchAll(/scan: journal \[sshd\]: (\d+) entr(?:y|ies)/g)].map((m) => Number(m[1]));
    expect(scans).toEqual([1, 1, 1, 1, 1, 1, 3, 1, 1]);
    // Each address is banned at its second failure for root (suspicious_users_attempts_threshold = 2), not before.
    expect(out).toContain('deny1=\n');
    expect(out).toContain(`deny2=ALL: ${AFTER_VACUUM},\n`);
    expect(out).toContain(`deny3=ALL: ${AFTER_VACUUM},\n`);
    expect(out).toContain(`deny4=ALL: ${AFTER_VACUUM},ALL: ${AFTER_REBOOT},\n`);
    expect(out).toContain(`deny5=ALL: ${AFTER_VACUUM},ALL: ${AFTER_REBOOT},\n`);
    expect(out).toContain(`deny6=ALL: ${AFTER_VACUUM},ALL: ${AFTER_REBOOT},ALL: ${AFTER_REBOOT_DAMAGED},\n`);
    for (const ip of [AFTER_VACUUM, AFTER_REBOOT, AFTER_REBOOT_DAMAGED]) expect(out).toContain(`banned ${ip} rule=suspicious_users failures=2 `);
    expect(out.match(/the saved journal cursor is not valid/g)).toHaveLength(1);
  });

  test('journalctl killed mid-read: exit 66 naming it, positions and failures as they were; the next run counts each failure once', () => {
    if (!OK) return;
    expect(out).toContain('rc7=66');
    expect(out).toMatch(/journalctl -o json .* was killed by SIGKILL/);
    expect(out).toContain('unchanged7=yes');
    // Three, then a fourth: below login_attempts_threshold (5); the fifth bans with 5 (a fourth counted twice would ban at the fourth).
    expect(out).toContain(`deny9=ALL: ${AFTER_VACUUM},ALL: ${AFTER_REBOOT},ALL: ${AFTER_REBOOT_DAMAGED},\n`);
    expect(out).toContain(`banned ${AFTER_KILL} rule=login_attempts failures=5 `);
  });
});

const LOST_BOTH = '192.0.2.75';

/** Three failures scanned, then the saved cursor and its mark both lost: the next read starts as a first run does. */
function lostPosition(dir: string): string {
  return `${preamble(dir)}
    cd ${dir}
    scan() {
      ${process.execPath} ${CLI} scan --config autoban.cfg --verbose; echo "rc$1=$?"
      echo "deny$1=$(grep '^ALL' hosts.deny | tr '\\n' ',')"
    }
    for i in 1 2 3; do send 0 '${failure(LOST_BOTH, 'dave')}'; done
    scan 1
    ${process.execPath} -e "const fs = require('fs'), f = 'state/positions.json', p = JSON.parse(fs.readFileSync(f, 'utf8')); delete p.journal.sshd; delete p.journalAt.sshd; fs.writeFileSync(f, JSON.stringify(p))"
    echo "lost=$(${process.execPath} -p "const p = require('./state/positions.json'); String(p.journal.sshd ?? p.journalAt.sshd ?? 'both')")"
    send 0 '${failure(LOST_BOTH, 'dave')}'
    scan 2
    send 0 '${failure(LOST_BOTH, 'dave')}'
    scan 3
    echo "scenario=done"
  `;
}

describe('journal source against a real journald: cursor and mark both lost', () => {
  let status: number | null = null;
  let out = '';

  beforeAll(() => {
    if (!OK) return;
    ({ status, out } = runScenario(lostPosition(prepare())));
  }, 120_000);

  test('the entries read again are not counted again: the 4th failure does not ban, the 5th does', () => {
    if (!OK) return;
    expect(out).not.toContain('FAILED:');
    expect(out).toContain('scenario=done');
    expect(status).toBe(0);
    for (const n of [1, 2, 3]) expect(out).toContain(`rc${n}=0`);
    expect(out).toContain('lost=both');
    // The second run read all four entries again (a first run's start), yet counted only the new one.
    const scans = [...out.matchAll(/scan: journal \[sshd\]: (\d+) entr(?:y|ies)/g)].map((m) => Number(m[1]));
    expect(scans).toEqual([3, 4, 1]);
    // Before: 3 + 4 = 7 failures on record at the second run, a ban.
    expect(out).toContain('deny2=\n');
    expect(out).toContain('scan: journal [sshd]: 3 failed logins read again were counted before (position lost)');
    expect(out).toContain(`deny3=ALL: ${LOST_BOTH},\n`);
    expect(out).toContain(`banned ${LOST_BOTH} rule=login_attempts failures=5 `);
  });
});
