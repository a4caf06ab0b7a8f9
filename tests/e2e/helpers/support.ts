/**
 * Whether the e2e suite can run here, and installing the Debian packages it needs.
 * It runs only as root on a Debian-like Linux (it starts daemons, mounts inside private namespaces
 * and may apt-get install); anywhere else it says loudly why it did not run, and passes.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as lockfile from 'proper-lockfile';
import { run } from './procs';

export interface Support {
  ok: boolean;
  reason: string;
}

export function e2eSupport(): Support {
  if (process.platform !== 'linux') return { ok: false, reason: `platform is ${process.platform}, not Linux` };
  if (process.getuid?.() !== 0) {
    return { ok: false, reason: `not running as root (uid ${process.getuid?.()}); it starts ProFTPD/sshd and mounts inside private namespaces` };
  }
  if (!fs.existsSync('/etc/debian_version') || !fs.existsSync('/usr/bin/apt-get')) {
    return { ok: false, reason: 'not a Debian-like system (no /etc/debian_version or apt-get)' };
  }
  return { ok: true, reason: '' };
}

/** Prints the skip reason so nobody mistakes "passed" for "tested". */
export function warnSkipped(suite: string, reason: string): void {
  const bar = '!'.repeat(78);
  console.warn(`${bar}\n!! ${suite}: NOT RUN — ${reason}.\n!! Run it as root on Debian/Ubuntu (CI does: .ci/run). Nothing was tested here.\n${bar}`);
}

async function installed(pkg: string): Promise<boolean> {
  const r = await run('dpkg-query', ['-W', '-f=${db:Status-Abbrev}', pkg]);
  return r.code === 0 && r.stdout.startsWith('ii');
}

const POLICY_RC_D = '/usr/sbin/policy-rc.d';

/**
 * Installs whichever of `pkgs` are missing with apt-get; returns the ones still missing.
 * A policy-rc.d that exits 101 stops the packages from starting system daemons (the suite starts
 * its own private instances), apt's lock is waited for rather than failed on, and a lock file
 * keeps the two e2e test files (parallel jest workers) from racing on policy-rc.d.
 */
export async function ensureDebianPackages(pkgs: readonly string[]): Promise<string[]> {
  const missing: string[] = [];
  for (const p of pkgs) if (!(await installed(p))) missing.push(p);
  if (missing.length === 0) return [];
  // Lock on the temp dir itself (it always exists), so no lock target file is left behind.
  const release = await lockfile.lock(os.tmpdir(), {
    lockfilePath: path.join(os.tmpdir(), 'autoban-e2e-apt.lock'),
    retries: { retries: 1200, minTimeout: 1000, maxTimeout: 1000 },
    stale: 15 * 60_000,
  });
  const ourPolicy = !fs.existsSync(POLICY_RC_D);
  try {
    const still: string[] = [];
    for (const p of missing) if (!(await installed(p))) still.push(p);
    if (still.length === 0) return [];
    if (ourPolicy) fs.writeFileSync(POLICY_RC_D, '#!/bin/sh\n# autoban e2e: do not start services while installing\nexit 101\n', { mode: 0o755 });
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const apt = (args: string[]) => run('apt-get', ['-o', 'DPkg::Lock::Timeout=600', ...args], { env, timeoutMs: 15 * 60_000 });
    console.warn(`autoban e2e: installing Debian packages: ${still.join(' ')}`);
    let r = await apt(['install', '-y', '--no-install-recommends', ...still]);
    if (r.code !== 0) {
      await apt(['update']);
      r = await apt(['install', '-y', '--no-install-recommends', ...still]);
    }
    if (r.code !== 0) console.warn(`autoban e2e: apt-get install ${still.join(' ')} failed:\n${r.stderr.slice(-2000)}`);
    const left: string[] = [];
    for (const p of still) if (!(await installed(p))) left.push(p);
    return left;
  } finally {
    if (ourPolicy) fs.rmSync(POLICY_RC_D, { force: true });
    await release();
  }
}

/** The compiled CLI the tests drive exactly as cron would. */
export const AUTOBAN_CLI = path.resolve(__dirname, '../../../dist/bin/autoban.js');

export function assertCliBuilt(): void {
  if (!fs.existsSync(AUTOBAN_CLI)) throw new Error(`${AUTOBAN_CLI} is missing: run \`npm run build\` first (npm test does)`);
}
