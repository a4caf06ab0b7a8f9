/**
 * bans.journal: bans committed since bans.json was last written, one database line each (the exact text
 * bans.json would hold for the ban). A scan that bans a few addresses while the stamp is valid appends them
 * here instead of rewriting a database of tens of thousands of bans; every reader merges the two files
 * (lib/state.ts loadDb) and the next full commit folds the journal into bans.json and removes it.
 *
 * Crash safety: an append is one write() of complete lines followed by fdatasync, done before the deny file
 * and the stamp are touched. A crash during it leaves at most one incomplete last line, which a reader reports
 * (naming the file) and ignores: its ban was never reported, and because the journal no longer matches the
 * stamp the next run takes the full path and re-reads the log lines from the saved positions.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Ban } from './types';
import { decodeBanLine, encodeBanLine } from './ban-codec';
import { writeError } from './errors';
import { syncDir } from './atomic-write';
import { readTextOrNull } from './json-file';

export const journalFile = (stateDir: string) => path.join(stateDir, 'bans.journal');

export interface JournalRead {
  bans: Ban[];
  /** One-line reasons, naming the file, for entries that were ignored. */
  errors: string[];
}

/** Reads the journal; null when there is none. Damaged or incomplete lines are reported and skipped. */
export function readJournal(file: string): JournalRead | null {
  const text = readTextOrNull(file);
  if (text === null) return null;
  const bans: Ban[] = [];
  const errors: string[] = [];
  let pos = 0;
  let n = 0;
  while (pos < text.length) {
    n++;
    const nl = text.indexOf('\n', pos);
    if (nl < 0) {
      errors.push(`${file}: line ${n} is incomplete (a write was interrupted); entry ignored`);
      break;
    }
    const line = text.slice(pos, nl);
    pos = nl + 1;
    const r = decodeBanLine(line);
    if (typeof r === 'string') errors.push(`${file}: line ${n} is damaged (${r}); entry ignored`);
    else bans.push(r);
  }
  return { bans, errors };
}

/**
 * Appends bans as complete lines in one write and makes them durable (fdatasync; the directory too when the
 * journal is new). On failure the file is cut back to its old length, so no half line stays behind.
 */
export function appendJournal(file: string, bans: readonly Ban[]): void {
  if (bans.length === 0) return;
  let text = '';
  for (const b of bans) text += `${encodeBanLine(b)}\n`;
  const data = Buffer.from(text);
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT, 0o600);
  } catch (e) {
    throw writeError(file, e);
  }
  let size = 0;
  try {
    size = fs.fstatSync(fd).size;
    let done = 0;
    while (done < data.length) done += fs.writeSync(fd, data, done, data.length - done);
    fs.fdatasyncSync(fd);
  } catch (e) {
    try {
      fs.ftruncateSync(fd, size);
    } catch {
      // The stamp no longer matches the journal either way: the next run takes the full path.
    }
    fs.closeSync(fd);
    throw writeError(file, e);
  }
  fs.closeSync(fd);
  if (size === 0) syncDir(path.dirname(file));
}

/** Removes the journal once bans.json holds its entries (a full commit); durable before the lock is released. */
export function removeJournal(file: string): void {
  try {
    fs.unlinkSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw writeError(file, e);
  }
  syncDir(path.dirname(file));
}
