/**
 * iptables/ip6tables helpers shared by the iptables and ipset backends: one rule autoban owns per parent
 * chain, checked with -C before it is inserted, and removed from every chain autoban may have used.
 */
import { commandError } from './backend-error';
import { isBuiltinChain, KNOWN_PARENT_CHAINS } from './chains';
import { runChecked, runCommand } from './command';
import type { Family } from './targets';
import type { Runner } from './types';

export const XT: Record<Family, { cmd: string; restore: string }> = {
  4: { cmd: 'iptables', restore: 'iptables-restore' },
  6: { cmd: 'ip6tables', restore: 'ip6tables-restore' },
};

/** Wait for the xtables lock instead of failing when another tool holds it; bounded so cron never hangs. */
export const WAIT = ['-w', '10'];

/** True when a filter chain exists (built-in chains always do). */
export async function chainExists(run: Runner, cmd: string, chain: string): Promise<boolean> {
  if (isBuiltinChain(chain)) return true;
  const args = [...WAIT, '-S', chain];
  const r = await runCommand(run, cmd, args);
  if (r.code === 0) return true;
  if (r.code === 1) return false;
  throw commandError(cmd, args, r);
}

/** -C: 0 = present; 1 = absent; 2 = the rule cannot exist (its set/target is missing), which is absent too. */
export async function hasRule(run: Runner, cmd: string, chain: string, spec: readonly string[]): Promise<boolean> {
  const args = [...WAIT, '-C', chain, ...spec];
  const r = await runCommand(run, cmd, args);
  if (r.code === 0) return true;
  if (r.code === 1 || r.code === 2) return false;
  throw commandError(cmd, args, r);
}

/** Inserts the rule at the top of `chain` (which must exist) unless it is already there. Returns true when it inserted. */
export async function ensureRule(run: Runner, cmd: string, chain: string, spec: readonly string[]): Promise<boolean> {
  if (await hasRule(run, cmd, chain, spec)) return false;
  await runChecked(run, cmd, [...WAIT, '-I', chain, '1', ...spec]);
  return true;
}

/**
 * A configured chain that does not exist. Missing in IPv4 it is an error (a typo, or Docker is not running);
 * missing in IPv6 it is skipped, because Docker creates the ip6tables DOCKER-USER chain only when its IPv6
 * firewalling is on, and without it no forwarded IPv6 reaches a container anyway.
 */
function missingChain(cmd: string, chain: string): string | null {
  if (cmd === XT[6].cmd) return null;
  const hint = chain === 'DOCKER-USER' ? ' (is Docker running with its iptables integration?)' : '';
  return `${cmd}: chain ${chain} does not exist${hint}`;
}

/** Deletes every copy of the rule from `chain` (if the chain exists). Returns how many it deleted. */
export async function removeRule(run: Runner, cmd: string, chain: string, spec: readonly string[]): Promise<number> {
  if (!(await chainExists(run, cmd, chain))) return 0;
  let n = 0;
  // Bounded: a rule that -C keeps finding after -D succeeded would otherwise loop forever.
  while (n < 100 && (await hasRule(run, cmd, chain, spec))) {
    await runChecked(run, cmd, [...WAIT, '-D', chain, ...spec]);
    n++;
  }
  return n;
}

/**
 * Puts the rule into exactly the configured chains, taking it out of other chains autoban may have used
 * before. Returns the problems it could not fix (a missing chain) after doing everything else.
 */
export async function syncParentRules(run: Runner, cmd: string, chains: readonly string[], spec: readonly string[]): Promise<string[]> {
  const errors: string[] = [];
  for (const chain of chains) {
    if (await chainExists(run, cmd, chain)) await ensureRule(run, cmd, chain, spec);
    else {
      const e = missingChain(cmd, chain);
      if (e) errors.push(e);
    }
  }
  for (const chain of KNOWN_PARENT_CHAINS) if (!chains.includes(chain)) await removeRule(run, cmd, chain, spec);
  return errors;
}

/** What is wrong with the placement of autoban's rule, for status. */
export async function parentRuleProblems(run: Runner, cmd: string, chains: readonly string[], spec: readonly string[], what: string): Promise<string[]> {
  const problems: string[] = [];
  for (const chain of chains) {
    if (!(await chainExists(run, cmd, chain))) {
      const e = missingChain(cmd, chain);
      if (e) problems.push(e);
    } else if (!(await hasRule(run, cmd, chain, spec))) problems.push(`${cmd}: ${what} in ${chain} is missing`);
  }
  for (const chain of KNOWN_PARENT_CHAINS) {
    if (!chains.includes(chain) && (await chainExists(run, cmd, chain)) && (await hasRule(run, cmd, chain, spec))) {
      problems.push(`${cmd}: stale ${what} in ${chain}`);
    }
  }
  return problems;
}

/** Removes the rule from every configured and known chain (flush). */
export async function removeParentRules(run: Runner, cmd: string, chains: readonly string[], spec: readonly string[]): Promise<void> {
  for (const chain of new Set([...chains, ...KNOWN_PARENT_CHAINS])) await removeRule(run, cmd, chain, spec);
}
