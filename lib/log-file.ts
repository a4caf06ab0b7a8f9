/**
 * Opening a configured log path, and why it is no log file when it is not one. Its own module: check-config
 * (lib/config.ts) says the same as scan without loading the reader.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { NotARegularFile, openRegularFile } from './regular-file';

/** A log path that exists but is no readable regular file (a directory, a FIFO, a socket, permission denied). */
export class NotALogFile extends Error {
  constructor(
    readonly file: string,
    readonly why: string,
  ) {
    super(`${file}: ${why}`);
  }
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

/**
 * Opens a log for reading: its descriptor and stat, or null when it does not exist. Anything else that is not
 * a readable regular file throws NotALogFile: a directory failed on the first read (EISDIR), a FIFO would hang
 * a cron scan with the state lock held, and a position (inode and offset) means nothing for a pipe or a device.
 */
export function openLog(file: string): { fd: number; st: fs.Stats } | null {
  try {
    return openRegularFile(file);
  } catch (e) {
    if (e instanceof NotARegularFile) throw new NotALogFile(file, `is ${e.kind}, not a log file`);
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new NotALogFile(file, pathErrorPhrase((e as NodeJS.ErrnoException).code, (e as Error).message));
  }
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
