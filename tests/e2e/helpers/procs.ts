/**
 * Child processes of the e2e suite: short commands (run) and long-running daemons (Daemon).
 * Every daemon runs in its own process group, under `setpriv --pdeathsig KILL` and inside a private
 * pid namespace (`unshare --pid --fork --kill-child`), so stopping it — or the jest worker dying —
 * takes every process it started with it, including per-connection children and rsyslogd.
 * Always argument vectors, never a shell: user names and log text pass through here.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion; never rejects on a non-zero exit (callers assert on the code). */
export function run(
  cmd: string,
  args: readonly string[],
  opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(
      cmd,
      args,
      { env: opts.env ?? process.env, timeout: opts.timeoutMs ?? 60_000, maxBuffer: 32 * 1024 * 1024, cwd: opts.cwd, killSignal: 'SIGKILL' },
      (err, stdout, stderr) => {
        const e = err as (NodeJS.ErrnoException & { code?: number | string; signal?: NodeJS.Signals }) | null;
        if (e && typeof e.code === 'string') {
          // spawn failure (ENOENT …), not an exit status
          reject(new Error(`cannot run ${cmd}: ${e.message}`));
          return;
        }
        resolve({ code: e ? ((e.code as number | undefined) ?? null) : 0, signal: e?.signal ?? null, stdout, stderr });
      },
    );
  });
}

const live = new Set<Daemon>();

/** A long-running process (a server) whose whole process tree is stopped by stop(). */
export class Daemon {
  readonly child: ChildProcess;
  output = '';
  private exited: Promise<void>;
  private done = false;

  constructor(
    readonly name: string,
    cmd: string,
    args: readonly string[],
  ) {
    // setpriv: if this worker dies, the kernel kills unshare, whose --kill-child then kills the
    // namespace's pid 1, which tears the whole pid namespace down.
    this.child = spawn('setpriv', ['--pdeathsig', 'KILL', '--', cmd, ...args], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (b: Buffer) => {
      this.output = (this.output + b.toString()).slice(-20_000);
    };
    this.child.stdout?.on('data', keep);
    this.child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => {
      this.child.once('exit', () => {
        this.done = true;
        resolve();
      });
      this.child.once('error', (e) => {
        this.output += `\nspawn error: ${e.message}`;
        this.done = true;
        resolve();
      });
    });
    live.add(this);
  }

  get running(): boolean {
    return !this.done;
  }

  /** SIGTERM to the process group, SIGKILL after 5 s; resolves when the leader has exited. */
  async stop(): Promise<void> {
    live.delete(this);
    const pid = this.child.pid;
    if (pid === undefined) return;
    killGroup(pid, 'SIGTERM');
    const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 5000).unref());
    if ((await Promise.race([this.exited.then(() => 'exited' as const), timer])) === 'timeout') killGroup(pid, 'SIGKILL');
    await this.exited;
    // Anything left in the group (nothing should be: the pid namespace is gone) goes too.
    killGroup(pid, 'SIGKILL');
  }
}

function killGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
  } catch {
    // already gone
  }
}

/** Stops every daemon still running (afterAll/afterEach, also after a failed test). */
export async function stopAllDaemons(): Promise<void> {
  await Promise.all([...live].map((d) => d.stop()));
}

// Last resort if jest exits without running afterAll: no server may outlive the suite.
process.on('exit', () => {
  for (const d of live) if (d.child.pid !== undefined) killGroup(d.child.pid, 'SIGKILL');
});
