/**
 * Firewall backends (iptables, ipset, nftables): make the kernel drop exactly the banned addresses, in
 * objects autoban owns, and nothing else. Commands run through a Runner with argument vectors only.
 */
import { BackendError } from './backend-error';
import { execRunner } from './exec-runner';
import { makeIpsetBackend } from './ipset';
import { makeIptablesBackend } from './iptables';
import { makeNftablesBackend } from './nftables';
import type { BackendName, BackendOptions, FirewallBackend, Runner } from './types';

export type { BackendName, BackendOptions, BackendStatus, CommandResult, FirewallBackend, Runner } from './types';
export { BackendError } from './backend-error';
export { execRunner, makeExecRunner } from './exec-runner';

export const BACKEND_NAMES: readonly BackendName[] = ['iptables', 'ipset', 'nftables'];

/** Builds the named backend; `run` defaults to spawning the real commands, `options.chains` to ["INPUT"]. */
export function makeBackend(name: BackendName, run: Runner = execRunner, options: BackendOptions = {}): FirewallBackend {
  switch (name) {
    case 'iptables':
      return makeIptablesBackend(run, options);
    case 'ipset':
      return makeIpsetBackend(run, options);
    case 'nftables':
      return makeNftablesBackend(run, options);
    default:
      throw new BackendError(`unknown firewall backend ${JSON.stringify(name)} (expected iptables, ipset or nftables)`);
  }
}
