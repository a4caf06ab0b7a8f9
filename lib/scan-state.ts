/**
 * What a scan remembers between runs, in state_dir: log positions (positions.json) and the failures still
 * inside the longest window (history.txt). Damaged files are reported and started afresh: losing them
 * can only re-read a log, never lose a ban.
 */
import * as path from 'node:path';
import type { Failure } from './types';
import type { FilePosition } from './log-reader';
import type { History } from './detect';
import * as fs from 'node:fs';
import { readJsonFile, writeJsonFile } from './json-file';
import { writeFileAtomic } from './atomic-write';
import { parseIp, parseTarget } from './ip';
import type { Logger } from './log';

export interface ScanState {
  positions: Record<string, FilePosition>;
  /** source name → journald cursor */
  cursors: Record<string, string>;
  /** source name → history; null until a scan has a new line to count (then loaded from history.txt). */
  histories: Map<string, History> | null;
}

const posFile = (stateDir: string) => path.join(stateDir, 'positions.json');
const histFile = (stateDir: string) => path.join(stateDir, 'history.txt');

function isPosition(v: unknown): v is FilePosition {
  const p = v as FilePosition;
  return !!p && typeof p === 'object' && Number.isFinite(p.dev) && Number.isFinite(p.ino) && Number.isSafeInteger(p.offset) && p.offset >= 0 && typeof p.head === 'string';
}

/** Loads positions (histories are loaded on demand), warning about (and dropping) anything damaged. */
export function loadScanState(stateDir: string, log: Logger): ScanState {
  const positions: Record<string, FilePosition> = {};
  const cursors: Record<string, string> = {};
  try {
    const doc = readJsonFile(posFile(stateDir)) as { files?: Record<string, unknown>; journal?: Record<string, unknown> } | null;
    for (const [f, p] of Object.entries(doc?.files ?? {})) if (isPosition(p)) positions[f] = p;
    for (const [src, c] of Object.entries(doc?.journal ?? {})) if (typeof c === 'string' && c.length < 512) cursors[src] = c;
  } catch (e) {
    log.warn(`${(e as Error).message}; logs will be read from the start`);
  }
  return { positions, cursors, histories: null };
}

/**
 * The failure histories (history.txt), read only when a scan has new lines: a run with nothing new to read
 * stays fast however many addresses are being tracked.
 */
export function loadHistories(stateDir: string, log: Logger): Map<string, History> {
  const file = histFile(stateDir);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') log.warn(`${file}: ${(e as Error).message}; failure history starts empty`);
    return new Map();
  }
  const { histories, error } = decodeHistories(text);
  if (error) log.warn(`${file}: ${error}; failure history starts empty`);
  return histories;
}

const HISTORY_MAGIC = 'autoban-history 3';

/**
 * history.txt: a compact text format, because with a flood of addresses this file is what a cron run
 * reads and writes most (JSON cost ten times as much to parse):
 *   autoban-history 3
 *   [source]
 *   <target> <failure> <failure> …      (failures in base 36: epoch seconds * 4 + flags, see lib/detect.ts)
 */
export function encodeHistories(histories: Map<string, History>): string {
  const out: string[] = [HISTORY_MAGIC];
  for (const [src, h] of histories) {
    out.push(`[${src}]`);
    for (const [target, list] of h) out.push(`${target} ${list.map((f) => f.toString(36)).join(' ')}`);
  }
  return `${out.join('\n')}\nend\n`;
}

/** Parses history.txt; a damaged file yields an empty history and a reason (it only delays bans, never loses one). */
export function decodeHistories(text: string): { histories: Map<string, History>; error?: string } {
  const histories = new Map<string, History>();
  const lines = text.split('\n');
  if (lines[0] !== HISTORY_MAGIC) return { histories, error: 'not an autoban history file' };
  if (!text.endsWith('\nend\n')) return { histories, error: 'truncated' };
  let cur: History | null = null;
  for (let i = 1; i < lines.length - 2; i++) {
    const line = lines[i] as string;
    if (line.startsWith('[')) {
      cur = new Map();
      histories.set(line.slice(1, -1), cur);
      continue;
    }
    const parts = line.split(' ');
    const target = parts[0] as string;
    // Our own file, but a damaged one must not turn into a ban of garbage: targets are checked (cheaply).
    if (!cur || parts.length < 2 || (target.includes('/') ? parseTarget(target) : parseIp(target)) !== target) return { histories: new Map(), error: `line ${i + 1} is damaged` };
    const list: Failure[] = new Array(parts.length - 1);
    for (let j = 1; j < parts.length; j++) {
      const f = parseInt(parts[j] as string, 36);
      if (!Number.isSafeInteger(f) || f < 0) return { histories: new Map(), error: `line ${i + 1} is damaged` };
      list[j - 1] = f;
    }
    cur.set(target, list);
  }
  return { histories };
}

/** Saves positions and histories (caller holds the lock and has already written the bans). */
export function saveScanState(stateDir: string, st: ScanState): void {
  if (st.histories) writeFileAtomic(histFile(stateDir), encodeHistories(st.histories), { mode: 0o600 });
  writeJsonFile(posFile(stateDir), { version: 1, files: st.positions, journal: st.cursors });
}
