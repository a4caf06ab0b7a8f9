/** The real Runner: spawns a program with an argument vector (never a shell) and collects its output. */
import { spawn } from 'node:child_process';
import { notFoundError, permissionError, BackendError } from './backend-error';
import type { CommandResult, Runner } from './types';

export interface ExecRunnerOptions {
  /** Environment for the child (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** Kill the command after this long; a wedged xtables lock must not hang a cron run (default 120 s). */
  timeoutMs?: number;
}

/** Builds a Runner around child_process.spawn. */
export function makeExecRunner(opts: ExecRunnerOptions = {}): Runner {
  const timeoutMs = opts.timeoutMs ?? 120_000;
  return (cmd, args, input) =>
    new Promise<CommandResult>((resolve, reject) => {
      const child = spawn(cmd, args, { env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, timeoutMs);
      child.stdout.on('data', (b: Buffer) => out.push(b));
      child.stderr.on('data', (b: Buffer) => err.push(b));
      // The child may exit (or never start) before reading its input; that is reported by 'close'/'error'.
      child.stdin.on('error', () => undefined);
      child.on('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        if (e.code === 'ENOENT') reject(notFoundError(cmd));
        else if (e.code === 'EACCES' || e.code === 'EPERM') reject(permissionError(cmd));
        else reject(new BackendError(`${cmd}: ${e.message}`));
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        if (timedOut) {
          reject(new BackendError(`${cmd}: timed out after ${Math.round(timeoutMs / 1000)}s`));
          return;
        }
        resolve({
          code: code ?? (signal ? 128 : 1),
          stdout: Buffer.concat(out).toString('utf8'),
          stderr: Buffer.concat(err).toString('utf8'),
        });
      });
      child.stdin.end(input ?? '');
    });
}

export const execRunner: Runner = makeExecRunner();
