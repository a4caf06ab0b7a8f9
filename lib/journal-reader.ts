/**
 * Reading the systemd journal through `journalctl -o json` (spawned with an argument vector, never a shell),
 * from a saved cursor. Each entry carries the fields journald itself adds about the sender (_COMM, _UID,
 * _SYSTEMD_UNIT; clients cannot set fields starting with "_"), never SYSLOG_IDENTIFIER, which
 * `logger -t sshd` sets. Whether they prove that sshd or ProFTPD wrote it is decided in lib/journal-trust.ts.
 */
import { spawn } from 'node:child_process';
import * as readline from 'node:readline';
import { AppError, ExitCode } from './errors';
import { type JournalMark, markOf, readBefore } from './journal-mark';

export type { JournalMark } from './journal-mark';

export interface JournalEntry {
  message: string;
  timeMs: number;
  /** _COMM: the sender's process name (any user can name a program sshd). */
  comm: string;
  pid: string;
  host: string;
  /** _UID: the sender's real uid from its socket credentials, '' when absent. */
  uid: string;
  /** _SYSTEMD_UNIT: the system unit whose cgroup the sender was in, '' when none. */
  unit: string;
}

export interface JournalOptions {
  /** journalctl matches, e.g. ["_COMM=sshd", "_COMM=sshd-session"] (same field = OR). */
  match: string[];
  /** Read this journal directory instead of the system journal (containers, tests). */
  directory?: string;
  /** Continue after this cursor. */
  cursor?: string;
  /**
   * Without a cursor: continue after this entry (the last one read before; see JournalMark): read from its second
   * (or sinceSec, whichever is later) and drop the entries at or before it.
   */
  after?: JournalMark;
  /** Without a cursor: start at this epoch second (only the rules' longest window matters). */
  sinceSec?: number;
  journalctl?: string;
}

/** Where a read ended: the last entry's cursor and mark; neither when it printed no entry (the caller keeps its own). */
export interface JournalEnd {
  cursor?: string;
  mark?: JournalMark;
}

/**
 * journalctl could not seek to the saved cursor (it is not a cursor at all: positions.json was damaged or
 * edited). Still exit 66 for a caller that does not handle it; the scan reads again after the saved JournalMark.
 */
export class JournalCursorError extends AppError {
  constructor(message: string) {
    super(ExitCode.NoInput, message);
    this.name = 'JournalCursorError';
  }
}

/** Decodes MESSAGE, which journald exports as an array of bytes when it is not valid UTF-8. */
function text(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && v.length <= 1 << 20 && v.every((b) => Number.isInteger(b))) return Buffer.from(v as number[]).toString('utf8');
  return null;
}

/** A journald field that must be one plain string ('' when absent): trusted fields are never repeated. */
function field(o: Record<string, unknown>, name: string): string {
  const v = o[name];
  return typeof v === 'string' ? v : '';
}

/**
 * Streams entries to `onEntry`; resolves with the cursor and mark of the last entry seen. Rejects with
 * JournalCursorError, before any entry, when journalctl refuses opts.cursor, and with an AppError (exit 66) when
 * it fails otherwise, is killed, or exits non-zero without a word: the caller must not save the cursor.
 */
export function readJournal(opts: JournalOptions, onEntry: (e: JournalEntry) => void): Promise<JournalEnd> {
  const args = ['-o', 'json', '--no-pager', '-q'];
  if (opts.directory) args.push('--directory', opts.directory);
  // --cursor, not --after-cursor: journalctl seeks to the saved entry, or to the next one when the saved entry
  // is gone (vacuumed, or a volatile journal after a reboot), and --after-cursor then skips one entry blindly,
  // losing a line. The saved entry itself is dropped below by its cursor.
  if (opts.cursor) args.push('--cursor', opts.cursor);
  else {
    // From the second of the last entry read (an entry of that second may follow it), unless that is older than sinceSec.
    const after = opts.after && Math.floor(opts.after.us / 1e6);
    const since = after === undefined ? opts.sinceSec : Math.max(after, opts.sinceSec ?? after);
    if (since !== undefined) args.push('--since', `@${Math.max(0, Math.floor(since))}`);
  }
  args.push(...opts.match);
  const cmd = opts.journalctl ?? 'journalctl';
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const end: JournalEnd = {};
    let first = true;
    let lines = 0;
    /** Lines that were journal entries (JSON), not a "-- No entries --" notice. */
    let entries = 0;
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      if (stderr.length < 4096) stderr += d.toString();
    });
    child.on('error', (e: NodeJS.ErrnoException) => {
      reject(new AppError(ExitCode.NoInput, e.code === 'ENOENT' ? `${cmd}: command not found (install systemd's journalctl, or read a log file instead)` : `${cmd}: ${e.message}`));
    });
    const rl = readline.createInterface({ input: child.stdout, crlfDelay: Infinity });
    rl.on('line', (line) => {
      lines++;
      let o: Record<string, unknown>;
      try {
        o = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return;
      }
      entries++;
      if (typeof o.__CURSOR === 'string') {
        if (first && o.__CURSOR === opts.cursor) {
          first = false;
          return; // read last time
        }
        end.cursor = o.__CURSOR;
        const mark = markOf(o.__CURSOR, o.__REALTIME_TIMESTAMP);
        if (mark) end.mark = mark;
        // Read before the saved cursor was lost or refused.
        if (mark && opts.after && readBefore(mark, opts.after)) return;
      }
      first = false;
      const message = text(o.MESSAGE);
      const usec = Number(o.__REALTIME_TIMESTAMP);
      if (message === null || !Number.isFinite(usec) || typeof o._COMM !== 'string') return;
      onEntry({ message, timeMs: Math.floor(usec / 1000), comm: o._COMM, pid: field(o, '_PID'), host: field(o, '_HOSTNAME'), uid: field(o, '_UID'), unit: field(o, '_SYSTEMD_UNIT') });
    });
    child.on('close', (code, signal) => {
      rl.close();
      const what = `journalctl ${args.join(' ')}`;
      // Killed (OOM killer, a crash): the entries printed so far may stop anywhere, so the cursor must not move.
      if (code === null) return reject(new AppError(ExitCode.NoInput, `${what} was killed by ${signal ?? 'a signal'}`));
      // journalctl exits 1 for "no entries" in some versions (its "-- No entries --" muted by -q, or on stderr):
      // nothing was read, so nothing can be lost.
      const noEntries = /No entries|-- No entries --/.test(stderr) || (code === 1 && entries === 0 && !stderr.trim());
      if (code === 0 || noEntries) return resolve(end);
      if (!stderr.trim()) return reject(new AppError(ExitCode.NoInput, `${what} exited with ${code}`));
      const msg = `${what}: ${stderr.trim().split('\n')[0]}`;
      // "Failed to seek to cursor: Invalid argument" (systemd's journalctl.c), printed before any entry.
      const badCursor = opts.cursor !== undefined && lines === 0 && /Failed to seek to cursor/.test(stderr);
      reject(badCursor ? new JournalCursorError(msg) : new AppError(ExitCode.NoInput, msg));
    });
  });
}
