/**
 * Opening a configured log path, and why it is no log file when it is not one. Its own module: check-config
 * (lib/config.ts) says the same as scan without loading the reader.
 */
import * as fs from 'node:fs';

/** A log path that exists but is no readable regular file (a directory, a FIFO, a socket, permission denied). */
export class NotALogFile extends Error {
  constructor(
    readonly file: string,
    readonly why: string,
  ) {
    super(`${file}: ${why}`);
  }
}

/** What a path that is not a regular file is, in words. */
function kindOf(st: fs.Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a named pipe (FIFO)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  return 'not a regular file';
}

/** Why open(2) failed on an existing path, in words (`code` its errno name). */
function openProblem(file: string, e: NodeJS.ErrnoException): string {
  switch (e.code) {
    case 'EACCES':
    case 'EPERM':
      return 'cannot read it: permission denied';
    case 'ENOTDIR':
      return 'a part of its path is not a directory';
    case 'ENXIO': {
      // What open(2) says of a socket: name it as such.
      const st = fs.statSync(file, { throwIfNoEntry: false });
      if (st && !st.isFile()) return `is ${kindOf(st)}, not a log file`;
      return `cannot open it: ${e.message}`;
    }
    default:
      return `cannot open it: ${e.message}`;
  }
}

/**
 * Opens a log for reading: its descriptor and stat, or null when it does not exist. Anything else that is not
 * a readable regular file throws NotALogFile: a directory failed on the first read (EISDIR), and a position
 * (inode and offset) means nothing for a pipe or a device.
 */
export function openLog(file: string): { fd: number; st: fs.Stats } | null {
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO would otherwise wait for a writer, a cron scan hanging with the state lock
    // held. It changes nothing for a regular file.
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new NotALogFile(file, openProblem(file, e as NodeJS.ErrnoException));
  }
  const st = fs.fstatSync(fd);
  if (!st.isFile()) {
    fs.closeSync(fd);
    throw new NotALogFile(file, `is ${kindOf(st)}, not a log file`);
  }
  return { fd, st };
}

/** Why `file` cannot be scanned (see openLog), or null when it can or does not exist. */
export function logFileProblem(file: string): string | null {
  try {
    const r = openLog(file);
    if (r) fs.closeSync(r.fd);
    return null;
  } catch (e) {
    if (e instanceof NotALogFile) return e.why;
    throw e;
  }
}
