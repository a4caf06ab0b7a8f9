/**
 * A position is only trusted while the file still holds what was read: its first line (or first 200 bytes)
 * and the bytes just before the offset. Attackers choose how long a first line is (user names), and some
 * logs start every file with the same line (sshd -E: "Server listening on …"), so the first line alone
 * cannot tell a rotated log from its successor. Lines are neither lost nor read twice.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { type FilePosition, linesOf, readNewLines } from '../../lib/log-reader';
import { runScan } from '../../lib/commands/scan';
import { makeEnv } from '../helpers/context';
import { tmpdir } from '../helpers/tmpdir';

async function read(file: string, pos?: FilePosition, others?: FilePosition[]) {
  const lines: string[] = [];
  const r = await readNewLines(file, pos, linesOf((t, a, b) => lines.push(t.slice(a, b))), { others });
  return { lines, pos: r?.position, r };
}

const LONG = `Nov 22 01:00:00 h sshd[9]: Invalid user ${'x'.repeat(220)} from 192.0.2.9 port 1`;

test.each([
  ['a first line over 200 bytes', LONG],
  ['the same first line in every file (sshd -E)', 'Server listening on 0.0.0.0 port 22.'],
])('%s, copytruncate, the new file regrown past the old offset: rotated tail, then all of the new file', async (_, first) => {
  const f = path.join(tmpdir(), 'auth.log');
  fs.writeFileSync(f, `${first}\nold-1\nold-2\n`);
  const a = await read(f);
  fs.appendFileSync(f, 'old-3\n'); // after our run, before rotation
  fs.copyFileSync(f, `${f}.1`);
  fs.truncateSync(f, 0);
  fs.appendFileSync(f, `${first}\n${Array.from({ length: 10 }, (_, i) => `new-${i}`).join('\n')}\n`);
  const b = await read(f, a.pos);
  expect(b.lines).toEqual(['old-3', first, ...Array.from({ length: 10 }, (_, i) => `new-${i}`)]);
  expect(b.r!.rotatedFrom).toEqual([`${f}.1`]);
  fs.appendFileSync(f, 'new-10\n');
  expect((await read(f, b.pos)).lines).toEqual(['new-10']);
});

test('a first line over 200 bytes, renamed and compressed at once: the .1.gz tail is read', async () => {
  const f = path.join(tmpdir(), 'auth.log');
  fs.writeFileSync(f, `${LONG}\nold-1\n`);
  const a = await read(f);
  fs.appendFileSync(f, 'old-2\n');
  fs.writeFileSync(`${f}.1.gz`, zlib.gzipSync(fs.readFileSync(f)));
  fs.rmSync(f);
  fs.writeFileSync(f, `${LONG}\nnew-1\n`);
  expect((await read(f, a.pos)).lines).toEqual(['old-2', LONG, 'new-1']);
});

test('a position saved without a tail fingerprint (earlier versions) is still followed', async () => {
  const f = path.join(tmpdir(), 'auth.log');
  fs.writeFileSync(f, `${LONG}\none\n`);
  const a = await read(f);
  const legacy: FilePosition = { dev: a.pos!.dev, ino: a.pos!.ino, offset: a.pos!.offset, head: '' }; // '' was saved for long first lines
  fs.appendFileSync(f, 'two\n');
  expect((await read(f, legacy)).lines).toEqual(['two']);
});

test('a tail saved as a SHA-1 by the previous version is still checked', async () => {
  const { createHash } = await import('node:crypto');
  const f = path.join(tmpdir(), 'auth.log');
  fs.writeFileSync(f, 'first\none\n');
  const a = await read(f);
  const sha = (b: Buffer) => createHash('sha1').update(b).digest('hex').slice(0, 20);
  const legacy: FilePosition = { ...a.pos!, tail: sha(fs.readFileSync(f)) };
  fs.appendFileSync(f, 'two\n');
  expect((await read(f, legacy)).lines).toEqual(['two']);
  // The same file truncated and regrown past the offset with other lines: the old tail no longer matches.
  fs.writeFileSync(f, 'first\nONE\nthree\n');
  expect((await read(f, legacy)).lines).toEqual(['first', 'ONE', 'three']);
});

/** a.log read once (g1-a, g1-b), then one more line written before its rotation; returns its position. */
async function firstGeneration() {
  const dir = tmpdir();
  const f = path.join(dir, 'a.log');
  fs.writeFileSync(f, 'g1-a\ng1-b\n');
  const a = await read(f);
  fs.appendFileSync(f, 'g1-c\n');
  return { dir, f, a };
}

test('renamed under a name of its own (logrotate "extension .log": a.log → a.1.log): read on, not again', async () => {
  const { dir, f, a } = await firstGeneration();
  fs.renameSync(f, path.join(dir, 'a.1.log'));
  fs.writeFileSync(f, 'g2-a\n');
  const renamed = await read(path.join(dir, 'a.1.log'), undefined, [a.pos!]);
  expect(renamed.lines).toEqual(['g1-c']);
  expect(renamed.r!.adopted).toBe(true);
  expect((await read(f, a.pos, [])).lines).toEqual(['g2-a']);
});

test('copied under a name of its own, then truncated: the copy is read on from the position, the log from the start', async () => {
  const { dir, f, a } = await firstGeneration();
  fs.copyFileSync(f, path.join(dir, 'a.1.log'));
  fs.truncateSync(f, 0);
  fs.appendFileSync(f, 'g2-a\n');
  expect((await read(path.join(dir, 'a.1.log'), undefined, [a.pos!])).lines).toEqual(['g1-c']);
  expect((await read(f, a.pos, [])).lines).toEqual(['g2-a']);
});

test('log = *.log through two extension-style rotations: nothing lost, nothing counted twice', async () => {
  // Threshold 5 (login_attempts): three failures, rotation, two more (lost or double-counted lines would
  // ban too early or never).
  const env = makeEnv('[sshd]\nlog = logs/*.log\nsuspicious_users =\n');
  const logs = path.join(env.dir, 'logs');
  fs.mkdirSync(logs);
  const fail = (i: number) => `Nov 22 01:00:0${i} h sshd[${100 + i}]: Failed password for bob from 192.0.2.7 port 1 ssh2\n`;
  const NOW = new Date('2026-11-22T01:30:00').toISOString();
  const a = path.join(logs, 'a.log');
  fs.writeFileSync(a, fail(1) + fail(2));
  expect((await runScan(env.ctx(NOW))).failures).toBe(2);
  fs.appendFileSync(a, fail(3));
  fs.renameSync(a, path.join(logs, 'a.1.log'));
  fs.writeFileSync(a, '');
  const r2 = await runScan(env.ctx(NOW));
  expect([r2.failures, r2.banned.length]).toEqual([1, 0]);
  fs.appendFileSync(a, fail(4));
  fs.renameSync(path.join(logs, 'a.1.log'), path.join(logs, 'a.2.log'));
  fs.renameSync(a, path.join(logs, 'a.1.log'));
  fs.writeFileSync(a, fail(5));
  const r3 = await runScan(env.ctx(NOW));
  expect(r3.failures).toBe(2);
  expect(r3.banned.map((b) => [b.ip, b.failures])).toEqual([['192.0.2.7', 5]]);
});
