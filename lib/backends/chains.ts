/** Which filter chains autoban hooks into (option `chains`), shared by all three backends. Pure. */
import { BackendError } from './backend-error';

export const DEFAULT_CHAINS: readonly string[] = ['INPUT'];

/**
 * Chains autoban may ever have hooked into. Rules autoban left in one of these after the configured chains
 * changed are removed by apply and flush, so a config change never strands a jump.
 */
export const KNOWN_PARENT_CHAINS: readonly string[] = ['INPUT', 'FORWARD', 'DOCKER-USER'];

const BUILTIN = new Set(['INPUT', 'FORWARD', 'OUTPUT', 'PREROUTING', 'POSTROUTING']);
const CHAIN_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,27}$/;

export function isBuiltinChain(chain: string): boolean {
  return BUILTIN.has(chain);
}

/** Validates the configured chain list (default INPUT); refuses names iptables would not accept or that are autoban's own. */
export function validateChains(backend: string, chains: readonly string[] | undefined): string[] {
  const list = chains && chains.length > 0 ? chains : DEFAULT_CHAINS;
  const out: string[] = [];
  for (const c of list) {
    if (!CHAIN_NAME.test(c) || c.toLowerCase() === 'autoban' || c === 'OUTPUT' || c === 'PREROUTING' || c === 'POSTROUTING') {
      throw new BackendError(`${backend}: cannot hook into chain ${JSON.stringify(c)} (expected INPUT, FORWARD, DOCKER-USER or another filter chain)`);
    }
    if (!out.includes(c)) out.push(c);
  }
  return out;
}

/** nftables has no DOCKER-USER: anything but INPUT means the forward hook, which sees DNATed container traffic. */
export function nftHooksFor(chains: readonly string[]): Array<'input' | 'forward'> {
  const hooks: Array<'input' | 'forward'> = [];
  if (chains.includes('INPUT')) hooks.push('input');
  if (chains.some((c) => c !== 'INPUT')) hooks.push('forward');
  return hooks;
}
