/** What every command receives: the validated config and the injected edges (time, logging, commands). */
import type { Config } from './config';
import type { Logger } from './log';
import type { Clock } from './types';

export interface Context {
  config: Config;
  clock: Clock;
  log: Logger;
  /** Print what would change; change nothing. */
  dryRun: boolean;
  /** --quiet: no progress output. */
  quiet?: boolean;
}
