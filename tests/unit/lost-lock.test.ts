/**
 * A commit checks that it still holds the state lock right before it writes (lib/lock.ts assertHeld):
 * proper-lockfile notices a lost lock only at its next refresh, by when a run that took the lock over may be
 * writing the same database and deny file. Real lock directory, real state files.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { withState, readState } from '../../lib/state';
import { AppError, ExitCode } from '../../lib/errors';
import type { Ban } from '../../lib/types';
import { makeEnv, sshdFail } from '../helpers/context';
import { runScan } from '../../lib/commands/scan';
import * as quickCommit from '../../lib/quick-commit';
import * as atomicWrite from '../../lib/atomic-write';

const NOW = '2026-11-22T10:00:00Z';

function manualBan(ip: string): Ban {
  return { ip, rule: 'manual', reason: 'manual', failures: 0, source: 'manual', origin: 'manual', node: 'test1', bannedAt: new Date(NOW), expiresAt: null, banCount: 1 };
}

/** Runs a transaction that bans `ip` after `during` did something to the held lock; returns its error. */
async function banWhile(e: ReturnType<typeof makeEnv>, ip: string, during: (lock: string) => void): Promise<unknown> {
  const lock = path.join(e.dir, 'state', 'autoban.lock');
  return withState(e.ctx(NOW), async (t) => {
    during(lock);
    return { db: { bans: [...t.db.bans, manualBan(ip)], unbans: t.db.unbans }, result: undefined };
  }).then(
    () => null,
    (err: unknown) => err,
  );
}

test('a run whose lock was taken over while it worked commits nothing, exits 75 and leaves the new lock in place', async () => {
  const e = makeEnv();
  let otherIno = -1;
  e.write('hosts.deny', 'sshd: 198.51.100.250\n');
  const err = await banWhile(e, '192.0.2.9', (lock) => {
    // What another run does with a lock it finds stale: remove it and make its own.
    fs.renameSync(lock, `${lock}.old`);
    fs.mkdirSync(lock);
    otherIno = fs.statSync(lock).ino;
    fs.rmdirSync(`${lock}.old`);
  });
  expect(err).toBeInstanceOf(AppError);
  expect((err as AppError).code).toBe(ExitCode.LockBusy);
  expect((err as AppError).message).toBe(`lost the lock ${path.join(e.dir, 'state', 'autoban.lock')} while working: another process took it over; nothing more was committed`);
  expect(e.read('hosts.deny')).toBe('sshd: 198.51.100.250\n');
  expect(readState(e.ctx(NOW)).bans.map((b) => b.ip)).not.toContain('192.0.2.9');
  // Ending, it left the other run's lock alone: removing it would let a third run in beside that one.
  const lock = path.join(e.dir, 'state', 'autoban.lock');
  expect(fs.statSync(lock).ino).toBe(otherIno);
});

test('a run whose lock was not refreshed for longer than the stale time (15 s) commits nothing and exits 75', async () => {
  const e = makeEnv();
  const err = await banWhile(e, '192.0.2.10', (lock) => {
    // As after a suspended VM or a blocked event loop: any other run may take this lock over now.
    const old = new Date(Date.now() - 20_000);
    fs.utimesSync(lock, old, old);
  });
  expect((err as AppError).code).toBe(ExitCode.LockBusy);
  expect((err as AppError).message).toMatch(/autoban\.lock while working: not refreshed for 2\ds, so another process may take it over; nothing more was committed$/);
  expect(e.denyTargets()).toEqual([]);
});

test('with the lock held throughout, the commit goes through', async () => {
  const e = makeEnv();
  expect(await banWhile(e, '192.0.2.11', () => undefined)).toBeNull();
  expect(e.denyTargets()).toEqual(['192.0.2.11']);
});

// The scan's two commits: a lock lost after the bans were written must not save the log positions (the run
// that took the lock over would then skip lines it has not committed), and on the quick path a lock lost
// before the journal append writes nothing at all.
const SSHD = `[sshd]\nlog = auth.log\nparser = sshd\n`;
const local = (hms: string) => new Date(`2026-11-22T${hms}`).toISOString();
const fails = (ip: string, at: string) => Array.from({ length: 5 }, (_, i) => sshdFail(`${at}${i}:00`, ip)).join('');
const takeOver = (lock: string) => {
  fs.renameSync(lock, `${lock}.old`);
  fs.mkdirSync(lock);
  fs.rmdirSync(`${lock}.old`);
};
const lostMessage = (e: ReturnType<typeof makeEnv>) => `lost the lock ${path.join(e.dir, 'state', 'autoban.lock')} while working: another process took it over; nothing more was committed`;
const positionsOf = (e: ReturnType<typeof makeEnv>) => (fs.existsSync(path.join(e.dir, 'state', 'positions.json')) ? e.read('state/positions.json') : null);

afterEach(() => jest.restoreAllMocks());

test('a full-path scan whose lock is taken over once its bans are written leaves positions.json unchanged and exits 75', async () => {
  const e = makeEnv(SSHD);
  e.write('auth.log', fails('192.0.2.20', '01:0'));
  await runScan(e.ctx(local('01:10:00')));
  const before = positionsOf(e);
  expect(before).not.toBeNull();
  // --from-start takes the full path (runTx); its onSaved line "banned …" comes after the database and deny
  // file are written and before the positions are saved: the moment to lose the lock.
  e.append('auth.log', fails('192.0.2.21', '01:2'));
  const ctx = e.ctx(local('01:30:00'));
  const info = ctx.log.info;
  ctx.log.info = (m: string) => {
    if (m.startsWith('banned 192.0.2.21')) takeOver(path.join(e.dir, 'state', 'autoban.lock'));
    info(m);
  };
  const err = await runScan(ctx, { fromStart: true }).then(
    () => null,
    (x: unknown) => x,
  );
  expect((err as AppError).code).toBe(ExitCode.LockBusy);
  expect((err as AppError).message).toBe(lostMessage(e));
  expect(positionsOf(e)).toBe(before);
});

test('a quick-path scan whose lock is taken over before the journal append writes nothing and exits 75', async () => {
  const e = makeEnv(SSHD);
  e.write('auth.log', fails('192.0.2.30', '01:0'));
  await runScan(e.ctx(local('01:10:00')));
  const before = { positions: positionsOf(e), deny: e.read('hosts.deny'), stamp: e.read('state/stamp.txt') };
  e.append('auth.log', fails('192.0.2.31', '01:2'));
  // prepareQuickCommit runs under the lock, right before commitNewBans' first write.
  const real = quickCommit.prepareQuickCommit;
  jest.spyOn(quickCommit, 'prepareQuickCommit').mockImplementation((...a) => {
    takeOver(path.join(e.dir, 'state', 'autoban.lock'));
    return real(...a);
  });
  const err = await runScan(e.ctx(local('01:30:00'))).then(
    () => null,
    (x: unknown) => x,
  );
  expect(quickCommit.prepareQuickCommit).toHaveBeenCalled();
  expect((err as AppError).message).toBe(lostMessage(e));
  expect((err as AppError).code).toBe(ExitCode.LockBusy);
  expect(fs.existsSync(path.join(e.dir, 'state', 'bans.journal'))).toBe(false);
  expect({ positions: positionsOf(e), deny: e.read('hosts.deny'), stamp: e.read('state/stamp.txt') }).toEqual(before);
});

test('a quick-path scan whose lock is taken over while it writes the deny file does not save the log positions and exits 75', async () => {
  const e = makeEnv(SSHD);
  e.write('auth.log', fails('192.0.2.40', '01:0'));
  await runScan(e.ctx(local('01:10:00')));
  const before = positionsOf(e);
  e.append('auth.log', fails('192.0.2.41', '01:2'));
  const deny = path.join(e.dir, 'hosts.deny');
  const real = atomicWrite.writeFileAtomic;
  jest.spyOn(atomicWrite, 'writeFileAtomic').mockImplementation((p, ...rest) => {
    const r = real(p, ...rest);
    if (p === deny) takeOver(path.join(e.dir, 'state', 'autoban.lock'));
    return r;
  });
  const err = await runScan(e.ctx(local('01:30:00'))).then(
    () => null,
    (x: unknown) => x,
  );
  expect((err as AppError).message).toBe(lostMessage(e));
  // The quick path did run: the ban is in the journal (durable, found again by the next run) and the deny file.
  expect(e.read('state/bans.journal')).toContain('192.0.2.41');
  expect(e.denyTargets()).toEqual(['192.0.2.40', '192.0.2.41']);
  expect(positionsOf(e)).toBe(before);
});
