/** `autoban expire`: drop bans whose time is up (and whitelisted ones) from the deny file and firewall. */
import type { Context } from '../context';
import { quickStamp, reportApplied, runTx, withStateLock } from '../state';
import { plural } from '../plural';
import { commitExpiry } from '../quick-commit';

/** Lifts the bans whose time is up; a dry run reports what it would lift and changes nothing. */
export async function runExpire(ctx: Context): Promise<{ removed: string[] }> {
  const applied = await withStateLock(ctx, async () => {
    // Nothing has expired or changed since the last commit (lib/stamp.ts): nothing to do.
    const now = ctx.clock.now();
    if (quickStamp(ctx, now.getTime())) return null;
    // Only bans whose time is up: lifted from the deny file and the stamp without the database.
    const quick = commitExpiry(ctx, now);
    if (quick) return quick;
    return (await runTx(ctx, async (tx) => ({ db: tx.db, result: undefined }))).applied;
  });
  const removed = applied?.removed ?? [];
  if (applied) reportApplied(ctx, applied, 'expired');
  const bans = plural(removed.length, 'ban');
  ctx.log.info(ctx.dryRun ? `expire: would lift ${bans} (dry run, nothing changed)` : `expire: ${bans} lifted`);
  return { removed };
}
