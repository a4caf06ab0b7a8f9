/**
 * `autoban run`: the cron job. Sleeps a random 0..jitter seconds (so a fleet started by the same cron line
 * does not hit the shared store at the same second), then sync-pull → scan → expire → sync-push. A failing
 * step does not stop the later ones — local protection must go on when sync fails — except a busy lock or
 * a broken config, which every later step would hit too; the exit code is the first failure's.
 */
import type { Context } from '../context';
import { AppError, ExitCode, type ExitCodeValue } from '../errors';
import { runSyncPull } from './sync-pull';
import { runScan } from './scan';
import { runExpire } from './expire';
import { runSyncPush } from './sync-push';

export interface RunDeps {
  random: () => number;
  sleep: (ms: number) => Promise<void>;
}

export async function runAll(ctx: Context, deps: RunDeps, opts: { jitter: boolean; fromStart?: boolean }): Promise<{ code: ExitCodeValue; errors: string[] }> {
  if (opts.jitter && ctx.config.jitterSec > 0) {
    const ms = Math.floor(deps.random() * ctx.config.jitterSec * 1000);
    ctx.log.info(`run: sleeping ${(ms / 1000).toFixed(1)}s (jitter; --no-jitter skips)`);
    await deps.sleep(ms);
  }
  const steps: [string, () => Promise<unknown>][] = [
    ['sync-pull', () => runSyncPull(ctx)],
    ['scan', () => runScan(ctx, { fromStart: opts.fromStart })],
    ['expire', () => runExpire(ctx)],
    ['sync-push', () => runSyncPush(ctx)],
  ];
  let code: ExitCodeValue = ExitCode.Ok;
  const errors: string[] = [];
  // One line per failure: damaged deny-file markers (or an unreadable database) fail every step that
  // commits with the same message, and a store that cannot be reached fails both sync steps with the same
  // reason (`sync-pull: …` then `sync-push: …`); cron's log need not repeat it.
  const reported = new Set<string>();
  for (const [name, step] of steps) {
    try {
      await step();
    } catch (e) {
      // A busy lock or a broken config affects every later step the same way: stop there.
      const c = e instanceof AppError ? e.code : ExitCode.Internal;
      const line = e instanceof AppError ? e.message : `${name}: ${(e as Error).stack ?? e}`;
      const reason = line.startsWith(`${name}: `) ? line.slice(name.length + 2) : line;
      if (!reported.has(reason)) ctx.log.error(line);
      reported.add(reason);
      errors.push(`${name}: ${(e as Error).message}`);
      if (code === ExitCode.Ok) code = c;
      if (c === ExitCode.LockBusy || c === ExitCode.Config) break;
    }
  }
  return { code, errors };
}
