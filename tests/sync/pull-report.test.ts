/**
 * sync-pull's "banned"/"unbanned" lines and its "+N -M" count on a node whose deny file is not a backend
 * (`backend = none` here; firewall-only nodes take the same path): a peer's ban is reported by the pull that
 * brings it, not again by every later pull, and a peer's unban by the pull that lifts it. Shared directory.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runBan, runUnban } from '../../lib/commands/ban';
import { syncPull } from '../../lib/sync/pull';
import { syncPush } from '../../lib/sync/push';
import { runWhitelistEdit } from '../../lib/sync/whitelist-edit';
import { type TestNode, makeNode } from './helpers/node';
import { fixedClock } from '../../lib/clock';

const nodes: TestNode[] = [];
const shares: string[] = [];
afterAll(() => {
  for (const n of nodes.splice(0)) n.cleanup();
  for (const d of shares.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function pair(defaultsExtra: string): [TestNode, TestNode] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'autoban-share-'));
  shares.push(dir);
  const made = ['web1', 'web2'].map((id) => makeNode(id, { kind: 'local', dir }, { defaultsExtra })) as [TestNode, TestNode];
  nodes.push(...made);
  return made;
}

const pulled = (lines: string[]) => lines.filter((l) => /^sync-pull: (banned|unbanned) /.test(l));

test.each(['backend = none', 'backend = hostsdeny'])('%s: a peer ban is reported by the pull that brings it, and only by it', async (backend) => {
  const [a, b] = pair(backend);
  await runBan(a.ctx(), { ip: '192.0.2.7', reason: 'test' });
  await syncPush(a.ctx());

  const first = b.ctx();
  const r1 = await syncPull(first);
  expect(pulled(first.log.lines)).toEqual(['sync-pull: banned 192.0.2.7 (from node web1: test)']);
  const what = backend === 'backend = none' ? 'banned set' : 'deny file'; // none: no deny file is written
  expect(r1.message).toMatch(new RegExp(`; ${what} \\+1 -0$`));

  const second = b.ctx();
  const r2 = await syncPull(second);
  expect(pulled(second.log.lines)).toEqual([]);
  expect(r2.message).toMatch(new RegExp(`; ${what} unchanged$`));

  await runUnban(a.ctx(), { ip: '192.0.2.7' });
  await syncPush(a.ctx());
  const third = b.ctx();
  await syncPull(third);
  expect(pulled(third.log.lines)).toEqual(['sync-pull: unbanned 192.0.2.7']);
});

test('backend = none: with the stamp gone, a pull does not report bans it already had as new', async () => {
  const [a, b] = pair('backend = none');
  await runBan(a.ctx(), { ip: '192.0.2.7', reason: 'test' });
  await syncPush(a.ctx());
  await syncPull(b.ctx());
  fs.rmSync(path.join(b.dir, 'state', 'stamp.txt'));
  const again = b.ctx();
  await syncPull(again);
  expect(pulled(again.log.lines)).toEqual([]);
});

test('a pull that lifts a ban whose time ran out says expired, not unbanned (in `run` the pull comes before expire)', async () => {
  const [a, b] = pair('backend = hostsdeny');
  await runBan(a.ctx(), { ip: '192.0.2.7', reason: 'test', duration: '1h' });
  await syncPush(a.ctx());
  await syncPull(b.ctx());
  const later = { ...b.ctx(), clock: fixedClock(new Date(Date.now() + 2 * 3600_000)) };
  const r = await syncPull(later);
  expect(later.log.lines.filter((l) => /^sync-pull: \S+ 192\.0\.2\.7/.test(l))).toEqual(['sync-pull: lifted 192.0.2.7 (expired)']);
  expect(r.message).toContain('0 new unbans');
});

test('push and pull count one whitelist entry and one node document in the singular', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'autoban-share-'));
  shares.push(dir);
  const [a, b] = ['web1', 'web2'].map((id) => makeNode(id, { kind: 'local', dir }, { whitelist: id === 'web1' ? '# office\n192.0.2.10\n' : '' })) as [TestNode, TestNode];
  nodes.push(a, b);
  const push = a.ctx();
  await syncPush(push);
  expect(push.log.lines).toContainEqual(expect.stringMatching(/^sync-push: created \S+ from the local whitelist \(1 entry\)$/));
  const pull = b.ctx();
  const r = await syncPull(pull);
  expect(pull.log.lines).toContainEqual(expect.stringMatching(/^sync-pull: updated \S+whitelist\.txt from \S+ \(1 entry\)$/));
  expect(r.message).toMatch(/^sync-pull: read 1 node document: 0 new bans, 0 new unbans;/);
});

test('whitelist add on a sync node says the ban it lifts is whitelisted; the peer that pulls it says so too', async () => {
  const [a, b] = pair('backend = hostsdeny');
  await runBan(a.ctx(), { ip: '203.0.113.7', reason: 'test' });
  await syncPush(a.ctx());
  await syncPull(b.ctx());
  const add = a.ctx();
  await runWhitelistEdit(add, 'add', '203.0.113.0/24');
  expect(add.log.lines.filter((l) => l.includes('203.0.113.7'))).toEqual(['whitelisted: 203.0.113.7 (ban lifted)']);
  expect(a.denied()).toEqual([]);
  const pull = b.ctx();
  await syncPull(pull);
  expect(pull.log.lines.filter((l) => l.includes('203.0.113.7'))).toEqual(['sync-pull: lifted 203.0.113.7 (whitelisted)']);
  expect(b.denied()).toEqual([]);
});
