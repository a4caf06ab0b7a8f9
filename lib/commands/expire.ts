/** `autoban expire`: drop bans whose time is up (and whitelisted ones) from the deny file and firewall. */
import type { Context } from '../context';
import { reportApplied, withState } from '../state';

export async function runExpire(ctx: Context): Promise<{ removed: string[] }> {
  const { applied } = await withState(ctx, async (tx) => ({ db: tx.db, result: undefined }));
  reportApplied(ctx, applied, 'expired');
  ctx.log.info(`expire: ${applied.removed.length} bans lifted`);
  return { removed: applied.removed };
}
