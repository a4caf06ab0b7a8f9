/**
 * Two sync-push runs of one node that overlap (cron's and an admin's) against a real shared directory: they
 * queue on state_dir/sync-push.lock, so the newest bans always end up in the store; a push that cannot get
 * the lock in time exits 75 naming it; a dry run and the state lock are not held up by it.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runBan } from '../../lib/commands/ban';
import { syncPull } from '../../lib/sync/pull';
import { syncPush } from '../../lib/sync/push';
import { withLock } from '../../lib/lock';
import { AppError, ExitCode } from '../../lib/errors';
import { deadlineIn } from '../../lib/sync/retry';
import { DirObjectStore } from '../../lib/sync/dir-store';
import type { StoreFactory } from '../../lib/sync/layout';
import { wrappedDirStore } from './helpers/wrapped-dir-store';
import { type TestNode, makeNode, requireBuiltCli, runCli } from './helpers/node';

const T = { timeoutMs: 5000 };
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

let share: string;
let web1: TestNode;
let web2: TestNode;
beforeEach(() => {
  share = fs.mkdtempSync(path.join(os.tmpdir(), 'autoban-share-'));
  web1 = makeNode('web1', { kind: 'local', dir: share }, { defaultsExtra: 'lock_timeout = 1s' });
  web2 = makeNode('web2', { kind: 'local', dir: share });
});
afterEach(() => {
  web1.cleanup();
  web2.cleanup();
  fs.rmSync(share, { recursive: true, force: true });
});

/** A shared-directory store whose node-document uploads wait until `release()` (a slow upload, on demand). */
function heldUploads(): { factory: StoreFactory; reached: Promise<void>; release: () => void } {
  let reached!: () => void;
  let release!: () => void;
  const reachedP = new Promise<void>((r) => (reached = r));
  const released = new Promise<void>((r) => (release = r));
  const factory = wrappedDirStore((inner) => ({
    put: async (k, body, o) => {
      if (k.startsWith('nodes/')) {
        reached();
        await released;
      }
      return inner.put(k, body, o);
    },
  }));
  return { factory, reached: reachedP, release };
}

test('of two overlapping pushes whose first upload is slow, the newer bans are what the store keeps', async () => {
  await runBan(web1.ctx(), { ip: '203.0.113.1' });
  const slow = heldUploads();
  const first = syncPush(web1.ctx(), { factory: slow.factory });
  await slow.reached;
  // A ban while the first push is still uploading: the state lock is free (a slow store holds up no ban).
  await runBan(web1.ctx(), { ip: '203.0.113.2' });
  const ctx2 = web1.ctx();
  const second = syncPush(ctx2);
  let secondDone = false;
  void second.then(
    () => (secondDone = true),
    () => (secondDone = true),
  );
  // Let the second push either finish (as it could before the push lock) or start waiting for the first.
  for (let i = 0; i < 500 && !secondDone && !ctx2.log.lines.some((l) => l.startsWith('waiting for the lock')); i++) await sleep(10);
  expect(ctx2.log.lines).toContainEqual(`waiting for the lock ${path.join(web1.dir, 'state', 'sync-push.lock')} (another sync-push of this node is running; giving up after lock_timeout = 1s)`);
  slow.release();
  await Promise.all([first, second]);
  const doc = (await new DirObjectStore(share).get('nodes/web1.json', T))?.toString() ?? '';
  expect(doc).toContain('203.0.113.1');
  expect(doc).toContain('203.0.113.2');
  await syncPull(web2.ctx());
  expect(web2.denied()).toEqual(['203.0.113.1', '203.0.113.2']);
});

test('a push that waits longer than lock_timeout for another exits 75 naming sync-push.lock, and uploads nothing', async () => {
  await runBan(web1.ctx(), { ip: '203.0.113.3' });
  const stateDir = path.join(web1.dir, 'state');
  const ctx = web1.ctx();
  const err = await withLock(stateDir, 5, () => syncPush(ctx).then(() => null, (e: unknown) => e), undefined, 'sync-push');
  expect(err).toBeInstanceOf(AppError);
  expect((err as AppError).code).toBe(ExitCode.LockBusy);
  expect((err as AppError).message).toBe(`another autoban is running (lock ${path.join(stateDir, 'sync-push.lock')} held for more than 1s); try again later`);
  expect(fs.existsSync(path.join(share, 'nodes', 'web1.json'))).toBe(false);
  // A dry run only reads: it does not wait for the lock.
  const dry = web1.ctx({ dryRun: true });
  const t0 = Date.now();
  const r = await withLock(stateDir, 5, () => syncPush(dry), undefined, 'sync-push');
  expect(Date.now() - t0).toBeLessThan(900);
  expect(r.message).toContain('node document would be published');
  expect(dry.log.lines.some((l) => l.startsWith('waiting'))).toBe(false);
});

test('the wait for the push lock counts against the [sync] deadline', async () => {
  // web2 has the default lock_timeout = 30s, far longer than a 1.2 s deadline: the deadline ends the wait.
  const stateDir = path.join(web2.dir, 'state');
  fs.mkdirSync(stateDir);
  const ctx = web2.ctx();
  const t0 = Date.now();
  const err = await withLock(stateDir, 5, () => syncPush(ctx, { deadline: deadlineIn(1200) }).then(() => null, (e: unknown) => e), undefined, 'sync-push');
  expect(Date.now() - t0).toBeLessThan(3000);
  expect((err as AppError).code).toBe(ExitCode.LockBusy);
  expect((err as AppError).message).toMatch(/^another autoban is running \(lock .*\/state\/sync-push\.lock held until the \[sync\] deadline, \d+s\); try again later$/);
  expect(ctx.log.lines).toContainEqual(expect.stringMatching(/^waiting for the lock .*sync-push\.lock \(another sync-push of this node is running; giving up after the \[sync\] deadline, \d+s from now\)$/));
});

test('the CLI: sync-push exits 75 with one line naming the lock while another push holds it', async () => {
  requireBuiltCli();
  const stateDir = path.join(web1.dir, 'state');
  fs.mkdirSync(stateDir, { recursive: true });
  const r = await withLock(stateDir, 5, () => runCli(['sync-push', '--config', web1.cfgFile]), undefined, 'sync-push');
  expect(r.code).toBe(75);
  expect(r.stderr).toContain(`lock ${path.join(stateDir, 'sync-push.lock')} held for more than 1s`);
}, 20_000);

/** A shared-directory store that calls `during` once, at the first `get` (or `put`) of a key starting with `prefix`. */
function storeCalling(op: 'get' | 'put', prefix: string, during: () => void): StoreFactory {
  let done = false;
  const hit = (k: string, o: typeof op) => {
    if (o === op && !done && k.startsWith(prefix)) {
      done = true;
      during();
    }
  };
  return wrappedDirStore((inner) => ({
    get: (k, o) => (hit(k, 'get'), inner.get(k, o)),
    put: async (k, body, o) => {
      await inner.put(k, body, o);
      hit(k, 'put');
    },
  }));
}

/** What a run that finds sync-push.lock stale does: remove it and make its own. */
function takeOver(lock: string): void {
  fs.renameSync(lock, `${lock}.old`);
  fs.mkdirSync(lock);
  fs.rmdirSync(`${lock}.old`);
}

test('a push whose lock is taken over while it reads the store exits 75 and uploads nothing', async () => {
  await runBan(web1.ctx(), { ip: '203.0.113.4' });
  const lock = path.join(web1.dir, 'state', 'sync-push.lock');
  const err = await syncPush(web1.ctx(), { factory: storeCalling('get', 'nodes/', () => takeOver(lock)) }).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  expect((err as AppError).code).toBe(ExitCode.LockBusy);
  expect((err as AppError).message).toBe(`lost the lock ${lock} while working: another process took it over; nothing more was committed`);
  expect(fs.readdirSync(share)).toEqual([]);
});

test('a push whose lock goes stale during its node-document upload writes no hosts.deny after it', async () => {
  await runBan(web1.ctx(), { ip: '203.0.113.5' });
  const lock = path.join(web1.dir, 'state', 'sync-push.lock');
  const stale = () => {
    // As after a suspended VM: not refreshed for longer than the stale time, any other push may take it now.
    const old = new Date(Date.now() - 20_000);
    fs.utimesSync(lock, old, old);
  };
  const err = await syncPush(web1.ctx(), { factory: storeCalling('put', 'nodes/', stale) }).then(
    () => null,
    (e: unknown) => e,
  );
  expect((err as AppError).code).toBe(ExitCode.LockBusy);
  expect((err as AppError).message).toMatch(/sync-push\.lock while working: not refreshed for 2\ds, so another process may take it over; nothing more was committed$/);
  expect(fs.existsSync(path.join(share, 'nodes', 'web1.json'))).toBe(true);
  expect(fs.existsSync(path.join(share, 'hosts.deny'))).toBe(false);
});
