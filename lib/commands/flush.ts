/** `autoban flush`: remove every firewall rule, chain and set autoban added (and nothing else). */
import type { Context } from '../context';
import { FIREWALL_BACKENDS, loadBackends } from '../backends-apply';
import { AppError, ExitCode } from '../errors';

export async function runFlush(ctx: Context, opts: { backends?: string[] }): Promise<void> {
  const names = (opts.backends?.length ? opts.backends : ctx.config.backends).filter((b) => FIREWALL_BACKENDS.includes(b));
  if (names.length === 0) {
    ctx.log.info('flush: no firewall backend configured; nothing to flush (the deny file is managed by expire/unban)');
    return;
  }
  const mod = loadBackends() as unknown as { makeBackend(n: string): { flush(): Promise<void> } };
  const errors: string[] = [];
  for (const name of names) {
    if (ctx.dryRun) {
      ctx.log.info(`flush: would remove autoban's ${name} rules`);
      continue;
    }
    try {
      await mod.makeBackend(name).flush();
      ctx.log.info(`flush: removed autoban's ${name} rules`);
    } catch (e) {
      errors.push(`${name}: ${(e as Error).message}`);
    }
  }
  if (errors.length) throw new AppError(ExitCode.Backend, `flush failed: ${errors.join('; ')}`);
}
