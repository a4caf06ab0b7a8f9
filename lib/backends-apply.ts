/**
 * Applies the active ban targets to the configured firewall backends (lib/backends), loaded only when a
 * firewall backend is configured. Failures are returned as one-line errors so the deny file still counts.
 */
import type { Context } from './context';

type BackendModule = {
  makeBackend(name: string): { apply(targets: readonly string[]): Promise<{ added: string[]; removed: string[] }> };
};

export const FIREWALL_BACKENDS = ['iptables', 'ipset', 'nftables'];

/** Loads lib/backends lazily: hosts with only the deny file never pay for it. */
export function loadBackends(): BackendModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('./backends') as BackendModule;
}

export async function applyBackends(ctx: Context, targets: string[]): Promise<string[]> {
  const names = ctx.config.backends.filter((b) => FIREWALL_BACKENDS.includes(b));
  if (names.length === 0) return [];
  const errors: string[] = [];
  const mod = loadBackends();
  for (const name of names) {
    try {
      const r = await mod.makeBackend(name).apply(targets);
      for (const ip of r.added) ctx.log.info(`${name}: blocked ${ip}`);
      for (const ip of r.removed) ctx.log.info(`${name}: unblocked ${ip}`);
    } catch (e) {
      const msg = `${name}: ${(e as Error).message}`;
      ctx.log.error(msg);
      errors.push(msg);
    }
  }
  return errors;
}
