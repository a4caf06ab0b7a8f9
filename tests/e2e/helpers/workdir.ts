/** Per-test work directories in the system temp dir, removed in afterEach/afterAll even after a failure. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const made = new Set<string>();

/**
 * A fresh directory, mode 0755: ProFTPD's session process (user nobody) must be able to search
 * it to re-read the deny file on every connection.
 */
export function makeWorkDir(tag: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `autoban-e2e-${tag}-`));
  fs.chmodSync(dir, 0o755);
  made.add(dir);
  return dir;
}

export function removeWorkDirs(): void {
  for (const dir of made) {
    // Keep the evidence when asked to (debugging a failing run); say where it is.
    if (process.env.AUTOBAN_E2E_KEEP) {
      console.warn(`AUTOBAN_E2E_KEEP set: leaving ${dir}`);
    } else {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    made.delete(dir);
  }
}

/** Writes a file, creating its directory, with the given mode (exactly, regardless of umask). */
export function writeFile(file: string, content: string, mode = 0o644): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content, { mode });
  fs.chmodSync(file, mode);
  return file;
}
