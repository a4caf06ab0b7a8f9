/** Expands `*` and `?` in the last path component (`/var/log/proftpd/*.log`); other paths pass through. */
import * as fs from 'node:fs';
import * as path from 'node:path';

export function expandLogGlob(pattern: string): string[] {
  const base = path.basename(pattern);
  if (!/[*?]/.test(base)) return [pattern];
  const dir = path.dirname(pattern);
  const re = new RegExp(`^${base.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')}$`);
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => re.test(n) && !/\.(gz|bz2|xz|zst)$/.test(n))
    .sort()
    .map((n) => path.join(dir, n));
}
