/**
 * Real clients from chosen loopback source addresses (a different 127.0.0.x is a different
 * attacker): python3's ftplib for FTP, OpenSSH's ssh with an askpass script for SSH.
 * Each returns what the person at the keyboard would see, reduced to one word.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { run } from './procs';

const FTP_CLIENT = path.join(__dirname, 'ftp-client.py');

/** refused: turned away before login (mod_wrap2 "530 Access denied" / libwrap drop); denied: wrong login; ok: logged in. */
export type Outcome = 'ok' | 'denied' | 'refused' | 'error';

export interface FtpResult {
  banner: string;
  replies: string[];
}

/** One FTP connection from `source` trying each [user, password] in turn. */
export async function ftpSession(port: number, source: string, attempts: Array<[string, string]>): Promise<FtpResult> {
  const r = await run('python3', [FTP_CLIENT, String(port), source, JSON.stringify(attempts)], { timeoutMs: 30_000 });
  if (r.code !== 0) throw new Error(`ftp client from ${source} failed (${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout) as FtpResult;
}

/** A single login attempt, classified. */
export async function ftpLogin(port: number, source: string, user: string, password: string): Promise<Outcome> {
  const r = await ftpSession(port, source, [[user, password]]);
  if (r.banner.startsWith('530')) return 'refused';
  if (!r.banner.startsWith('220')) return 'error';
  const reply = r.replies[0] ?? '';
  if (reply.startsWith('230')) return 'ok';
  if (reply.startsWith('530')) return 'denied';
  return 'error';
}

export interface SshResult {
  outcome: Outcome;
  stdout: string;
  stderr: string;
}

const LOGIN_MARK = 'autoban-e2e-login-ok';

/** A client that answers the first `after` prompts, then leaves the next one unanswered for `sec` seconds. */
export interface SshHang {
  after: number;
  sec: number;
}

/**
 * One ssh connection from `source` as `user`, answering up to `tries` password prompts with
 * `password`. The remote command only echoes a marker (no tty, so sshd writes no utmp/wtmp).
 */
export async function sshLogin(
  server: { port: number; askpass: string },
  source: string,
  user: string,
  password: string,
  tries = 1,
  method: 'password' | 'keyboard-interactive' = 'password',
  hang?: SshHang,
): Promise<SshResult> {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    SSH_ASKPASS: server.askpass,
    SSH_ASKPASS_REQUIRE: 'force',
    AUTOBAN_E2E_SSH_PASSWORD: password,
  };
  const counterDir = hang ? fs.mkdtempSync(path.join(os.tmpdir(), 'autoban-e2e-askpass-')) : null;
  if (hang && counterDir) {
    env.AUTOBAN_E2E_SSH_HANG_AFTER = String(hang.after);
    env.AUTOBAN_E2E_SSH_HANG_SEC = String(hang.sec);
    env.AUTOBAN_E2E_SSH_COUNTER = path.join(counterDir, 'prompts');
    tries = hang.after + 1;
  }
  const args = [
    '-F', '/dev/null', '-n', '-T',
    '-p', String(server.port), '-b', source, '-l', user,
    '-o', 'BatchMode=no',
    '-o', 'StrictHostKeyChecking=no',
    '-o', 'UserKnownHostsFile=/dev/null',
    '-o', 'GlobalKnownHostsFile=/dev/null',
    '-o', `PreferredAuthentications=${method}`,
    '-o', 'PubkeyAuthentication=no',
    '-o', `NumberOfPasswordPrompts=${tries}`,
    '-o', 'ConnectTimeout=15',
    '-o', 'LogLevel=ERROR',
    '127.0.0.1', 'echo', LOGIN_MARK,
  ];
  const r = await run('ssh', args, { env, timeoutMs: 90_000 }).finally(() => {
    if (counterDir) fs.rmSync(counterDir, { recursive: true, force: true });
  });
  let outcome: Outcome = 'error';
  if (r.code === 0 && r.stdout.includes(LOGIN_MARK)) outcome = 'ok';
  else if (/Permission denied|Too many authentication failures/.test(r.stderr)) outcome = 'denied';
  // libwrap: sshd accepts the TCP connection, then drops it before its banner.
  else if (/kex_exchange_identification|Connection reset by peer|Connection closed by remote host|banner exchange/.test(r.stderr)) outcome = 'refused';
  return { outcome, stdout: r.stdout, stderr: r.stderr };
}
