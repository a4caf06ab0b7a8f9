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

/** Writes `content` to `file` atomically; returns false (and writes nothing) when the content is unchanged. */
export function writeFileAtomic(file: string, content: string | Buffer, opts: WriteOptions): boolean {
  const data = typeof content === 'string' ? Buffer.from(content) : content;
  let old: fs.Stats | null = null;
  try {
    old = fs.statSync(file);
    if (!opts.changed && old.size === data.length && fs.readFileSync(file).equals(data)) return false;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw writeError(file, e);
  }
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    const fd = fs.openSync(tmp, 'w', opts.mode);
    try {
      fs.writeSync(fd, data);
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
function writeInPlace(file: string, data: Buffer, mode: number): void {
  try {
    const fd = fs.openSync(file, 'r+');
    try {
      fs.writeSync(fd, data, 0, data.length, 0);
      fs.ftruncateSync(fd, data.length);
      fs.fchmodSync(fd, mode);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch (e) {
    throw writeError(file, e);
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
