/** `autoban test LOGFILE --parser NAME`: show what a parser recognises and what the rules would ban, changing nothing. */
import * as fs from 'node:fs';
import type { LoginEvent, Offense } from '../types';
import type { Context } from '../context';
import type { SourceConfig } from '../config';
import { createLineHandler } from '../scanner';
import { BannedSet } from '../banned-set';
import { linesOf, readNewLines, type OnChunk } from '../log-reader';
import { loadWhitelist } from '../state';
import { AppError, ExitCode } from '../errors';
import { NotALogFile, pathErrorPhrase } from '../log-file';

export interface TestEvent {
  lineNo: number;
  time: string;
  ip: string;
  user: string;
  outcome: LoginEvent['outcome'];
  parser: string;
}

/**
 * What `test` reads as a stream, start to end: `-` (standard input: `zcat auth.log.2.gz | autoban test -`)
 * or a pipe (a FIFO, `<(zcat auth.log.2.gz)`). Only here: scan refuses a FIFO (openLog), which would hang a
 * cron run, and a pipe has no position to save. Null: a path for the file reader (which reports what is wrong).
 */
function streamOf(file: string, stdin: NodeJS.ReadableStream): NodeJS.ReadableStream | null {
  if (file === '-') return stdin;
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(file, { throwIfNoEntry: false });
  } catch {
    return null;
  }
  return st?.isFIFO() ? fs.createReadStream(file) : null;
}

/** Hands a stream's complete lines to `onChunk`, as the file reader does (an unterminated last line is left, as there). */
async function readStream(stream: NodeJS.ReadableStream, onChunk: OnChunk): Promise<void> {
  let rest = Buffer.alloc(0);
  for await (const data of stream) {
    const chunk = typeof data === 'string' ? Buffer.from(data) : (data as Buffer);
    const buf = rest.length ? Buffer.concat([rest, chunk]) : chunk;
    const end = buf.lastIndexOf(10) + 1;
    if (end > 0) onChunk(buf, 0, end);
    rest = Buffer.from(buf.subarray(end));
  }
}

export async function runTestLog(
  ctx: Context,
  opts: { file: string; parser: string; onEvent: (e: TestEvent) => void; stdin?: NodeJS.ReadableStream },
): Promise<{ lines: number; events: number; offenses: Offense[] }> {
  const d = ctx.config.defaults;
  const source: SourceConfig = {
    name: opts.parser,
    log: opts.file,
    parser: opts.parser,
    rules: d.rules,
    banDurationSec: d.banDurationSec,
    banDurationMaxSec: d.banDurationMaxSec,
    ipv6Prefix: d.ipv6Prefix,
  };
  const offenses: Offense[] = [];
  let lineNo = 0;
  const h = createLineHandler({
    source,
    history: new Map(),
    whitelist: loadWhitelist(ctx),
    skip: new BannedSet(),
    nowMs: ctx.clock.now().getTime(),
    onOffense: (o) => offenses.push(o),
    onEvent: (ev) => opts.onEvent({ lineNo, time: new Date(ev.timeMs).toISOString(), ip: ev.ip, user: ev.user, outcome: ev.outcome, parser: ev.parser }),
  });
  const onChunk = linesOf((text, start, end) => {
    lineNo++;
    h.handle(text, start, end);
  });
  const stream = streamOf(opts.file, opts.stdin ?? process.stdin);
  if (stream) {
    await readStream(stream, onChunk).catch((e: NodeJS.ErrnoException) => {
      throw new AppError(ExitCode.NoInput, `test: ${opts.file === '-' ? 'standard input' : opts.file}: ${pathErrorPhrase(e.code, e.message)}`);
    });
  } else {
    const r = await readNewLines(opts.file, undefined, onChunk).catch((e: unknown) => {
      if (e instanceof NotALogFile) throw new AppError(ExitCode.NoInput, `test: ${e.message}`);
      throw e;
    });
    if (!r) throw new AppError(ExitCode.NoInput, `test: ${opts.file}: ${pathErrorPhrase('ENOENT')}`);
  }
  return { lines: h.stats.lines, events: h.stats.events, offenses };
}
