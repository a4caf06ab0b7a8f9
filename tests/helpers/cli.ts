/** Runs the built CLI (dist/bin) as a real process, as cron would. */
import { spawn, spawnSync } from 'node:child_process';
import * as path from 'node:path';

export const ROOT = path.join(__dirname, '..', '..');
export const CLI = path.join(ROOT, 'dist', 'bin', 'autoban.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `timeout` (ms): a run that hangs is killed (code null) rather than hang the test. `input`: piped to its stdin. */
export function cli(args: string[], opts: { cwd?: string; bin?: string; env?: Record<string, string>; timeout?: number; input?: string } = {}): CliResult {
  const env = opts.env ? { ...process.env, ...opts.env } : process.env;
  const r = spawnSync(process.execPath, [opts.bin ? path.join(ROOT, 'dist', 'bin', `${opts.bin}.js`) : CLI, ...args], {
    cwd: opts.cwd ?? ROOT,
    encoding: 'utf8',
    stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    input: opts.input,
    env,
    timeout: opts.timeout,
    killSignal: 'SIGKILL',
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function cliAsync(args: string[], opts: { cwd?: string } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI, ...args], { cwd: opts.cwd ?? ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
