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
  const histories = new Map<string, History>();
  try {
    const doc = readJsonFile(posFile(stateDir)) as { files?: Record<string, unknown> } | null;
    for (const [f, p] of Object.entries(doc?.files ?? {})) if (isPosition(p)) positions[f] = p;
  } catch (e) {
    log.warn(`${(e as Error).message}; logs will be read from the start`);
  }
  try {
    const doc = readJsonFile(histFile(stateDir)) as { sources?: Record<string, Record<string, unknown>> } | null;
    for (const [src, targets] of Object.entries(doc?.sources ?? {})) {
      const h: History = new Map();
      for (const [target, list] of Object.entries(targets ?? {})) {
        if (!Array.isArray(list)) continue;
        const fs: Failure[] = [];
        for (const item of list) if (Array.isArray(item) && Number.isFinite(item[0]) && Number.isInteger(item[1])) fs.push({ t: item[0], f: item[1] });
        if (fs.length) h.set(target, fs);
      }
      histories.set(src, h);
    }
  } catch (e) {
    log.warn(`${(e as Error).message}; failure history starts empty`);
  }
  return { positions, histories };
}

/** Saves positions and histories (caller holds the lock and has already written the bans). */
export function saveScanState(stateDir: string, st: ScanState): void {
  const sources: Record<string, Record<string, [number, number][]>> = {};
  for (const [src, h] of st.histories) {
    const o: Record<string, [number, number][]> = {};
    for (const [target, list] of h) o[target] = list.map((f) => [f.t, f.f]);
    sources[src] = o;
  }
  writeJsonFile(histFile(stateDir), { version: 1, sources });
  writeJsonFile(posFile(stateDir), { version: 1, files: st.positions });
}
