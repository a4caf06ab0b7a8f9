/** Small JSON state files in state_dir (0600), written atomically. */
import { writeFileAtomic } from './atomic-write';
import { readRegularFile } from './regular-file';

/** A state file's text; null when it does not exist. Throws an Error naming the file when it cannot be read. */
export function readTextOrNull(file: string): string | null {
  try {
    return readRegularFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new Error(`${file}: cannot read: ${(e as Error).message}`);
  }
}

/** Reads a JSON file; null when it does not exist. Throws an Error naming the file when it is damaged. */
export function readJsonFile(file: string): unknown | null {
  const text = readTextOrNull(file);
  if (text === null) return null;
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message}); the file is damaged or truncated`);
  }
}

/** Writes a JSON state file (private: 0600). */
export function writeJsonFile(file: string, value: unknown): boolean {
  return writeFileAtomic(file, `${JSON.stringify(value)}\n`, { mode: 0o600 });
}
