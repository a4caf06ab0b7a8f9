/** Incremental reading across the ways logs get rotated: nothing missed, nothing read twice. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { type FilePosition, linesOf, readNewLines } from '../../lib/log-reader';
import { tmpdir } from '../helpers/tmpdir';

/** The identity of a rotated file to be read again (ReadResult.retry), as listed: not checked here (see rotation.test.ts). */
const listed = { dev: expect.any(Number), ino: expect.any(Number) };

async function read(file: string, pos?: FilePosition) {
  const lines: string[] = [];
  const r = await readNewLines(file, pos, linesOf((t, a, b) => lines.push(t.slice(a, b))));
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
  expect(b.r!.rotatedFrom).toEqual([`${f}.1`]);
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

test('rotated twice between runs, the older generation compressed: log.2.gz tail, then log.1, then the new log', async () => {
  const dir = tmpdir();
  const f = path.join(dir, 'auth.log');
  fs.writeFileSync(f, 'g1-a\ng1-b\n');
  const a = await read(f);
  fs.appendFileSync(f, 'g1-c\n');
  // first rotation (delaycompress): auth.log → auth.log.1
  fs.renameSync(f, `${f}.1`);
  fs.writeFileSync(f, 'g2-a\n');
  // second rotation: auth.log.1 → auth.log.2.gz, auth.log → auth.log.1
  fs.writeFileSync(`${f}.2.gz`, zlib.gzipSync(fs.readFileSync(`${f}.1`)));
  fs.rmSync(`${f}.1`);
  const old = new Date(Date.now() - 60_000);
  fs.utimesSync(`${f}.2.gz`, old, old);
  fs.renameSync(f, `${f}.1`);
  fs.writeFileSync(f, 'g3-a\n');
  const b = await read(f, a.pos);
  expect(b.lines).toEqual(['g1-c', 'g2-a', 'g3-a']);
  expect(b.r!.rotatedFrom).toEqual([`${f}.2.gz`, `${f}.1`]);
  // and nothing is read twice next time
  fs.appendFileSync(f, 'g3-b\n');
  expect((await read(f, b.pos)).lines).toEqual(['g3-b']);
});

test('first run on a big log seeks to the first line that can matter', async () => {
  const f = path.join(tmpdir(), 'big.log');
  const t0 = Date.UTC(2026, 0, 1);
  const lines: string[] = [];
  // 20 MB of lines, one per second
  for (let i = 0; i < 250_000; i++) lines.push(`${new Date(t0 + i * 1000).toISOString()} host sshd[1]: padding ${'x'.repeat(40)} line ${i}`);
  fs.writeFileSync(f, `${lines.join('\n')}\n`);
  const cutoff = t0 + 240_000 * 1000;
  const got: string[] = [];
  const r = await readNewLines(f, undefined, linesOf((t, a, b) => got.push(t.slice(a, b))), { notBeforeMs: cutoff, lineTime: (l) => Date.parse(l.slice(0, 24)) });
  expect(r!.seekedTo).toBeGreaterThan(15e6);
  // Every line at or after the cutoff is read; at most a few before it.
  expect(got[got.length - 1]).toContain('line 249999');
  const firstIdx = Number(/line (\d+)$/.exec(got[0]!)![1]);
  expect(firstIdx).toBeLessThanOrEqual(240_000);
  expect(firstIdx).toBeGreaterThan(239_000);
  expect(got).toHaveLength(250_000 - firstIdx);
});

test('lines without a time (sshd -E) are never skipped', async () => {
  const f = path.join(tmpdir(), 'e.log');
  fs.writeFileSync(f, 'Failed password for root from 192.0.2.1 port 1 ssh2\n'.repeat(400_000));
  const got: string[] = [];
  const r = await readNewLines(f, undefined, linesOf((t, a, b) => got.push(t.slice(a, b))), { notBeforeMs: Date.now(), lineTime: () => NaN });
  expect(r!.seekedTo).toBeUndefined();
  expect(got).toHaveLength(400_000);
});

test('first-run seek: a stretch of lines without a time where it probes never makes it skip lines that matter', async () => {
  const f = path.join(tmpdir(), 'mixed.log');
  const t0 = Date.UTC(2026, 0, 1);
  const lines: string[] = [];
  for (let i = 0; i < 250_000; i++) {
    // Around a quarter of the file (the second probe), lines carry no time.
    const timed = i < 61_500 || i > 63_500;
    lines.push(timed ? `${new Date(t0 + i * 1000).toISOString()} host sshd[1]: padding ${'x'.repeat(40)} line ${i}` : `untimed ${'y'.repeat(60)} line ${i}`);
  }
  fs.writeFileSync(f, `${lines.join('\n')}\n`);
  const got: string[] = [];
  await readNewLines(f, undefined, linesOf((t, a, b) => got.push(t.slice(a, b))), { notBeforeMs: t0 + 60_000 * 1000, lineTime: (l) => Date.parse(l.slice(0, 24)) });
  const firstIdx = Number(/line (\d+)$/.exec(got[0]!)![1]);
  expect(firstIdx).toBeLessThanOrEqual(60_000);
  expect(got).toHaveLength(250_000 - firstIdx);
});

test('a rotated .gz cut short (disk full while compressing): what it holds is read, then the new log, every run (after a minute: before, it may still be being written)', async () => {
  const f = path.join(tmpdir(), 'auth.log');
  fs.writeFileSync(f, 'g1-a\n');
  const a = await read(f);
  const rest = Array.from({ length: 2000 }, (_, i) => `g1-${i} ${'x'.repeat(i % 97)}`);
  fs.appendFileSync(f, `${rest.join('\n')}\n`);
  const gz = zlib.gzipSync(fs.readFileSync(f));
  fs.writeFileSync(`${f}.1.gz`, gz.subarray(0, gz.length - 100));
  fs.rmSync(f);
  fs.writeFileSync(f, 'g2-a\n');
  // Just written, it may still be being compressed: to be read again (this read's position not saved), not damage;
  // the live log is still read, so its bans are not delayed.
  const young = await read(f, a.pos);
  expect([young.r!.retry, young.r!.damaged, young.r!.unreadable]).toEqual([[{ file: `${f}.1.gz`, why: 'not valid gzip yet (written 0s ago, still being compressed?)', retry: true, ...listed, brief: 'not valid gzip' }], undefined, undefined]);
  expect(young.lines.at(-1)).toBe('g2-a');
  const old = new Date(Date.now() - 5 * 60_000);
  fs.utimesSync(`${f}.1.gz`, old, old);
  const b = await read(f, a.pos);
  expect(b.r!.damaged).toEqual([{ file: `${f}.1.gz`, why: 'unexpected end of file' }]);
  expect(b.lines.slice(0, 3)).toEqual(rest.slice(0, 3));
  expect(b.lines.length).toBeGreaterThan(1000);
  expect(b.lines.at(-1)).toBe('g2-a');
  expect(new Set(b.lines).size).toBe(b.lines.length);
  fs.appendFileSync(f, 'g2-b\n');
  expect((await read(f, b.pos)).lines).toEqual(['g2-b']);
});

test('a rotated .gz still being compressed, not yet up to our position: read again next run, not taken for another file (its unread lines lost)', async () => {
  const f = path.join(tmpdir(), 'auth.log');
  fs.writeFileSync(f, `${Array.from({ length: 20_000 }, (_, i) => `g1-${i} ${'x'.repeat(i % 97)}`).join('\n')}\n`);
  const a = await read(f);
  fs.appendFileSync(f, 'g1-late-1\ng1-late-2\n'); // after our run, before rotation
  const gz = zlib.gzipSync(fs.readFileSync(f));
  fs.writeFileSync(`${f}.1.gz`, gz.subarray(0, gz.length / 2)); // gzip half way through
  fs.rmSync(f);
  fs.writeFileSync(f, 'g2-a\n');
  const young = await read(f, a.pos);
  expect([young.r!.retry, young.r!.damaged, young.r!.unreadable]).toEqual([[{ file: `${f}.1.gz`, why: 'not valid gzip yet (written 0s ago, still being compressed?)', retry: true, ...listed, brief: 'not valid gzip' }], undefined, undefined]);
  fs.writeFileSync(`${f}.1.gz`, gz);
  const b = await read(f, a.pos);
  expect([b.lines, b.r!.retry]).toEqual([['g1-late-1', 'g1-late-2', 'g2-a'], undefined]);
});

test('a rotated .gz renamed between the listing and its read (logrotate running meanwhile): not read now, the position is not to be saved, the next read gets it', async () => {
  const f = path.join(tmpdir(), 'auth.log');
  fs.writeFileSync(f, 'g1-a\n');
  const a = await read(f);
  fs.appendFileSync(f, 'g1-b\n');
  const age = (file: string, min: number) => fs.utimesSync(file, new Date(Date.now() - min * 60_000), new Date(Date.now() - min * 60_000));
  fs.renameSync(f, `${f}.2`);
  age(`${f}.2`, 3);
  fs.writeFileSync(`${f}.1.gz`, zlib.gzipSync('g2-a\n'));
  age(`${f}.1.gz`, 2);
  fs.writeFileSync(f, 'g3-a\n');
  const lines: string[] = [];
  // Reading auth.log.2 first: auth.log.1.gz was listed, and becomes auth.log.2.gz before its turn comes.
  let rotated = false;
  const r = await readNewLines(f, a.pos, linesOf((t, x, y) => {
    if (!rotated) {
      fs.renameSync(`${f}.2`, `${f}.3`);
      fs.renameSync(`${f}.1.gz`, `${f}.2.gz`);
      rotated = true;
    }
    lines.push(t.slice(x, y));
  }));
  expect(lines).toEqual(['g1-b', 'g3-a']);
  expect(r!.retry).toEqual([{ file: `${f}.1.gz`, why: 'removed or renamed since the scan listed it (logrotate running meanwhile?)', retry: true, ...listed, brief: 'removed or renamed while being read' }]);
  expect(r!.unreadable).toBeUndefined();
  // The caller did not save r.position: from the old one, g2-a is found under its new name, nothing twice.
  const b = await read(f, a.pos);
  expect(b.lines).toEqual(['g1-b', 'g2-a', 'g3-a']);
  expect([b.r!.retry, b.r!.unreadable]).toEqual([undefined, undefined]);
  fs.appendFileSync(f, 'g3-b\n');
  expect((await read(f, b.pos)).lines).toEqual(['g3-b']);
});

test('logrotate rotates again while auth.log.2 is read (auth.log.1 becomes auth.log.2.gz, auth.log becomes auth.log.1): auth.log.1 is not read as the file listed, the next read gets everything once', async () => {
  const f = path.join(tmpdir(), 'auth.log');
  fs.writeFileSync(f, 'g1-a\n');
  const a = await read(f);
  fs.appendFileSync(f, 'g1-b\n');
  const age = (file: string, min: number) => fs.utimesSync(file, new Date(Date.now() - min * 60_000), new Date(Date.now() - min * 60_000));
  fs.renameSync(f, `${f}.2`);
  age(`${f}.2`, 3);
  fs.writeFileSync(`${f}.1`, 'g2-a\n');
  age(`${f}.1`, 2);
  fs.writeFileSync(f, 'g3-a\n');
  /** logrotate with delaycompress: .2 → .3, .1 → .2 compressed (keeping its time), auth.log → .1, a new auth.log. */
  const rotateAgain = () => {
    fs.renameSync(`${f}.2`, `${f}.3`);
    fs.writeFileSync(`${f}.2.gz`, zlib.gzipSync(fs.readFileSync(`${f}.1`)));
    age(`${f}.2.gz`, 2);
    fs.rmSync(`${f}.1`);
    fs.renameSync(f, `${f}.1`);
    fs.writeFileSync(f, '');
  };
  const lines: string[] = [];
  let rotated = false;
  const r = await readNewLines(f, a.pos, linesOf((t, x, y) => {
    if (!rotated) rotateAgain();
    rotated = true;
    lines.push(t.slice(x, y));
  }));
  // Before: auth.log.1 (now the old live log) was read as the one listed, from 0, and g2-a was lost.
  expect(lines).toEqual(['g1-b', 'g3-a']);
  expect(r!.retry).toEqual([{ file: `${f}.1`, why: 'renamed since the scan listed it, another file has its name now (logrotate running meanwhile?)', retry: true, ...listed, brief: 'renamed while being read' }]);
  const b = await read(f, a.pos);
  expect(b.lines).toEqual(['g1-b', 'g2-a', 'g3-a']);
  expect(b.r!.retry).toBeUndefined();
  fs.appendFileSync(f, 'g4-a\n');
  expect((await read(f, b.pos)).lines).toEqual(['g4-a']);
});

/** What logrotate's `compresscmd` writes: the real program's output (`extra`: its options, e.g. a block size). */
function compress(program: string, src: string, dst: string, extra: string[] = []): void {
  fs.writeFileSync(dst, execFileSync(program, ['-q', '-c', ...extra, src]));
}

const COMPRESSORS = [
  ['xz', '.xz'],
  ['zstd', '.zst'],
  ['bzip2', '.bz2'],
];

test.each(COMPRESSORS)('rotated and compressed at once with %s (%s): the unread tail is read from inside it, once', async (program, ext) => {
  const f = path.join(tmpdir(), 'auth.log');
  // Several MB: the fingerprint check stops its decompressor early; the read then decompresses from the start.
  const before = Array.from({ length: 60_000 }, (_, i) => `g1-${i} ${'y'.repeat(i % 89)}`);
  fs.writeFileSync(f, `${before.join('\n')}\n`);
  const a = await read(f);
  expect(a.lines).toHaveLength(60_000);
  fs.appendFileSync(f, 'g1-late-1\ng1-late-2\n'); // after our run, before rotation
  compress(program, f, `${f}.1${ext}`);
  fs.rmSync(f);
  fs.writeFileSync(f, 'g2-a\n');
  const b = await read(f, a.pos);
  expect(b.lines).toEqual(['g1-late-1', 'g1-late-2', 'g2-a']);
  expect(b.r!.rotatedFrom).toEqual([`${f}.1${ext}`]);
  expect([b.r!.damaged, b.r!.unreadable]).toEqual([undefined, undefined]);
  fs.appendFileSync(f, 'g2-b\n');
  expect((await read(f, b.pos)).lines).toEqual(['g2-b']);
});

test.each(COMPRESSORS)('a rotated %s file cut short: read up to the damage with a warning (after a minute; before, it may still be being written)', async (program, ext) => {
  const f = path.join(tmpdir(), 'auth.log');
  fs.writeFileSync(f, 'g1-a\n');
  const a = await read(f);
  const rest = Array.from({ length: 20_000 }, (_, i) => `g1-${i} ${'x'.repeat(i % 97)}`);
  fs.appendFileSync(f, `${rest.join('\n')}\n`);
  // bzip2 decompresses whole blocks only: 100 kB blocks (-1) leave blocks before the damage to read.
  compress(program, f, `${f}.whole`, program === 'bzip2' ? ['-1'] : []);
  const whole = fs.readFileSync(`${f}.whole`);
  fs.writeFileSync(`${f}.1${ext}`, whole.subarray(0, whole.length - 100));
  fs.rmSync(`${f}.whole`);
  fs.rmSync(f);
  fs.writeFileSync(f, 'g2-a\n');
  const young = await read(f, a.pos);
  expect([young.r!.retry, young.r!.damaged, young.r!.unreadable]).toEqual([[{ file: `${f}.1${ext}`, why: `not valid ${program} yet (written 0s ago, still being compressed?)`, retry: true, ...listed, brief: `not valid ${program}` }], undefined, undefined]);
  expect(young.lines.at(-1)).toBe('g2-a');
  const old = new Date(Date.now() - 5 * 60_000);
  fs.utimesSync(`${f}.1${ext}`, old, old);
  const b = await read(f, a.pos);
  // The decompressor's own first line says how (`xz: (stdin): Unexpected end of input`; wording varies by version).
  expect(b.r!.damaged).toEqual([{ file: `${f}.1${ext}`, why: expect.stringMatching(/\S/) }]);
  expect(b.lines.slice(0, 3)).toEqual(rest.slice(0, 3));
  expect(b.lines.length).toBeGreaterThan(10_000);
  expect(b.lines.at(-1)).toBe('g2-a');
  expect(new Set(b.lines).size).toBe(b.lines.length);
  fs.appendFileSync(f, 'g2-b\n');
  expect((await read(f, b.pos)).lines).toEqual(['g2-b']);
});

test('a rotated .xz whose integrity check type this xz cannot verify (xz exits 2, a warning): read whole, not damage', async () => {
  const f = path.join(tmpdir(), 'auth.log');
  fs.writeFileSync(f, 'g1-a\n');
  const a = await read(f);
  fs.appendFileSync(f, 'g1-b\ng1-c\n');
  // A CRC64 .xz relabelled with check ID 5 (reserved, same 8-byte size): xz decodes it all, warns, exits 2.
  const xz = Buffer.from(execFileSync('xz', ['-q', '-c', '--check=crc64', f]));
  xz[7] = 5;
  xz.writeUInt32LE(zlib.crc32(xz.subarray(6, 8)), 8);
  xz[xz.length - 3] = 5;
  xz.writeUInt32LE(zlib.crc32(xz.subarray(xz.length - 8, xz.length - 2)), xz.length - 12);
  fs.writeFileSync(`${f}.1.xz`, xz);
  fs.rmSync(f);
  fs.writeFileSync(f, 'g2-a\n');
  const b = await read(f, a.pos);
  expect(b.lines).toEqual(['g1-b', 'g1-c', 'g2-a']);
  expect(b.r!.rotatedFrom).toEqual([`${f}.1.xz`]);
  expect([b.r!.damaged, b.r!.unreadable]).toEqual([undefined, undefined]);
});

test('rotated three times between runs with different compressors: auth.log.3.bz2 tail, .2.zst, .1.xz, then the new log', async () => {
  const f = path.join(tmpdir(), 'auth.log');
  fs.writeFileSync(f, 'g1-a\n');
  const a = await read(f);
  fs.appendFileSync(f, 'g1-b\n');
  const gens: [string, string, string][] = [
    ['bzip2', `${f}.3.bz2`, 'g2-a\n'],
    ['zstd', `${f}.2.zst`, 'g3-a\n'],
    ['xz', `${f}.1.xz`, 'g4-a\n'],
  ];
  gens.forEach(([program, dst, next], i) => {
    compress(program, f, dst);
    const t = new Date(Date.now() - (3 - i) * 60_000); // oldest first, each settled
    fs.utimesSync(dst, t, t);
    fs.rmSync(f);
    fs.writeFileSync(f, next);
  });
  const b = await read(f, a.pos);
  expect(b.lines).toEqual(['g1-b', 'g2-a', 'g3-a', 'g4-a']);
  expect(b.r!.rotatedFrom).toEqual(gens.map(([, dst]) => dst));
});

test('a long read gives timers their turn (the state lock refreshes itself from one; a stale lock is taken over)', async () => {
  const f = path.join(tmpdir(), 'big.log');
  const line = 'Nov 22 01:00:00 host CRON[1]: pam_unix(cron:session): session closed for user root\n';
  fs.writeFileSync(f, Buffer.from(line.repeat(Math.ceil((80 << 20) / line.length)))); // 80 chunks, no second thread
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  let ticksDuringRead = 0;
  try {
    await readNewLines(f, undefined, () => {
      ticksDuringRead = ticks;
    });
  } finally {
    clearInterval(timer);
  }
  expect(ticksDuringRead).toBeGreaterThan(0);
});

test('rotated twice with both files of the same modification time (one tick of the kernel clock): read oldest first, by generation', async () => {
  const f = path.join(tmpdir(), 'auth.log');
  fs.writeFileSync(f, 'g1-a\n');
  const a = await read(f);
  fs.appendFileSync(f, 'g1-late\n');
  fs.renameSync(f, `${f}.1`);
  fs.writeFileSync(f, 'g2-a\n');
  fs.renameSync(`${f}.1`, `${f}.2`);
  fs.renameSync(f, `${f}.1`);
  fs.writeFileSync(f, 'g3-a\n');
  const t = new Date('2026-11-22T01:00:00Z');
  for (const g of [`${f}.1`, `${f}.2`]) fs.utimesSync(g, t, t);
  const b = await read(f, a.pos);
  expect(b.lines).toEqual(['g1-late', 'g2-a', 'g3-a']);
  expect(b.r!.rotatedFrom).toEqual([`${f}.2`, `${f}.1`]);
});

test('dateext generations of the same modification time: the earlier date first', async () => {
  const f = path.join(tmpdir(), 'auth.log');
  fs.writeFileSync(f, 'g1-a\n');
  const a = await read(f);
  fs.appendFileSync(f, 'g1-late\n');
  fs.renameSync(f, `${f}-20261121`);
  fs.writeFileSync(f, 'g2-a\n');
  fs.renameSync(f, `${f}-20261122`);
  fs.writeFileSync(f, 'g3-a\n');
  const t = new Date('2026-11-22T01:00:00Z');
  for (const g of [`${f}-20261121`, `${f}-20261122`]) fs.utimesSync(g, t, t);
  const b = await read(f, a.pos);
  expect(b.lines).toEqual(['g1-late', 'g2-a', 'g3-a']);
});

// Two sshd -E logs (no timestamps) can share their first line and the 256 bytes before a position (reloads repeat
// the same lines) while differing in between: a new inode is then no proof of the same log, and it is read whole.
test('an sshd -E log under a new inode that only matches head and tail is read from the start, losing nothing', async () => {
  const dir = tmpdir();
  const log = path.join(dir, 'sshd.log');
  const listen = 'Server listening on 0.0.0.0 port 22.\nServer listening on :: port 22.\n';
  const reload = `Received SIGHUP; restarting.\n${listen}`;
  fs.writeFileSync(log, `${listen}Invalid user alice from 203.0.113.5 port 41234\n${reload}${reload}${reload}`);
  const r1 = await readNewLines(log, undefined, linesOf(() => undefined));
  fs.renameSync(log, path.join(dir, 'held')); // rotated away under a name no sibling search looks at; its inode kept
  fs.writeFileSync(log, `${listen}Invalid user carol from 203.0.113.9 port 51234\n${reload}${reload}${reload}Invalid user dave from 203.0.113.9 port 51235\n`);
  const got: string[] = [];
  const r2 = await readNewLines(log, r1?.position, linesOf((t, a, b) => got.push(t.slice(a, b))));
  expect(r2?.sameContent).toBeUndefined();
  expect(got.filter((l) => l.startsWith('Invalid'))).toEqual(['Invalid user carol from 203.0.113.9 port 51234', 'Invalid user dave from 203.0.113.9 port 51235']);
});
