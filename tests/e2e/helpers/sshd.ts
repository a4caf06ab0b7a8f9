/**
 * A private OpenSSH sshd on 127.0.0.1:<random port>. Debian's sshd is linked with libwrap, which
 * always reads /etc/hosts.deny; so sshd runs in a private mount namespace (helpers/sandbox.sh) whose
 * /etc is an overlay: the host's /etc below, and on top a hosts.deny symlink to the deny file autoban
 * writes, an empty hosts.allow, and passwd/shadow/group copies with one extra test user. The host's
 * own files and user database are never changed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Daemon, run } from './procs';
import { freePort, waitForPort } from './net';
import { writeFile } from './workdir';

export const SSH_USER = 'autoban-e2e';
export const SSH_PASSWORD = 'Corr3ct-Horse';

const SANDBOX = path.join(__dirname, 'sandbox.sh');
const ASKPASS = path.join(__dirname, 'ssh-askpass.sh');

export interface Sshd {
  port: number;
  dir: string;
  /** The log autoban reads: sshd's -E file, or the private rsyslogd's file (RFC 3339 timestamps). */
  log: string;
  /** syslog mode only: the same messages in rsyslog's traditional "Nov 22 03:04:53" format. */
  traditionalLog: string | null;
  denyFile: string;
  /** An executable copy of helpers/ssh-askpass.sh (ssh runs it directly, so it must have the x bit). */
  askpass: string;
  daemon: Daemon;
}

export interface SshdOptions {
  denyFile: string;
  /** UsePAM yes makes every failed password cost ~2 s and adds pam_unix lines to syslog. */
  usePam: boolean;
  /** Log through a private rsyslogd (syslog format) instead of sshd -E. */
  syslog: boolean;
  /** KbdInteractiveAuthentication yes (with UsePAM: PAM's conversation, keyboard-interactive/pam). */
  kbdInteractive?: boolean;
  /** UseDNS yes, with these "IP name" lines in the namespace's /etc/hosts (both directions resolve). */
  dnsNames?: Record<string, string>;
  /** sshd's LoginGraceTime in seconds (default 30). */
  loginGraceSec?: number;
}

async function sha512Crypt(password: string): Promise<string> {
  const r = await run('openssl', ['passwd', '-6', password]);
  if (r.code !== 0) throw new Error(`openssl passwd failed: ${r.stderr}`);
  return r.stdout.trim();
}

/** A uid no host account uses, for the test user that exists only in the namespace. */
function freeUid(passwd: string): number {
  const used = new Set(passwd.split('\n').map((l) => Number(l.split(':')[2])));
  for (let uid = 64_000; uid < 65_000; uid++) if (!used.has(uid)) return uid;
  throw new Error('no free uid in 64000..64999 for the e2e test user');
}

function copyLike(src: string, dst: string, extra: string): void {
  const st = fs.statSync(src);
  fs.writeFileSync(dst, fs.readFileSync(src, 'utf8').replace(/\n?$/, '\n') + extra);
  fs.chmodSync(dst, st.mode & 0o7777);
  fs.chownSync(dst, st.uid, st.gid);
}

/** OpenSSH >= 9.8 penalises addresses that fail auth (PerSourcePenalties); the test must see libwrap alone. */
async function opensshVersion(): Promise<[number, number]> {
  const r = await run('/usr/sbin/sshd', ['-V']);
  const m = /OpenSSH_(\d+)\.(\d+)/.exec(r.stderr + r.stdout);
  return m ? [Number(m[1]), Number(m[2])] : [0, 0];
}

export async function startSshd(dir: string, opts: SshdOptions): Promise<Sshd> {
  const port = await freePort();
  const d = (f: string) => path.join(dir, f);
  const upper = d('etc-upper');
  fs.mkdirSync(upper, { recursive: true });
  fs.mkdirSync(d('etc-work'), { recursive: true });
  fs.mkdirSync(d('hostdev'), { recursive: true });
  const home = d('ssh-home');
  const hostPasswd = fs.readFileSync('/etc/passwd', 'utf8');
  const uid = freeUid(hostPasswd);
  const hash = await sha512Crypt(SSH_PASSWORD);
  copyLike('/etc/passwd', path.join(upper, 'passwd'), `${SSH_USER}:x:${uid}:65534:autoban e2e:${home}:/bin/sh\n`);
  copyLike('/etc/shadow', path.join(upper, 'shadow'), `${SSH_USER}:${hash}:20000:0:99999:7:::\n`);
  copyLike('/etc/group', path.join(upper, 'group'), '');
  // An empty hosts.allow: an allow rule on the host must not decide what this test sees.
  writeFile(path.join(upper, 'hosts.allow'), '', 0o644);
  if (opts.dnsNames) {
    const names = Object.entries(opts.dnsNames).map(([ip, name]) => `${ip}\t${name}\n`).join('');
    writeFile(path.join(upper, 'hosts'), fs.readFileSync('/etc/hosts', 'utf8').replace(/\n?$/, '\n') + names, 0o644);
  }
  if (!fs.existsSync(opts.denyFile)) writeFile(opts.denyFile, '', 0o644);
  fs.symlinkSync(opts.denyFile, path.join(upper, 'hosts.deny'));
  fs.mkdirSync(home, { mode: 0o755 });
  fs.chownSync(home, uid, 65534);

  const hostKey = d('ssh_host_ed25519_key');
  const kg = await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'autoban-e2e', '-f', hostKey]);
  if (kg.code !== 0) throw new Error(`ssh-keygen failed: ${kg.stderr}`);

  const [major, minor] = await opensshVersion();
  const conf = `# autoban e2e: a private sshd; nothing here refers to the host's own keys or files.
Port ${port}
ListenAddress 127.0.0.1
AddressFamily inet
HostKey ${hostKey}
PidFile ${d('sshd.pid')}
UsePAM ${opts.usePam ? 'yes' : 'no'}
PasswordAuthentication yes
KbdInteractiveAuthentication ${opts.kbdInteractive ? 'yes' : 'no'}
PubkeyAuthentication no
AuthorizedKeysFile none
PermitRootLogin no
MaxAuthTries 6
MaxStartups 100:30:200
LoginGraceTime ${opts.loginGraceSec ?? 30}
UseDNS ${opts.dnsNames ? 'yes' : 'no'}
PrintMotd no
PrintLastLog no
SyslogFacility AUTH
LogLevel INFO
${major > 9 || (major === 9 && minor >= 8) ? 'PerSourcePenalties no\n' : ''}`;
  const confFile = writeFile(d('sshd_config'), conf, 0o644);

  let log: string;
  let traditionalLog: string | null = null;
  const sshdArgs = ['/usr/sbin/sshd', '-D', '-f', confFile];
  if (opts.syslog) {
    log = d('auth.log');
    traditionalLog = d('auth-traditional.log');
    fs.mkdirSync(d('rsyslog'), { recursive: true });
    writeFile(
      d('rsyslog.conf'),
      `# autoban e2e: a private rsyslogd for one mount namespace (its own /dev/log); not the host's syslog.
global(workDirectory="${d('rsyslog')}")
module(load="imuxsock" SysSock.Name="/dev/log" SysSock.Unlink="on" SysSock.RateLimit.Interval="0")
auth,authpriv.*  action(type="omfile" file="${log}")
auth,authpriv.*  action(type="omfile" file="${traditionalLog}" template="RSYSLOG_TraditionalFileFormat")
`,
    );
  } else {
    log = d('sshd-E.log');
    sshdArgs.push('-E', log);
  }
  const askpass = writeFile(d('ssh-askpass.sh'), fs.readFileSync(ASKPASS, 'utf8'), 0o755);
  const daemon = new Daemon('sshd', 'unshare', [
    '--pid', '--fork', '--kill-child', '--mount', '--propagation', 'private', '--',
    '/bin/sh', SANDBOX, dir, opts.syslog ? 'yes' : 'no', ...sshdArgs,
  ]);
  try {
    await waitForPort(port, 'sshd', () => daemon.running);
  } catch (e) {
    throw new Error(`${(e as Error).message}\n--- sshd/sandbox output ---\n${daemon.output}`);
  }
  return { port, dir, log, traditionalLog, denyFile: opts.denyFile, askpass, daemon };
}
