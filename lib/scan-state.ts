/**
 * What a scan remembers between runs, in state_dir: log positions (positions.json) and the failures still
 * inside the longest window (history.json). Damaged files are reported and started afresh: losing them
 * can only re-read a log, never lose a ban.
 */
import * as path from 'node:path';
import type { Failure } from './types';
import type { FilePosition } from './log-reader';
import type { History } from './detect';
import { readJsonFile, writeJsonFile } from './json-file';
import type { Logger } from './log';

export interface ScanState {
  positions: Record<string, FilePosition>;
  /** source name → journald cursor */
  cursors: Record<string, string>;
  /** source name → history */
  histories: Map<string, History>;
}

const posFile = (stateDir: string) => path.join(stateDir, 'positions.json');
const histFile = (stateDir: string) => path.join(stateDir, 'history.json');

function isPosition(v: unknown): v is FilePosition {
  const p = v as FilePosition;
  return !!p && typeof p === 'object' && Number.isFinite(p.dev) && Number.isFinite(p.ino) && Number.isSafeInteger(p.offset) && p.offset >= 0 && typeof p.head === 'string';
}

/** Loads positions and histories, warning about (and dropping) anything damaged. */
export function loadScanState(stateDir: string, log: Logger): ScanState {
  const positions: Record<string, FilePosition> = {};
  const cursors: Record<string, string> = {};
  const histories = new Map<string, History>();
  try {
    const doc = readJsonFile(posFile(stateDir)) as { files?: Record<string, unknown>; journal?: Record<string, unknown> } | null;
    for (const [f, p] of Object.entries(doc?.files ?? {})) if (isPosition(p)) positions[f] = p;
    for (const [src, c] of Object.entries(doc?.journal ?? {})) if (typeof c === 'string' && c.length < 512) cursors[src] = c;
  } catch (e) {
    log.warn(`${(e as Error).message}; logs will be read from the start`);
  }
  try {
    const doc = readJsonFile(histFile(stateDir)) as { version?: number; sources?: Record<string, Record<string, unknown>> } | null;
    if (doc && doc.version !== 2) throw new Error(`${histFile(stateDir)}: unsupported version ${JSON.stringify(doc.version)}`);
    for (const [src, targets] of Object.entries(doc?.sources ?? {})) {
      const h: History = new Map();
      for (const [target, list] of Object.entries(targets ?? {})) {
        if (!Array.isArray(list)) continue;
        const fs: Failure[] = list.filter((f): f is number => Number.isSafeInteger(f) && f >= 0);
        if (fs.length) h.set(target, fs);
      }
      histories.set(src, h);
    }
  } catch (e) {
    log.warn(`${(e as Error).message}; failure history starts empty`);
  }
  return { positions, cursors, histories };
}

/** Saves positions and histories (caller holds the lock and has already written the bans). */
export function saveScanState(stateDir: string, st: ScanState): void {
  const sources: Record<string, Record<string, Failure[]>> = {};
  for (const [src, h] of st.histories) sources[src] = Object.fromEntries(h);
  // version 2: failures packed as epoch seconds * 4 + flags (see lib/detect.ts)
  writeJsonFile(histFile(stateDir), { version: 2, sources });
  writeJsonFile(posFile(stateDir), { version: 1, files: st.positions, journal: st.cursors });
}
