/** `autoban sync-pull`: merge the bans, unbans and whitelist shared by every node (see lib/sync/pull.ts). */
import type { Context } from '../context';
import { syncPull } from '../sync/pull';
import type { SyncDeps } from '../sync/session';

export interface SyncResult {
  skipped: boolean;
  message: string;
  warnings: string[];
}

/** Throws AppError(ExitCode.Unavailable) with a one-line reason when the store cannot be used; local state is still merged. */
export async function runSyncPull(ctx: Context, deps: SyncDeps = {}): Promise<SyncResult> {
  const r = await syncPull(ctx, deps);
  ctx.log.info(r.message);
  return r;
}
