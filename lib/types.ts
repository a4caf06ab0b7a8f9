/** Domain types shared by the pure core and the I/O shell. Imports nothing. */

/** What a login attempt looked like to the server. */
export type Outcome = 'failure' | 'success';

/**
 * Why a failure counts: `password` a wrong password (or any other failed attempt),
 * `invalid_user` a user that does not exist, `refused` a policy refusal (root login refused, user not allowed).
 */
export type FailureKind = 'password' | 'invalid_user' | 'refused' | 'max_attempts';

/** One recognised login event, produced by a pure line parser. */
export interface LoginEvent {
  /** Epoch ms from the log line itself (never the scan time, except for sshd -E lines that carry none). */
  timeMs: number;
  parser: string;
  outcome: Outcome;
  kind: FailureKind | 'success';
  /** Canonical client IP (IPv4 dotted quad or lower-case compressed IPv6); '' when the line names a host instead (lib/dedup.ts). */
  ip: string;
  /** User name as logged; attacker-controlled text, never parsed for addresses. */
  user: string;
  /**
   * How many attempts this line stands for (sshd "PAM 2 more authentication failures" stands for 2).
   * Lines of the same connection that describe the same attempt are reconciled by lib/dedup.ts.
   */
  count: number;
  /**
   * Connection key when the line carries one (the sshd/proftpd pid as a number, or "ip:port"), used to avoid
   * counting one attempt several times. A number keeps the per-line Map lookups cheap.
   */
  conn?: number | string;
  /** Client port when the line names one. */
  port?: string;
  /**
   * How the connection-level reconciliation should treat this line (see lib/dedup.ts). 'address': a line that only
   * names its connection's address (count 0) and ends it; 'address_open': the same while the connection goes on
   * (sshd's syslog "Postponed keyboard-interactive … from IP port N"). An sshd PAM line that names the client by
   * host name has ip ''.
   */
  evidence: 'attempt' | 'pam' | 'pam_unix' | 'pam_more' | 'connection' | 'pam_bare' | 'attempt_kbd' | 'kbd_postponed' | 'address' | 'address_open';
}

/** Thresholds and windows for one log source (DEFAULT values, possibly overridden in the section). */
export interface RuleSet {
  suspiciousUsers: string[];
  suspiciousThreshold: number;
  suspiciousPeriodSec: number;
  loginThreshold: number;
  loginPeriodSec: number;
  invalidUserThreshold: number;
  invalidUserPeriodSec: number;
  slowThreshold: number;
  slowPeriodSec: number;
}

export type RuleName = 'suspicious_users' | 'login_attempts' | 'invalid_user' | 'slow_attempts';

/**
 * A failure remembered for the time windows, packed into one number (epoch seconds * 4 + flags, flags:
 * 1 = suspicious user, 2 = invalid user): a flood of 100,000 addresses then costs 100,000 small arrays,
 * not 100,000 objects more. See lib/detect.ts for packing.
 */
export type Failure = number;

/** An IP that crossed a rule's threshold. */
export interface Offense {
  ip: string;
  source: string;
  rule: RuleName;
  failures: number;
  /** Log time of the failure that crossed the threshold: the ban starts here. */
  at: Date;
}

/** Where a ban came from. */
export type BanOrigin = 'scan' | 'manual' | 'adopted' | 'peer';

/** One ban in the database (active or expired: expired ones are kept for repeat-offender history). */
export interface Ban {
  /** Canonical IP or CIDR network (`192.0.2.0/24`, `2001:db8::/64`). */
  ip: string;
  /** Rule name (`login_attempts` …), `manual`, or `adopted`. */
  rule: string;
  /** Human-readable reason: `login_attempts failures=6` or the --reason text. */
  reason: string;
  failures: number;
  /** Source section name (`sshd`), `manual`, `hosts.deny`, or the peer object name. */
  source: string;
  origin: BanOrigin;
  /** node_id of the node that created the ban. */
  node: string;
  bannedAt: Date;
  /** null = permanent. */
  expiresAt: Date | null;
  /** How many times this IP has been banned, this ban included. */
  banCount: number;
}

/** An explicit unban: removes every ban of `ip` that started at or before `at`, on every node. */
export interface Unban {
  ip: string;
  at: Date;
  node: string;
}

/** The whole ban database as stored in state_dir/bans.json. */
export interface BanDb {
  bans: Ban[];
  unbans: Unban[];
}

/** Injected clock: core code never reads the time itself. */
export interface Clock {
  now(): Date;
}
