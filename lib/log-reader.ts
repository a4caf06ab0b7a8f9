/**
 * Incremental, rotation-aware log reading. A position is tied to the file's identity (device + inode and
 * its first line), so a cron run reads only what was appended since the last run, and after logrotate it
 * first finishes the rotated file (`log.1`, `log.2.gz`, `log-20261122`, also `.xz`, `.zst`, `.bz2`) before
 * starting the new one. On a first run over a big log it seeks to the first line that can still matter.
 * Lines are streamed in 1 MiB chunks: memory does not grow with the log.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { isAscii } from 'node:buffer';
import type { createHash as CreateHash } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { pipeline, type Readable } from 'node:stream';
import { tierUpForLongRead } from './tiering';
import { openLog } from './log-file';

export interface FilePosition {
  dev: number;
  ino: number;
  /** Byte offset just after the last complete line read. */
  offset: number;
  /** First line of the file (at most its first 200 bytes), to recognise it after copytruncate or rename. */
  head: string;
  /**
   * The bytes just before `offset` (lib/log-reader.ts tailAt), in base64 after "b64:" (earlier versions
   * saved a truncated SHA-1 of them, still understood): that the file still holds what was read up to there. Without it a file whose first line never changes (sshd -E starts every file
   * with "Server listening on …") could be truncated and regrow past the old offset unnoticed, and the lines
   * before that offset would be skipped. Absent in positions saved by earlier versions (not checked then).
   */
  tail?: string;
  /**
   * Set when the file held no complete line when it was read (offset 0): the time of that read (epoch ms).
   * Such a position says nothing about content, so after a rotation with compression or copytruncate the
   * rotated file cannot be recognised by it. But logrotate keeps a rotated file's modification time, and the
   * live file had no line at this time: a rotated sibling modified later holds only lines not read yet.
   */
  emptyAt?: number;
  /**
   * With emptyAt: the uncompressed rotated file last finished, as far as it was read. A logger still writing
   * to it after the rename (before its HUP) makes it newer than emptyAt; its lines up to here were read.
   */
  prev?: FilePosition;
  /**
   * Rotated files this log's read had to leave to the next run (ReadResult.retry) in the runs just before, by
   * identity, in how many runs in a row, and since when (`since`: the scan time of the first of those runs,
   * epoch ms): kept by the scan (lib/commands/scan.ts), which gives up on a file after RETRY_RUNS runs over at
   * least RETRY_MIN_MS, as on a damaged one. Absent in positions saved by earlier versions, and after a read
   * that needed no retry; `since` is absent in records of earlier versions (the run count alone decides then).
   */
  retried?: { dev: number; ino: number; runs: number; since?: number }[];
}

/**
 * After this many runs in a row that had to leave a rotated file to the next run (the same file: device and inode),
 * the scan stops waiting for it: a decompressor the OOM killer ends at every run would otherwise hold that
 * source's positions back, every run reading a longer stretch again and exiting 66, forever.
 */
export const RETRY_RUNS = 3;

/**
 * … and only once this long has passed since the first of them: a slow but working decompression that a few
 * runs started by hand within minutes keep cutting short is not given up on, while cron runs every 15 minutes
 * reach both limits at their third run (30 minutes apart, give or take the jitter sleep).
 */
export const RETRY_MIN_MS = 25 * 60_000;

const CHUNK = 1 << 20;
/** Longer "lines" (binary garbage without newlines) are skipped rather than buffered without bound. */
export const MAX_LINE = 4 << 20;
const HEAD_BYTES = 200;
const TAIL_BYTES = 256;

/** The first line, or its first 200 bytes when it is longer (a long first line is still a fingerprint). */
/** A first line that starts with its time: ISO 8601 / RFC 3339 (rsyslog, ProFTPD), traditional syslog, or a CLF `[22/Nov/2026:…`. */
const TIMESTAMPED = /^(?:\d{4}-\d\d-\d\d[T ]\d\d:\d\d|[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d|\[\d\d\/[A-Z][a-z]{2}\/\d{4}:)/;

function headOf(buf: Buffer, n: number): string {
  const nl = buf.subarray(0, n).indexOf(10);
  if (nl >= 0) return buf.toString('latin1', 0, nl);
  return n >= HEAD_BYTES ? buf.toString('latin1', 0, HEAD_BYTES) : ''; // a first line still being written
}

/** The head fingerprint of an open file (see FilePosition.head). */
export function readHead(fd: number): string {
  const buf = Buffer.alloc(HEAD_BYTES);
  return headOf(buf, fs.readSync(fd, buf, 0, HEAD_BYTES, 0));
}

/** The bytes before `offset` of an open file (see FilePosition.tail). */
function tailBytes(fd: number, offset: number): Buffer {
  const from = Math.max(0, offset - TAIL_BYTES);
  const buf = Buffer.alloc(offset - from);
  const n = fs.readSync(fd, buf, 0, buf.length, from);
  return buf.subarray(0, n);
}

/** The tail fingerprint of an open file at `offset` (see FilePosition.tail). */
export const tailAt = (fd: number, offset: number): string => tailOf(tailBytes(fd, offset));

/**
 * The bytes themselves rather than a hash of them: 344 characters per log in positions.json, no collision to
 * reason about, and no node:crypto to load in a cron run (about 10 ms in a fresh process).
 */
const tailOf = (bytes: Buffer): string => `b64:${bytes.toString('base64')}`;

/** True when `bytes` are those `tail` was taken of (either format). */
function tailMatches(bytes: Buffer, tail: string): boolean {
  if (tail.startsWith('b64:')) return tailOf(bytes) === tail;
  const { createHash } = require('node:crypto') as { createHash: typeof CreateHash };
  return createHash('sha1').update(bytes).digest('hex').slice(0, 20) === tail;
}

/**
 * True when the open file (`st` its stat) is the one `pos` was read from and still holds what was read:
 * same device and inode, at least as long, same first line and, when recorded, the same bytes before the
 * offset. Anything else means rotated, truncated or replaced.
 */
export function positionHolds(fd: number, st: { dev: number; ino: number; size: number }, pos: FilePosition, head?: string): boolean {
  if (pos.dev !== st.dev || pos.ino !== st.ino || st.size < pos.offset) return false;
  return contentHolds(fd, pos, head);
}

/**
 * Whether the open file is where another path's position was read up to: that path's file renamed here
 * (same inode), or copied here (same first line and bytes before the offset; only positions with a tail
 * fingerprint, which tells copies apart).
 */
function holdsOther(fd: number, st: { dev: number; ino: number; size: number }, o: FilePosition, head: string): boolean {
  if (o.offset === 0) return false;
  if (o.dev === st.dev && o.ino === st.ino) return positionHolds(fd, st, o, head);
  return o.tail !== undefined && st.size >= o.offset && contentHolds(fd, o, head);
}

/**
 * Same first line and (when recorded) the same bytes before the offset; the file is at least pos.offset long.
 * `head`: the file's head fingerprint when the caller has read it already.
 */
function contentHolds(fd: number, pos: FilePosition, head?: string): boolean {
  if (pos.offset === 0) return true;
  // Earlier versions saved '' for a first line over 200 bytes (and no tail): that head matches any.
  const legacyBlank = pos.head === '' && pos.tail === undefined;
  if (!legacyBlank && (head ?? readHead(fd)) !== pos.head) return false;
  return pos.tail === undefined || tailMatches(tailBytes(fd, pos.offset), pos.tail);
}

/**
 * Receives each line as text[start, end) (without the newline or a CR before it). The text is the reader's
 * whole chunk: parsing in place costs no string per line.
 */
export type OnLine = (text: string, start: number, end: number) => void;

/**
 * Receives whole lines as bytes: buf[start, end) is one or more complete lines, each ending in a newline.
 * The scan parses these bytes directly (lib/scan-records.ts): decoding 100 MB of log into strings would cost
 * more than parsing it. The buffer is reused for the next chunk.
 */
export type OnChunk = (buf: Buffer, start: number, end: number) => void;

/**
 * Adapts a line callback to chunks. Pure-ASCII chunks (nearly every log) decode as latin1, a plain byte
 * copy that is faster than UTF-8 decoding and gives the same string; anything else decodes as UTF-8 (a
 * newline byte never occurs inside a UTF-8 sequence, so lines decode the same alone or in a chunk).
 */
export function linesOf(onLine: OnLine): OnChunk {
  return (buf, start, end) => {
    const bytes = buf.subarray(start, end);
    const text = bytes.toString(isAscii(bytes) ? 'latin1' : 'utf8');
    let pos = 0;
    while (pos < text.length) {
      let nl = text.indexOf('\n', pos);
      if (nl < 0) nl = text.length;
      let e = nl;
      if (e > pos && text.charCodeAt(e - 1) === 13) e--;
      if (e > pos) onLine(text, pos, e);
      pos = nl + 1;
    }
  };
}

/**
 * Hands file bytes [from, to) (whole lines) to another thread. Once the lines before `from` were handled,
 * finish() delivers that thread's results in order and returns the offset they reach (`to`, or less if the
 * thread failed: the reader reads on from there itself). Null: not now.
 */
export type Offload = (fd: number, from: number, to: number) => OffloadedRange | null;

export interface OffloadedRange {
  /** Delivers the other thread's results in order; returns the offset they reach. */
  finish: () => Promise<number>;
  /** Stops the other thread (this thread could not read up to the range) before the file is closed. */
  abort: () => Promise<void>;
}

/** Below this many unread bytes a second thread costs more to start than it saves. */
export const OFFLOAD_MIN_BYTES = 16 << 20;
/** How much of a log one round of offloading covers (see readFrom); AUTOBAN_OFFLOAD_WINDOW_MB changes it (tests). */
const OFFLOAD_WINDOW_BYTES = (Number(process.env.AUTOBAN_OFFLOAD_WINDOW_MB) || 128) * (1 << 20);
/** The share of a big read given to the other thread (this thread also counts all that both parse). */
const OFFLOAD_SHARE = 0.7;

/** Offset just after the first newline at or after `off` (searching 64 KiB), or -1. */
function lineStartAt(fd: number, off: number): number {
  const buf = Buffer.allocUnsafe(64 * 1024);
  const bytesRead = fs.readSync(fd, buf, 0, buf.length, off);
  const nl = buf.subarray(0, bytesRead).indexOf(10);
  return nl < 0 ? -1 : off + nl + 1;
}

/** Offset just after the last newline before `size` (searching 64 KiB back), or -1. */
function lineEndBefore(fd: number, size: number): number {
  const from = Math.max(0, size - 64 * 1024);
  const buf = Buffer.allocUnsafe(size - from);
  const bytesRead = fs.readSync(fd, buf, 0, buf.length, from);
  const nl = buf.subarray(0, bytesRead).lastIndexOf(10);
  return nl < 0 ? -1 : from + nl + 1;
}

/**
 * Reads complete lines of `file` from byte `start`; passes them to onChunk; returns the end offset. With
 * `offload`, a big unread part is split: this thread reads the first part while another records the rest,
 * whose results are then handled in order, so the outcome is the same as reading it all here.
 */
async function readFrom(fd: number, start: number, onChunk: OnChunk, onProgress?: (done: number) => void, offload?: Offload): Promise<{ offset: number; offloaded: number }> {
  let offloaded = 0;
  tierUpForLongRead(fs.fstatSync(fd).size - start);
  // Window by window, so that the other thread's results waiting for this one stay bounded (a few tens of
  // MB of records per window) however big the log.
  while (offload) {
    const size = fs.fstatSync(fd).size;
    if (size - start < OFFLOAD_MIN_BYTES) break;
    const windowEnd = Math.min(size, start + OFFLOAD_WINDOW_BYTES);
    const mid = lineStartAt(fd, start + Math.floor((windowEnd - start) * (1 - OFFLOAD_SHARE)));
    const end = lineEndBefore(fd, windowEnd);
    const other = mid > start && end > mid ? offload(fd, mid, end) : null;
    if (!other) break;
    let reached: number;
    try {
      reached = await readRange(fd, start, mid, onChunk, onProgress);
    } catch (e) {
      await other.abort();
      throw e;
    }
    // The first part ends exactly at `mid` unless a dropped monster line ran across it: then the other
    // thread's results do not follow on, and this thread reads on alone.
    if (reached !== mid) {
      await other.abort();
      start = reached;
      break;
    }
    start = await other.finish();
    offloaded += start - mid;
    onProgress?.(start);
    if (start < end) break; // the other thread stopped early: read on here
  }
  return { offset: await readRange(fd, start, Infinity, onChunk, onProgress), offloaded };
}

/**
 * Every this many chunks (about a quarter of a second of parsing) a long read lets the event loop run: the
 * state lock refreshes its mtime from a timer, and a read of gigabytes without a turn (a first run over a big
 * log of lines without times, or --from-start) would let the lock go stale and be taken over by the next run.
 */
export const YIELD_EVERY_CHUNKS = 32;

/** Reads complete lines from `start` up to `limit` (a line start) or the end of the file; returns where it stopped. */
async function readRange(fd: number, start: number, limit: number, onChunk: OnChunk, onProgress?: (done: number) => void): Promise<number> {
  let offset = start; // file offset of buf[0]
  let carry = 0; // bytes of an incomplete line kept at the start of buf
  let skipping = false;
  let buf = Buffer.allocUnsafe(CHUNK);
  for (let chunks = 1; ; chunks++) {
    if (chunks % YIELD_EVERY_CHUNKS === 0) await new Promise(setImmediate);
    if (buf.length - carry < CHUNK / 2) {
      // A very long line: grow (up to MAX_LINE) instead of splitting it.
      const bigger = Buffer.allocUnsafe(buf.length * 2);
      buf.copy(bigger, 0, 0, carry);
      buf = bigger;
    }
    const want = Math.min(buf.length - carry, limit - offset - carry);
    if (want <= 0) break;
    // A synchronous read: the chunk is parsed right after on this thread anyway, and a cron run's few reads
    // would otherwise each wait a turn of the event loop.
    const bytesRead = fs.readSync(fd, buf, carry, want, offset + carry);
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
    // The tail of a dropped monster line runs up to the first newline.
    const from = skipping ? buf.indexOf(10) + 1 : 0;
    skipping = false;
    if (last + 1 > from) onChunk(buf, from, last + 1);
    offset += last + 1;
    onProgress?.(offset);
    carry = end - (last + 1);
    if (carry) buf.copyWithin(0, last + 1, end);
  }
  return offset;
}

/**
 * How a rotated sibling is compressed, told by the extension logrotate gives it (`compressext`). gzip is read
 * with Node's zlib; the others by the standard decompressor, spawned only when such a file must be read.
 */
interface Codec {
  /** For messages ("not valid xz yet"). */
  name: string;
  ext: string;
  /** The decompressor and the Debian package that has it; none for gzip. */
  program?: string;
  pkg?: string;
  /**
   * Its exit status for a warning only, all data written. xz(1): "2 Something worth a warning occurred, but no
   * actual errors occurred"; decompressing standard input the one such warning is an integrity check type this
   * xz cannot verify (it decodes on, not verifying). Not damage. (bzip2's 2 is corrupt input.)
   */
  warningExit?: number;
}

const CODECS: Codec[] = [
  { name: 'gzip', ext: '.gz' },
  { name: 'xz', ext: '.xz', program: 'xz', pkg: 'xz-utils', warningExit: 2 },
  { name: 'zstd', ext: '.zst', program: 'zstd', pkg: 'zstd' },
  { name: 'bzip2', ext: '.bz2', program: 'bzip2', pkg: 'bzip2' },
];

/** A rotated sibling of the log: `log.1`, `log.2.gz`, `log-20261122`, `log-20261122.xz`. */
interface Rotated {
  file: string;
  /** Null: not compressed. */
  codec: Codec | null;
  st: fs.Stats;
  /** Orders files of equal time: `.N` → N; `-DATE` → minus the date (a later date is newer). */
  age: number;
}

const ROTATED_SUFFIX = new RegExp(`^(?:\\.(\\d{1,3})|-(\\d{8,10}))(${CODECS.map((c) => c.ext.replace('.', '\\.')).join('|')})?$`);

/**
 * Rotated siblings of `file`, oldest first: beside it, and in `olddir` (logrotate's: relative to the log's
 * directory unless absolute) when rotation moves them there.
 */
function rotatedSiblings(file: string, olddir?: string): Rotated[] {
  const here = path.dirname(file);
  const base = path.basename(file);
  const out: Rotated[] = [];
  for (const dir of olddir ? [here, path.resolve(here, olddir)] : [here]) {
    let names: string[] = [];
    try {
      names = fs.readdirSync(dir);
    } catch {
      continue; // an olddir not created yet
    }
    for (const n of names) {
      if (!n.startsWith(base) || (n === base && dir === here)) continue;
      const m = ROTATED_SUFFIX.exec(n.slice(base.length));
      if (!m) continue;
      let st: fs.Stats;
      try {
        st = fs.statSync(path.join(dir, n));
      } catch {
        continue; // removed while we looked
      }
      // A directory or a FIFO of such a name is no rotated log (and opening a FIFO would wait for a writer).
      const age = m[1] !== undefined ? Number(m[1]) : -Number(m[2]);
      if (st.isFile()) out.push({ file: path.join(dir, n), codec: CODECS.find((c) => c.ext === m[3]) ?? null, st, age });
    }
  }
  // Equal times (written within one tick of the kernel's clock): `.2.gz` is older than `.1`, an earlier date older.
  return out.sort((a, b) => a.st.mtimeMs - b.st.mtimeMs || b.age - a.age);
}

/** The compressed data is damaged or cut short (the bytes before the damage were delivered); the message says how, for the warning. */
class NotValid extends Error {}

/**
 * The decompressor a rotated file needs is not installed, or cannot run (`why`): nothing of it can be read. The
 * message says which, for the warning.
 */
class DecompressorMissing extends Error {
  constructor(
    readonly codec: Codec,
    why?: string,
  ) {
    super(why ?? `${codec.program} is not installed (install ${codec.pkg})`);
  }
}

/**
 * Exit statuses of a program that could not be run at all, not of the decompressor reading bad data: 126
 * (found but not executable) and 127 (not found), from a shell or a wrapper script in its place. xz, zstd and
 * bzip2 themselves exit 1 to 3 on damaged input.
 */
const EXEC_FAILED = [126, 127];

/**
 * The signal that ended the decompressor: its own (the OOM killer's SIGKILL, a SIGTERM at shutdown), or one a
 * shell or wrapper script in its place reports as exit status 128 + N. Null when it exited by itself.
 */
function killedBy(code: number | null, signal: NodeJS.Signals | null): string | null {
  if (signal) return signal;
  if (code === null || code <= 128 || code > 128 + 64) return null;
  const { signals } = (require('node:os') as typeof import('node:os')).constants;
  return Object.keys(signals).find((name) => signals[name as keyof typeof signals] === code - 128) ?? `signal ${code - 128}`;
}

/**
 * A rotated file cannot be opened or read (not a regular file, permission, an I/O error): like a damaged one,
 * warned about, and the scan goes on with the newer files.
 */
class CannotRead extends Error {}

/**
 * A rotated file changed under this read: renamed or removed by logrotate since it was listed (its name may
 * now be another file's, or it was compressed into a new one); or its decompressor was killed by a signal
 * midway; or it is not valid yet, written moments ago (still being compressed). Its unread lines still exist,
 * under a name the next listing finds: the caller must not save this read's position (see ReadResult.retry).
 */
class ReadAgain extends Error {
  constructor(
    message: string,
    /** What happened, short, for the warning when the scan gives up on the file ("xz was killed by SIGKILL"). */
    readonly brief: string,
  ) {
    super(message);
  }
}

/** A file system error as CannotRead, its message without the path (the warning names the file already). */
function cannotRead(file: string, e: unknown): CannotRead {
  return new CannotRead((e as Error).message.replace(` '${file}'`, ''));
}

/**
 * Opens rotated file `r` for reading: ReadAgain when it is gone or is no longer the file listed (same device and
 * inode), CannotRead when opening fails otherwise or it is not a regular file.
 */
function openRotated(r: Rotated): number {
  let fd: number;
  try {
    fd = fs.openSync(r.file, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new ReadAgain('removed or renamed since the scan listed it (logrotate running meanwhile?)', 'removed or renamed while being read');
    throw cannotRead(r.file, e);
  }
  const st = fs.fstatSync(fd);
  if (!st.isFile() || st.dev !== r.st.dev || st.ino !== r.st.ino) {
    fs.closeSync(fd);
    if (st.isFile()) throw new ReadAgain('renamed since the scan listed it, another file has its name now (logrotate running meanwhile?)', 'renamed while being read');
    throw new CannotRead('not a regular file');
  }
  return fd;
}

/**
 * The uncompressed bytes of a compressed file, streamed. Throws NotValid at damage (after the bytes before it),
 * DecompressorMissing when the program is not installed, ReadAgain when the file changed since it was listed or
 * the decompressor was killed by a signal, and CannotRead when it cannot be opened or read. Stopping early ends
 * the decompressor.
 */
async function* decompressed(r: Rotated, codec: Codec): AsyncGenerator<Buffer> {
  const file = r.file;
  // Opened here, not by the stream: a file gone since it was listed is a clear ReadAgain, not a stream error.
  const fd = openRotated(r);
  if (!codec.program) {
    // pipeline, not .pipe: .pipe does not pass on the file stream's errors (a read error would leave the
    // gunzip waiting forever, and the unhandled 'error' event would end the process).
    const stream = pipeline(fs.createReadStream('', { fd }), zlib.createGunzip(), () => undefined);
    try {
      for await (const chunk of stream) yield chunk as Buffer;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code?.startsWith('Z_')) throw new NotValid((e as Error).message);
      if ((e as NodeJS.ErrnoException).syscall) throw cannotRead(file, e);
      throw e;
    } finally {
      stream.destroy();
    }
    return;
  }
  // Loaded here: a cron run whose logs have no such rotated file to read never needs child_process.
  const { spawn } = require('node:child_process') as typeof import('node:child_process');
  // The file as standard input, an argument vector and no shell: a file name is never parsed by anyone.
  let child: ChildProcess;
  try {
    child = spawn(codec.program, ['-dc'], { stdio: [fd, 'pipe', 'pipe'] });
  } finally {
    fs.closeSync(fd); // the child has its own copy once spawn returns
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  exited.catch(() => undefined); // awaited below unless the reader stops early
  let stderr = '';
  const stdout = child.stdout as Readable;
  (child.stderr as Readable).on('data', (d: Buffer) => {
    if (stderr.length < 1000) stderr += d.toString();
  });
  let whole = false;
  try {
    for await (const chunk of stdout) yield chunk as Buffer;
    whole = true;
  } finally {
    if (!whole) {
      stdout.destroy();
      child.kill();
    }
  }
  let code: number | null;
  let signal: NodeJS.Signals | null;
  try {
    ({ code, signal } = await exited);
  } catch (e) {
    const errno = (e as NodeJS.ErrnoException).code;
    if (errno === 'ENOENT') throw new DecompressorMissing(codec);
    // Found on PATH but not runnable (EACCES: not executable, ENOEXEC: not a program): like a missing one, not
    // damage, and not a crash of the scan.
    if (errno) throw new DecompressorMissing(codec, `${codec.program} cannot be run (${errno}; reinstall ${codec.pkg})`);
    throw e;
  }
  // Killed, it stopped wherever it was: that says nothing about the file, which the next run reads again.
  const killer = killedBy(code, signal);
  if (killer) throw new ReadAgain(`${codec.program} was killed by ${killer} while decompressing it (out of memory?), which says nothing about the file`, `${codec.program} was killed by ${killer}`);
  if (code !== null && EXEC_FAILED.includes(code)) {
    const said = stderr.trim().split('\n')[0];
    throw new DecompressorMissing(codec, `${codec.program} cannot be run (exit status ${code}${said ? `: ${said}` : ''}; reinstall ${codec.pkg})`);
  }
  // `||`: split() of an empty stderr gives '', never undefined, and the warning must still say why.
  if (code !== 0 && code !== codec.warningExit) throw new NotValid(stderr.trim().split('\n')[0] || `${codec.program} exited with ${code}`);
}

/** A rotated compressed file modified more recently than this is taken to be still being written, not damaged. */
const COMPRESSED_SETTLE_MS = 60_000;

/**
 * For compressed file `file` found not valid: a ReadAgain when it was written moments ago, more likely still
 * being compressed by logrotate than damaged (its lines are read at the next run); null when it is damage.
 */
function notValidYet(file: string, codec: Codec): ReadAgain | null {
  let mtimeMs: number;
  try {
    mtimeMs = fs.statSync(file).mtimeMs;
  } catch {
    return new ReadAgain('removed or renamed while the scan read it (logrotate running meanwhile?)', 'removed or renamed while being read');
  }
  const ageMs = Date.now() - mtimeMs;
  return ageMs < COMPRESSED_SETTLE_MS ? new ReadAgain(`not valid ${codec.name} yet (written ${Math.round(ageMs / 1000)}s ago, still being compressed?)`, `not valid ${codec.name}`) : null;
}

/**
 * Of a compressed file: the head fingerprint, and the tail fingerprint at `offset` (uncompressed), decompressing
 * no further than needed; null when it cannot be read or is shorter than `offset`. ReadAgain when it is not
 * valid and was written moments ago: cut short by a compression still running, it may hold the position yet.
 */
async function compressedFingerprints(r: Rotated, codec: Codec, offset: number): Promise<{ head: string; tail: Buffer } | null> {
  const from = Math.max(0, offset - TAIL_BYTES);
  let head: string | null = null;
  let first = Buffer.alloc(0);
  const tail: Buffer[] = [];
  let at = 0; // uncompressed bytes seen
  try {
    for await (const chunk of decompressed(r, codec)) {
      if (head === null) {
        first = Buffer.concat([first, chunk.subarray(0, HEAD_BYTES)]);
        if (first.length >= HEAD_BYTES || first.indexOf(10) >= 0) head = headOf(first, first.length);
      }
      const lo = Math.max(from, at);
      const hi = Math.min(offset, at + chunk.length);
      if (hi > lo) tail.push(chunk.subarray(lo - at, hi - at));
      at += chunk.length;
      if (at >= offset && head !== null) break;
    }
  } catch (e) {
    if (e instanceof DecompressorMissing || e instanceof CannotRead || e instanceof ReadAgain) throw e;
    // Else "does not hold the position": the live log would be read from its start, this file's unread lines lost.
    if (e instanceof NotValid) {
      const wait = notValidYet(r.file, codec);
      if (wait) throw wait;
    }
    return null;
  }
  if (at < offset) return null;
  return { head: head ?? headOf(first, first.length), tail: Buffer.concat(tail) };
}

/**
 * Streams complete lines of a compressed file from uncompressed byte `start`. Null when it was read whole; else it
 * is damaged or cut short (disk full while compressing), and the answer says how (the decompressor's
 * message): the lines before the damage were delivered, and a scan goes on with
 * the newer files rather than fail on this one at every run. ReadAgain when it is not valid but was written in
 * the last COMPRESSED_SETTLE_MS.
 */
async function readCompressedFrom(r: Rotated, codec: Codec, start: number, onChunk: OnChunk): Promise<string | null> {
  const file = r.file;
  let skip = start;
  let carry: Buffer = Buffer.alloc(0);
  try {
    for await (const raw of decompressed(r, codec)) {
      let chunk = raw;
      if (skip > 0) {
        if (chunk.length <= skip) {
          skip -= chunk.length;
          continue;
        }
        chunk = chunk.subarray(skip);
        skip = 0;
      }
      const buf = carry.length ? Buffer.concat([carry, chunk]) : chunk;
      const last = buf.lastIndexOf(10);
      if (last < 0) {
        carry = buf.length > MAX_LINE ? Buffer.alloc(0) : buf;
        continue;
      }
      onChunk(buf, 0, last + 1);
      carry = Buffer.from(buf.subarray(last + 1));
    }
  } catch (e) {
    if (!(e instanceof NotValid)) throw e;
    // Written moments ago: read it again at the next run (this source's positions are not saved); the bans
    // from every other line are still written.
    const wait = notValidYet(file, codec);
    if (wait) throw wait;
    return e.message;
  }
  return null;
}

/**
 * A rotated file that could not be read (see ReadResult.unreadable): its decompressor is not installed, or the
 * file cannot be opened or read; or, with `retry`, it changed under this read (see ReadResult.retry).
 */
export interface Unreadable {
  file: string;
  /** The decompressor, when it is what failed: one warning for every file that needs it. */
  program?: string;
  /** What went wrong, for the warning after the file name: "cannot decompress it, xz is not installed (install xz-utils)". */
  why: string;
  /** Not lost: the next run, not saving this read's position, reads it again. */
  retry?: boolean;
}

/** A rotated file to be read again at the next run (see ReadResult.retry), and which file it is (as listed). */
export interface Retry extends Unreadable {
  retry: true;
  dev: number;
  ino: number;
  /** What happened, short (see ReadAgain.brief). */
  brief: string;
}

/**
 * Runs `fn` on rotated file `r` unless it, or the decompressor it needs, was already found unreadable in this
 * read. Records that once (one warning, not one per generation or per look) and answers `dflt` instead.
 */
async function unlessMissing<T>(r: Rotated, missing: Unreadable[], dflt: T, fn: () => Promise<T>): Promise<T> {
  if (missing.some((m) => m.file === r.file || (m.program !== undefined && m.program === r.codec?.program))) return dflt;
  try {
    return await fn();
  } catch (e) {
    if (e instanceof DecompressorMissing) missing.push({ file: r.file, program: e.codec.program, why: `cannot decompress it, ${e.message}` });
    else if (e instanceof CannotRead) missing.push({ file: r.file, why: `cannot read it (${e.message})` });
    else if (e instanceof ReadAgain) {
      const again: Retry = { file: r.file, why: e.message, retry: true, dev: r.st.dev, ino: r.st.ino, brief: e.brief };
      missing.push(again);
    } else throw e;
    return dflt;
  }
}

/**
 * Does rotated file `r` hold the data our position points into? The same inode (renamed), or a copy
 * (copytruncate, compression) recognised by its first line and the bytes before the offset; a position at 0
 * says nothing about content, so only the same inode holds it.
 */
async function holdsPosition(r: Rotated, pos: FilePosition, missing: Unreadable[]): Promise<boolean> {
  const codec = r.codec;
  if (!codec && r.st.dev === pos.dev && r.st.ino === pos.ino) return withFd(r, missing, (fd) => positionHolds(fd, r.st, pos));
  if (pos.offset === 0 || (!pos.head && pos.tail === undefined)) return false;
  if (codec) {
    return unlessMissing(r, missing, false, async () => {
      const fp = await compressedFingerprints(r, codec, pos.offset);
      return !!fp && fp.head === pos.head && (pos.tail === undefined || tailMatches(fp.tail, pos.tail));
    });
  }
  if (r.st.size < pos.offset) return false;
  return withFd(r, missing, (fd) => contentHolds(fd, pos));
}

/** Runs `fn` on uncompressed rotated file `r` opened (false when it cannot be: recorded in `missing`). */
function withFd(r: Rotated, missing: Unreadable[], fn: (fd: number) => boolean): Promise<boolean> {
  return unlessMissing(r, missing, false, async () => {
    const fd = openRotated(r);
    try {
      return fn(fd);
    } finally {
      fs.closeSync(fd);
    }
  });
}

/**
 * Reads rotated file `r` from `start`. `damage`: a damaged compressed file, read up to the damage, and how (see
 * readCompressedFrom); `read` false: its decompressor is missing or it cannot be read (recorded in `missing`); `reached`: for an
 * uncompressed file, where reading stopped.
 */
async function readWhole(r: Rotated, start: number, onChunk: OnChunk, missing: Unreadable[]): Promise<{ damage?: string | null; read: boolean; reached?: FilePosition }> {
  const codec = r.codec;
  if (codec) return unlessMissing<{ damage?: string | null; read: boolean }>(r, missing, { read: false }, async () => ({ damage: await readCompressedFrom(r, codec, start, onChunk), read: true }));
  return unlessMissing<{ read: boolean; reached?: FilePosition }>(r, missing, { read: false }, async () => {
    const fd = openRotated(r);
    try {
      const { offset } = await readFrom(fd, start, onChunk);
      return { read: true, reached: { dev: r.st.dev, ino: r.st.ino, offset, head: readHead(fd), tail: tailAt(fd, offset) } };
    } finally {
      fs.closeSync(fd);
    }
  });
}

/** The rotated files of `list` modified after `ms` (see FilePosition.emptyAt), in the same order. */
const modifiedAfter = (list: Rotated[], ms: number): Rotated[] => list.filter((r) => r.st.mtimeMs > ms);

/** True when a log whose position is `pos` has a rotated sibling with lines not read yet (see FilePosition.emptyAt). */
export const rotatedSinceEmpty = (file: string, pos: FilePosition, olddir?: string): boolean =>
  pos.offset === 0 && pos.emptyAt !== undefined && modifiedAfter(rotatedSiblings(file, olddir), pos.emptyAt).length > 0;

export interface ReadResult {
  position: FilePosition;
  /** Rotated files read (from our old position, then any newer generations) before the current one. */
  rotatedFrom?: string[];
  /** Rotated compressed files that are damaged or cut short: read only up to the damage; `why` is the decompressor's message. */
  damaged?: { file: string; why: string }[];
  /** Rotated files needed but not read: their decompressor is not installed (one per program), or they cannot be opened or read. */
  unreadable?: Unreadable[];
  /**
   * Rotated files that changed under this read (see ReadAgain), their unread lines not lost but not read: the
   * position returned must not be saved, so that the next run, listing them anew, reads from the same place.
   */
  retry?: Retry[];
  /** Why reading started over at 0 (truncated, replaced), for the log. */
  restarted?: string;
  /** Where a first run started reading (seek by timestamp), when not at 0. */
  seekedTo?: number;
  /** Bytes whose lines a second thread recorded (see Offload). */
  offloaded?: number;
  /** Reading went on from another path's position: this file is that log, renamed or copied by rotation. */
  adopted?: boolean;
  /**
   * Reading went on from this path's own position in a file of another inode (or device) holding the same
   * bytes up to it: the log copied or restored in place (moved to another disk, rsync, `sed -i`).
   */
  sameContent?: boolean;
}

export interface ReadOptions {
  /** First run on a big log: skip to the first line at or after this time (epoch ms) … */
  notBeforeMs?: number;
  /** … using this to read a line's time (NaN when it has none: then no seek). */
  lineTime?: (line: string) => number;
  /** Called now and then with bytes read and total, for a progress bar. */
  onProgress?: (done: number, total: number) => void;
  /** Lets another thread take part of a big read (see Offload). */
  offload?: Offload;
  /** Positions saved for other paths of the same directory, as they were before this scan (see readNewLines). */
  others?: FilePosition[];
  /** Where rotated files are moved to, when not beside the log (logrotate's olddir; see rotatedSiblings). */
  olddir?: string;
  /**
   * Called before any line is handed on when the read starts as a first run does: no `pos`, and no other path's
   * position holds the file. Its lines may then have been read before, under a position since lost.
   */
  onFirstRead?: () => void;
}

/** Logs smaller than this are simply read from the start on a first run. */
const SEEK_MIN_BYTES = 16 << 20;

/**
 * Binary search for the first line whose time is >= notBeforeMs (logs are written in time order).
 * Returns a line-start offset, or 0 when lines carry no time.
 */
function seekByTime(fd: number, size: number, notBeforeMs: number, lineTime: (line: string) => number): number {
  const buf = Buffer.alloc(64 * 1024);
  /** Time of the first complete line starting after `off`, and where it starts. */
  const probe = (off: number): { t: number; at: number } | null => {
    const n = fs.readSync(fd, buf, 0, buf.length, off);
    const nl = off === 0 ? -1 : buf.subarray(0, n).indexOf(10);
    if (off !== 0 && nl < 0) return null;
    const startAt = nl + 1;
    const end = buf.subarray(startAt, n).indexOf(10);
    if (end < 0) return null;
    return { t: lineTime(buf.toString('utf8', startAt, startAt + end)), at: off + startAt };
  };
  const first = probe(0);
  if (!first || Number.isNaN(first.t)) return 0;
  if (first.t >= notBeforeMs) return 0;
  let lo = 0;
  let hi = size;
  let best = 0;
  while (hi - lo > buf.length) {
    const mid = Math.floor((lo + hi) / 2);
    const p = probe(mid);
    // A line without a time (or a monster line) in the way: start where every needed line is still ahead.
    if (!p || Number.isNaN(p.t)) return probe(lo)?.at ?? 0;
    if (p.t < notBeforeMs) lo = mid;
    else {
      hi = mid;
      best = p.at;
    }
  }
  // Land on a line start at or before the first line we need (lines in between are read and are harmless).
  const p = probe(lo);
  return p ? p.at : best;
}

/**
 * Reads new lines of `file` since `pos`. Returns the position to save once the bans from these lines are
 * written, or null when the file does not exist. A path that is no readable regular file (a directory, a
 * FIFO) throws NotALogFile (lib/log-file.ts).
 *
 * Where reading starts: at `pos` while the file still holds it; else where another path's position points
 * into this file (`opts.others`: a log renamed or copied under a name of its own by rotation, `a.log` →
 * `a.1.log`); else, if a rotated sibling (`file.1`, `file.2.gz`, `file-20261122`) holds `pos`, after reading
 * that sibling's rest and any newer generations; else from the start (or, on a first run over a big log, at
 * the first line recent enough to matter).
 */
export async function readNewLines(file: string, pos: FilePosition | undefined, onChunk: OnChunk, opts: ReadOptions = {}): Promise<ReadResult | null> {
  // Before the open: a rotated file modified after this was written to after this read began (FilePosition.emptyAt).
  // The real clock, not the injected one: it is compared with file modification times, which the kernel sets.
  const startedAt = Date.now();
  // Synchronous open and close: fs.promises alone costs a cron run several ms of module loading.
  const opened = openLog(file);
  if (!opened) return null;
  const { fd, st } = opened;
  try {
    const head = readHead(fd);
    let start = 0;
    const result: ReadResult = { position: { dev: st.dev, ino: st.ino, offset: 0, head } };
    const own = pos !== undefined && positionHolds(fd, st, pos, head);
    const adopted = own ? undefined : (opts.others ?? []).find((o) => holdsOther(fd, st, o, head));
    /** Rotated files to read before this one, oldest first, the first of them from `from`. */
    let rotated: { list: Rotated[]; from: number } | null = null;
    const wasEmpty = pos !== undefined && pos.offset === 0 && pos.emptyAt !== undefined;
    const missing: Unreadable[] = [];
    if (own) {
      start = (pos as FilePosition).offset;
      // Empty at the last run, then written to and rotated by copytruncate: those lines are in the copy.
      if (wasEmpty) rotated = { list: modifiedAfter(rotatedSiblings(file, opts.olddir), pos.emptyAt as number), from: 0 };
    } else if (adopted) {
      start = adopted.offset;
      result.adopted = true;
    } else if (pos) {
      if (pos.dev === st.dev && pos.ino === st.ino) result.restarted = st.size < pos.offset ? 'file was truncated' : 'file was replaced';
      // Lines written between our last run and the rotation are at the end of the rotated file; if the
      // log rotated more than once, the newer generations follow it. Read them in order, then the new file.
      const siblings = rotatedSiblings(file, opts.olddir);
      let idx = -1;
      for (let i = siblings.length - 1; i >= 0; i--) {
        if (await holdsPosition(siblings[i] as Rotated, pos, missing)) {
          idx = i;
          break;
        }
      }
      // Empty at the last run and rotated since: the file before it (FilePosition.prev) may have had lines
      // added by a logger that still had it open, and been renamed again (auth.log.1 → auth.log.2.gz) before
      // this run. Older siblings written to after emptyAt go first; prev tells how far each was read.
      if (idx >= 0) rotated = { list: [...(wasEmpty ? modifiedAfter(siblings.slice(0, idx), pos.emptyAt as number) : []), ...siblings.slice(idx)], from: pos.offset };
      // Empty at the last run, then written to and rotated with immediate compression: no inode to follow.
      else if (wasEmpty) rotated = { list: modifiedAfter(siblings, pos.emptyAt as number), from: 0 };
      // No rotated file holds the position, but this one does by content (first line and the bytes before the
      // offset): the same log under a new inode. Reading it from the start would count every line again. Only for
      // a log whose lines carry their time: 256 equal bytes of timestamped lines are the same lines; those of sshd
      // -E (no time, every file starting "Server listening on …") can repeat in a different log.
      else if (pos.tail !== undefined && pos.offset > 0 && st.size >= pos.offset && TIMESTAMPED.test(head) && contentHolds(fd, pos, head)) {
        start = pos.offset;
        result.sameContent = true;
      }
    } else {
      opts.onFirstRead?.();
      if (opts.notBeforeMs !== undefined && opts.lineTime && st.size >= SEEK_MIN_BYTES) {
        start = seekByTime(fd, st.size, opts.notBeforeMs, opts.lineTime);
        if (start > 0) result.seekedTo = start;
      }
    }
    let prev = pos?.prev;
    let newestRead = 0;
    if (rotated && rotated.list.length > 0) {
      result.rotatedFrom = [];
      // Parts already read: under its own name (a glob `auth.log*` named it while the live log was missing),
      // or before a logger that still had it open wrote more (FilePosition.prev).
      const known = [...(opts.others ?? []), ...(prev ? [prev] : [])];
      for (const [i, r] of rotated.list.entries()) {
        let from = i === 0 ? rotated.from : 0;
        for (const o of known) if (o.offset > from && (await holdsPosition(r, o, missing))) from = o.offset;
        const { damage, read, reached } = await readWhole(r, from, onChunk, missing);
        if (typeof damage === 'string') (result.damaged ??= []).push({ file: r.file, why: damage });
        if (reached) prev = reached;
        newestRead = Math.max(newestRead, r.st.mtimeMs);
        if (read) result.rotatedFrom.push(r.file);
      }
      if (result.rotatedFrom.length === 0) result.rotatedFrom = undefined;
      result.restarted = undefined;
    }
    const unreadable = missing.filter((m) => !m.retry);
    if (unreadable.length > 0) result.unreadable = unreadable;
    if (unreadable.length < missing.length) result.retry = missing.filter((m): m is Retry => !!m.retry);
    const read = await readFrom(fd, start, onChunk, opts.onProgress && ((done) => opts.onProgress?.(done, st.size)), opts.offload);
    result.position.offset = read.offset;
    result.position.tail = tailAt(fd, read.offset);
    if (read.offset === 0) {
      // Never earlier than before, nor than a rotated file just read: a clock set back must not make
      // files already read look newer than this position.
      result.position.emptyAt = Math.max(startedAt, newestRead, pos?.emptyAt ?? 0);
      if (prev) result.position.prev = { dev: prev.dev, ino: prev.ino, offset: prev.offset, head: prev.head, tail: prev.tail };
    }
    if (read.offloaded) result.offloaded = read.offloaded;
    return result;
  } finally {
    fs.closeSync(fd);
  }
}
