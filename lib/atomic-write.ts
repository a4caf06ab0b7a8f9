/**
 * Writing files so that a reader never sees half of one: temp file in the same directory, fsync, rename.
 * When the target is a single bind-mounted file (Docker `-v /srv/hosts.deny:/etc/hosts.deny`), rename over
 * it fails with EBUSY; then the content is written in place in one write() and truncated, which keeps the
 * inode the container sees.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeError } from './errors';

export interface WriteOptions {
  mode: number;
  /** Keep the owner and group of the file being replaced (root rewriting a file owned by someone else). */
  keepOwner?: boolean;
  /** The caller knows the content differs (new lines, a new commit time): skip reading the old file to compare. */
  changed?: boolean;
  /**
   * false: skip the fsyncs. Only for files whose loss or tearing in a crash costs time, never data (the stamp:
   * a torn or old one fails its own checks, and the run takes the full path).
   */
  durable?: boolean;
}

/**
 * Writes `content` to `file` atomically; returns false (and writes nothing) when the content is unchanged.
 * A list of buffers is written as their concatenation, without making it: the short path's deny file and
 * stamp are slices of the old file with a few new lines between them (lib/sorted-splice.ts), and copying
 * hundreds of kilobytes into fresh memory cost a cron run several milliseconds.
 */
export function writeFileAtomic(file: string, content: string | Buffer | readonly Buffer[], opts: WriteOptions): boolean {
  const data: readonly Buffer[] = typeof content === 'string' ? [Buffer.from(content)] : Buffer.isBuffer(content) ? [content] : content;
  let old: fs.Stats | null = null;
  try {
    old = fs.statSync(file);
    if (!opts.changed && old.size === bytesOf(data) && fs.readFileSync(file).equals(data.length === 1 ? (data[0] as Buffer) : Buffer.concat(data))) return false;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw writeError(file, e);
  }
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    const fd = fs.openSync(tmp, 'w', opts.mode);
    try {
      writeAll(fd, data, null);
      fs.fchmodSync(fd, opts.mode);
      if (opts.keepOwner && old && process.getuid?.() === 0) fs.fchownSync(fd, old.uid, old.gid);
      if (opts.durable !== false) fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw writeError(file, e);
  }
  try {
    fs.renameSync(tmp, file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    fs.rmSync(tmp, { force: true });
    if (old && (code === 'EBUSY' || code === 'EXDEV' || code === 'EPERM')) {
      writeInPlace(file, data, opts.mode);
      return true;
    }
    throw writeError(file, e);
  }
  if (opts.durable !== false) syncDir(dir);
  return true;
}

/** Rewrites an existing file's content in place (bind-mounted single files). Caller holds the lock. */
function writeInPlace(file: string, data: readonly Buffer[], mode: number): void {
  try {
    const fd = fs.openSync(file, 'r+');
    try {
      writeAll(fd, data, 0);
      fs.ftruncateSync(fd, bytesOf(data));
      fs.fchmodSync(fd, mode);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch (e) {
    throw writeError(file, e);
  }
}

/** Total bytes of a list of buffers. */
export const bytesOf = (data: readonly Buffer[]): number => data.reduce((n, b) => n + b.length, 0);

/** Writes all of `data` at `position` (null: the file's offset), going on after a short write. */
function writeAll(fd: number, data: readonly Buffer[], position: number | null): void {
  let bufs = data.filter((b) => b.length > 0);
  let pos = position;
  while (bufs.length) {
    // writev takes at most IOV_MAX (1024) pieces at a time.
    let n = bufs.length === 1 ? fs.writeSync(fd, bufs[0] as Buffer, 0, (bufs[0] as Buffer).length, pos) : fs.writevSync(fd, bufs.slice(0, 1024), pos ?? undefined);
    if (pos !== null) pos += n;
    let i = 0;
    while (i < bufs.length && n >= (bufs[i] as Buffer).length) n -= (bufs[i++] as Buffer).length;
    bufs = bufs.slice(i);
    if (n > 0) bufs[0] = (bufs[0] as Buffer).subarray(n);
  }
}

/** Makes a rename or a new file in `dir` durable (where the file system allows fsync on directories). */
export function syncDir(dir: string): void {
  try {
    const fd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // Some file systems do not allow fsync on directories; the rename itself is still atomic.
  }
}
