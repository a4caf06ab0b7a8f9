/**
 * A progress line on stderr for long scans, only when stderr is a terminal (an admin running autoban by
 * hand), never under cron or Monit, and not with --quiet.
 */
import * as path from 'node:path';
import type { Context } from './context';

const MIN_INTERVAL_MS = 200;

export function progressBar(ctx: Context, file: string, stream: NodeJS.WriteStream = process.stderr): { update: (done: number, total: number) => void; done: () => void } | null {
  if (!stream.isTTY || ctx.quiet) return null;
  const started = Date.now();
  let last = 0;
  let shown = false;
  return {
    update: (done, total) => {
      const now = Date.now();
      // Stay silent for short scans; redraw a few times a second for long ones.
      if (now - started < 1000 || now - last < MIN_INTERVAL_MS || total <= 0) return;
      last = now;
      shown = true;
      const pct = Math.min(100, (100 * done) / total);
      const width = 30;
      const fill = Math.round((pct / 100) * width);
      const rate = done / 1e6 / ((now - started) / 1000);
      stream.write(`\rscan ${path.basename(file)} [${'#'.repeat(fill)}${' '.repeat(width - fill)}] ${pct.toFixed(0).padStart(3)}% ${rate.toFixed(0)} MB/s `);
    },
    done: () => {
      if (shown) stream.write('\r\x1b[K');
    },
  };
}
