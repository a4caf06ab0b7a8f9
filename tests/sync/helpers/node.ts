/**
 * One autoban node for sync tests: its own temp directory with config, state_dir, deny file, whitelist and
 * auth log. In-process tests use `ctx`; the fleet tests spawn the compiled CLI with `cfgFile`.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadConfig } from '../../../lib/config';
import type { Context } from '../../../lib/context';
import { memoryLogger } from '../../../lib/log';
import { systemClock } from '../../../lib/clock';
import { S3_TEST_ENV } from './s3rver';

export const REPO = path.resolve(__dirname, '../../..');
export const CLI = path.join(REPO, 'dist/bin/autoban.js');

export type SyncTarget = { kind: 'aws'; endpoint: string; bucket?: string; prefix?: string } | { kind: 'local'; dir: string };

export interface TestNode {
  id: string;
  dir: string;
  cfgFile: string;
  denyFile: string;
  logFile: string;
  whitelistFile: string;
  /** A fresh in-process context (new memory logger each time). */
  ctx(opts?: { dryRun?: boolean }): Context & { log: ReturnType<typeof memoryLogger> };
  /** Appends failed root logins from `ip` (enough to be banned by suspicious_users). */
  attack(ip: string, times?: number): void;
  /** Addresses in the managed block of the deny file. */
  denied(): string[];
  cleanup(): void;
}

export function syncSection(t: SyncTarget, extra = ''): string {
  if (t.kind === 'local') return `[sync]\ncontext = local\nshared_dir = ${t.dir}\ntimeout = 2s\ndeadline = 30s\n${extra}`;
  const b = t.bucket ?? 'bucket';
  const p = t.prefix ?? 'etc/';
  return `[sync]\ncontext = aws\ns3_hostsdeny = s3://${b}/${p}\ns3_whitelist = s3://${b}/${p}ban/\ns3_endpoint = ${t.endpoint}\ns3_region = us-east-1\ntimeout = 2s\ndeadline = 30s\n${extra}`;
}

export function makeNode(id: string, target: SyncTarget, opts: { syncExtra?: string; defaultsExtra?: string; whitelist?: string } = {}): TestNode {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `autoban-${id}-`));
  const cfgFile = path.join(dir, 'autoban.cfg');
  const denyFile = path.join(dir, 'hosts.deny');
  const logFile = path.join(dir, 'auth.log');
  const whitelistFile = path.join(dir, 'whitelist.txt');
  fs.writeFileSync(
    cfgFile,
    `[DEFAULT]\nnode_id = ${id}\nstate_dir = ./state\ndeny_file = ./hosts.deny\nwhitelist = ./whitelist.txt\njitter = 0\n${opts.defaultsExtra ?? ''}\n` +
      `[sshd]\nlog = ./auth.log\nparser = sshd\n\n${syncSection(target, opts.syncExtra)}`,
  );
  fs.writeFileSync(logFile, '');
  fs.writeFileSync(denyFile, '# local rule kept by autoban\nsshd: 198.51.100.250\n');
  fs.writeFileSync(whitelistFile, opts.whitelist ?? '');
  let pid = 1000;
  return {
    id,
    dir,
    cfgFile,
    denyFile,
    logFile,
    whitelistFile,
    ctx: (o = {}) => ({ config: loadConfig(cfgFile), clock: systemClock, log: memoryLogger(), dryRun: !!o.dryRun }),
    attack(ip, times = 3) {
      const stamp = new Date().toISOString().replace('Z', '000+00:00');
      let text = '';
      for (let i = 0; i < times; i++) text += `${stamp} ${id} sshd[${pid++}]: Failed password for root from ${ip} port ${40000 + i} ssh2\n`;
      fs.appendFileSync(logFile, text);
    },
    denied: () => deniedIn(denyFile),
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/** Targets in the managed block of a deny file, sorted. */
export function deniedIn(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const block = text.split('# BEGIN autoban')[1]?.split('# END autoban')[0] ?? '';
  return block
    .split('\n')
    .filter((l) => l.startsWith('ALL: '))
    .map((l) => l.slice(5).replace(/^\[([^\]]*)\]/, '$1'))
    .sort();
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs the compiled CLI (argument vector, no shell) with the S3 test environment. */
export function runCli(args: string[], opts: { timeoutMs?: number; env?: Record<string, string> } = {}): Promise<CliResult> {
  const t0 = process.hrtime.bigint();
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: os.tmpdir(), ...S3_TEST_ENV, ...opts.env }, timeout: opts.timeoutMs ?? 60_000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code as number) : 1) : 0;
        resolve({ code, stdout, stderr, ms: Number(process.hrtime.bigint() - t0) / 1e6 });
      },
    );
  });
}

/** Fails loudly when dist/ is missing or older than the sources, instead of testing stale code. */
export function requireBuiltCli(): void {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` (npm test does) before the sync fleet tests`);
}
