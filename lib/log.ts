/** Logging to stderr, one line per action with an ISO timestamp, so `>> /var/log/autoban.log` reads well. */
export interface Logger {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
  debug(msg: string): void;
}

// Inside logBatch() lines wait here and are written together at its end: a first scan that bans 20,000
// addresses reports them in a few system calls instead of one per line. Anywhere else a line is written at
// once, so nothing is lost when the process is killed or blocks.
let pending: string[] = [];
let pendingBytes = 0;
let batching = 0;

/** Writes out the lines logged so far. */
function flushLog(): void {
  if (!pending.length) return;
  const text = pending.join('');
  pending = [];
  pendingBytes = 0;
  process.stderr.write(text);
}

/** Runs `fn` (synchronous), writing the lines it logs to stderr together when it returns. */
export function logBatch<T>(fn: () => T): T {
  batching++;
  try {
    return fn();
  } finally {
    if (--batching === 0) flushLog();
  }
}

/** A logger writing `2026-11-22T01:02:03Z autoban[pid]: level: message` lines to stderr. */
export function stderrLogger(opts: { verbose?: boolean; quiet?: boolean; now?: () => Date } = {}): Logger {
  const now = opts.now ?? (() => new Date());
  const write = (level: string, msg: string) => {
    const stamp = now().toISOString().replace(/\.\d{3}Z$/, 'Z');
    // One physical line per message, whatever the message holds (it may quote log text).
    const clean = msg.replace(/[\r\n]+/g, ' ');
    const line = `${stamp} autoban[${process.pid}]: ${level === 'info' ? '' : level + ': '}${clean}\n`;
    if (!batching) {
      process.stderr.write(line);
      return;
    }
    pending.push(line);
    pendingBytes += line.length;
    if (pendingBytes >= 1 << 16) flushLog();
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
