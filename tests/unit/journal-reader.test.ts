/**
 * The cursor handling of lib/journal-reader.ts against a stand-in journalctl that seeks as systemd's
 * journalctl.c does: sd_journal_seek_cursor lands on the saved entry or, when it is gone (vacuumed, a
 * volatile journal after a reboot), on the next one; then `--cursor` starts there and `--after-cursor`
 * skips one entry (sd_journal_next_skip(j, 1 + !!arg_after_cursor)), whichever entry that is.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { JournalCursorError, readJournal } from '../../lib/journal-reader';
import { ExitCode } from '../../lib/errors';
import { tmpdir } from '../helpers/tmpdir';

const FAKE = `#!/usr/bin/env node
const entries = ['c2', 'c3', 'c4'].map((c, i) => ({ __CURSOR: c, __REALTIME_TIMESTAMP: String(1795311410000000 + i), MESSAGE: 'm' + c, _COMM: 'sshd', _UID: '0', _PID: '7' }));
const a = process.argv.slice(2);
let at = 0;
for (const opt of ['--cursor', '--after-cursor']) {
  const i = a.indexOf(opt);
  if (i < 0) continue;
  if (!/^c\\d+$/.test(a[i + 1])) {
    // journalctl.c: sd_journal_seek_cursor fails on text that is not a cursor.
    console.error('Failed to seek to cursor: Invalid argument');
    process.exit(1);
  }
  const start = entries.findIndex((e) => e.__CURSOR >= a[i + 1]);
  at = (start < 0 ? entries.length : start) + (opt === '--after-cursor' ? 1 : 0);
}
for (const e of entries.slice(at)) console.log(JSON.stringify(e));
`;

function fake(): string {
  const dir = tmpdir();
  const file = path.join(dir, 'journalctl');
  fs.writeFileSync(file, FAKE, { mode: 0o755 });
  return file;
}

async function read(cursor: string): Promise<{ messages: string[]; cursor: string | undefined }> {
  const messages: string[] = [];
  const next = await readJournal({ match: [], cursor, journalctl: fake() }, (e) => messages.push(e.message));
  return { messages, cursor: next.cursor };
}

test('the entry the cursor names is not read again', async () => {
  expect(await read('c2')).toEqual({ messages: ['mc3', 'mc4'], cursor: 'c4' });
});

test('when the entry the cursor names is gone (vacuumed, rebooted volatile journal), the next one is not lost', async () => {
  expect(await read('c1')).toEqual({ messages: ['mc2', 'mc3', 'mc4'], cursor: 'c4' });
});

test('nothing new: the cursor stays', async () => {
  expect(await read('c4')).toEqual({ messages: [], cursor: undefined }); // the caller keeps its own
});

test('a saved cursor journalctl cannot seek to is a JournalCursorError (exit 66 unless the caller reads again)', async () => {
  const err = await read('garbage text').catch((e: unknown) => e);
  expect(err).toBeInstanceOf(JournalCursorError);
  expect((err as JournalCursorError).code).toBe(ExitCode.NoInput);
  expect((err as Error).message).toMatch(/Failed to seek to cursor/);
  // Without a cursor the same journal reads from the start (or from sinceSec).
  const messages: string[] = [];
  expect((await readJournal({ match: [], journalctl: fake() }, (e) => messages.push(e.message))).cursor).toBe('c4');
  expect(messages).toEqual(['mc2', 'mc3', 'mc4']);
});

test('after a mark (the cursor refused): from the mark\'s second, without the entries at or before it; the end carries the last mark', async () => {
  const dir = tmpdir();
  const file = path.join(dir, 'journalctl');
  // Prints its arguments to a file, then the entries (journalctl's --since seek is not what is tested here).
  fs.writeFileSync(file, FAKE.replace('let at = 0;', `let at = 0;\nrequire('fs').writeFileSync(${JSON.stringify(path.join(dir, 'args'))}, a.join(' '));`), { mode: 0o755 });
  const messages: string[] = [];
  const end = await readJournal({ match: [], after: { us: 1795311410000001, s: '', i: '' }, sinceSec: 1795311000, journalctl: file }, (e) => messages.push(e.message));
  expect(messages).toEqual(['mc4']);
  expect(end).toEqual({ cursor: 'c4', mark: { us: 1795311410000002, s: '', i: '' } });
  expect(fs.readFileSync(path.join(dir, 'args'), 'utf8')).toBe('-o json --no-pager -q --since @1795311410');
  // Every entry read before: the end is still the last one seen. A first-run start later than the mark wins.
  expect(await readJournal({ match: [], after: { us: 1795311410000002, s: '', i: '' }, journalctl: file }, () => undefined)).toEqual({ cursor: 'c4', mark: { us: 1795311410000002, s: '', i: '' } });
  await readJournal({ match: [], after: { us: 1795311410000002, s: '', i: '' }, sinceSec: 1795311999.5, journalctl: file }, () => undefined);
  expect(fs.readFileSync(path.join(dir, 'args'), 'utf8')).toBe('-o json --no-pager -q --since @1795311999');
});

/** A stand-in journalctl that prints two entries (c2, c3), then does `end` (JavaScript). */
function ending(end: string): string {
  const file = path.join(tmpdir(), 'journalctl');
  const entries = ['c2', 'c3'].map((c, i) => ({ __CURSOR: c, __REALTIME_TIMESTAMP: String(1795311410000000 + i), MESSAGE: 'm' + c, _COMM: 'sshd', _UID: '0' }));
  fs.writeFileSync(file, `#!/usr/bin/env node\nprocess.stdout.write(${JSON.stringify(entries.map((e) => JSON.stringify(e) + '\n').join(''))}, () => { ${end} });\n`, { mode: 0o755 });
  return file;
}

test.each([
  ['killed by a signal after printing entries', "process.kill(process.pid, 'SIGKILL');", 'journalctl -o json --no-pager -q --cursor c1 was killed by SIGKILL'],
  ['exits 3 without a word on stderr', 'process.exit(3);', 'journalctl -o json --no-pager -q --cursor c1 exited with 3'],
  ['exits 1 without a word after printing entries (not "no entries")', 'process.exit(1);', 'journalctl -o json --no-pager -q --cursor c1 exited with 1'],
])('journalctl %s: rejected with exit 66 naming it, so the caller keeps its cursor', async (_what, end, msg) => {
  const err = await readJournal({ match: [], cursor: 'c1', journalctl: ending(end) }, () => undefined).catch((e: unknown) => e);
  expect(err).toMatchObject({ code: ExitCode.NoInput, message: msg });
  expect(err).not.toBeInstanceOf(JournalCursorError);
});

test.each([
  ['exit 1, nothing on stdout or stderr (its "-- No entries --" muted by -q)', "process.exit(1)"],
  ['exit 1, "-- No entries --" on stdout', "console.log('-- No entries --'); process.exit(1)"],
  ['exit 1, "-- No entries --" on stderr', "console.error('-- No entries --'); process.exit(1)"],
])('"no entries" from journalctl (%s) is no failure: the cursor stays', async (_what, body) => {
  const file = path.join(tmpdir(), 'journalctl');
  fs.writeFileSync(file, `#!/usr/bin/env node\n${body};\n`, { mode: 0o755 });
  expect(await readJournal({ match: [], cursor: 'c1', journalctl: file }, () => undefined)).toEqual({});
});
