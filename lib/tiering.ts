/**
 * When V8 optimises: tuned for a batch process that usually lives for a few tens of milliseconds.
 *
 * A cron or Monit run reads the few hundred lines logged since the last run. V8's optimising compiler
 * (TurboFan) starts on the parser's functions after a few hundred lines, and in a process that ends soon
 * after, compiling them costs more than the optimised code saves: 1,000 appended lines scan about 8% faster
 * (measured: README, Performance) when TurboFan waits about fifteen times longer than V8's default. A long
 * read wants the optimised code as early as possible, so readNewLines calls tierUpForLongRead before reading
 * a few megabytes at once, which restores V8's default (a 100 MB scan is then as fast as without this).
 *
 * The budget is given to each function's feedback cell when the function is created and every time it is
 * used up, so this module must run before the modules whose functions it is meant for: lib/cli.ts imports it
 * first. Only V8's tiering thresholds change, never what the code computes; a node started with its own
 * --interrupt-budget is left alone.
 */
import * as v8 from 'node:v8';

/** V8 11's (Node 20's) default, restored for long reads. */
const DEFAULT_BUDGET = 66 * 1024;
const SHORT_RUN_BUDGET = 15 * DEFAULT_BUDGET;
/** A read at least this long gets the default back (its first few thousand lines pay for the tier-up). */
export const LONG_READ_BYTES = 4 << 20;

const own = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].some((a) => a.startsWith('--interrupt-budget'));
let short = false;
if (!own) {
  v8.setFlagsFromString(`--interrupt-budget=${SHORT_RUN_BUDGET}`);
  short = true;
}

/** Called before reading `bytes` in one go: from a few MB on, optimise as soon as V8 normally would. */
export function tierUpForLongRead(bytes: number): void {
  if (!short || bytes < LONG_READ_BYTES) return;
  v8.setFlagsFromString(`--interrupt-budget=${DEFAULT_BUDGET}`);
  short = false;
}
