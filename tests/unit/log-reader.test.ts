/** Incremental reading across the ways logs get rotated: nothing missed, nothing read twice. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type FilePosition, readNewLines } from '../../lib/log-reader';
import { tmpdir } from '../helpers/tmpdir';

async function read(file: string, pos?: FilePosition) {
  const lines: string[] = [];
  const r = await readNewLines(file, pos, (l) => lines.push(l));
  return { lines, pos: r?.position, r };
}

test('reads only complete lines, then only what was appended', async () => {
  const f = path.join(tmpdir(), 'a.log');
  fs.writeFileSync(f, 'one\r\ntwo\nthr');
  const a = await read(f);
  expect(a.lines).toEqual(['one', 'two']);
  fs.appendFileSync(f, 'ee\nfour\n');
  const b = await read(f, a.pos);
  expect(b.lines).toEqual(['three', 'four']);
  expect((await read(f, b.pos)).lines).toEqual([]);
});

test('a log that does not exist yet returns null', async () => {
  expect((await read(path.join(tmpdir(), 'missing.log'))).r).toBeNull();
});

test('rename + new file (logrotate default): the rest of the rotated file is read first', async () => {
  const dir = tmpdir();
  const f = path.join(dir, 'auth.log');
  fs.writeFileSync(f, 'a1\na2\n');
  const a = await read(f);
  fs.appendFileSync(f, 'a3\n'); // written after our run, before rotation
  fs.renameSync(f, `${f}.1`);
  fs.writeFileSync(f, 'b1\n');
  const b = await read(f, a.pos);
  expect(b.lines).toEqual(['a3', 'b1']);
  expect(b.r!.rotatedFrom).toBe(`${f}.1`);
});

test('copytruncate: the copy’s unread tail, then the truncated file from its start', async () => {
  const dir = tmpdir();
  const f = path.join(dir, 'x.log');
  fs.writeFileSync(f, 'a1\na2\n');
  const a = await read(f);
  fs.appendFileSync(f, 'a3\n');
  fs.copyFileSync(f, `${f}.1`);
  fs.truncateSync(f, 0);
  fs.appendFileSync(f, 'b1\n');
  const b = await read(f, a.pos);
  expect(b.lines).toEqual(['a3', 'b1']);
});

test('a file replaced by a shorter one is read from the start', async () => {
  const dir = tmpdir();
  const f = path.join(dir, 'y.log');
  fs.writeFileSync(f, 'long line one\nlong line two\n');
  const a = await read(f);
  fs.writeFileSync(`${f}.new`, 'new\n');
  fs.renameSync(`${f}.new`, f);
  expect((await read(f, a.pos)).lines).toEqual(['new']);
});

test('binary garbage and huge lines do not stop the rest of the log', async () => {
  const f = path.join(tmpdir(), 'z.log');
  const garbage = Buffer.alloc(5 << 20, 0xff); // 5 MiB without a newline
  fs.writeFileSync(f, Buffer.concat([Buffer.from('first\n'), garbage, Buffer.from('\nafter\n\0nul\n')]));
  const { lines } = await read(f);
  expect(lines[0]).toBe('first');
  expect(lines.slice(-2)).toEqual(['after', '\0nul']);
});
