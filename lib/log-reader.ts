/**
 * Incremental, rotation-aware log reading. A position is tied to the file's identity (device + inode and
 * its first line), so a cron run reads only what was appended since the last run, and after logrotate it
 * first finishes the rotated file (`log.1`, `log-20261122`) before starting the new one. Lines are streamed
 * in 1 MiB chunks: memory does not grow with the log.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface FilePosition {
  dev: number;
  ino: number;
  /** Byte offset just after the last complete line read. */
  offset: number;
  /** First line of the file (up to 200 bytes), to recognise it after copytruncate or rename. */
  head: string;
}

const CHUNK = 1 << 20;
/** Longer "lines" (binary garbage without newlines) are skipped rather than buffered without bound. */
export const MAX_LINE = 4 << 20;

function readHead(fd: number): string {
  const buf = Buffer.alloc(200);
  const n = fs.readSync(fd, buf, 0, 200, 0);
  const nl = buf.subarray(0, n).indexOf(10);
  return nl < 0 ? '' : buf.subarray(0, nl).toString('latin1');
}

/** Reads complete lines of `file` from byte `start`; calls onLine for each; returns the end offset. */
async function readFrom(fh: fs.promises.FileHandle, start: number, onLine: (line: string) => void): Promise<number> {
  let offset = start; // file offset of buf[0]
  let carry = 0; // bytes of an incomplete line kept at the start of buf
  let skipping = false;
  let buf = Buffer.allocUnsafe(CHUNK);
  for (;;) {
    if (buf.length - carry < CHUNK / 2) {
      // A very long line: grow (up to MAX_LINE) instead of splitting it.
      const bigger = Buffer.allocUnsafe(buf.length * 2);
      buf.copy(bigger, 0, 0, carry);
      buf = bigger;
    }
    const { bytesRead } = await fh.read(buf, carry, buf.length - carry, offset + carry);
    if (bytesRead === 0) break;
    const end = carry + bytesRead;
    const last = buf.lastIndexOf(10, end - 1);
    if (last < 0) {
      if (end > MAX_LINE) {
        // Binary garbage or a monster line: drop it rather than buffer without bound.
        offset += end;
        carry = 0;
        skipping = true;
        buf = Buffer.allocUnsafe(CHUNK);
      } else carry = end;
      continue;
    }
    const text = buf.toString('utf8', 0, last);
    let pos = 0;
    if (skipping) {
      const nl = text.indexOf('\n');
      pos = nl < 0 ? text.length + 1 : nl + 1;
      skipping = false;
    }
    while (pos <= text.length) {
      let nl = text.indexOf('\n', pos);
      if (nl < 0) nl = text.length;
      let e = nl;
      if (e > pos && text.charCodeAt(e - 1) === 13) e--;
      if (e > pos) onLine(text.slice(pos, e));
      pos = nl + 1;
    }
    offset += last + 1;
    carry = end - (last + 1);
    if (carry) buf.copyWithin(0, last + 1, end);
  }
  return offset;
}

/** Rotated siblings of `file`, newest first: log.1, log-YYYYMMDD (uncompressed only). */
function rotatedCandidates(file: string): string[] {
  const dir = path.dirname(file);
  const base = path.basename(file);
  let names: string[] = [];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => n === `${base}.1` || n === `${base}.0` || /^-\d{8,10}$/.test(n.slice(base.length)) && n.startsWith(base))
    .map((n) => path.join(dir, n))
    .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
}

export interface ReadResult {
  position: FilePosition;
  /** Lines read from a rotated file before the current one. */
  rotatedFrom?: string;
  /** Why reading started over at 0 (truncated, replaced), for the log. */
  restarted?: string;
}

/**
 * Reads new lines of `file` since `pos`. Returns the position to save once the bans from these lines are
 * written, or null when the file does not exist.
 */
export async function readNewLines(file: string, pos: FilePosition | undefined, onLine: (line: string) => void): Promise<ReadResult | null> {
  let fh: fs.promises.FileHandle;
  try {
    fh = await fs.promises.open(file, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  try {
    const st = await fh.stat();
    const head = readHead(fh.fd);
    let start = 0;
    let rotatedFrom: string | undefined;
    let restarted: string | undefined;
    if (pos) {
      const same = pos.dev === st.dev && pos.ino === st.ino;
      if (same && st.size >= pos.offset && (pos.head === head || pos.head === '')) start = pos.offset;
      else {
        if (same) restarted = st.size < pos.offset ? 'file was truncated' : 'file was replaced';
        // The lines written between our last run and the rotation are at the end of the rotated file.
        for (const cand of rotatedCandidates(file)) {
          const cst = fs.statSync(cand);
          let match = cst.dev === pos.dev && cst.ino === pos.ino;
          if (!match && cst.size >= pos.offset && pos.head) {
            const cfd = fs.openSync(cand, 'r');
            try {
              match = readHead(cfd) === pos.head;
            } finally {
              fs.closeSync(cfd);
            }
          }
          if (match && cst.size >= pos.offset) {
            const rfh = await fs.promises.open(cand, 'r');
            try {
              await readFrom(rfh, pos.offset, onLine);
            } finally {
              await rfh.close();
            }
            rotatedFrom = cand;
            restarted = undefined;
            break;
          }
        }
      }
    }
    const offset = await readFrom(fh, start, onLine);
    return { position: { dev: st.dev, ino: st.ino, offset, head }, rotatedFrom, restarted };
  } finally {
    await fh.close();
  }
}
