/** Types shared by the firewall backends; imports nothing so every backend file can use them. */

export type BackendName = 'iptables' | 'ipset' | 'nftables';

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command with an argument vector (never a shell); optional stdin text. Never rejects for a
 * non-zero exit; rejects with an Error whose message names the command for ENOENT/EACCES.
 */
export type Runner = (cmd: string, args: string[], input?: string) => Promise<CommandResult>;

export interface BackendStatus {
  backend: BackendName;
  inSync: boolean;
  /** Targets the kernel should drop but does not. */
  missing: string[];
  /** Addresses the kernel drops that are not targets any more. */
  extra: string[];
  /** Why the backend is out of sync when it is not about addresses (e.g. "jump from INPUT is missing"). */
  problems?: string[];
}

export interface FirewallBackend {
  name: BackendName;
  /**
   * Make the kernel hold exactly `targets` (canonical IPv4/IPv6 addresses or CIDRs), creating autoban's own
   * set/chain/table if needed; idempotent; touches nothing it did not create.
   */
  apply(targets: readonly string[]): Promise<{ added: string[]; removed: string[] }>;
  status(targets: readonly string[]): Promise<BackendStatus>;
  /** Remove everything autoban added (chain/jump rules/sets/table) and nothing else. */
  flush(): Promise<void>;
}

export interface BackendOptions {
  /**
   * Where banned sources are dropped. iptables/ipset: the filter chains that get autoban's jump / set rule
   * (default ["INPUT"]; add "DOCKER-USER" for ports Docker publishes). nftables: "INPUT" hooks input,
   * "FORWARD" or "DOCKER-USER" hook forward (which sees traffic to Docker-published ports after DNAT).
   */
  chains?: readonly string[];
}
