/**
 * Driving the real CLI the way cron does (`node dist/bin/autoban.js run --no-jitter --config CFG`),
 * with every path it touches — deny file, state dir, whitelist — inside the test's work dir.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { run, type RunResult } from './procs';
import { AUTOBAN_CLI } from './support';
import { writeFile } from './workdir';

export interface AutobanSetup {
  config: string;
  denyFile: string;
  stateDir: string;
  whitelist: string;
}

export interface ConfigOptions {
  /** section name → log file and parser */
  sources: Record<string, { log: string; parser: 'proftpd' | 'sshd' }>;
  whitelist?: string[];
  /** Extra [DEFAULT] keys (thresholds …). */
  extra?: Record<string, string>;
}

/** Paths of one autoban installation in `dir`; the deny file lives in its own 0755 directory. */
export function autobanPaths(dir: string): Omit<AutobanSetup, 'config'> {
  const denyDir = path.join(dir, 'deny');
  fs.mkdirSync(denyDir, { recursive: true, mode: 0o755 });
  return { denyFile: path.join(denyDir, 'hosts.deny'), stateDir: path.join(dir, 'state'), whitelist: path.join(dir, 'whitelist.txt') };
}

export function writeAutobanConfig(dir: string, opts: ConfigOptions): AutobanSetup {
  const p = autobanPaths(dir);
  writeFile(p.whitelist, `# autoban e2e whitelist\n${(opts.whitelist ?? []).map((w) => `${w}\n`).join('')}`);
  const defaults: Record<string, string> = {
    deny_file: p.denyFile,
    state_dir: p.stateDir,
    whitelist: p.whitelist,
    node_id: 'e2e',
    jitter: '0',
    backend: 'hostsdeny',
    lock_timeout: '60s',
    ...opts.extra,
  };
  let ini = '# autoban e2e config\n[DEFAULT]\n';
  for (const [k, v] of Object.entries(defaults)) ini += `${k} = ${v}\n`;
  for (const [name, s] of Object.entries(opts.sources)) ini += `\n[${name}]\nlog = ${s.log}\nparser = ${s.parser}\nenabled = true\n`;
  const config = writeFile(path.join(dir, 'autoban.cfg'), ini);
  return { config, ...p };
}

/** `autoban <args...> --config CFG`; resolves with exit code and output whatever the code. */
export function autoban(setup: AutobanSetup, ...args: string[]): Promise<RunResult> {
  return run(process.execPath, [AUTOBAN_CLI, ...args, '--config', setup.config], { timeoutMs: 120_000 });
}

export function describeRun(what: string, r: RunResult): string {
  return `${what} exited ${r.code}${r.signal ? ` (${r.signal})` : ''}\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`;
}

/** Runs a command and fails with its whole output when the exit code is not 0. */
export async function autobanOk(setup: AutobanSetup, ...args: string[]): Promise<RunResult> {
  const r = await autoban(setup, ...args);
  if (r.code !== 0) throw new Error(describeRun(`autoban ${args.join(' ')}`, r));
  return r;
}

export const BEGIN = '# BEGIN autoban -- managed by autoban, edits between these markers are overwritten';
export const END = '# END autoban';

/** Every address the deny file refuses with an `ALL:` line (inside or outside autoban's block). */
export function deniedAddresses(denyFile: string): string[] {
  const text = fs.existsSync(denyFile) ? fs.readFileSync(denyFile, 'utf8') : '';
  return text
    .split('\n')
    .map((l) => /^ALL:\s*(\S+)\s*$/.exec(l)?.[1])
    .filter((x): x is string => x !== undefined)
    .map((x) => x.replace(/^\[(.*)\]$/, '$1'));
}

export interface StatusBan {
  ip: string;
  rule: string;
  reason: string;
  failures: number;
  expiresAt: string | null;
}

export async function statusJson(setup: AutobanSetup): Promise<StatusBan[]> {
  const r = await autobanOk(setup, 'status', '--json');
  return JSON.parse(r.stdout) as StatusBan[];
}

export interface TestEvent {
  lineNo: number;
  ip: string;
  user: string;
  outcome: 'failure' | 'success';
}

/** `autoban test LOG --parser P --json`: the login events the parser recognised (JSON lines with lineNo). */
export async function parsedEvents(setup: AutobanSetup, log: string, parser: 'proftpd' | 'sshd'): Promise<TestEvent[]> {
  const r = await autobanOk(setup, 'test', log, '--parser', parser, '--json');
  const events: TestEvent[] = [];
  for (const line of r.stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    const o = JSON.parse(line) as Partial<TestEvent>;
    if (typeof o.lineNo === 'number' && typeof o.ip === 'string') events.push(o as TestEvent);
  }
  return events;
}

/**
 * Waits until `log` satisfies `ready` and has stopped growing for a moment, so autoban reads the
 * whole story (rsyslogd writes asynchronously; sshd logs PAM summaries after the client left).
 */
export async function waitForLog(log: string, ready: (text: string) => boolean, what: string, timeoutMs = 30_000): Promise<string> {
  const until = Date.now() + timeoutMs;
  let last = '';
  let stableSince = Date.now();
  for (;;) {
    const text = fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '';
    if (text !== last) {
      last = text;
      stableSince = Date.now();
    } else if (ready(text) && Date.now() - stableSince >= 700) {
      return text;
    }
    if (Date.now() > until) throw new Error(`timed out waiting for ${what} in ${log}; it holds:\n${text.slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Number of lines of `text` matching `re` (sshd -E ends its lines with CRLF: the CR is dropped first). */
export function countLines(text: string, re: RegExp): number {
  return text.split('\n').filter((l) => re.test(l.replace(/\r$/, ''))).length;
}
