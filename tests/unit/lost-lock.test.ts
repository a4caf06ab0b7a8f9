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
import { makeEnv } from '../helpers/context';

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

test('a run whose lock was taken over while it worked commits nothing and exits 75', async () => {
  const e = makeEnv();
  e.write('hosts.deny', 'sshd: 198.51.100.250\n');
  const err = await banWhile(e, '192.0.2.9', (lock) => {
    // What another run does with a lock it finds stale: remove it and make its own.
    fs.renameSync(lock, `${lock}.old`);
    fs.mkdirSync(lock);
    fs.rmdirSync(`${lock}.old`);
  });
  expect(err).toBeInstanceOf(AppError);
  expect((err as AppError).code).toBe(ExitCode.LockBusy);
  expect((err as AppError).message).toBe(`lost the lock ${path.join(e.dir, 'state', 'autoban.lock')} while working: another process took it over; nothing more was committed`);
  expect(e.read('hosts.deny')).toBe('sshd: 198.51.100.250\n');
  expect(readState(e.ctx(NOW)).bans.map((b) => b.ip)).not.toContain('192.0.2.9');
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
