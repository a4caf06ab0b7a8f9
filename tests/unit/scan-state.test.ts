/** history.bin: round trip, damage starts the history afresh with a warning, history.txt is still read once. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodeHistoryBin, encodeHistoryBin, encodeHistories, loadHistories, loadHistoryFile, loadScanState, saveScanState } from '../../lib/scan-state';
import { memoryLogger } from '../../lib/log';
import type { History } from '../../lib/detect';
import { tmpdir } from '../helpers/tmpdir';

const sample = (): Map<string, History> =>
  new Map([
    ['sshd', new Map([['192.0.2.1', [7_100_000_001, 7_100_000_004]], ['2001:db8::/64', [8]]])],
    ['ftp', new Map()],
    ['other', new Map([['198.51.100.7', [7_200_000_000 * 4 + 3]]])],
  ]);

/** Histories as plain Maps (decoding gives StoredHistory, a Map that decodes its entries on demand). */
const plain = (hs: Map<string, History>) => new Map([...hs].map(([k, h]) => [k, new Map(h)]));

test('round trip', () => {
  const r = decodeHistoryBin(encodeHistoryBin(sample()));
  expect(r.error).toBeUndefined();
  expect(plain(r.histories)).toEqual(sample());
  expect(decodeHistoryBin(encodeHistoryBin(new Map()))).toEqual({ histories: new Map() });
});

test('a damaged or truncated file yields an empty history and a reason', () => {
  const data = encodeHistoryBin(sample());
  const flipped = Buffer.from(data);
  flipped[flipped.length - 3] ^= 1;
  for (const bad of [data.subarray(0, data.length - 5), flipped, Buffer.from('autoban-history 4\n{'), Buffer.from('garbage')]) {
    const r = decodeHistoryBin(bad);
    expect(r.histories.size).toBe(0);
    expect(r.error).toEqual(expect.any(String));
  }
});

test('history.txt of earlier versions is read, and replaced by history.bin at the next save', () => {
  const dir = tmpdir();
  fs.writeFileSync(path.join(dir, 'history.txt'), encodeHistories(sample()));
  const log = memoryLogger();
  const h = loadHistories(dir, log);
  expect(h).toEqual(sample());
  saveScanState(dir, { positions: {}, cursors: {}, marks: {}, histories: h });
  expect(fs.existsSync(path.join(dir, 'history.txt'))).toBe(false);
  expect(plain(loadHistories(dir, log))).toEqual(sample());
  fs.writeFileSync(path.join(dir, 'history.bin'), 'autoban-history 4\n{}\n');
  expect(loadHistories(dir, log).size).toBe(0);
  expect(log.lines).toEqual([expect.stringMatching(/history\.bin: .*; failure history starts empty$/)]);
});

test('a position with a tail that is not a string (a hand-edited positions.json) is dropped (that log is read as a new one), not a crash', () => {
  const dir = tmpdir();
  const good = { dev: 1, ino: 2, offset: 10, head: 'first', tail: 'b64:AAAA' };
  fs.writeFileSync(path.join(dir, 'positions.json'), JSON.stringify({ version: 1, files: { '/var/log/a.log': { ...good, tail: null }, '/var/log/b.log': good } }));
  const st = loadScanState(dir, memoryLogger());
  expect(Object.keys(st.positions)).toEqual(['/var/log/b.log']);
});

test('an empty log’s position keeps its read time and the rotated file it finished; a damaged one is dropped', () => {
  const dir = tmpdir();
  const prev = { dev: 1, ino: 3, offset: 10, head: 'first', tail: 'b64:AAAA' };
  const empty = { dev: 1, ino: 2, offset: 0, head: '', tail: 'b64:', emptyAt: 1_790_000_000_000, prev };
  const files = { '/var/log/a.log': empty, '/var/log/b.log': { ...empty, emptyAt: 'soon' }, '/var/log/c.log': { ...empty, prev: { ...prev, offset: -1 } }, '/var/log/d.log': { ...empty, prev: { ...prev, prev } } };
  fs.writeFileSync(path.join(dir, 'positions.json'), JSON.stringify({ version: 1, files }));
  const st = loadScanState(dir, memoryLogger());
  expect(st.positions).toEqual({ '/var/log/a.log': empty });
});

test('a position’s retry counts (rotated files left to the next run) are kept; damaged ones are dropped, not the position; positions of earlier versions have none', () => {
  const dir = tmpdir();
  const pos = { dev: 1, ino: 2, offset: 10, head: 'first', tail: 'b64:AAAA' };
  // With the time of the first of those runs, and without (earlier versions).
  const retried = [{ dev: 1, ino: 9, runs: 2, since: 1_790_000_000_000 }, { dev: 1, ino: 10, runs: 1 }];
  const bad = ['2', [{ dev: 1, ino: 9, runs: 'two' }], [{ dev: 1, ino: 9, runs: 0 }], [null], [{ dev: 1, runs: 1 }], { dev: 1, ino: 9, runs: 1 }, [{ dev: 1, ino: 9, runs: 1, since: 'today' }], [{ dev: 1, ino: 9, runs: 1, since: null }]];
  const files: Record<string, unknown> = { '/var/log/a.log': pos, '/var/log/b.log': { ...pos, retried } };
  bad.forEach((r, i) => (files[`/var/log/bad${i}.log`] = { ...pos, retried: r }));
  fs.writeFileSync(path.join(dir, 'positions.json'), JSON.stringify({ version: 1, files }));
  const st = loadScanState(dir, memoryLogger());
  expect(st.positions).toEqual({ '/var/log/a.log': pos, '/var/log/b.log': { ...pos, retried }, ...Object.fromEntries(bad.map((_, i) => [`/var/log/bad${i}.log`, pos])) });
  saveScanState(dir, st);
  expect(loadScanState(dir, memoryLogger()).positions['/var/log/b.log']).toEqual({ ...pos, retried });
});

test('the connections left open are kept in history.bin beside the histories: only for logs still read, and a damaged one is ignored, not a crash', () => {
  const dir = tmpdir();
  const log = memoryLogger();
  const open = { t: 1_790_000_000_000, c: [7, '192.0.2.4', 2, 0, 0, 0, 2, 0, 1_000] };
  const connections = { files: new Map([['/var/log/auth.log', open], ['/var/log/gone.log', open]]), journal: new Map([['sshd-journal', open]]) };
  const pos = { dev: 1, ino: 2, offset: 10, head: 'first' };
  saveScanState(dir, { positions: { '/var/log/auth.log': pos }, cursors: { 'sshd-journal': 'c4' }, marks: {}, histories: sample(), connections });
  const loaded = loadHistoryFile(dir, log);
  expect(plain(loaded.histories)).toEqual(sample());
  expect(loaded.connections).toEqual({ files: new Map([['/var/log/auth.log', open]]), journal: new Map([['sshd-journal', open]]) });
  // A history.bin of the version before (no "conns"): no connections, the histories as they were.
  fs.writeFileSync(path.join(dir, 'history.bin'), encodeHistoryBin(sample()));
  expect(loadHistoryFile(dir, log).connections).toEqual({ files: new Map(), journal: new Map() });
  expect(log.lines).toEqual([]);
  // Damaged values (a hand edit): those are ignored with a warning, the histories and the other logs' connections stay.
  const text = encodeHistoryBin(sample(), connections).toString('latin1');
  const damaged = text.replace('"/var/log/gone.log",{"t":1790000000000,"c":[7,', '"/var/log/gone.log",{"t":1790000000000,"c":[-7,').replace('["j","sshd-journal",', '["j",3,');
  fs.writeFileSync(path.join(dir, 'history.bin'), Buffer.from(damaged, 'latin1'));
  const r = loadHistoryFile(dir, log);
  expect(plain(r.histories)).toEqual(sample());
  expect(r.connections).toEqual({ files: new Map([['/var/log/auth.log', open]]), journal: new Map() });
  expect(log.lines).toEqual([expect.stringMatching(/history\.bin: the open connections of 2 logs are damaged; ignored/)]);
  const notAList = text.replace(/"conns":\[.*\]\}\n/, '"conns":"x"}\n');
  expect(decodeHistoryBin(Buffer.from(notAList, 'latin1'))).toEqual({ histories: expect.any(Map), connections: { files: new Map(), journal: new Map() }, connectionsError: 'the open connections are damaged' });
});

test("positions.json keeps each journal source's mark beside its cursor; a file without marks (earlier versions) still loads, a damaged mark is dropped alone", () => {
  const dir = tmpdir();
  const mark = { us: 1_795_311_410_123_456, s: '739ad463348b4ceca5a9e69c95a3c93f', i: '4ece7' };
  saveScanState(dir, { positions: {}, cursors: { sshd: 's=739ad463348b4ceca5a9e69c95a3c93f;i=4ece7' }, marks: { sshd: mark }, histories: null });
  const doc = JSON.parse(fs.readFileSync(path.join(dir, 'positions.json'), 'utf8'));
  // The cursors keep the shape earlier versions read; the marks have a key of their own.
  expect(doc.journal).toEqual({ sshd: 's=739ad463348b4ceca5a9e69c95a3c93f;i=4ece7' });
  expect(loadScanState(dir, memoryLogger()).marks).toEqual({ sshd: mark });
  fs.writeFileSync(path.join(dir, 'positions.json'), JSON.stringify({ version: 1, files: {}, journal: { sshd: 'c4' } }));
  expect(loadScanState(dir, memoryLogger())).toMatchObject({ cursors: { sshd: 'c4' }, marks: {} });
  fs.writeFileSync(path.join(dir, 'positions.json'), JSON.stringify({ version: 1, files: {}, journal: { sshd: 'c4', ftp: 'c9' }, journalAt: { sshd: { us: 'x', s: '', i: '' }, ftp: { us: 5, s: 'ab', i: '' }, ok: mark } }));
  const log = memoryLogger();
  expect(loadScanState(dir, log)).toMatchObject({ cursors: { sshd: 'c4', ftp: 'c9' }, marks: { ok: mark } });
  expect(log.lines).toEqual([]);
});
