/**
 * Which journal entries count as written by sshd or ProFTPD. journald adds the fields used here itself (a
 * client cannot send fields starting with "_"), but they prove different things:
 *
 * - _COMM is the sender's process name from /proc: any user can copy a binary to a file named `sshd`, run it
 *   and log "Failed password for root from <victim>". Necessary, never enough.
 * - _UID comes from the kernel's socket credentials: the sender's real uid (a process can claim only its own
 *   real, effective or saved uid). "0" means root sent it, which no unprivileged user can fake.
 * - _SYSTEMD_UNIT is derived from the sender's cgroup, which an unprivileged user cannot move into.
 *
 * Real OpenSSH logs every authentication failure from a root process: the listener or the per-connection
 * monitor (sshd, sshd-session since 9.8); the unprivileged pre-auth child (sshd-auth since 10.0) hands its
 * messages to the monitor, which logs them. A ProFTPD session process lowers only its effective uid to `User`
 * (real and saved uid stay root) until a login succeeds (then RootRevoke may drop all), so failed logins also
 * arrive with _UID=0. The unit covers ProFTPD run as a non-root daemon by its unit. sshd has no unit: a
 * unit's cgroup also holds what the service starts, and without pam_systemd (`UsePAM no`, no libpam-systemd)
 * the shells of users logged in over ssh stay in ssh.service; sshd's failures always come from root anyway.
 */
import type { JournalEntry } from './journal-reader';
import { JOURNAL_COMMS, JOURNAL_UNITS } from './parsers';

/** The journald fields the decision uses ('' when journald recorded none). */
export type TrustFields = Pick<JournalEntry, 'comm' | 'uid' | 'unit'>;

/** The parser's list in `table`, or none (a parser name is never looked up on Object.prototype). */
function listFor(table: Record<string, string[]>, parser: string): readonly string[] {
  return Object.hasOwn(table, parser) ? (table[parser] ?? []) : [];
}

/** Whether an entry provably comes from the parser's service, not from a local user's look-alike process. */
export function isTrustedEntry(entry: TrustFields, parser: string): boolean {
  if (entry.comm === '' || !listFor(JOURNAL_COMMS, parser).includes(entry.comm)) return false;
  return entry.uid === '0' || (entry.unit !== '' && listFor(JOURNAL_UNITS, parser).includes(entry.unit));
}
