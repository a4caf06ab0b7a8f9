/** BackendError and the translation of failed firewall commands into one-line messages. */
import type { CommandResult } from './types';

/** One-line message naming the command, e.g. "nft: command not found (install nftables)". */
export class BackendError extends Error {
  override name = 'BackendError';
}

/** Debian package that provides each command, for the "command not found" hint. */
const PACKAGE_OF: Record<string, string> = {
  nft: 'nftables',
  iptables: 'iptables',
  ip6tables: 'iptables',
  'iptables-restore': 'iptables',
  'ip6tables-restore': 'iptables',
  ipset: 'ipset',
  ip: 'iproute2',
};

export function notFoundError(cmd: string): BackendError {
  const pkg = PACKAGE_OF[cmd];
  return new BackendError(`${cmd}: command not found${pkg ? ` (install ${pkg})` : ''}`);
}

export function permissionError(cmd: string): BackendError {
  return new BackendError(`${cmd}: permission denied (run as root)`);
}

/** `ip netns exec` (and similar wrappers) report a missing program this way instead of ENOENT. */
const WRAPPED_NOT_FOUND = /exec of "[^"]*" failed: No such file or directory/;
const NO_PRIVILEGE = /permission denied|operation not permitted|you must be root/i;

function firstLine(text: string): string {
  const line = text.split('\n').map((l) => l.trim()).find((l) => l !== '') ?? '';
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

/** True when a failed command never ran properly: the program is missing or we lack privileges. */
export function isEnvironmentFailure(result: CommandResult): boolean {
  return result.code !== 0 && (result.code === 127 || WRAPPED_NOT_FOUND.test(result.stderr) || NO_PRIVILEGE.test(result.stderr));
}

/** Turns a failed command into a one-line BackendError: not found / not root / the command's own first error line. */
export function commandError(cmd: string, args: readonly string[], result: CommandResult): BackendError {
  if (result.code === 127 || WRAPPED_NOT_FOUND.test(result.stderr)) return notFoundError(cmd);
  if (NO_PRIVILEGE.test(result.stderr)) return permissionError(cmd);
  let shown = [cmd, ...args].join(' ');
  if (shown.length > 120) shown = `${shown.slice(0, 120)}…`;
  const why = firstLine(result.stderr) || firstLine(result.stdout) || `exit code ${result.code}`;
  return new BackendError(`${shown}: ${why}`);
}

/** Maps a Runner rejection (spawn failure) to a BackendError naming the command. */
export function spawnError(cmd: string, err: unknown): BackendError {
  if (err instanceof BackendError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return notFoundError(cmd);
  if (code === 'EACCES' || code === 'EPERM') return permissionError(cmd);
  const msg = err instanceof Error ? err.message : String(err);
  // A Runner from elsewhere may already say "nft: ..." — keep its words, make sure the command is named.
  return new BackendError(msg.startsWith(`${cmd}:`) ? firstLine(msg) : `${cmd}: ${firstLine(msg)}`);
}
