/**
 * What a scan remembers between runs, in state_dir: log positions (positions.json) and the failures still
 * inside the longest window (history.bin). Damaged files are reported and started afresh: losing them
 * can only re-read a log, never lose a ban.
 */
import * as path from 'node:path';
import type { Failure } from './types';
import type { FilePosition } from './log-reader';
import type { History } from './detect';
import { type StoredEntries, StoredHistory } from './stored-history';
import * as fs from 'node:fs';
import { checksum, checksumMatches } from './checksum';
import { readJsonFile, writeJsonFile } from './json-file';
import { writeFileAtomic } from './atomic-write';
import { parseIp, parseTarget } from './ip';
import type { Logger } from './log';
import { readRegularFile } from './regular-file';
import { type DedupState, checkDedupState } from './dedup';
import { type JournalMark, checkMark } from './journal-mark';

export interface ScanState {
  positions: Record<string, FilePosition>;
  /** source name → journald cursor */
  cursors: Record<string, string>;
  /**
   * source name → where the entry of its cursor stands (lib/journal-reader.ts JournalMark): a read goes on from
   * there when journalctl refuses the cursor. positions.json "journalAt"; absent in files of earlier versions.
   */
  marks: Record<string, JournalMark>;
  /** source name → history; null until a scan has a new line to count (then loaded from history.txt). */
  histories: Map<string, History> | null;
  /** Each read's connections for the next read of the same log (lib/dedup.ts); loaded and saved with the histories. */
  connections?: Connections;
  /**
   * positions.json could not be read, or held a damaged file entry: a file without a position may then be one
   * read before (lib/commands/scan.ts matches its failures against history.bin's), not a new one.
   */
  positionsLost?: boolean;
}

/**
 * Connections left open where a read ended, by what the read follows: a file's position key, a journal source's
 * name. Carried on only from a saved position (see lib/commands/scan.ts).
 */
export interface Connections {
  files: Map<string, DedupState>;
  journal: Map<string, DedupState>;
}

export const noConnections = (): Connections => ({ files: new Map(), journal: new Map() });

const posFile = (stateDir: string) => path.join(stateDir, 'positions.json');
const histFile = (stateDir: string) => path.join(stateDir, 'history.bin');
/** The text format of earlier versions: read when there is no history.bin yet, removed by the next save. */
const legacyHistFile = (stateDir: string) => path.join(stateDir, 'history.txt');

function isPosition(v: unknown, nested = false): v is FilePosition {
  const p = v as FilePosition;
  if (!p || typeof p !== 'object' || !Number.isFinite(p.dev) || !Number.isFinite(p.ino) || !Number.isSafeInteger(p.offset) || p.offset < 0 || typeof p.head !== 'string') return false;
  if (p.tail !== undefined && typeof p.tail !== 'string') return false;
  if (nested) return p.emptyAt === undefined && p.prev === undefined;
  return (p.emptyAt === undefined || Number.isFinite(p.emptyAt)) && (p.prev === undefined || isPosition(p.prev, true));
}

/**
 * A position without its retry counts (FilePosition.retried) when they are damaged: losing them costs at most a few
 * more runs that read a rotated file again, losing the position would read the log as a new one.
 */
function withValidRetries(p: FilePosition): FilePosition {
  const r = p.retried as unknown;
  if (r === undefined || (Array.isArray(r) && r.every((e) => e && typeof e === 'object' && Number.isFinite(e.dev) && Number.isFinite(e.ino) && Number.isSafeInteger(e.runs) && e.runs > 0 && (e.since === undefined || Number.isFinite(e.since))))) return p;
  const { retried: _, ...rest } = p;
  return rest;
}

/** Loads positions (histories are loaded on demand), warning about (and dropping) anything damaged. */
export function loadScanState(stateDir: string, log: Logger): ScanState {
  const positions: Record<string, FilePosition> = {};
  const cursors: Record<string, string> = {};
  const marks: Record<string, JournalMark> = {};
  let positionsLost = false;
  try {
    const doc = readJsonFile(posFile(stateDir)) as { files?: Record<string, unknown>; journal?: Record<string, unknown>; journalAt?: Record<string, unknown> } | null;
    for (const [f, p] of Object.entries(doc?.files ?? {})) {
      if (isPosition(p)) positions[f] = withValidRetries(p);
      else positionsLost = true;
    }
    for (const [src, c] of Object.entries(doc?.journal ?? {})) if (typeof c === 'string' && c.length < 512) cursors[src] = c;
    const at = doc?.journalAt;
    if (at && typeof at === 'object')
      for (const [src, m] of Object.entries(at)) {
        const ok = checkMark(m);
        if (ok) marks[src] = ok;
      }
  } catch (e) {
    log.warn(`${(e as Error).message}; logs will be read from the start`);
    positionsLost = true;
  }
  return { positions, cursors, marks, histories: null, ...(positionsLost ? { positionsLost } : {}) };
}

/**
 * The failure histories (history.bin), read only when a scan has new lines: a run with nothing new to read
 * stays fast however many addresses are being tracked.
 */
export function loadHistories(stateDir: string, log: Logger): Map<string, History> {
  return loadHistoryFile(stateDir, log).histories;
}

/** The failure histories and the connections left open (both in history.bin), read when a scan has new lines. */
export function loadHistoryFile(stateDir: string, log: Logger): { histories: Map<string, History>; connections: Connections } {
  let file = histFile(stateDir);
  let data: Buffer;
  const none = () => ({ histories: new Map<string, History>(), connections: noConnections() });
  try {
    data = readRegularFile(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
      log.warn(`${file}: ${(e as Error).message}; failure history starts empty`);
      return none();
    }
    file = legacyHistFile(stateDir);
    try {
      data = readRegularFile(file);
    } catch (e2) {
      if ((e2 as NodeJS.ErrnoException).code !== 'ENOENT') log.warn(`${file}: ${(e2 as Error).message}; failure history starts empty`);
      return none();
    }
  }
  if (file !== histFile(stateDir)) {
    const { histories, error } = decodeHistories(data.toString('utf8'));
    if (error) log.warn(`${file}: ${error}; failure history starts empty`);
    return { histories, connections: noConnections() };
  }
  const { histories, connections, error, connectionsError } = decodeHistoryBin(data);
  if (error) log.warn(`${file}: ${error}; failure history starts empty`);
  if (connectionsError) log.warn(`${file}: ${connectionsError}; ignored (an attempt logged on both sides of the last run's end may count twice)`);
  return { histories, connections: connections ?? noConnections() };
}

const BIN_MAGIC = 'autoban-history 4\n';

/** The header's "conns": [kind ("f": file, "j": journal), key, DedupState] each (a list: JSON keys may be reordered). */
type ConnsJson = [string, string, DedupState][];

function encodeConnections(c: Connections | undefined): ConnsJson | undefined {
  if (!c || (c.files.size === 0 && c.journal.size === 0)) return undefined;
  const out: ConnsJson = [];
  for (const [key, s] of c.files) out.push(['f', key, s]);
  for (const [key, s] of c.journal) out.push(['j', key, s]);
  return out;
}

/** The header's "conns" (absent in files of earlier versions); damaged entries are left out and reported. */
function decodeConnections(v: unknown): { connections?: Connections; connectionsError?: string } {
  if (v === undefined) return {};
  const c = noConnections();
  if (!Array.isArray(v)) return { connections: c, connectionsError: 'the open connections are damaged' };
  let bad = 0;
  for (const e of v as unknown[][]) {
    const s = Array.isArray(e) && e.length === 3 && (e[0] === 'f' || e[0] === 'j') && typeof e[1] === 'string' ? checkDedupState(e[2]) : null;
    if (!s) bad++;
    else (e[0] === 'f' ? c.files : c.journal).set(e[1] as string, s);
  }
  return bad ? { connections: c, connectionsError: `the open connections of ${bad} ${bad === 1 ? 'log are' : 'logs are'} damaged` } : { connections: c };
}

/**
 * history.bin: what every scan with new lines reads and rewrites, so it is laid out to cost next to nothing
 * per failure (the text format spent most of a small scan parsing and printing base-36 numbers):
 *   autoban-history 4\n
 *   {"sources":[[name, entries, failures], …],"le":true,"sum":"<checksum of the payload (lib/checksum.ts)>","conns":[…]}\n
 *   payload: every failure as a float64 (lib/detect.ts packing), source by source, entry by entry;
 *            then each entry's failure count as a uint32; then the targets, one per line.
 * The checksum stands in for checking every target: a damaged file starts the history afresh (it can only
 * delay a ban) and never turns garbage into a ban. "conns" (the connections left open where each read ended,
 * see Connections) is there only when there are some; earlier versions neither wrote nor read it.
 */
export function encodeHistoryBin(histories: Map<string, History>, connections?: Connections): Buffer {
  // Two passes over each history (count, then copy): stored entries nobody touched are copied a run at a
  // time (lib/stored-history.ts), so a cron run's cost follows what it changed, not what is tracked.
  const visit = (h: History, run: (s: StoredEntries, i: number, j: number) => void, mapped: (target: string, list: Failure[]) => void): void => {
    if (h instanceof StoredHistory) h.visit(run, mapped);
    else h.forEach((list, target) => mapped(target, list));
  };
  const sources: [string, number, number][] = [];
  let nf = 0;
  let ne = 0;
  for (const [src, h] of histories) {
    let f = 0;
    let e = 0;
    visit(
      h,
      (s, i, j) => {
        f += (s.to[j - 1] as number) - (s.from[i] as number);
        e += j - i;
      },
      (_, list) => {
        f += list.length;
        e++;
      },
    );
    sources.push([src, e, f]);
    nf += f;
    ne += e;
  }
  const floats = new Float64Array(nf);
  const counts = new Uint32Array(ne);
  const targets: string[] = [];
  let fi = 0;
  let ei = 0;
  for (const h of histories.values()) {
    visit(
      h,
      (s, i, j) => {
        const a = s.from[i] as number;
        const z = s.to[j - 1] as number;
        floats.set(s.floats.subarray(a, z), fi);
        fi += z - a;
        for (let k = i; k < j; k++) counts[ei++] = (s.to[k] as number) - (s.from[k] as number);
        targets.push(s.targets.slice(i, j).join('\n'));
      },
      (target, list) => {
        for (let j = 0; j < list.length; j++) floats[fi++] = list[j] as number;
        counts[ei++] = list.length;
        targets.push(target);
      },
    );
  }
  const text = targets.length ? `${targets.join('\n')}\n` : '';
  const payload = Buffer.concat([Buffer.from(floats.buffer), Buffer.from(counts.buffer), Buffer.from(text, 'latin1')]);
  // Connections are checked value by value instead (lib/dedup.ts checkDedupState): a damaged one can only count an attempt twice.
  const head = `${BIN_MAGIC}${JSON.stringify({ sources, le: LITTLE_ENDIAN, sum: checksum(payload), conns: encodeConnections(connections) })}\n`;
  return Buffer.concat([Buffer.from(head), payload]);
}

/** Parses history.bin; a damaged file yields an empty history and a reason. */
export function decodeHistoryBin(data: Buffer): { histories: Map<string, History>; connections?: Connections; error?: string; connectionsError?: string } {
  const empty = (error: string) => ({ histories: new Map<string, History>(), error });
  if (data.toString('latin1', 0, BIN_MAGIC.length) !== BIN_MAGIC) return empty('not an autoban history file');
  const nl = data.indexOf(10, BIN_MAGIC.length);
  if (nl < 0) return empty('truncated');
  let head: { sources?: unknown; le?: unknown; sum?: unknown; conns?: unknown };
  try {
    head = JSON.parse(data.toString('utf8', BIN_MAGIC.length, nl));
  } catch {
    return empty('damaged header');
  }
  if (head.le !== LITTLE_ENDIAN) return empty('written on a machine of another byte order');
  const payload = data.subarray(nl + 1);
  if (!checksumMatches(payload, head.sum)) return empty('damaged or truncated (checksum mismatch)');
  const sources = head.sources as [string, number, number][];
  if (!Array.isArray(sources)) return empty('damaged header');
  let nf = 0;
  let ne = 0;
  for (const s of sources) {
    if (!Array.isArray(s) || typeof s[0] !== 'string' || !Number.isSafeInteger(s[1]) || !Number.isSafeInteger(s[2]) || s[1] < 0 || s[2] < 0) return empty('damaged header');
    ne += s[1];
    nf += s[2];
  }
  const textAt = nf * 8 + ne * 4;
  if (payload.length < textAt) return empty('truncated');
  const floats = new Float64Array(nf);
  new Uint8Array(floats.buffer).set(payload.subarray(0, nf * 8));
  const counts = new Uint32Array(ne);
  new Uint8Array(counts.buffer).set(payload.subarray(nf * 8, textAt));
  const targets = payload.toString('latin1', textAt).split('\n');
  if (targets.length !== ne + 1) return empty('damaged (entry count)');
  // Entries stay in these arrays until a scan looks at them (lib/stored-history.ts).
  const from = new Uint32Array(ne);
  const to = new Uint32Array(ne);
  for (let i = 0, f = 0; i < ne; i++) {
    from[i] = f;
    f += counts[i] as number;
    to[i] = f;
  }
  const histories = new Map<string, History>();
  let fi = 0;
  let ei = 0;
  for (const [name, entries, failures] of sources) {
    const end = entries > 0 ? (to[ei + entries - 1] as number) : fi;
    if (end - fi !== failures) return empty('damaged (failure count)');
    histories.set(name, new StoredHistory({ targets: targets.slice(ei, ei + entries), floats, from: from.subarray(ei, ei + entries), to: to.subarray(ei, ei + entries) }));
    fi += failures;
    ei += entries;
  }
  if (fi !== nf) return empty('damaged (failure count)');
  return { histories, ...decodeConnections(head.conns) };
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const HISTORY_MAGIC = 'autoban-history 3';

/**
 * history.txt, the format before history.bin (still read once after an upgrade): a compact text format, because with a flood of addresses this file is what a cron run
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

/** The connections of logs that still have a position or cursor (a log no longer read leaves nothing behind). */
function liveConnections(st: ScanState): Connections {
  const c = st.connections ?? noConnections();
  const out = noConnections();
  for (const [key, s] of c.files) if (st.positions[key]) out.files.set(key, s);
  for (const [key, s] of c.journal) if (st.cursors[key] !== undefined) out.journal.set(key, s);
  return out;
}

/** Saves positions and histories (caller holds the lock and has already written the bans). */
export function saveScanState(stateDir: string, st: ScanState): void {
  if (st.histories) {
    writeFileAtomic(histFile(stateDir), encodeHistoryBin(st.histories, st.connections && liveConnections(st)), { mode: 0o600 });
    // unlink, not rmSync: rmSync loads fs's rimraf module, a millisecond of a cron run that reads a few lines.
    try {
      fs.unlinkSync(legacyHistFile(stateDir));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e; // not there: the usual case
    }
  }
  // journalAt: a key of its own, which earlier versions ignore (and the cursors keep the shape they read).
  writeJsonFile(posFile(stateDir), { version: 1, files: st.positions, journal: st.cursors, journalAt: st.marks });
}
