/**
 * ipset backend: sets autoban4/autoban6 (hash:net, so CIDRs work) filled with one `ipset restore`, and one
 * `-m set --match-set autoban4 src -j DROP` rule per family in INPUT (or the configured chains), inserted only
 * when `-C` does not find it. 100,000 entries cost one hash lookup per packet.
 */
import { BackendError, commandError } from './backend-error';
import { validateChains } from './chains';
import { runChecked, runCommand } from './command';
import { canonicalKernelEntry, sortKeys, diffTargets, keysByFamily, type Family } from './targets';
import type { BackendOptions, BackendStatus, FirewallBackend, Runner } from './types';
import { parentRuleProblems, removeParentRules, syncParentRules, XT } from './xtables';

export const IPSET_NAME: Record<Family, string> = { 4: 'autoban4', 6: 'autoban6' };
const IPSET_FAMILY: Record<Family, string> = { 4: 'inet', 6: 'inet6' };
/** Default maxelem is 65,536; bans can exceed that on a busy host. */
export const IPSET_MAXELEM = 1048576;

export interface IpsetState {
  exists: boolean;
  type?: string;
  family?: string;
  members: string[];
}

const ruleSpec = (fam: Family): string[] => ['-m', 'set', '--match-set', IPSET_NAME[fam], 'src', '-j', 'DROP'];

/** Parses `ipset save <name>` output ("create NAME TYPE family F ..." then "add NAME MEMBER" lines). */
export function parseIpsetSave(text: string, name: string): IpsetState {
  const state: IpsetState = { exists: false, members: [] };
  for (const line of text.split('\n')) {
    const words = line.trim().split(/\s+/);
    if (words[1] !== name) continue;
    if (words[0] === 'create') {
      state.exists = true;
      state.type = words[2];
      const fi = words.indexOf('family');
      if (fi > 0) state.family = words[fi + 1];
    } else if (words[0] === 'add' && words[2] !== undefined) {
      state.members.push(canonicalKernelEntry(words[2]));
    }
  }
  return state;
}

/** `ipset restore` input: create the set if it is missing, then delete and add members. */
export function buildIpsetRestore(fam: Family, create: boolean, add: readonly string[], remove: readonly string[]): string {
  const name = IPSET_NAME[fam];
  const lines: string[] = [];
  if (create) lines.push(`create ${name} hash:net family ${IPSET_FAMILY[fam]} hashsize 1024 maxelem ${IPSET_MAXELEM}`);
  for (const k of remove) lines.push(`del ${name} ${k}`);
  for (const k of add) lines.push(`add ${name} ${k}`);
  return lines.length ? `${lines.join('\n')}\n` : '';
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function makeIpsetBackend(run: Runner, opts: BackendOptions = {}): FirewallBackend {
  const chains = validateChains('ipset', opts.chains);

  async function read(fam: Family): Promise<IpsetState> {
    const args = ['save', IPSET_NAME[fam]];
    const r = await runCommand(run, 'ipset', args);
    if (r.code === 0) {
      const state = parseIpsetSave(r.stdout, IPSET_NAME[fam]);
      if (state.exists && (state.type !== 'hash:net' || state.family !== IPSET_FAMILY[fam])) {
        // A set by that name that autoban did not make: never reuse or replace it.
        throw new BackendError(`ipset: set ${IPSET_NAME[fam]} exists as ${state.type} family ${state.family}, not hash:net family ${IPSET_FAMILY[fam]}; autoban will not touch it (rename or destroy it)`);
      }
      return state;
    }
    if (/does not exist/.test(r.stderr)) return { exists: false, members: [] };
    throw commandError('ipset', args, r);
  }


  return {
    name: 'ipset',
    async apply(targets) {
      const desired = keysByFamily('ipset', targets);
      const added: string[] = [];
      const removed: string[] = [];
      const errors: string[] = [];
      for (const fam of [4, 6] as Family[]) {
        const state = await read(fam);
        const d = diffTargets(desired[fam], [...new Set(state.members)]);
        const script = buildIpsetRestore(fam, !state.exists, d.add, d.remove);
        // -exist: a member someone added or removed meanwhile is not an error.
        if (script) await runChecked(run, 'ipset', ['-exist', 'restore'], script);
        errors.push(...(await syncParentRules(run, XT[fam].cmd, chains, ruleSpec(fam))));
        added.push(...d.add);
        removed.push(...d.remove);
      }
      // The addresses are in place and every other chain is hooked; now say what could not be hooked.
      if (errors.length) throw new BackendError(errors.join('; '));
      return { added, removed: sortKeys(removed) };
    },
    async status(targets): Promise<BackendStatus> {
      const desired = keysByFamily('ipset', targets);
      const missing: string[] = [];
      const extra: string[] = [];
      const problems: string[] = [];
      for (const fam of [4, 6] as Family[]) {
        const state = await read(fam);
        const d = diffTargets(desired[fam], [...new Set(state.members)]);
        missing.push(...d.add);
        extra.push(...d.remove);
        if (state.exists || desired[fam].length > 0) {
          if (!state.exists) problems.push(`ipset: set ${IPSET_NAME[fam]} is missing`);
          problems.push(...(await parentRuleProblems(run, XT[fam].cmd, chains, ruleSpec(fam), `rule matching set ${IPSET_NAME[fam]}`)));
        }
      }
      return { backend: 'ipset', inSync: missing.length + extra.length + problems.length === 0, missing, extra: sortKeys(extra), ...(problems.length ? { problems } : {}) };
    },
    async flush() {
      for (const fam of [4, 6] as Family[]) {
        await removeParentRules(run, XT[fam].cmd, chains, ruleSpec(fam));
        if (!(await read(fam)).exists) continue;
        const name = IPSET_NAME[fam];
        // Empty it first so the bans are lifted even if a rule autoban did not add keeps the set alive.
        await runChecked(run, 'ipset', ['flush', name]);
        for (let attempt = 0; ; attempt++) {
          const r = await runCommand(run, 'ipset', ['destroy', name]);
          if (r.code === 0 || /does not exist/.test(r.stderr)) break;
          if (!/in use/.test(r.stderr)) throw commandError('ipset', ['destroy', name], r);
          // Older kernels release the set's last reference shortly after the rule is deleted.
          if (attempt < 5) {
            await sleep(200);
            continue;
          }
          throw new BackendError(`ipset: set ${name} is still used by a rule autoban did not add; it was emptied but kept`);
        }
      }
    },
  };
}
