/**
 * The scan's short path (lib/quick-commit.ts): new bans go to bans.journal and are spliced into the deny
 * file; every reader sees them; a full commit folds the journal into bans.json; and a crash after any step
 * (simulated by putting back the files a later step would have written) loses nothing and bans nobody twice.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runScan } from '../../lib/commands/scan';
import { runBan, runUnban } from '../../lib/commands/ban';
import { runStatus } from '../../lib/commands/status';
import { readState } from '../../lib/state';
import { parseDenyFile, renderDenyFile } from '../../lib/deny-file';
import { JOURNAL_MAX_BYTES } from '../../lib/quick-commit';
import { decodeDb } from '../../lib/ban-codec';
import { runExpire } from '../../lib/commands/expire';
import { BEGIN_MARKER, END_MARKER } from '../../lib/deny-file';
import { makeEnv, sshdFail, type TestEnv } from '../helpers/context';

const local = (hms: string, day = 22) => new Date(`2026-11-${day}T${hms}`).toISOString();
const SSHD = `[sshd]\nlog = auth.log\nparser = sshd\n`;
const fails = (ip: string, n = 5, at = '01:0') => Array.from({ length: n }, (_, i) => sshdFail(`${at}${i}:00`, ip)).join('');
const FOREIGN_BEFORE = 'in.telnetd: ALL\n# our own comment\n';
const FOREIGN_AFTER = 'sshd: 10.0.0.0/255.0.0.0 : allow\n';

/** A committed state (full path) with a few bans and foreign lines around the block; the stamp is valid. */
async function committed(): Promise<TestEnv> {
  const env = makeEnv(SSHD);
  env.write('hosts.deny', FOREIGN_BEFORE);
  env.write('auth.log', fails('192.0.2.10') + fails('198.51.100.3') + fails('2001:db8:1:2::5'));
  const r = await runScan(env.ctx(local('01:10:00')));
  expect(r.banned).toHaveLength(3);
  // Foreign lines after the block too (written before the next commit renews the stamp).
  env.append('hosts.deny', FOREIGN_AFTER);
  await runBan(env.ctx(local('01:10:30')), { ip: '203.0.113.200' });
  return env;
}

const state = (env: TestEnv, f: string) => path.join(env.dir, 'state', f);
const journalLines = (env: TestEnv) => (fs.existsSync(state(env, 'bans.journal')) ? env.read('state/bans.journal').split('\n').filter(Boolean) : []);

test('a ban on the short path is appended to the journal, bans.json is untouched, and every reader sees it', async () => {
  const env = await committed();
  const dbBefore = env.read('state/bans.json');
  env.append('auth.log', fails('192.0.2.7', 5, '01:2') + fails('2001:db8:9::1', 5, '01:2'));
  const r = await runScan(env.ctx(local('01:30:00')));
  expect(r.banned.map((b) => b.ip).sort()).toEqual(['192.0.2.7', '2001:db8:9::/64']);
  expect(env.read('state/bans.json')).toBe(dbBefore);
  expect(journalLines(env)).toHaveLength(2);
  const ctx = env.ctx(local('01:30:00'));
  expect(readState(ctx).bans.map((b) => b.ip).sort()).toEqual(['192.0.2.10', '192.0.2.7', '198.51.100.3', '2001:db8:1:2::/64', '2001:db8:9::/64', '203.0.113.200']);
  expect(JSON.stringify(await runStatus(ctx))).toContain('192.0.2.7');
  expect(ctx.log.lines.filter((l) => l.startsWith('error'))).toEqual([]);
});

test('the spliced deny file is byte for byte what a full render gives', async () => {
  const env = await committed();
  env.append('auth.log', fails('192.0.2.7', 5, '01:2') + fails('192.0.2.100', 5, '01:2') + fails('1.2.3.4', 5, '01:2') + fails('2001:db8:ffff::1', 5, '01:2') + fails('2001:db8::1', 5, '01:2'));
  await runScan(env.ctx(local('01:30:00')));
  expect(journalLines(env)).toHaveLength(5);
  const text = env.read('hosts.deny');
  const targets = readState(env.ctx(local('01:30:00'))).bans.map((b) => b.ip);
  expect(text).toBe(renderDenyFile(parseDenyFile(text, 'hosts.deny'), targets));
  expect(text.startsWith(FOREIGN_BEFORE)).toBe(true);
  expect(text.endsWith(FOREIGN_AFTER)).toBe(true);
});

test('a full commit folds the journal into bans.json and removes it; a ban in both counts once', async () => {
  const env = await committed();
  env.append('auth.log', fails('192.0.2.7', 5, '01:2'));
  await runScan(env.ctx(local('01:30:00')));
  const journal = env.read('state/bans.journal');
  await runBan(env.ctx(local('01:31:00')), { ip: '203.0.113.9' });
  expect(fs.existsSync(state(env, 'bans.journal'))).toBe(false);
  const db = decodeDb(env.read('state/bans.json'), 'bans.json').db;
  expect(db.bans.map((b) => b.ip)).toContain('192.0.2.7');
  // A crash between writing bans.json and removing the journal: the entry is in both.
  env.write('state/bans.journal', journal);
  const ctx = env.ctx(local('01:32:00'));
  expect(readState(ctx).bans.filter((b) => b.ip === '192.0.2.7')).toHaveLength(1);
});

test('the journal is compacted by a full commit once it grows past its limit', async () => {
  const env = await committed();
  // Enough offenders in one run for the journal to pass the limit.
  const n = Math.ceil(JOURNAL_MAX_BYTES / 200) + 10;
  const ips = Array.from({ length: n }, (_, i) => `10.${(i >> 8) & 255}.${i & 255}.1`);
  env.append('auth.log', ips.map((ip) => fails(ip, 5, '01:2')).join(''));
  await runScan(env.ctx(local('01:30:00')));
  expect(journalLines(env)).toHaveLength(n);
  expect(fs.statSync(state(env, 'bans.journal')).size).toBeGreaterThan(JOURNAL_MAX_BYTES);
  env.append('auth.log', fails('192.0.2.7', 5, '01:4'));
  const r = await runScan(env.ctx(local('01:50:00')));
  expect(r.banned.map((b) => b.ip)).toEqual(['192.0.2.7']);
  expect(fs.existsSync(state(env, 'bans.journal'))).toBe(false);
  expect(decodeDb(env.read('state/bans.json'), 'bans.json').db.bans).toHaveLength(n + 5);
});

/** Files each step of a short-path commit writes, in order (see lib/quick-commit.ts). */
const STEPS: { name: string; restore: string[] }[] = [
  { name: 'after the journal append', restore: ['hosts.deny', 'state/positions.json', 'state/history.bin', 'state/stamp.txt'] },
  { name: 'after the deny file', restore: ['state/positions.json', 'state/history.bin', 'state/stamp.txt'] },
  { name: 'after the log positions', restore: ['state/stamp.txt'] },
];

test.each(STEPS)('a crash $name loses no ban and bans nobody twice', async ({ restore }) => {
  const env = await committed();
  env.append('auth.log', fails('192.0.2.7', 5, '01:2'));
  const saved = new Map(restore.map((f) => [f, fs.existsSync(path.join(env.dir, f)) ? env.read(f) : null]));
  await runScan(env.ctx(local('01:30:00')));
  expect(journalLines(env)).toHaveLength(1);
  // Put back what the later steps wrote: the state a kill at that moment leaves.
  for (const [f, text] of saved) {
    if (text === null) fs.rmSync(path.join(env.dir, f), { force: true });
    else env.write(f, text);
  }
  const ctx = env.ctx(local('01:31:00'));
  const r = await runScan(ctx);
  expect(r.banned).toEqual([]);
  expect(env.denyTargets()).toContain('192.0.2.7');
  expect(readState(ctx).bans.filter((b) => b.ip === '192.0.2.7')).toHaveLength(1);
  expect(ctx.log.lines.filter((l) => l.startsWith('error'))).toEqual([]);
  const text = env.read('hosts.deny');
  expect(text).toBe(renderDenyFile(parseDenyFile(text, 'hosts.deny'), readState(ctx).bans.map((b) => b.ip)));
});

test('a torn journal line is reported once, naming the file; its ban is found again and nothing else is lost', async () => {
  const env = await committed();
  env.append('auth.log', fails('192.0.2.7', 5, '01:2'));
  await runScan(env.ctx(local('01:30:00')));
  const before = new Map(['hosts.deny', 'state/positions.json', 'state/history.bin', 'state/stamp.txt'].map((f) => [f, env.read(f)]));
  env.append('auth.log', fails('192.0.2.8', 5, '01:3'));
  await runScan(env.ctx(local('01:40:00')));
  // Killed in the middle of the second append: half a line, nothing after it.
  const journal = env.read('state/bans.journal');
  const [first, second] = journal.split('\n');
  env.write('state/bans.journal', `${first}\n${(second as string).slice(0, 40)}`);
  for (const [f, text] of before) env.write(f, text);

  const reader = env.ctx(local('01:41:00'));
  expect(readState(reader).bans.map((b) => b.ip)).toContain('192.0.2.7');
  expect(reader.log.lines.filter((l) => l.startsWith('error'))).toEqual([`error: ${path.join(env.dir, 'state', 'bans.journal')}: line 2 is incomplete (a write was interrupted); entry ignored`]);

  const ctx = env.ctx(local('01:41:00'));
  const r = await runScan(ctx);
  expect(r.banned.map((b) => b.ip)).toEqual(['192.0.2.8']);
  expect(ctx.log.lines.filter((l) => l.startsWith('error'))).toHaveLength(1);
  expect(fs.existsSync(state(env, 'bans.journal'))).toBe(false);
  const all = readState(env.ctx(local('01:42:00'))).bans.map((b) => b.ip);
  expect(all.filter((ip) => ip === '192.0.2.7' || ip === '192.0.2.8').sort()).toEqual(['192.0.2.7', '192.0.2.8']);
  expect(env.denyTargets()).toEqual(expect.arrayContaining(['192.0.2.7', '192.0.2.8', '192.0.2.10', '203.0.113.200']));
});

test('a damaged journal line is ignored with a one-line error; the lines around it count', async () => {
  const env = await committed();
  env.append('auth.log', fails('192.0.2.7', 5, '01:2') + fails('192.0.2.8', 5, '01:2') + fails('192.0.2.9', 5, '01:2'));
  await runScan(env.ctx(local('01:30:00')));
  const lines = env.read('state/bans.journal').split('\n');
  lines[1] = '{"ip":"192.0.2.8","rule":';
  env.write('state/bans.journal', lines.join('\n'));
  const ctx = env.ctx(local('01:31:00'));
  const ips = readState(ctx).bans.map((b) => b.ip);
  expect(ips).toEqual(expect.arrayContaining(['192.0.2.7', '192.0.2.9']));
  expect(ips).not.toContain('192.0.2.8');
  expect(ctx.log.lines).toEqual([expect.stringMatching(/^error: .*state\/bans\.journal: line 2 is damaged \(not valid JSON\); entry ignored$/)]);
});

test('a scan with nothing new writes nothing; a log replaced in place with the same size is still read', async () => {
  const env = await committed();
  const files = ['state/positions.json', 'state/stamp.txt', 'hosts.deny', 'state/bans.json'];
  const mtimes = files.map((f) => fs.statSync(path.join(env.dir, f)).mtimeMs);
  await runScan(env.ctx(local('01:20:00')));
  expect(files.map((f) => fs.statSync(path.join(env.dir, f)).mtimeMs)).toEqual(mtimes);
  // Same inode, same size, another first line: the log was rewritten, not appended to.
  const log = env.read('auth.log');
  const fd = fs.openSync(path.join(env.dir, 'auth.log'), 'r+');
  fs.writeSync(fd, log.replace(/192\.0\.2\.10/g, '192.0.2.77'), 0);
  fs.closeSync(fd);
  const r = await runScan(env.ctx(local('01:20:00')));
  expect(r.banned.map((b) => b.ip)).toEqual(['192.0.2.77']);
});

/** The stamp's body as sets: active targets in order, counts and unbans sorted (their order is not meaning). */
function stampBody(env: TestEnv): { active: string[]; rest: string[]; expiry: string[] } {
  const [head, ...lines] = env.read('state/stamp.txt').split('\n');
  const n = JSON.parse(head as string) as { active: number; counts: number; unbans: number; expiring: number };
  expect(lines.pop()).toBe('');
  expect(lines).toHaveLength(n.active + n.counts + n.unbans + n.expiring);
  const r = n.active + n.counts + n.unbans;
  return { active: lines.slice(0, n.active), rest: lines.slice(n.active, r).sort(), expiry: lines.slice(r) };
}

test('the short path keeps the stamp exactly as a full commit would write it, ban counts included', async () => {
  const env = makeEnv(SSHD, { defaults: 'ban_duration = 1h\n' });
  env.write('auth.log', fails('192.0.2.10') + fails('198.51.100.3'));
  await runScan(env.ctx(local('01:10:00')));
  // Both bans expire at 02:04; this scan (full path: something expired) remembers them with a count of 1,
  // until their end of retention (history_retention, 90 days by default).
  env.append('auth.log', fails('2001:db8:1:2::5', 5, '02:0'));
  await runScan(env.ctx(local('02:10:00')));
  const kept = new Date(local('02:04:00')).getTime() + 90 * 86_400_000;
  expect(stampBody(env).rest).toEqual([`192.0.2.10 1@${kept}`, `198.51.100.3 1@${kept}`]);
  const dbBefore = env.read('state/bans.json');

  // Short path: a new address, a repeat offender (its ban lasts twice as long, its count leaves the stamp),
  // and an old offense by a new address whose ban has already run out (recorded: it gets a count).
  env.append('auth.log', fails('192.0.2.7', 5, '02:2') + fails('192.0.2.10', 5, '02:2') + fails('203.0.113.5', 5, '00:1'));
  const r = await runScan(env.ctx(local('02:30:00')));
  expect(env.read('state/bans.json')).toBe(dbBefore); // no full commit
  const minutes = (b: { ip: string; bannedAt: Date; expiresAt: Date | null }) => [b.ip, (b.expiresAt!.getTime() - b.bannedAt.getTime()) / 60_000];
  expect(r.banned.map(minutes).sort()).toEqual([
    ['192.0.2.10', 120],
    ['192.0.2.7', 60],
  ]);
  expect(r.expiredOnArrival.map(minutes)).toEqual([['203.0.113.5', 60]]);
  const quick = stampBody(env);
  // Active targets are fixed-width records (padded with spaces); the full commit below must write the same bytes.
  const count = (l: string) => l.replace(/@\d+/g, '');
  expect({ active: quick.active.map((l) => l.trimEnd()), rest: quick.rest.map(count), expiry: quick.expiry.map((l) => count(l.slice(17))) }).toEqual({
    active: ['192.0.2.10', '192.0.2.7', '2001:db8:1:2::/64'],
    rest: ['198.51.100.3 1', '203.0.113.5 1'],
    // When each target's ban ends (soonest first) and its address's ban count.
    expiry: ['2001:db8:1:2::/64 1', '192.0.2.7 1', '192.0.2.10 2'],
  });

  // What a full commit writes for the same database.
  fs.rmSync(state(env, 'stamp.txt'));
  await runScan(env.ctx(local('02:30:00')));
  expect(fs.existsSync(state(env, 'bans.journal'))).toBe(false);
  expect(stampBody(env)).toEqual(quick);

  // And the next short path reads the counts back: both offend again and get twice the base.
  env.append('auth.log', fails('198.51.100.3', 5, '02:3') + fails('203.0.113.5', 5, '02:3'));
  const r2 = await runScan(env.ctx(local('02:40:00')));
  expect(env.read('state/bans.json')).not.toContain('02:34');
  expect(r2.banned.map(minutes).sort()).toEqual([
    ['198.51.100.3', 120],
    ['203.0.113.5', 120],
  ]);
});

test('a new target longer than the stamp records of its family: the short path writes the list wider, as a full commit would', async () => {
  const env = await committed();
  const dbBefore = env.read('state/bans.json');
  const widthOf = () => (JSON.parse(env.read('state/stamp.txt').split('\n')[0] as string) as { w6: number }).w6;
  const before = widthOf();
  env.append('auth.log', fails('2001:db8:ffff:ffff::1', 5, '01:2') + fails('192.0.2.7', 5, '01:2'));
  const r = await runScan(env.ctx(local('01:30:00')));
  expect(r.banned.map((b) => b.ip).sort()).toEqual(['192.0.2.7', '2001:db8:ffff:ffff::/64']);
  expect(env.read('state/bans.json')).toBe(dbBefore); // the short path
  expect(widthOf()).toBe('2001:db8:ffff:ffff::/64'.length + 1);
  expect(widthOf()).toBeGreaterThan(before);
  const quick = stampBody(env);
  expect(quick.active.map((l) => l.trimEnd())).toEqual(['192.0.2.10', '192.0.2.7', '198.51.100.3', '203.0.113.200', '2001:db8:1:2::/64', '2001:db8:ffff:ffff::/64']);
  fs.rmSync(state(env, 'stamp.txt'));
  await runScan(env.ctx(local('01:40:00')));
  expect(stampBody(env)).toEqual(quick);
  // And the next short path searches the wider records: an active target's new lines are not a new ban.
  env.append('auth.log', fails('2001:db8:ffff:ffff::2', 5, '01:4') + fails('192.0.2.8', 5, '01:4'));
  const r2 = await runScan(env.ctx(local('01:50:00')));
  expect(r2.banned.map((b) => b.ip)).toEqual(['192.0.2.8']);
});

test('bans whose time is up are lifted on the short path: the deny file as a full render gives it, the database files untouched', async () => {
  const env = await committed();
  env.append('auth.log', fails('192.0.2.7', 5, '01:2') + fails('2001:db8:9::1', 5, '01:2'));
  await runScan(env.ctx(local('01:30:00')));
  const db = env.read('state/bans.json');
  const journal = env.read('state/bans.journal');
  // A day later the bans of the first scan and the manual one are up; those of 01:24 are not.
  const at = local('01:15:00', 23);
  const ctx = env.ctx(at);
  expect((await runExpire(ctx)).removed).toEqual(['192.0.2.10', '198.51.100.3', '203.0.113.200', '2001:db8:1:2::/64']);
  expect(ctx.log.lines).toEqual(['expired: 192.0.2.10', 'expired: 198.51.100.3', 'expired: 203.0.113.200', 'expired: 2001:db8:1:2::/64', 'expire: 4 bans lifted']);
  // The database is not opened: a full commit would have folded the journal into bans.json.
  expect([env.read('state/bans.json'), env.read('state/bans.journal')]).toEqual([db, journal]);
  const text = env.read('hosts.deny');
  expect(text).toBe(`${FOREIGN_BEFORE}${BEGIN_MARKER}\nALL: 192.0.2.7\nALL: [2001:db8:9::]/64\n${END_MARKER}\n${FOREIGN_AFTER}`);
  const lifted = stampBody(env);
  // The lifted addresses keep their ban counts (a repeat offence doubles), as a full commit records them.
  fs.rmSync(state(env, 'stamp.txt'));
  await runExpire(env.ctx(at));
  expect(stampBody(env)).toEqual(lifted);
  expect(env.read('hosts.deny')).toBe(text);
});

test('a scan lifts bans whose time is up on the short path, then bans a repeat offender for twice as long', async () => {
  const env = await committed();
  const db = env.read('state/bans.json');
  env.append('auth.log', Array.from({ length: 5 }, (_, i) => `Nov 23 01:3${i}:00 host sshd[1000]: Failed password for bob from 192.0.2.10 port 40000 ssh2\n`).join(''));
  const ctx = env.ctx(local('01:40:00', 23));
  const r = await runScan(ctx);
  expect(r.banned.map((b) => [b.ip, b.banCount, (b.expiresAt!.getTime() - b.bannedAt.getTime()) / 86_400_000])).toEqual([['192.0.2.10', 2, 2]]);
  // Banned again in the same run: not reported as lifted (the full path does not either).
  expect(ctx.log.lines.filter((l) => l.startsWith('expired'))).toEqual(['expired: 198.51.100.3', 'expired: 203.0.113.200', 'expired: 2001:db8:1:2::/64']);
  expect(env.read('state/bans.json')).toBe(db);
  expect(journalLines(env)).toHaveLength(1);
  expect(env.read('hosts.deny')).toBe(`${FOREIGN_BEFORE}${BEGIN_MARKER}\nALL: 192.0.2.10\n${END_MARKER}\n${FOREIGN_AFTER}`);
});

test('a stamp of the previous version costs one full-path run, then expiry takes the short path', async () => {
  const env = await committed();
  const sf = state(env, 'stamp.txt');
  const b = fs.readFileSync(sf);
  const nl = b.indexOf(10);
  fs.writeFileSync(sf, Buffer.concat([Buffer.from(JSON.stringify({ ...JSON.parse(b.toString('utf8', 0, nl)), version: 3 })), b.subarray(nl)]));
  env.append('auth.log', fails('192.0.2.7', 5, '01:2'));
  await runScan(env.ctx(local('01:30:00')));
  expect(fs.existsSync(state(env, 'bans.journal'))).toBe(false); // the full path: the ban went to bans.json
  env.append('auth.log', fails('192.0.2.8', 5, '01:4'));
  await runScan(env.ctx(local('01:50:00')));
  expect(journalLines(env)).toHaveLength(1); // the short path again
  const journal = env.read('state/bans.journal');
  expect((await runExpire(env.ctx(local('01:20:00', 23)))).removed).toHaveLength(4);
  expect(env.read('state/bans.journal')).toBe(journal);
});

test('a crash between the short-path expiry writing the deny file and the stamp costs one full-path run, nothing else', async () => {
  const env = await committed();
  const stamp = env.read('state/stamp.txt');
  await runExpire(env.ctx(local('01:05:00', 23)));
  expect(env.denyTargets()).toEqual(['203.0.113.200']);
  env.write('state/stamp.txt', stamp); // the old stamp: its fingerprint of the deny file no longer holds
  const ctx = env.ctx(local('01:06:00', 23));
  expect((await runExpire(ctx)).removed).toEqual([]);
  expect(ctx.log.lines).toEqual(['expire: 0 bans lifted']);
  expect(env.denyTargets()).toEqual(['203.0.113.200']);
  expect(JSON.parse(env.read('state/stamp.txt').split('\n')[0] as string).committedAtMs).toBe(new Date(local('01:06:00', 23)).getTime());
});

test('bans that reached their end of retention keep the short path: forgotten by every reader, pruned from bans.json by the next full commit', async () => {
  const env = makeEnv(SSHD, { defaults: 'ban_duration = 10m\nhistory_retention = 1h\n' });
  env.write('auth.log', fails('192.0.2.10') + fails('198.51.100.3'));
  await runScan(env.ctx(local('01:10:00'))); // both until 01:14, remembered until 02:14
  expect((await runExpire(env.ctx(local('01:20:00')))).removed).toEqual(['192.0.2.10', '198.51.100.3']);
  env.append('auth.log', fails('203.0.113.5', 5, '01:5'));
  await runScan(env.ctx(local('02:00:00'))); // short path: until 02:04
  const db = env.read('state/bans.json');
  const journal = env.read('state/bans.journal');
  // 02:30: 203.0.113.5's time is up, and the other two are past their retention: still the short path.
  const ctx = env.ctx(local('02:30:00'));
  expect((await runExpire(ctx)).removed).toEqual(['203.0.113.5']);
  expect([env.read('state/bans.json'), env.read('state/bans.journal')]).toEqual([db, journal]);
  expect(db).toContain('198.51.100.3'); // left for the next full commit
  expect(readState(ctx).bans.map((b) => b.ip)).toEqual(['203.0.113.5']);
  // Forgotten: a first offence again (10 minutes, no ban#), on the short path.
  env.append('auth.log', fails('192.0.2.10', 5, '02:3'));
  const r = await runScan(env.ctx(local('02:40:00')));
  expect(r.banned.map((b) => [b.ip, b.banCount, (b.expiresAt!.getTime() - b.bannedAt.getTime()) / 60_000])).toEqual([['192.0.2.10', 1, 10]]);
  expect(env.read('state/bans.json')).toBe(db);
  // The next full commit prunes them from the file.
  await runBan(env.ctx(local('02:45:00')), { ip: '198.51.100.250' });
  expect(env.read('state/bans.json')).not.toContain('198.51.100.3');
  expect(env.read('state/bans.json')).toContain('192.0.2.10');
});

test.each(['short path', 'full path'])('a count whose ban is forgotten before a lower one steps down to that count (%s)', async (way) => {
  const env = makeEnv(SSHD, { defaults: 'ban_duration = 10m\nban_duration_max = 40m\nhistory_retention = 1h\n' });
  env.write('auth.log', '');
  await runBan(env.ctx(local('01:00:00')), { ip: '192.0.2.10', duration: '2h' }); // ban#1 until 03:00, remembered until 04:00
  await runUnban(env.ctx(local('01:05:00')), { ip: '192.0.2.10' });
  env.append('auth.log', fails('192.0.2.10', 5, '01:1'));
  const r1 = await runScan(env.ctx(local('01:20:00'))); // ban#2: 20 minutes, until 01:34, remembered until 02:34
  expect(r1.banned.map((b) => b.banCount)).toEqual([2]);
  expect((await runExpire(env.ctx(local('01:40:00')))).removed).toEqual(['192.0.2.10']);
  const db = env.read('state/bans.json');
  if (way === 'full path') fs.rmSync(state(env, 'stamp.txt'));
  // 02:50: ban#2 is forgotten, ban#1 is not: the count is 1, so this is ban#2 again (20 minutes), not ban#3.
  env.append('auth.log', fails('192.0.2.10', 5, '02:4'));
  const r = await runScan(env.ctx(local('02:50:00')));
  expect(r.banned.map((b) => [b.ip, b.banCount, (b.expiresAt!.getTime() - b.bannedAt.getTime()) / 60_000])).toEqual([['192.0.2.10', 2, 20]]);
  if (way === 'short path') expect(env.read('state/bans.json')).toBe(db);
});
