/** `autoban test LOGFILE --parser NAME`: show what a parser recognises and what the rules would ban, changing nothing. */
import type { LoginEvent, Offense } from '../types';
import type { Context } from '../context';
import type { SourceConfig } from '../config';
import { createLineHandler } from '../scanner';
import { BannedSet } from '../banned-set';
import { linesOf, readNewLines } from '../log-reader';
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

export async function runTestLog(
  ctx: Context,
  opts: { file: string; parser: string; onEvent: (e: TestEvent) => void },
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
  const r = await readNewLines(
    opts.file,
    undefined,
    linesOf((text, start, end) => {
      lineNo++;
      h.handle(text, start, end);
    }),
  ).catch((e: unknown) => {
    if (e instanceof NotALogFile) throw new AppError(ExitCode.NoInput, `test: ${e.message}`);
    throw e;
  });
  if (!r) throw new AppError(ExitCode.NoInput, `test: ${opts.file}: ${pathErrorPhrase('ENOENT')}`);
  return { lines: h.stats.lines, events: h.stats.events, offenses };
}
