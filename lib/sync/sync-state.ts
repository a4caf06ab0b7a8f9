/**
 * state_dir/sync.json: what this node last published, so sync-push uploads only when its payload changed
 * (less traffic, fewer collisions), and a push that failed is simply repeated by the next run.
 */
import * as path from 'node:path';
import { readJsonFile, writeJsonFile } from '../json-file';
import { AppError, ExitCode } from '../errors';
import { ensureStateDir, withLock } from '../lock';

export interface SyncState {
  /** Where and what we last published successfully (the object name guards against a changed config). */
  nodeDoc: { object: string; sha256: string } | null;
  /** Checksum of the managed block of the shared hosts.deny we last wrote or found up to date. */
  hostsDeny: { object: string; sha256: string } | null;
  /** The shared whitelist exists (seen by a pull or created by a push): no seeding from the local file. */
  whitelistShared: { object: string } | null;
}

export const emptySyncState = (): SyncState => ({ nodeDoc: null, hostsDeny: null, whitelistShared: null });

export const syncStateFile = (stateDir: string) => path.join(stateDir, 'sync.json');

function ref<T extends object>(v: unknown, keys: (keyof T)[]): T | null {
  if (!v || typeof v !== 'object') return null;
  const o = v as Record<string, unknown>;
  return keys.every((k) => typeof o[k as string] === 'string') ? (o as T) : null;
}

/** Reads the sync state; a missing or damaged file just means "nothing known", which costs one upload. */
export function readSyncState(stateDir: string): SyncState {
  let raw: unknown;
  try {
    raw = readJsonFile(syncStateFile(stateDir));
  } catch {
    return emptySyncState();
  }
  if (!raw || typeof raw !== 'object') return emptySyncState();
  const o = raw as Record<string, unknown>;
  return {
    nodeDoc: ref(o.nodeDoc, ['object', 'sha256']),
    hostsDeny: ref(o.hostsDeny, ['object', 'sha256']),
    whitelistShared: ref(o.whitelistShared, ['object']),
  };
}

/** `state_dir/sync-state.lock`: held only around the read-merge-write of sync.json. */
export const SYNC_STATE_LOCK = 'sync-state';

/** Seconds to wait for it: its holders keep it for one small read and write, so a longer wait means a stuck or killed holder. */
const SYNC_STATE_LOCK_SEC = 5;

/**
 * Merges `patch` into the stored state under `state_dir/sync-state.lock`. A pull and a push of this node
 * may run at once (cron and Monit) and both update sync.json; without the lock, one's read-merge-write can
 * land between the other's read and rename and put back the old value of the other's key (a push's nodeDoc
 * sha reverted makes the next push warn that node_id is used by another node).
 * Lock order: this lock is the innermost one. It may be taken while holding sync-push.lock or autoban.lock,
 * but nothing is locked while holding it (the read-merge-write below takes no other lock), so no deadlock
 * is possible.
 */
export async function updateSyncState(stateDir: string, patch: Partial<SyncState>): Promise<void> {
  ensureStateDir(stateDir);
  await withLock(
    stateDir,
    SYNC_STATE_LOCK_SEC,
    async () => {
      writeJsonFile(syncStateFile(stateDir), { version: 1, ...readSyncState(stateDir), ...patch });
    },
    undefined,
    SYNC_STATE_LOCK,
  );
}

/**
 * How a command updates sync.json: like updateSyncState, but a failure (the lock busy for more than
 * SYNC_STATE_LOCK_SEC, held by a process killed inside it, a full disk) does not fail the command. sync.json
 * only remembers what was published and seen; the upload or pull it records has already succeeded, and a
 * missing record costs the next push a look at the store. After one failure the command does not wait for
 * the lock again; `finish` then warns once, naming the file and what the next push does instead.
 */
export interface SyncStateWriter {
  update(patch: Partial<SyncState>): Promise<void>;
  finish(): void;
}

export function syncStateWriter(stateDir: string, warn: (msg: string) => void): SyncStateWriter {
  const file = syncStateFile(stateDir);
  let failure: string | null = null;
  const lost = new Set<keyof SyncState>();
  let cleared = false;
  return {
    async update(patch) {
      if (failure === null) {
        try {
          await updateSyncState(stateDir, patch);
          return;
        } catch (e) {
          if (!(e instanceof AppError)) throw e;
          failure =
            e.code === ExitCode.LockBusy
              ? `its lock ${path.join(stateDir, `${SYNC_STATE_LOCK}.lock`)} was held by another process for more than ${SYNC_STATE_LOCK_SEC}s`
              : e.message.replace(`cannot write ${file}: `, 'cannot write it: ');
        }
      }
      for (const k of Object.keys(patch) as (keyof SyncState)[]) lost.add(k);
      if (patch.whitelistShared === null) cleared = true;
    },
    finish() {
      if (failure === null) return;
      const next = [
        lost.has('nodeDoc') ? 'compares the node document with the stored copy again (a change of this node\'s bans before then may bring a warning that node_id is used by another node too, once)' : null,
        lost.has('whitelistShared') && !cleared ? 'checks again that the shared whitelist exists' : null,
        cleared ? 'may not create the shared whitelist until a sync-pull records that it is missing' : null,
      ].filter((x) => x !== null);
      warn(`${file} not updated (${failure}); it only remembers what was published and seen, nothing is lost: the next sync-push ${next.length ? next.join(' and ') : 'checks the shared copies again'}`);
    },
  };
}
