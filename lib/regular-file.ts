/**
 * Opening a file a user may have pointed anywhere (a log, the whitelist, the deny file, the config file, a
 * state file) without hanging on it. A plain open of a FIFO waits for a writer forever: a cron run stuck with
 * the state lock held. Here the open does not block and anything but a regular file is refused by name.
 */
import * as fs from 'node:fs';

/** A path that exists but is no regular file (a directory, a FIFO, a socket, a device). `kind` says which. */
export class NotARegularFile extends Error {
  constructor(
    readonly file: string,
    readonly kind: string,
  ) {
    // Without the path: callers put the file in front ("cannot read whitelist /x: is a ...").
    super(`is ${kind}, not a regular file`);
    this.name = 'NotARegularFile';
  }
}

/** What a path that is not a regular file is, in words. */
export function kindOf(st: fs.Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a named pipe (FIFO)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  return 'not a regular file';
}

/**
 * Opens `file` read-only without blocking: its descriptor and stat. A path that is no regular file throws
 * NotARegularFile; other open failures (ENOENT, EACCES…) throw the fs error unchanged, so callers keep their
 * own handling of a missing or unreadable file.
 */
export function openRegularFile(file: string): { fd: number; st: fs.Stats } {
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO would otherwise wait for a writer. It changes nothing for a regular file.
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (e) {
    // ENXIO is what open(2) says of a socket: name it as such.
    if ((e as NodeJS.ErrnoException).code === 'ENXIO') {
      const st = fs.statSync(file, { throwIfNoEntry: false });
      if (st && !st.isFile()) throw new NotARegularFile(file, kindOf(st));
    }
    throw e;
  }
  const st = fs.fstatSync(fd);
  if (!st.isFile()) {
    fs.closeSync(fd);
    throw new NotARegularFile(file, kindOf(st));
  }
  return { fd, st };
}

/** fs.readFileSync for a file that must be a regular one: never blocks on a FIFO; throws as openRegularFile does. */
export function readRegularFile(file: string): Buffer;
export function readRegularFile(file: string, encoding: BufferEncoding): string;
export function readRegularFile(file: string, encoding?: BufferEncoding): string | Buffer {
  const { fd } = openRegularFile(file);
  try {
    return encoding ? fs.readFileSync(fd, encoding) : fs.readFileSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
