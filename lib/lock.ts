/**
 * One lock per state directory serialises every change (cron run, Monit run, manual ban) so none is lost;
 * sync-push has a second one of its own (lib/sync/push.ts), so a slow upload does not hold up the first.
 * proper-lockfile uses an atomic mkdir and refreshes its mtime while we hold it; a lock left by a killed
 * process goes stale after STALE_MS and is taken over.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as lockfile from 'proper-lockfile';
import { AppError, ExitCode } from './errors';

const STALE_MS = 15_000;

/** The locks this process holds, by path: what the lock directory looked like when we made it, and whether proper-lockfile saw it lost. */
const held = new Map<string, { ino: number; birthMs: number; compromised: () => Error | null }>();

/**
 * Throws exit 75 unless this process still holds `state_dir/<name>.lock`. Called right before a commit
 * writes: proper-lockfile only notices a lost lock at its next refresh, and withLock only looks after `fn`,
 * when the database and deny file would already carry changes made without the lock. A lock whose mtime is
 * older than STALE_MS (our refreshes were held up: a busy event loop, a suspended VM) may be taken over by
 * another run at any moment, so it counts as lost too; a lock directory made anew (other inode or birth
 * time) was taken over.
 */
export function assertHeld(stateDir: string, name = 'autoban'): void {
  const lockPath = `${path.join(stateDir, name)}.lock`;
  const h = held.get(lockPath);
  if (!h) throw new Error(`internal: committing without holding ${lockPath}`);
  let why = h.compromised()?.message ?? null;
  if (!why) {
    try {
      const st = fs.statSync(lockPath);
      if (st.ino !== h.ino || st.birthtimeMs !== h.birthMs) why = 'another process took it over';
      else if (Date.now() - st.mtimeMs > STALE_MS) why = `not refreshed for ${Math.round((Date.now() - st.mtimeMs) / 1000)}s, so another process may take it over`;
    } catch (e) {
      why = `it is gone (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;
    }
  }
  if (why) throw new AppError(ExitCode.LockBusy, `lost the lock ${lockPath} while working: ${why}; nothing more was committed`);
}

/**
 * Runs `fn` holding the lock `state_dir/<name>.lock` (the state lock `autoban.lock` unless named otherwise);
 * waits up to `timeoutSec`, then fails with exit code 75. `onWait` is called once, with the lock's path,
 * when the lock is busy and the wait begins.
 */
export async function withLock<T>(stateDir: string, timeoutSec: number, fn: () => Promise<T>, onWait?: (lockPath: string) => void, name = 'autoban'): Promise<T> {
  const target = path.join(stateDir, name);
  const lockPath = `${target}.lock`;
  let compromised: Error | null = null;
  const deadline = Date.now() + timeoutSec * 1000;
  let release: (() => Promise<void>) | null = null;
  // proper-lockfile removes the lock directory on release and at process exit without asking whose it is.
  // After another run took the lock over (see assertHeld), that would remove the other run's lock and let a
  // third run in beside it: its rmdir goes through here, and leaves a directory that is no longer ours.
  let mine: { ino: number; birthMs: number } | null = null;
  const isMine = (p: string): boolean => {
    if (!mine) return true;
    const st = fs.statSync(p, { throwIfNoEntry: false });
    return !st || (st.ino === mine.ino && st.birthtimeMs === mine.birthMs);
  };
  const lockFs = {
    ...fs,
    rmdir: (p: string, cb: (err: NodeJS.ErrnoException | null) => void) => (isMine(p) ? fs.rmdir(p, cb) : cb(null)),
    rmdirSync: (p: string) => {
      if (isMine(p)) fs.rmdirSync(p);
    },
  };
  for (;;) {
    try {
      release = await lockfile.lock(target, {
        fs: lockFs,
        realpath: false,
        lockfilePath: lockPath,
        stale: STALE_MS,
        update: STALE_MS / 3,
        onCompromised: (err) => {
          compromised = err;
        },
      });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ELOCKED') {
        throw new AppError(ExitCode.CantCreate, `cannot create lock ${lockPath}: ${(e as Error).message}`);
      }
      if (onWait) {
        onWait(lockPath);
        onWait = undefined;
      }
      if (Date.now() >= deadline) {
        throw new AppError(ExitCode.LockBusy, `another autoban is running (lock ${lockPath} held for more than ${timeoutSec}s); try again later`);
      }
      await new Promise((r) => setTimeout(r, 25 + Math.floor(Math.random() * 75)));
    }
  }
  try {
    try {
      const st = fs.statSync(lockPath);
      mine = { ino: st.ino, birthMs: st.birthtimeMs };
      held.set(lockPath, { ...mine, compromised: () => compromised });
    } catch (e) {
      compromised = e as Error;
    }
    const result = await fn();
    if (compromised) throw new AppError(ExitCode.LockBusy, `lost the lock ${lockPath} while working: ${(compromised as Error).message}`);
    return result;
  } finally {
    held.delete(lockPath);
    await release().catch(() => undefined);
  }
}

/** Creates the state directory (0700: it holds who attacked and who is trusted); `name` is what the error calls it (config.settingName). */
export function ensureStateDir(stateDir: string, name = 'state_dir'): void {
  try {
    fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new AppError(ExitCode.CantCreate, `cannot create ${name} ${stateDir}: ${(e as Error).message}`);
  }
}
