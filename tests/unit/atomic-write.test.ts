/** writeFileAtomic with a list of pieces writes their concatenation, however many there are. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../../lib/atomic-write';
import { tmpdir } from '../helpers/tmpdir';

test('a list of pieces (more than writev takes at once, some empty) is written as one file, and compared as one', () => {
  const dir = tmpdir();
  const file = path.join(dir, 'hosts.deny');
  const pieces = Array.from({ length: 3000 }, (_, i) => Buffer.from(i % 7 === 0 ? '' : `ALL: 192.0.2.${i % 256}\n`));
  expect(writeFileAtomic(file, pieces, { mode: 0o644 })).toBe(true);
  expect(fs.readFileSync(file)).toEqual(Buffer.concat(pieces));
  expect(fs.statSync(file).mode & 0o777).toBe(0o644);
  // Unchanged content, given as other pieces: nothing is written.
  const mtime = fs.statSync(file).mtimeMs;
  expect(writeFileAtomic(file, [Buffer.concat(pieces.slice(0, 5)), Buffer.concat(pieces.slice(5))], { mode: 0o644 })).toBe(false);
  expect(fs.statSync(file).mtimeMs).toBe(mtime);
  expect(fs.readdirSync(dir)).toEqual(['hosts.deny']);
});
