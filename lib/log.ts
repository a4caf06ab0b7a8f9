/** Logging to stderr, one line per action with an ISO timestamp, so `>> /var/log/autoban.log` reads well. */
export interface Logger {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
  debug(msg: string): void;
}

// Lines wait here until the end of the current tick (or 64 KiB, or a warning): a first scan that bans
// 20,000 addresses then writes its log in a few system calls instead of one per line.
let pending: string[] = [];
let pendingBytes = 0;
let scheduled = false;

/** Writes out the lines logged so far (the CLI calls it before its own messages and at exit). */
export function flushLog(): void {
  scheduled = false;
  if (!pending.length) return;
  const text = pending.join('');
  pending = [];
  pendingBytes = 0;
  process.stderr.write(text);
}
process.on('exit', flushLog);

/** A logger writing `2026-11-22T01:02:03Z autoban[pid]: level: message` lines to stderr. */
export function stderrLogger(opts: { verbose?: boolean; quiet?: boolean; now?: () => Date } = {}): Logger {
  const now = opts.now ?? (() => new Date());
  const write = (level: string, msg: string) => {
    const stamp = now().toISOString().replace(/\.\d{3}Z$/, 'Z');
    // One physical line per message, whatever the message holds (it may quote log text).
    const clean = msg.replace(/[\r\n]+/g, ' ');
    const line = `${stamp} autoban[${process.pid}]: ${level === 'info' ? '' : level + ': '}${clean}\n`;
    pending.push(line);
    pendingBytes += line.length;
    if (level === 'warning' || level === 'error' || pendingBytes >= 1 << 16) flushLog();
    else if (!scheduled) {
      scheduled = true;
      setImmediate(flushLog);
    }
  };
  return {
    info: (m) => opts.quiet || write('info', m),
    warn: (m) => write('warning', m),
    error: (m) => write('error', m),
    debug: (m) => opts.verbose && write('debug', m),
  };
}

/** A logger that keeps lines in memory, for tests. */
export function memoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (m) => lines.push(m),
    warn: (m) => lines.push(`warning: ${m}`),
    error: (m) => lines.push(`error: ${m}`),
    debug: () => undefined,
  };
}
