/** `autoban sync-push`: publish this node's bans and unbans (see lib/sync/push.ts). */
import type { Context } from '../context';
import { syncPush } from '../sync/push';
import type { SyncDeps } from '../sync/session';
import type { SyncResult } from './sync-pull';

/** Throws AppError(ExitCode.Unavailable) with a one-line reason when the store cannot be used; the next run retries. */
export async function runSyncPush(ctx: Context, deps: SyncDeps = {}): Promise<SyncResult> {
  const r = await syncPush(ctx, deps);
  ctx.log.info(r.message);
  return r;
}
