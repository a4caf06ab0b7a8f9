/** Suites that need root (mount namespaces, tmpfs, bind mounts) say loudly when they cannot run. */
import { spawnSync } from 'node:child_process';

export function canUseMountNamespaces(): boolean {
  if (process.getuid?.() !== 0) return false;
  return spawnSync('unshare', ['-m', '--propagation', 'private', 'true']).status === 0;
}

export function warnSkip(suite: string, why: string): void {
  // eslint-disable-next-line no-console
  console.warn(`\n*** ${suite}: NOT RUN — ${why}. Run the tests as root on Linux (CI does). ***\n`);
}
