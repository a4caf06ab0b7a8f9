/**
 * The configured firewall backends (lib/backends), loaded only when one is configured: hosts that use
 * only the deny file never pay for it. Failures come back as one-line errors so that the deny file, written
 * in the same run, still counts.
 */
import type { Context } from './context';
import type { BackendName, FirewallBackend } from './backends';

export const FIREWALL_BACKENDS: readonly string[] = ['iptables', 'ipset', 'nftables'];

/** The firewall backends named in the config (or `only`), ready to use. */
export function firewallBackends(ctx: Context, only?: string[]): { name: string; backend: FirewallBackend }[] {
  const names = (only?.length ? only : ctx.config.backends).filter((b) => FIREWALL_BACKENDS.includes(b));
  if (names.length === 0) return [];
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require('./backends') as typeof import('./backends');
  return names.map((name) => ({ name, backend: mod.makeBackend(name as BackendName, undefined, { chains: ctx.config.firewallChains }) }));
}

/** Makes every firewall backend hold exactly `targets`; returns one-line errors (already logged). */
export async function applyBackends(ctx: Context, targets: string[]): Promise<string[]> {
  const errors: string[] = [];
  for (const { name, backend } of firewallBackends(ctx)) {
    try {
      const r = await backend.apply(targets);
      for (const ip of r.added) ctx.log.info(`${name}: blocked ${ip}`);
      for (const ip of r.removed) ctx.log.info(`${name}: unblocked ${ip}`);
    } catch (e) {
      // Backend errors already name the command ("nft: command not found (install nftables)").
      const msg = (e as Error).message;
      ctx.log.error(msg);
      errors.push(msg);
    }
  }
  return errors;
}
