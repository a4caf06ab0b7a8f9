/**
 * iptables backend: chain `autoban` in the filter table of iptables and ip6tables, one DROP rule per target,
 * jumped to from INPUT (or the configured chains). Works with both iptables-nft and iptables-legacy.
 */
import { BackendError, commandError } from './backend-error';
import { validateChains } from './chains';
import { runChecked, runCommand } from './command';
import { canonicalKernelEntry, sortKeys, diffTargets, keysByFamily, type Family } from './targets';
import type { BackendOptions, BackendStatus, FirewallBackend, Runner } from './types';
import { parentRuleProblems, removeParentRules, syncParentRules, WAIT, XT } from './xtables';
import { plural } from '../plural';

export const IPT_CHAIN = 'autoban';
const JUMP = ['-j', IPT_CHAIN];

export interface IptablesChainState {
  exists: boolean;
  /** Canonical sources of `-A autoban -s X -j DROP` rules, in chain order. */
  drops: string[];
  /** Any other rule found in autoban's chain (someone else's edit); the chain is rebuilt when present. */
  foreign: string[];
}

/** Parses `iptables -S autoban` output. */
export function parseIptablesChain(text: string): IptablesChainState {
  const state: IptablesChainState = { exists: true, drops: [], foreign: [] };
  for (const line of text.split('\n')) {
    const l = line.trim();
    if (l === '' || l === `-N ${IPT_CHAIN}`) continue;
    const m = new RegExp(`^-A ${IPT_CHAIN} -s (\\S+) -j DROP$`).exec(l);
    if (m) state.drops.push(canonicalKernelEntry(m[1] as string));
    else state.foreign.push(l);
  }
  return state;
}

/**
 * iptables-restore --noflush input that deletes and appends DROP rules in autoban's chain, in one commit.
 * With `flush`, it first empties the chain inside that same commit, so the kernel never holds it empty.
 */
export function buildIptablesRestore(add: readonly string[], remove: readonly string[], flush = false): string {
  if (!flush && add.length === 0 && remove.length === 0) return '';
  const lines = ['*filter'];
  if (flush) lines.push(`-F ${IPT_CHAIN}`);
  for (const k of remove) lines.push(`-D ${IPT_CHAIN} -s ${k} -j DROP`);
  for (const k of add) lines.push(`-A ${IPT_CHAIN} -s ${k} -j DROP`);
  lines.push('COMMIT');
  return `${lines.join('\n')}\n`;
}

export function makeIptablesBackend(run: Runner, opts: BackendOptions = {}): FirewallBackend {
  const chains = validateChains('iptables', opts.chains);

  async function read(fam: Family): Promise<IptablesChainState> {
    const { cmd } = XT[fam];
    const args = [...WAIT, '-S', IPT_CHAIN];
    const r = await runCommand(run, cmd, args);
    if (r.code === 0) return parseIptablesChain(r.stdout);
    if (r.code === 1) return { exists: false, drops: [], foreign: [] };
    throw commandError(cmd, args, r);
  }


  return {
    name: 'iptables',
    async apply(targets) {
      const desired = keysByFamily('iptables', targets);
      const added: string[] = [];
      const removed: string[] = [];
      const errors: string[] = [];
      for (const fam of [4, 6] as Family[]) {
        const { cmd, restore } = XT[fam];
        const state = await read(fam);
        if (!state.exists) await runChecked(run, cmd, [...WAIT, '-N', IPT_CHAIN]);
        // Our chain holds something we did not write: start it over rather than guess. The flush and the refill
        // are one restore commit: flushed on its own first, the chain would let every banned address through
        // until the refill landed.
        const rebuild = state.foreign.length > 0 || new Set(state.drops).size !== state.drops.length;
        const d = diffTargets(desired[fam], rebuild ? [] : state.drops);
        const script = buildIptablesRestore(d.add, d.remove, rebuild);
        if (script) await runChecked(run, restore, [...WAIT, '--noflush'], script);
        errors.push(...(await syncParentRules(run, cmd, chains, JUMP)));
        const seen = diffTargets(desired[fam], [...new Set(state.drops)]); // what a user would notice changed
        added.push(...seen.add);
        removed.push(...seen.remove);
      }
      // The addresses are in place and every other chain is hooked; now say what could not be hooked.
      if (errors.length) throw new BackendError(errors.join('; '));
      return { added, removed: sortKeys(removed) };
    },
    async status(targets): Promise<BackendStatus> {
      const desired = keysByFamily('iptables', targets);
      const missing: string[] = [];
      const extra: string[] = [];
      const problems: string[] = [];
      for (const fam of [4, 6] as Family[]) {
        const { cmd } = XT[fam];
        const state = await read(fam);
        const d = diffTargets(desired[fam], state.drops);
        missing.push(...d.add);
        extra.push(...d.remove);
        if (state.foreign.length) problems.push(`${cmd}: chain ${IPT_CHAIN} holds ${plural(state.foreign.length, 'rule')} autoban did not write`);
        // No chain and nothing to ban is a flushed, consistent state.
        if (state.exists || desired[fam].length > 0) {
          if (!state.exists) problems.push(`${cmd}: chain ${IPT_CHAIN} is missing`);
          problems.push(...(await parentRuleProblems(run, cmd, chains, JUMP, `jump to ${IPT_CHAIN}`)));
        }
      }
      return { backend: 'iptables', inSync: missing.length + extra.length + problems.length === 0, missing, extra: sortKeys(extra), ...(problems.length ? { problems } : {}) };
    },
    async flush() {
      for (const fam of [4, 6] as Family[]) {
        const { cmd } = XT[fam];
        await removeParentRules(run, cmd, chains, JUMP);
        if (!(await read(fam)).exists) continue;
        await runChecked(run, cmd, [...WAIT, '-F', IPT_CHAIN]);
        const args = [...WAIT, '-X', IPT_CHAIN];
        const r = await runCommand(run, cmd, args);
        if (r.code !== 0 && /busy|too many links/i.test(r.stderr)) {
          throw new BackendError(`${cmd}: chain ${IPT_CHAIN} is still referenced by a rule autoban did not add (e.g. -j ${IPT_CHAIN} in another chain); its rules were removed but the chain was kept`);
        }
        if (r.code !== 0) throw commandError(cmd, args, r);
      }
    },
  };
}
