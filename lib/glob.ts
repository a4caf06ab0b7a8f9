/**
 * Expands `*` and `?` in the last path component (`/var/log/proftpd/*.log`); other paths pass through.
 * Compressed files are left out, and so is a rotated generation of another matched file (`auth.log.1`,
 * `auth.log-20261122` beside `auth.log`, as `auth.log*` matches them): the reader already finishes those
 * as part of their live file's rotation, and reading them again on their own would count them twice.
 */
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
  const matched = new Set(names.filter((n) => re.test(n) && !/\.(gz|bz2|xz|zst)$/.test(n)));
  const rotationOf = (n: string): string | null => {
    const m = /^(.+?)(?:\.\d{1,3}|-\d{8,10})$/.exec(n);
    return m ? (m[1] as string) : null;
  };
  // One file under two matched names (a symlink or hard link beside it) is read once, or its lines would count twice.
  const seen = new Set<string>();
  return [...matched]
    .filter((n) => {
      const live = rotationOf(n);
      return !(live && matched.has(live));
    })
    .sort()
    .map((n) => path.join(dir, n))
    .filter((f) => {
      let id: string;
      try {
        const st = fs.statSync(f);
        // A directory or a FIFO the pattern happens to match is no log (`auth.log*` and `auth.log.d/`).
        if (!st.isFile()) return false;
        id = `${st.dev}:${st.ino}`;
      } catch {
        return true; // gone or dangling: the reader reports it
      }
      if (seen.has(id)) return false;
      seen.add(id);
      return true;
    });
}

/**
 * The positions.json key of `file` as read by source `source`: the path itself, or `path#source` when an
 * earlier source of this scan reads the same file (sshd and proftpd both logging to /var/log/secure), so
 * that each source keeps its own position. `firstReader` (file → source) is one scan's, filled in here.
 */
export function positionKey(file: string, source: string, firstReader: Map<string, string>): string {
  const first = firstReader.get(file);
  if (first === undefined) firstReader.set(file, source);
  return first === undefined || first === source ? file : `${file}#${source}`;
}
