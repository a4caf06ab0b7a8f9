/**
 * Opening a configured log path, and why it is no log file when it is not one. Its own module: check-config
 * (lib/config.ts) says the same as scan without loading the reader.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

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

/**
 * What the file system's refusal of a log path means, in words: the one phrase scan, test and check-config
 * all use for it (`code` the errno name, `message` the error's own text for the codes not named here).
 */
export function pathErrorPhrase(code: string | undefined, message = 'unknown error'): string {
  switch (code) {
    case 'ENOENT':
      return 'does not exist';
    case 'ENOTDIR':
      return 'a part of its path is not a directory';
    case 'EACCES':
    case 'EPERM':
      return 'cannot read it: permission denied';
    case 'ELOOP':
      return 'too many levels of symbolic links in its path (a symlink loop?)';
    case 'ENAMETOOLONG':
      return 'its path or a part of it is too long';
    default:
      return `cannot open it: ${message}`;
  }
}

/** A configured log (a path or a glob) that names no file, as scan and check-config both say it. */
export function missingLogMessage(log: string): string {
  return /[*?]/.test(path.basename(log)) ? `no file matches ${log}` : `${log}: ${pathErrorPhrase('ENOENT')}`;
}

/** Why open(2) failed on an existing path, in words (`code` its errno name). */
function openProblem(file: string, e: NodeJS.ErrnoException): string {
  if (e.code === 'ENXIO') {
    // What open(2) says of a socket: name it as such.
    const st = fs.statSync(file, { throwIfNoEntry: false });
    if (st && !st.isFile()) return `is ${kindOf(st)}, not a log file`;
  }
  return pathErrorPhrase(e.code, e.message);
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

/** Why `file` cannot be scanned (see openLog), `missing` when it does not exist; null when it can be. */
export function logFileProblem(file: string): { why: string; missing: boolean } | null {
  try {
    const r = openLog(file);
    if (r) {
      fs.closeSync(r.fd);
      return null;
    }
    return { why: pathErrorPhrase('ENOENT'), missing: true };
  } catch (e) {
    if (e instanceof NotALogFile) return { why: e.why, missing: false };
    throw e;
  }
}
