/**
 * ObjectStore on a directory shared by the nodes (NFS/SMB mount of a NAS).
 * Writes go to a temp file in the same directory, are fsynced and renamed over the target, so a reader on
 * another node sees the old file or the new one, never half of one. Each node writes only its own files
 * (nodes/<node_id>.json) plus the merged hosts.deny, so renames never race on the node documents.
 */
import { randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { MAX_OBJECT_BYTES, type ObjectStore, type OpOptions, StoreError, withTimeout } from './object-store';

/** Temp files start with a dot and end in .tmp; list() never returns them. */
const TEMP_RE = /^\..*\.tmp$/;

/**
 * A hung NFS server blocks the file system call itself, and with it one of libuv's four worker threads,
 * which the state lock also needs. So: one operation at a time, a key whose read is stuck is not read again
 * until that read returns, and once two operations are stuck the share is treated as unreachable.
 */
const MAX_STUCK = 2;

function classify(err: unknown, what: string): StoreError {
  if (err instanceof StoreError) return err;
  const e = err as NodeJS.ErrnoException;
  const code = e?.code ?? '';
  if (code === 'EACCES' || code === 'EPERM') return new StoreError('fatal', `${what}: permission denied`);
  if (code === 'EROFS') return new StoreError('fatal', `${what}: read-only file system`);
  if (code === 'ENOSPC' || code === 'EDQUOT') return new StoreError('fatal', `${what}: no space left on the shared directory`);
  if (code === 'ENOTDIR' || code === 'EISDIR') return new StoreError('fatal', `${what}: not a regular file (${code})`);
  // EIO, ESTALE (NFS file handle replaced under us), EAGAIN, ETIMEDOUT...: try again.
  return new StoreError('transient', `${what}: ${code || e?.message || String(err)}`);
}

export class DirObjectStore implements ObjectStore {
  private readonly stuck = new Set<string>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly root: string,
    private readonly maxBytes: number = MAX_OBJECT_BYTES,
    /** Seam for tests that need a file system call which never returns (a hung NFS server). */
    private readonly openFile: (file: string, flags: number) => Promise<fsp.FileHandle> = (f, fl) => fsp.open(f, fl),
  ) {}

  describe(key: string): string {
    return path.join(this.root, key);
  }

  /** Refuses keys that could leave the shared directory. */
  private pathOf(key: string): string {
    const parts = key.split('/');
    if (!key || key.startsWith('/') || key.includes('\\') || key.includes('\0') || parts.some((p) => p === '' || p === '.' || p === '..')) {
      throw new StoreError('fatal', `invalid object name '${key}'`);
    }
    return path.join(this.root, ...parts);
  }

  /** The NAS not being mounted must read as "unreachable", not as "empty directory everybody agrees on". */
  private async checkRoot(): Promise<void> {
    let st;
    try {
      st = await fsp.stat(this.root);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new StoreError('fatal', `shared_dir ${this.root} does not exist (is the share mounted?)`);
      throw classify(e, `shared_dir ${this.root}`);
    }
    if (!st.isDirectory()) throw new StoreError('fatal', `shared_dir ${this.root} is not a directory`);
  }

  /** A symbolic link on the share (nodes -> /etc) must not make this node read or write outside shared_dir. */
  private async checkInside(dir: string): Promise<void> {
    let real: string;
    let root: string;
    try {
      [real, root] = await Promise.all([fsp.realpath(dir), fsp.realpath(this.root)]);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw classify(e, dir);
    }
    if (real !== root && !real.startsWith(root + path.sep)) throw new StoreError('fatal', `${dir}: a symbolic link leads out of shared_dir ${this.root} (to ${real}); refused`);
  }

  /** Runs `work` serialised, under the timeout, with the stuck-call bookkeeping described above. */
  private guarded<T>(id: string, what: string, timeoutMs: number, work: () => Promise<T>): Promise<T> {
    if (this.stuck.size >= MAX_STUCK) {
      return Promise.reject(new StoreError('fatal', `shared_dir ${this.root} is not responding (hung network mount?)`));
    }
    if (this.stuck.has(id)) return Promise.reject(new StoreError('timeout', `${what}: still waiting for an earlier attempt`));
    let timedOut = false;
    const started = this.queue.then(() => {
      // Waiting in the queue used up the time already: do not start a call nobody waits for.
      if (timedOut) throw new StoreError('timeout', `${what}: not started in time`);
      return work();
    });
    const settled = started.finally(() => {
      if (timedOut) this.stuck.delete(id);
    });
    // The next operation starts when this one settles or times out, whichever comes first.
    const slot = withTimeout(settled, timeoutMs, what, () => {
      timedOut = true;
      this.stuck.add(id);
    });
    this.queue = slot.catch(() => undefined);
    settled.catch(() => undefined);
    return slot;
  }

  async get(key: string, opts: OpOptions): Promise<Buffer | null> {
    const file = this.pathOf(key);
    return this.guarded(file, `reading ${file}`, opts.timeoutMs, () => this.read(file));
  }

  private async read(file: string): Promise<Buffer | null> {
    await this.checkRoot();
    await this.checkInside(path.dirname(file));
    let fh: fsp.FileHandle;
    try {
      // O_NONBLOCK: a FIFO planted on the share must not block this call (it is refused just below).
      // O_NOFOLLOW: a symbolic link planted as an object (nodes/x.json -> /etc/shadow) is refused, not read.
      fh = await this.openFile(file, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK | fsConstants.O_NOFOLLOW);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      if ((e as NodeJS.ErrnoException).code === 'ELOOP') throw new StoreError('refused', `${file}: a symbolic link, not a regular file`);
      throw classify(e, `reading ${file}`);
    }
    try {
      const st = await fh.stat();
      if (!st.isFile()) throw new StoreError('refused', `${file}: not a regular file`);
      if (st.size > this.maxBytes) throw new StoreError('refused', `${file}: ${st.size} bytes, more than the ${this.maxBytes} allowed`);
      // Read to EOF rather than trusting st.size: another node may be rewriting an old-style file in place.
      const chunks: Buffer[] = [];
      let total = 0;
      const buf = Buffer.alloc(64 * 1024);
      for (;;) {
        const { bytesRead } = await fh.read(buf, 0, buf.length, null);
        if (bytesRead === 0) break;
        total += bytesRead;
        if (total > this.maxBytes) throw new StoreError('refused', `${file}: more than the ${this.maxBytes} bytes allowed`);
        chunks.push(Buffer.from(buf.subarray(0, bytesRead)));
      }
      return Buffer.concat(chunks, total);
    } catch (e) {
      throw classify(e, `reading ${file}`);
    } finally {
      await fh.close().catch(() => undefined);
    }
  }

  async put(key: string, body: Buffer, opts: OpOptions): Promise<void> {
    const file = this.pathOf(key);
    return this.guarded(file, `writing ${file}`, opts.timeoutMs, () => this.write(file, body));
  }

  private async write(file: string, body: Buffer): Promise<void> {
    await this.checkRoot();
    const dir = path.dirname(file);
    const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      await fsp.mkdir(dir, { recursive: true, mode: 0o755 });
      await this.checkInside(dir);
      const fh = await fsp.open(tmp, 'wx', 0o644);
      try {
        await fh.writeFile(body);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await fsp.chmod(tmp, 0o644);
      await fsp.rename(tmp, file);
    } catch (e) {
      await fsp.unlink(tmp).catch(() => undefined);
      throw classify(e, `writing ${file}`);
    }
    // Make the rename itself durable; some network file systems refuse fsync on a directory, which is fine.
    try {
      const dh = await fsp.open(dir, 'r');
      await dh.sync().catch(() => undefined);
      await dh.close();
    } catch {
      /* best effort */
    }
  }

  async list(prefix: string, opts: OpOptions): Promise<string[]> {
    const dir = path.join(this.root, prefix);
    return this.guarded(`list:${dir}`, `listing ${dir}`, opts.timeoutMs, () => this.listDir(prefix));
  }

  private async listDir(prefix: string): Promise<string[]> {
    await this.checkRoot();
    const slash = prefix.lastIndexOf('/');
    const dirKey = slash < 0 ? '' : prefix.slice(0, slash);
    const namePrefix = prefix.slice(slash + 1);
    const dir = dirKey ? this.pathOf(dirKey) : this.root;
    await this.checkInside(dir);
    let names: string[];
    try {
      names = await fsp.readdir(dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw classify(e, `listing ${dir}`);
    }
    return names
      .filter((n) => n.startsWith(namePrefix) && !TEMP_RE.test(n))
      .map((n) => (dirKey ? `${dirKey}/${n}` : n))
      .sort();
  }

  close(): void {
    /* nothing held open */
  }
}
