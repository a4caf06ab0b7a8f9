/**
 * Where a write to a file that may be a symlink goes: the whitelist and its synced copy are edited through a
 * link at their path (the admin may point it at a file under configuration management, or on a bind mount),
 * so the link stays and the file it leads to gets the text. The deny file follows the same rule
 * (lib/state.ts denyWritePath): a link leading out of the file's own directory is refused unless
 * follow_symlinks = true, because root must not overwrite the file that a link planted in a directory others
 * can write names (/etc/passwd, say). Resolving the chain by hand (not realpath) also covers a dangling link:
 * the file is then made where it points.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AppError, ExitCode } from './errors';

/** The file a write to `file` goes to (`file` itself when it is no symlink); exit 73 for a link out of its directory. */
export function linkWriteTarget(file: string, followSymlinks: boolean): string {
  let cur = file;
  for (let hops = 0; hops < 40 && isLink(cur); hops++) cur = path.resolve(path.dirname(cur), fs.readlinkSync(cur));
  // A loop of links (still one after 40 hops): the write fails naming it (ELOOP).
  if (cur === file || followSymlinks) return cur;
  const dir = path.dirname(file);
  if (realDir(path.dirname(cur)) !== realDir(dir)) {
    throw new AppError(ExitCode.CantCreate, `refusing to write ${file}: it is a symlink to ${cur}, outside ${dir} (set follow_symlinks = true if that is intended)`);
  }
  return cur;
}

function isLink(file: string): boolean {
  try {
    return fs.lstatSync(file).isSymbolicLink();
  } catch {
    return false; // not there (yet): written as a new file
  }
}

function realDir(dir: string): string {
  try {
    return fs.realpathSync(dir);
  } catch {
    return path.resolve(dir);
  }
}
