/** Calling firewall commands through a Runner with uniform, one-line errors. */
import { commandError, isEnvironmentFailure, spawnError } from './backend-error';
import type { CommandResult, Runner } from './types';

/**
 * Runs a command and returns its result even for a non-zero exit (callers read "no such set" as an
 * answer), but throws a BackendError for what is never an answer: a missing program or missing privileges.
 */
export async function runCommand(run: Runner, cmd: string, args: string[], input?: string): Promise<CommandResult> {
  let r: CommandResult;
  try {
    r = await run(cmd, args, input);
  } catch (e) {
    throw spawnError(cmd, e);
  }
  if (isEnvironmentFailure(r)) throw commandError(cmd, args, r);
  return r;
}

/** Runs a command that must succeed; a non-zero exit becomes a BackendError naming it. */
export async function runChecked(run: Runner, cmd: string, args: string[], input?: string): Promise<CommandResult> {
  const r = await runCommand(run, cmd, args, input);
  if (r.code !== 0) throw commandError(cmd, args, r);
  return r;
}
