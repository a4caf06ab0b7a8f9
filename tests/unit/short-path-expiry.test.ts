/**
 * Random sequences of scans, manual bans, unbans and expire runs, each done twice: on a node that takes the
 * short paths (bans that ran out lifted from the stamp's expiry section, new bans spliced in) and on one whose
 * stamp is deleted before every run (always the full path). After every step both must hold the same deny
 * file, the same ban database (as every reader sees it: pruned at the time) and the same stamp contents (ban
 * count steps as they stand at the time), and report the same bans and lifts. Sequences with a short
 * retention cross many ends of retention, which the short paths leave in bans.json for the next full commit.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runScan } from '../../lib/commands/scan';
import { runExpire } from '../../lib/commands/expire';
import { runBan, runUnban } from '../../lib/commands/ban';
import { dbFile, readState } from '../../lib/state';
import { readStamp, stampContents, dueExpiries } from '../../lib/stamp';
import { decodeDb, encodeBanLine } from '../../lib/ban-codec';
import { readJournal } from '../../lib/ban-journal';
import type { BanDb } from '../../lib/types';
import { makeEnv, type TestEnv } from '../helpers/context';

const CFG = `[sshd]\nlog = auth.log\nparser = sshd\n`;
/** Short retention: old bans reach their end of retention during the sequence; long: fewer such moments. */
const defaults = (retention: string) => `ban_duration = 10m\nban_duration_max = 40m\nhistory_retention = ${retention}\n`;
const pad = (n: number) => String(n).padStart(2, '0');
const BASE = new Date('2026-11-22T01:00:00').getTime(); // local time: the sshd lines carry local times

/** What one step does to a node; returns what the user sees (bans, lifts). */
type Step = (env: TestEnv, iso: string) => Promise<string[]>;

/** Count steps (`3@<ms>,1`) without those over at `nowMs`: what the stamp says at that moment. */
const liveAt = (steps: string, nowMs: number) => steps.split(',').filter((x) => !x.includes('@') || Number(x.slice(x.indexOf('@') + 1)) > nowMs).join(',');

function stampView(env: TestEnv, nowMs: number): unknown {
  const b = fs.readFileSync(path.join(env.dir, 'state', 'stamp.txt'));
  const nl = b.indexOf(10);
  const h = JSON.parse(b.toString('utf8', 0, nl));
  const lines = b.toString('latin1', nl + 1).split('\n');
  lines.pop();
  const c = h.active + h.counts;
  const r = c + h.unbans;
  const live = (line: string) => {
    const sp = line.lastIndexOf(' ');
    const steps = liveAt(line.slice(sp + 1), nowMs);
    return steps ? `${line.slice(0, sp)} ${steps}` : null;
  };
  return {
    head: [h.active, h.v4, h.w4, h.w6, h.block, h.unbans, h.expiring, h.nextChangeMs, h.otherChangeMs],
    active: lines.slice(0, h.active),
    counts: lines.slice(h.active, c).map(live).filter((l) => l !== null).sort(),
    unbans: lines.slice(c, r).sort(),
    expiry: lines.slice(r).map(live),
  };
}

/** Whether the quick node's bans.json or journal still holds a ban past its retention at `nowMs` (left for the next full commit). */
function holdsForgotten(env: TestEnv, nowMs: number, keepMs: number): boolean {
  const file = path.join(env.dir, 'state', 'bans.json');
  const bans = [...(fs.existsSync(file) ? decodeDb(fs.readFileSync(file, 'utf8'), file).db.bans : []), ...(readJournal(path.join(env.dir, 'state', 'bans.journal'))?.bans ?? [])];
  return bans.some((b) => b.expiresAt !== null && b.expiresAt.getTime() + keepMs <= nowMs);
}

/** Fingerprints of the quick node's ban database files (unchanged: the run did not write the database). */
const dbFiles = (env: TestEnv) =>
  ['bans.json', 'bans.journal'].map((f) => { try { const s = fs.statSync(path.join(env.dir, 'state', f)); return `${f}:${s.ino}:${s.size}:${s.mtimeMs}`; } catch { return '-'; } }).join(' ');

const dbView = (db: BanDb) => ({ bans: db.bans.map(encodeBanLine).sort(), unbans: db.unbans.map((u) => `${u.ip} ${u.at.toISOString()} ${u.node}`).sort() });

const RETENTION: Record<string, number> = { '45m': 45 * 60_000, '6h': 6 * 3_600_000, '2h': 2 * 3_600_000 };

test.each([
  [1, '45m', 60],
  [2, '6h', 60],
  [3, '45m', 60],
  [4, '6h', 60],
  [5, '45m', 60],
  [6, '6h', 60],
  // 10m bans (doubling up to 40m) remembered for 2 h, over about 15 h: ends of retention all the way through.
  [7, '2h', 120],
  [8, '2h', 120],
  [9, '2h', 120],
])('short-path expiry vs full path, sequence %i (history_retention = %s, %i steps)', async (round, retention, steps) => {
  let seed = 7000 + round;
  const rnd = (n: number) => (seed = (seed * 48271) % 2147483647) % n;
  // A small pool, so addresses come back (repeat offenders, bans that doubled) and some ban lengths coincide.
  const pool = ['192.0.2.1', '192.0.2.22', '198.51.100.7', '198.51.100.200', '203.0.113.5', '203.0.113.99', '2001:db8::1', '2001:db8:1:2::5', '2001:db8:ffff:1::9'];
  // With the short retention, also scan offenders banned by hand (after an unban, say): a higher count that is
  // forgotten before a lower one, so a count steps down to another, not to 0.
  const manual = ['192.0.2.0/28', '203.0.113.128/25', '2001:db8:aaaa::/48', '198.51.100.250', ...(retention === '2h' ? ['192.0.2.22', '2001:db8::1'] : [])];
  const opts = { defaults: defaults(retention) };
  const keepMs = RETENTION[retention] as number;
  const quick = makeEnv(CFG, opts);
  const full = makeEnv(CFG, opts);
  for (const env of [quick, full]) env.write('hosts.deny', 'in.telnetd: ALL\n'), env.write('auth.log', '');
  let nowMs = BASE;
  let quickExpiries = 0;
  let dueRuns = 0;
  // Runs that left the database alone although it held bans past their retention (before: the full path).
  let forgottenKept = 0;
  let forgottenLifts = 0;
  for (let i = 0; i < steps; i++) {
    nowMs += (1 + rnd(14)) * 60_000 + rnd(60) * 1000;
    const iso = new Date(nowMs).toISOString();
    const k = rnd(12);
    let step: Step;
    if (k < 6) {
      // New failures, a few seconds old, from 0-3 addresses.
      let text = '';
      for (let n = rnd(4); n > 0; n--) {
        const ip = pool[rnd(pool.length)] as string;
        for (let j = 0; j < 5; j++) {
          const t = new Date(nowMs - (20 - j) * 1000);
          text += `Nov 22 ${pad(t.getHours())}:${pad(t.getMinutes())}:${pad(t.getSeconds())} host sshd[${1000 + i}]: Failed password for bob from ${ip} port 40000 ssh2\n`;
        }
      }
      step = async (env, at) => {
        env.append('auth.log', text);
        const ctx = env.ctx(at);
        const res = await runScan(ctx);
        return [...res.banned.map((b) => `banned ${b.ip} ${b.expiresAt?.toISOString()}`), ...ctx.log.lines.filter((l) => l.includes('expired:'))];
      };
    } else if (k < 7) {
      const ip = manual[rnd(manual.length)] as string;
      const duration = ['5m', '12m', '30m', '0'][rnd(4)] as string;
      step = async (env, at) => {
        const ctx = env.ctx(at);
        const b = await runBan(ctx, { ip, duration });
        return [`ban ${b.ip} ${b.expiresAt?.toISOString()}`, ...ctx.log.lines.filter((l) => l.includes('expired:'))];
      };
    } else if (k < 8) {
      const ip = [...pool, ...manual][rnd(pool.length + manual.length)] as string;
      step = async (env, at) => [`unban ${JSON.stringify(await runUnban(env.ctx(at), { ip }))}`];
    } else {
      step = async (env, at) => (await runExpire(env.ctx(at))).removed;
    }
    // Would the quick node lift bans on the short path now?
    const qctx = quick.ctx(iso);
    const st = readStamp(qctx, dbFile(qctx), nowMs, 'expiry');
    const c = st && stampContents(st);
    const due = !!c && (dueExpiries(c.expiry, nowMs)?.due.length ?? 0) > 0;
    const before = dbFiles(quick);
    const forgotten = holdsForgotten(quick, nowMs, keepMs);
    if (due) dueRuns++;

    const seenQuick = await step(quick, iso);
    // Lifted with the journal of earlier short-path bans in place: a full commit would have folded it into bans.json.
    if (due && before.includes('journal') && dbFiles(quick) === before) quickExpiries++;
    if (forgotten && dbFiles(quick) === before) {
      forgottenKept++;
      if (due) forgottenLifts++;
    }
    fs.rmSync(path.join(full.dir, 'state', 'stamp.txt'), { force: true });
    const seenFull = await step(full, iso);
    expect([i, seenQuick]).toEqual([i, seenFull]);
    expect([i, quick.read('hosts.deny')]).toEqual([i, full.read('hosts.deny')]);
    expect([i, dbView(readState(quick.ctx(iso)))]).toEqual([i, dbView(readState(full.ctx(iso)))]);
    expect([i, stampView(quick, nowMs)]).toEqual([i, stampView(full, nowMs)]);
  }
  // The point of the comparison: runs in which only bans ran out were common, and the short path lifted them
  // (at least once with a journal in place, which a full commit would have folded into bans.json).
  expect(dueRuns).toBeGreaterThan(5);
  expect(quickExpiries).toBeGreaterThan(0);
  // And ends of retention did not send them to the full path: with the short retention, lifts on the short
  // path while bans.json held bans past their retention (counted as forgotten all the same, as compared above).
  if (retention === '2h') {
    expect(forgottenKept).toBeGreaterThan(5);
    expect(forgottenLifts).toBeGreaterThan(0);
  }
});
