/**
 * sync.json is a cache of what a node last published and saw. When its lock (state_dir/sync-state.lock) is
 * held by another process past the 5 s wait (a stuck holder, or one SIGKILLed inside it: stale only after
 * 15 s), the push or pull that has already done its work must not fail: one warning naming the file and
 * what the next push does instead, exit 0, the upload kept. Real CLI processes, a real lock held by this one.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runBan } from '../../lib/commands/ban';
import { withLock } from '../../lib/lock';
import { DirObjectStore } from '../../lib/sync/dir-store';
import { type TestNode, makeNode, requireBuiltCli, runCli } from './helpers/node';

const T = { timeoutMs: 5000 };

let share: string;
let web1: TestNode;
let web2: TestNode;
beforeAll(requireBuiltCli);
beforeEach(() => {
  share = fs.mkdtempSync(path.join(os.tmpdir(), 'autoban-share-'));
  web1 = makeNode('web1', { kind: 'local', dir: share });
  web2 = makeNode('web2', { kind: 'local', dir: share });
});
afterEach(() => {
  web1.cleanup();
  web2.cleanup();
  fs.rmSync(share, { recursive: true, force: true });
});

const warnings = (stderr: string) => stderr.split('\n').filter((l) => /warn/i.test(l));
const syncJson = (n: TestNode) => path.join(n.dir, 'state', 'sync.json');
function heldSyncStateLock<R>(n: TestNode, fn: () => Promise<R>): Promise<R> {
  fs.mkdirSync(path.join(n.dir, 'state'), { recursive: true });
  return withLock(path.join(n.dir, 'state'), 5, fn, undefined, 'sync-state');
}

test('sync-push while sync-state.lock is held: the node document is published, one warning naming sync.json, exit 0; the next push records it without a warning', async () => {
  await runBan(web1.ctx(), { ip: '203.0.113.1' });
  const r = await heldSyncStateLock(web1, () => runCli(['sync-push', '--config', web1.cfgFile]));
  expect([r.code, warnings(r.stderr)]).toEqual([
    0,
    [
      expect.stringContaining(
        `sync-push: ${syncJson(web1)} not updated (its lock ${path.join(web1.dir, 'state', 'sync-state.lock')} was held by another process for more than 5s); it only remembers what was published and seen, nothing is lost: the next sync-push compares the node document with the stored copy again`,
      ),
    ],
  ]);
  expect((await new DirObjectStore(share).get('nodes/web1.json', T))?.toString()).toContain('203.0.113.1');
  // Nothing lost: another node gets the ban.
  expect((await runCli(['sync-pull', '--config', web2.cfgFile])).code).toBe(0);
  expect(web2.denied()).toEqual(['203.0.113.1']);

  await runBan(web1.ctx(), { ip: '203.0.113.2' });
  const r2 = await runCli(['sync-push', '--config', web1.cfgFile]);
  expect([r2.code, warnings(r2.stderr)]).toEqual([0, []]);
  expect(JSON.parse(fs.readFileSync(syncJson(web1), 'utf8')).nodeDoc).toMatchObject({ object: expect.stringContaining('web1.json') });
  expect((await new DirObjectStore(share).get('nodes/web1.json', T))?.toString()).toContain('203.0.113.2');
}, 60_000);

test('sync-pull while sync-state.lock is held: the bans merged and the whitelist copied, one warning naming sync.json, exit 0', async () => {
  await runBan(web1.ctx(), { ip: '203.0.113.3' });
  fs.writeFileSync(web1.whitelistFile, '192.0.2.10\n');
  expect((await runCli(['sync-push', '--config', web1.cfgFile])).code).toBe(0);
  const r = await heldSyncStateLock(web2, () => runCli(['sync-pull', '--config', web2.cfgFile]));
  expect([r.code, warnings(r.stderr)]).toEqual([
    0,
    [expect.stringContaining(`sync-pull: ${syncJson(web2)} not updated (its lock ${path.join(web2.dir, 'state', 'sync-state.lock')} was held by another process for more than 5s); it only remembers what was published and seen, nothing is lost: the next sync-push checks again that the shared whitelist exists`)],
  ]);
  expect(web2.denied()).toEqual(['203.0.113.3']);
  expect(fs.readFileSync(web2.whitelistFile, 'utf8')).toContain('192.0.2.10');
}, 60_000);
