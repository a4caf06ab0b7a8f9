/**
 * `autoban unban 203.0.113.0/24` on one node lifts, on every node, the bans inside the network that started
 * before it, including one a peer made before the unban and published only afterwards; a ban made after the
 * unban (a new attack) is in force everywhere. Three nodes on a real shared directory.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runUnban } from '../../lib/commands/ban';
import { runScan } from '../../lib/commands/scan';
import { syncPull } from '../../lib/sync/pull';
import { syncPush } from '../../lib/sync/push';
import { type TestNode, makeNode } from './helpers/node';

let share: string;
let web1: TestNode;
let web2: TestNode;
let web3: TestNode;
beforeAll(() => {
  share = fs.mkdtempSync(path.join(os.tmpdir(), 'autoban-share-'));
  [web1, web2, web3] = ['web1', 'web2', 'web3'].map((id) => makeNode(id, { kind: 'local', dir: share })) as [TestNode, TestNode, TestNode];
});
afterAll(() => {
  for (const n of [web1, web2, web3]) n.cleanup();
  fs.rmSync(share, { recursive: true, force: true });
});

/** The unban is dated by the clock: the ban before it and the one after must not share its millisecond. */
const tick = () => new Promise((r) => setTimeout(r, 25));
const pullLines = (lines: string[], ip: string) => lines.filter((l) => l.startsWith('sync-pull: ') && l.includes(ip));

/** Failed root logins from `ip`, logged at `at` (as TestNode.attack, but at a chosen time). */
function attackAt(n: TestNode, ip: string, at: Date): void {
  const stamp = at.toISOString().replace('Z', '000+00:00');
  let text = '';
  for (let i = 0; i < 3; i++) text += `${stamp} ${n.id} sshd[${7000 + i}]: Failed password for root from ${ip} port ${41000 + i} ssh2\n`;
  fs.appendFileSync(n.logFile, text);
}

test("a peer's ban from before `unban NET` stays lifted when it arrives later; a ban after the unban is in force everywhere", async () => {
  for (const n of [web1, web2, web3]) await runScan(n.ctx()); // every node has a stamp and log positions
  // web2 bans an attacker inside 203.0.113.0/24 and has not published it yet.
  web2.attack('203.0.113.5');
  await runScan(web2.ctx());
  expect(web2.denied()).toEqual(['203.0.113.5']);
  await tick();
  const beforeUnban = new Date();
  await tick();

  // web1 knows nothing of that ban: its unban of the network is the only record of the admin's intent.
  await runUnban(web1.ctx(), { ip: '203.0.113.0/24' });
  await syncPush(web1.ctx());
  await syncPull(web3.ctx()); // web3 learns of the unban first, of the ban only later

  await syncPush(web2.ctx());
  const p2 = web2.ctx();
  await syncPull(p2);
  expect(pullLines(p2.log.lines, '203.0.113.5')).toEqual(['sync-pull: unbanned 203.0.113.5 (inside 203.0.113.0/24, unbanned by node web1)']);
  const others = [web1.ctx(), web3.ctx()];
  for (const c of others) await syncPull(c);
  for (const c of others) expect(pullLines(c.log.lines, '203.0.113.5')).toEqual([]); // never banned there, so nothing to report
  for (const n of [web1, web2, web3]) expect(n.denied()).not.toContain('203.0.113.5');
  // Pushing and pulling again (web2 republishes its ban) changes nothing.
  for (const n of [web2, web1, web3]) await syncPush(n.ctx());
  for (const n of [web1, web2, web3]) await syncPull(n.ctx());
  for (const n of [web1, web2, web3]) expect(n.denied()).toEqual([]);

  // web3's log holds failures from inside the network dated before the unban (read late: a slow log). They
  // are from before the admin's unban, so they are lifted by it as web2's were; the scan's short path agrees.
  attackAt(web3, '203.0.113.7', beforeUnban);
  const c3 = web3.ctx();
  const r3 = await runScan(c3);
  expect(web3.denied()).toEqual([]);
  // Reported as what it is, not as "banned 203.0.113.7 … until …" with nothing in the deny file.
  expect(r3.banned).toEqual([]);
  expect(r3.unbannedOnArrival.map((b) => b.ip)).toEqual(['203.0.113.7']);
  expect(c3.log.lines.filter((l) => l.includes('203.0.113.7'))).toEqual([expect.stringMatching(/^scan: old offense 203\.0\.113\.7 rule=\S+ at .*: an unban of it \(or of a network containing it\) came later; not banned/)]);

  // A new attack after the unban: banned on web2, and in force on every node once synced. A ban is dated by its
  // failures' second, so one in the unban's own second would be lifted by it: the attack waits for the next.
  await new Promise((r) => setTimeout(r, 1025 - (Date.now() % 1000)));
  web2.attack('203.0.113.5');
  await runScan(web2.ctx());
  expect(web2.denied()).toEqual(['203.0.113.5']);
  await syncPush(web2.ctx());
  const later = [web1.ctx(), web3.ctx()];
  for (const c of later) await syncPull(c);
  for (const c of later) expect(pullLines(c.log.lines, '203.0.113.5')).toEqual([expect.stringMatching(/^sync-pull: banned 203\.0\.113\.5 \(from node web2: /)]);
  for (const n of [web1, web2, web3]) expect(n.denied()).toEqual(['203.0.113.5']);
}, 60_000);
