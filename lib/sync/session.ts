/**
 * What one sync step needs: the resolved layout, the retry policy and the deadline, and the bookkeeping
 * of warnings (reported, the step goes on) and failures (the step ends with exit code 69).
 */
import type { Context } from '../context';
import { AppError, ExitCode } from '../errors';
import { type SyncLayout, type StoreFactory, resolveLayout } from './layout';
import { StoreError } from './object-store';
import { DEFAULT_POLICY, type Deadline, type RetryPolicy, deadlineIn } from './retry';

/** Result of sync-pull / sync-push, as the command layer expects it. */
export interface SyncResult {
  skipped: boolean;
  message: string;
  warnings: string[];
}

/** Seams for tests; production passes nothing. */
export interface SyncDeps {
  factory?: StoreFactory;
  policy?: Partial<RetryPolicy>;
  deadline?: Deadline;
}

export interface Session {
  step: 'sync-pull' | 'sync-push' | 'whitelist';
  ctx: Context;
  layout: SyncLayout;
  policy: RetryPolicy;
  deadline: Deadline;
  warnings: string[];
  warn(msg: string): void;
}

/** Opens the session, or returns null when sync is off. A bad location in the config is a sync failure. */
export function openSession(step: Session['step'], ctx: Context, deps: SyncDeps): Session | null {
  let layout: SyncLayout | null;
  try {
    layout = resolveLayout(ctx.config.sync, deps.factory);
  } catch (e) {
    throw new AppError(ExitCode.Unavailable, `${step}: ${(e as Error).message}`);
  }
  if (!layout) return null;
  const s = ctx.config.sync;
  const warnings: string[] = [];
  return {
    step,
    ctx,
    layout,
    policy: { ...DEFAULT_POLICY, timeoutMs: Math.max(1, s.timeoutSec) * 1000, onRetry: (what, why) => ctx.log.debug(`${step}: retrying ${what}: ${why}`), ...deps.policy },
    deadline: deps.deadline ?? deadlineIn(Math.max(1, s.deadlineSec) * 1000),
    warnings,
    warn(msg: string) {
      warnings.push(msg);
      ctx.log.warn(`${step}: ${msg}`);
    },
  };
}

export function closeSession(s: Session): void {
  for (const store of s.layout.stores) {
    try {
      store.close();
    } catch {
      /* closing is best effort */
    }
  }
}

/** The one-line reason of a failed store operation (never a stack, never credentials). */
export function reasonOf(e: unknown): string {
  if (e instanceof StoreError || e instanceof AppError) return e.message;
  // `||`, not `??`: an empty message splits into '', and "push: " alone would tell the admin nothing.
  const first = (e as Error)?.message?.split('\n')[0];
  return first || (e instanceof Error ? `${e.name} without a message` : String(e));
}

/** The sync failure that maps to exit code 69. */
export function syncFailure(step: Session['step'], reason: string): AppError {
  return new AppError(ExitCode.Unavailable, `${step}: ${reason}`);
}

/** Runs `fns` with at most `limit` in flight; results in input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
