/**
 * A private ProFTPD with mod_wrap2 on 127.0.0.1:<random port>, configured entirely inside a test
 * work dir: its own users file, SystemLog, ExtendedLog and the deny file autoban writes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Daemon } from './procs';
import { freePort, waitForPort } from './net';
import { writeFile } from './workdir';
import { run } from './procs';

/** The ExtendedLog format autoban's proftpd parser reads (README): time, client IP, command, reply, user last. */
export const EXTENDED_LOG_FORMAT = '%t %a %m %s %U';

export const FTP_USER = 'alice';
export const FTP_PASSWORD = 'Corr3ct-Horse';

export interface Proftpd {
  port: number;
  dir: string;
  systemLog: string;
  extendedLog: string;
  /** The deny file mod_wrap2 re-reads on every connection (WrapOptions CheckOnConnect). */
  denyFile: string;
  daemon: Daemon;
}

async function sha512Crypt(password: string): Promise<string> {
  // openssl ships with every Debian; the hash format is the one /etc/shadow uses.
  const r = await run('openssl', ['passwd', '-6', password]);
  if (r.code !== 0) throw new Error(`openssl passwd failed: ${r.stderr}`);
  return r.stdout.trim();
}

/** The ProFTPD snippet the project ships for users (README "ProFTPD with mod_wrap2"). */
export const SHIPPED_SNIPPET = path.resolve(__dirname, '../../../etc/proftpd-wrap2.conf.example');

/**
 * The shipped snippet with its host paths moved into the test dir. Any other absolute path in it
 * would point at the host, so it is refused with a message instead of being used.
 */
function privateCopyOfShippedSnippet(dir: string, denyFile: string): string {
  const text = fs
    .readFileSync(SHIPPED_SNIPPET, 'utf8')
    .split('/etc/hosts.allow').join(path.join(dir, 'hosts.allow'))
    .split('/etc/hosts.deny').join(denyFile)
    .split('/var/log/proftpd/').join(`${path.join(dir, 'log')}/`);
  const hostPath = text.split('\n').find((l) => !l.trimStart().startsWith('#') && /(^|\s|:)\/(etc|var|run|usr|srv|home)\//.test(l));
  if (hostPath !== undefined) throw new Error(`${SHIPPED_SNIPPET}: the e2e test does not know how to relocate this host path: ${hostPath.trim()}`);
  return text;
}

export async function startProftpd(dir: string, opts: { denyFile: string; shippedSnippet?: boolean }): Promise<Proftpd> {
  const port = await freePort();
  const d = (f: string) => path.join(dir, f);
  const home = d('ftp-home');
  fs.mkdirSync(home, { mode: 0o755, recursive: true });
  const hash = await sha512Crypt(FTP_PASSWORD);
  // uid/gid 65534 (nobody/nogroup): a virtual user that needs no account on the host.
  writeFile(d('ftpd.passwd'), `${FTP_USER}:${hash}:65534:65534::${home}:/bin/sh\n`, 0o600);
  writeFile(d('ftpd.group'), 'nogroup:x:65534:\n', 0o600);
  writeFile(d('hosts.allow'), '', 0o644);
  if (!fs.existsSync(opts.denyFile)) writeFile(opts.denyFile, '', 0o644);
  fs.mkdirSync(d('log'), { recursive: true, mode: 0o755 });
  // With the shipped snippet, its own log directives decide the files (relocated into dir/log).
  const systemLog = opts.shippedSnippet ? d('log/proftpd.log') : d('proftpd-system.log');
  const extendedLog = opts.shippedSnippet ? d('log/auth.log') : d('proftpd-auth.log');
  const ours = `UseReverseDNS off
<IfModule mod_ident.c>
  IdentLookups off
</IfModule>
SyslogLevel info
SystemLog ${systemLog}
LogFormat autoban "${EXTENDED_LOG_FORMAT}"
ExtendedLog ${extendedLog} AUTH autoban
<IfModule !mod_wrap2.c>
  LoadModule mod_wrap2.c
</IfModule>
<IfModule !mod_wrap2_file.c>
  LoadModule mod_wrap2_file.c
</IfModule>
WrapEngine on
WrapTables file:${d('hosts.allow')} file:${opts.denyFile}
WrapOptions CheckOnConnect
`;
  const wrapAndLogs = opts.shippedSnippet
    ? `# exactly what users are told to put in /etc/proftpd/conf.d/ (paths moved into the test dir)\nInclude ${writeFile(d('autoban-shipped.conf'), privateCopyOfShippedSnippet(dir, opts.denyFile))}\n`
    : ours;
  const conf = `# autoban e2e: a private ProFTPD; nothing here refers to the host's own files.
ServerName "autoban-e2e"
ServerType standalone
DefaultServer on
Port ${port}
DefaultAddress 127.0.0.1
SocketBindTight on
UseIPv6 off
User nobody
Group nogroup
PidFile ${d('proftpd.pid')}
ScoreboardFile ${d('proftpd.scoreboard')}
ControlsEngine off
DelayEngine off
WtmpLog off
TransferLog none
MaxInstances 60
MaxLoginAttempts 3
# Virtual users from our own file first; mod_auth_unix only so that "root" exists (RootLogin off
# then logs "SECURITY VIOLATION: Root login attempted").
AuthOrder mod_auth_file.c mod_auth_unix.c
AuthUserFile ${d('ftpd.passwd')}
AuthGroupFile ${d('ftpd.group')}
RequireValidShell off
UseFtpUsers off
${wrapAndLogs}`;
  const confFile = writeFile(d('proftpd.conf'), conf, 0o644);
  // -n: stay in the foreground; -q: without it the SystemLog stays empty. Own pid namespace so
  // that stopping it also ends every session process. A shell stays pid 1 of that namespace: proftpd
  // switches user ids, which clears the parent-death signal that cleans up if this worker dies.
  const daemon = new Daemon('proftpd', 'unshare', [
    '--pid', '--fork', '--kill-child', '--',
    '/bin/sh', '-c', '"$@" & wait $!', 'autoban-e2e-init', '/usr/sbin/proftpd', '-n', '-q', '-c', confFile,
  ]);
  try {
    await waitForPort(port, 'proftpd', () => daemon.running);
  } catch (e) {
    throw new Error(`${(e as Error).message}\n--- proftpd output ---\n${daemon.output}`);
  }
  // ProFTPD keeps running when an Included file has an error: it only skips the rest of that file
  // and says so on stderr. A config users copy must not do that.
  await new Promise((r) => setTimeout(r, 200));
  if (/fatal:|unable to include/.test(daemon.output)) {
    throw new Error(`proftpd reported a configuration error${opts.shippedSnippet ? ` in ${SHIPPED_SNIPPET}` : ''}:\n${daemon.output}`);
  }
  return { port, dir, systemLog, extendedLog, denyFile: opts.denyFile, daemon };
}
