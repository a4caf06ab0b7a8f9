/** `autoban flush`: remove every firewall rule, chain and set autoban added (and nothing else). */
import type { Context } from '../context';
import { firewallBackends } from '../backends-apply';
import { AppError, ExitCode } from '../errors';

export async function runFlush(ctx: Context, opts: { backends?: string[] }): Promise<void> {
  const backends = firewallBackends(ctx, opts.backends);
  if (backends.length === 0) {
    ctx.log.info('flush: no firewall backend configured; nothing to flush (the deny file is managed by expire/unban)');
    return;
  }
  const errors: string[] = [];
  for (const { name, backend } of backends) {
    if (ctx.dryRun) {
      ctx.log.info(`flush: would remove autoban's ${name} rules`);
      continue;
    }
    try {
      await backend.flush();
      ctx.log.info(`flush: removed autoban's ${name} rules`);
    } catch (e) {
      errors.push((e as Error).message);
    }
  }
  if (errors.length) throw new AppError(ExitCode.Backend, `flush failed: ${errors.join('; ')}`);
}
