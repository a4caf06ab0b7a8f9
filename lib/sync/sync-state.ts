/**
 * state_dir/sync.json: what this node last published, so sync-push uploads only when its payload changed
 * (less traffic, fewer collisions), and a push that failed is simply repeated by the next run.
 */
import * as path from 'node:path';
import { readJsonFile, writeJsonFile } from '../json-file';
import { ensureStateDir } from '../lock';

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

/** Merges `patch` into the stored state (re-read first: a pull and a push may both update it). */
export function updateSyncState(stateDir: string, patch: Partial<SyncState>): void {
  ensureStateDir(stateDir);
  writeJsonFile(syncStateFile(stateDir), { version: 1, ...readSyncState(stateDir), ...patch });
}
