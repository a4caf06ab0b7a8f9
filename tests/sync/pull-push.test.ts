/**
 * sync-pull / sync-push in-process, against a real s3rver and a real shared directory: propagation,
 * unbans, absent documents, whitelist, adoption from old nodes, poisoned objects, an unreachable store,
 * dry runs and upload-only-on-change.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runBan, runUnban } from '../../lib/commands/ban';
import { syncPull } from '../../lib/sync/pull';
import { syncPush } from '../../lib/sync/push';
import { runWhitelistEdit } from '../../lib/sync/whitelist-edit';
import { readState, updateState } from '../../lib/state';
import { AppError, ExitCode } from '../../lib/errors';
import { canonicalJson, sha256Hex } from '../../lib/sync/canonical-json';
import { type RunningS3, startS3rver, useTestAwsEnv } from './helpers/s3rver';
import { type SyncTarget, type TestNode, makeNode } from './helpers/node';
import { DirObjectStore } from '../../lib/sync/dir-store';
import { S3ObjectStore } from '../../lib/sync/s3-store';
import type { ObjectStore } from '../../lib/sync/object-store';

let s3: RunningS3;
beforeAll(async () => {
  useTestAwsEnv();
  s3 = await startS3rver(['bucket']);
});
afterAll(async () => {
  await s3?.stop();
});

const T = { timeoutMs: 5000 };

interface Cluster {
  target: SyncTarget;
  /** Direct access to the shared objects, with the key layout the nodes use. */
  store: ObjectStore;
  key: (name: string) => string;
  nodes: TestNode[];
  cleanup(): void;
}

let seq = 0;
function cluster(kind: 'aws' | 'local', n = 2, whitelist = ''): Cluster {
  const prefix = `c${++seq}/`;
  let target: SyncTarget;
  let store: ObjectStore;
  let shareDir = '';
  if (kind === 'aws') {
    target = { kind: 'aws', endpoint: s3.endpoint, prefix };
    store = new S3ObjectStore({ bucket: 'bucket', endpoint: s3.endpoint, region: 'us-east-1' });
  } else {
    shareDir = fs.mkdtempSync(path.join(os.tmpdir(), 'autoban-share-'));
    target = { kind: 'local', dir: shareDir };
    store = new DirObjectStore(shareDir);
  }
  const nodes = Array.from({ length: n }, (_, i) => makeNode(`web${i + 1}`, target, { whitelist }));
  const key = (name: string) => {
    if (kind === 'local') return name === 'whitelist.txt' ? 'whitelist.txt' : name;
    return name === 'whitelist.txt' ? `${prefix}ban/whitelist.txt` : `${prefix}${name}`;
  };
  return {
    target,
    store,
    key,
    nodes,
    cleanup() {
      store.close();
      for (const node of nodes) node.cleanup();
      if (shareDir) fs.rmSync(shareDir, { recursive: true, force: true });
    },
  };
}

describe.each(['aws', 'local'] as const)('sync over %s', (kind) => {
  test('a ban made on one node reaches the other, which shows where it came from', async () => {
    const c = cluster(kind);
    try {
      const [a, b] = c.nodes as [TestNode, TestNode];
      await runBan(a.ctx(), { ip: '192.0.2.7', reason: 'test' });
      const ctxA = a.ctx();
      const pushed = await syncPush(ctxA);
      expect(pushed.warnings).toEqual([]);
      const ctxB = b.ctx();
      const pulled = await syncPull(ctxB);
      expect(pulled.message).toMatch(/1 new ban/);
      expect(b.denied()).toEqual(['192.0.2.7']);
      expect(fs.readFileSync(b.denyFile, 'utf8')).toContain('sshd: 198.51.100.250\n');
      const ban = readState(ctxB).bans.find((x) => x.ip === '192.0.2.7');
      expect(ban).toMatchObject({ node: 'web1', origin: 'peer', source: c.key('nodes/web1.json') });
      expect(ctxB.log.lines.join('\n')).toMatch(/sync-pull: banned 192\.0\.2\.7 \(from node web1/);
    } finally {
      c.cleanup();
    }
  });

  test('an unban on any node removes the ban everywhere; a deleted peer document removes nothing', async () => {
    const c = cluster(kind, 3);
    try {
      const [a, b, d] = c.nodes as [TestNode, TestNode, TestNode];
      await runBan(a.ctx(), { ip: '192.0.2.7' });
      await runBan(a.ctx(), { ip: '192.0.2.8' });
      await syncPush(a.ctx());
      await syncPull(b.ctx());
      await syncPull(d.ctx());
      expect(d.denied()).toEqual(['192.0.2.7', '192.0.2.8']);
      // b, which never banned it itself, unbans it.
      await runUnban(b.ctx(), { ip: '192.0.2.7' });
      await syncPush(b.ctx());
      await syncPull(a.ctx());
      await syncPull(d.ctx());
      expect(a.denied()).toEqual(['192.0.2.8']);
      expect(d.denied()).toEqual(['192.0.2.8']);
      // web1's document disappears (bucket cleanup, node retired): nothing is unbanned by that.
      if (kind === 'local') fs.rmSync(path.join((c.target as { dir: string }).dir, 'nodes', 'web1.json'));
      else await c.store.put(c.key('nodes/web1.json'), Buffer.from(''), T); // s3rver has no DeleteObject in our store: an empty body is as absent as it gets
      await syncPull(d.ctx());
      expect(d.denied()).toEqual(['192.0.2.8']);
      // web1 notices at its next push that its document is gone or broken, and publishes it again.
      await syncPush(a.ctx());
      expect((await c.store.get(c.key('nodes/web1.json'), T))?.length).toBeGreaterThan(100);
    } finally {
      c.cleanup();
    }
  });

  test('the shared whitelist reaches every node and wins over any ban', async () => {
    const c = cluster(kind, 2, '203.0.113.0/24\n');
    try {
      const [a, b] = c.nodes as [TestNode, TestNode];
      await syncPush(a.ctx()); // first node creates the shared whitelist from its local file
      fs.writeFileSync(b.whitelistFile, '');
      await runBan(b.ctx(), { ip: '203.0.113.9' });
      expect(b.denied()).toEqual(['203.0.113.9']);
      await syncPull(b.ctx());
      expect(fs.readFileSync(b.whitelistFile, 'utf8')).toContain('203.0.113.0/24\n');
      expect(b.denied()).toEqual([]);
      await syncPush(b.ctx());
      await syncPull(a.ctx());
      expect(a.denied()).toEqual([]);
      const shared = (await c.store.get(c.key('hosts.deny'), T))?.toString() ?? '';
      expect(shared).not.toContain('203.0.113.9');
    } finally {
      c.cleanup();
    }
  });

  test('a fresh node keeping the whitelist in state_dir (no whitelist key): its first pull creates state_dir', async () => {
    const c = cluster(kind, 1, '203.0.113.0/24\n');
    const b = makeNode('web9', c.target);
    try {
      await syncPush((c.nodes[0] as TestNode).ctx()); // the shared whitelist, from web1's local file
      fs.writeFileSync(b.cfgFile, fs.readFileSync(b.cfgFile, 'utf8').replace('whitelist = ./whitelist.txt\n', ''));
      await syncPull(b.ctx());
      expect(fs.readFileSync(path.join(b.dir, 'state', 'whitelist.txt'), 'utf8')).toContain('203.0.113.0/24\n');
    } finally {
      b.cleanup();
      c.cleanup();
    }
  });

  test('an empty (0-byte) shared whitelist is refused with one warning and the whitelist kept; a comment-only one clears it', async () => {
    const c = cluster(kind, 2, '203.0.113.0/24\n198.51.100.7\n');
    try {
      const [a, b] = c.nodes as [TestNode, TestNode];
      await syncPush(a.ctx()); // creates the shared whitelist from web1's local file
      await syncPull(b.ctx());
      await runBan(b.ctx(), { ip: '192.0.2.7' });
      const name = c.store.describe(c.key('whitelist.txt'));
      // A truncated upload or a full NAS disk: the object is there, with nothing in it.
      await c.store.put(c.key('whitelist.txt'), Buffer.alloc(0), T);
      for (const node of [a, b]) {
        const before = fs.readFileSync(node.whitelistFile, 'utf8');
        const r = await syncPull(node.ctx());
        expect(r.warnings).toEqual([`${name} is empty (0 bytes: a truncated upload or a full disk?); keeping the previous whitelist (2 entries). To clear the whitelist on purpose, leave a comment line in it`]);
        expect(fs.readFileSync(node.whitelistFile, 'utf8')).toBe(before);
      }
      expect(b.denied()).toEqual(['192.0.2.7']);
      await expect(runBan(b.ctx(), { ip: '203.0.113.9' })).rejects.toThrow(/whitelisted/); // still whitelisted here
      // `whitelist add` on top of the empty copy starts from the last-known entries, not from nothing.
      const added = await runWhitelistEdit(a.ctx(), 'add', '192.0.2.200');
      expect(added.entries).toEqual(['192.0.2.200', '198.51.100.7', '203.0.113.0/24']);
      // A deliberate clear: a comment line and no entries.
      await c.store.put(c.key('whitelist.txt'), Buffer.from('# cleared by the admins\n'), T);
      const r = await syncPull(b.ctx());
      expect(r.warnings).toEqual([]);
      expect(fs.readFileSync(b.whitelistFile, 'utf8')).not.toMatch(/203\.0\.113/);
      await runBan(b.ctx(), { ip: '203.0.113.9' });
      expect(b.denied()).toEqual(['192.0.2.7', '203.0.113.9']);
    } finally {
      c.cleanup();
    }
  });

  test('junk files among the node documents give a few warnings and a count, not one line each', async () => {
    const c = cluster(kind, 1);
    try {
      const [a] = c.nodes as [TestNode];
      await runBan(a.ctx(), { ip: '192.0.2.7' });
      await syncPush(a.ctx());
      for (let i = 0; i < 200; i++) await c.store.put(c.key(`nodes/junk ${i}.bak`), Buffer.from('x'), T);
      const ctx = a.ctx();
      const r = await syncPull(ctx);
      const junk = r.warnings.filter((w) => w.includes('junk') || w.includes('more files'));
      expect(junk).toHaveLength(6);
      expect(junk[0]).toBe(`ignored ${c.store.describe(c.key('nodes/junk 0.bak'))}: not a node document name (<node_id>.json)`);
      expect(junk[5]).toBe(`${c.store.describe(c.key('nodes/'))}: 195 more files not named <node_id>.json ignored`);
      expect(ctx.log.lines.length).toBeLessThan(20);
      expect(a.denied()).toEqual(['192.0.2.7']);
    } finally {
      c.cleanup();
    }
  }, 60000);

  test('a node whose clock runs 10 minutes ahead: pull names the skew, an unban says it cannot lift that ban yet, a later one does', async () => {
    const c = cluster(kind);
    try {
      const [a, b] = c.nodes as [TestNode, TestNode];
      const ahead = (ctx: ReturnType<TestNode['ctx']>, ms: number) => Object.assign(ctx, { clock: { now: () => new Date(Date.now() + ms) } });
      const aheadA = () => ahead(a.ctx(), 10 * 60_000);
      await runBan(aheadA(), { ip: '192.0.2.7' });
      await syncPush(aheadA());
      const pulledB = b.ctx();
      const r = await syncPull(pulledB);
      expect(r.warnings).toEqual([expect.stringMatching(new RegExp(`^${c.store.describe(c.key('nodes/web1.json')).replace(/[/.]/g, '\\$&')} is dated .*, 10 min ahead of this node's clock: is the clock of web1 \\(or this node\\) right\\?`))]);
      // The admin unbans on web2, in real time after the ban but before web1's timestamp of it: told it does not lift it.
      const ctxB = b.ctx();
      await runUnban(ctxB, { ip: '192.0.2.7' });
      expect(ctxB.log.lines.join('\n')).toMatch(/unban: 192\.0\.2\.7 has a ban by web1 dated .*, 10 min ahead of this node's clock, which this unban cannot lift: unban 192\.0\.2\.7 again after that time/);
      await syncPush(b.ctx());
      await syncPull(aheadA());
      expect(a.denied()).toEqual(['192.0.2.7']);
      // A ban made here meanwhile is enforced: the unban did not reach into the future.
      await runBan(b.ctx(), { ip: '192.0.2.8' });
      expect(b.denied()).toEqual(['192.0.2.8']);
      // Once that time has passed on web2, unbanning again lifts it everywhere.
      const later = ahead(b.ctx(), 11 * 60_000);
      await runUnban(later, { ip: '192.0.2.7' });
      expect(later.log.lines.join('\n')).not.toMatch(/cannot lift/);
      await syncPush(ahead(b.ctx(), 11 * 60_000));
      await syncPull(aheadA());
      expect(a.denied()).toEqual(['192.0.2.8']);
    } finally {
      c.cleanup();
    }
  });

  test('bans an old node appended to the shared hosts.deny are adopted and moved into the managed block', async () => {
    const c = cluster(kind);
    try {
      const [a, b] = c.nodes as [TestNode, TestNode];
      await runBan(a.ctx(), { ip: '192.0.2.7' });
      await syncPush(a.ctx());
      const old = (await c.store.get(c.key('hosts.deny'), T))?.toString() ?? '';
      await c.store.put(c.key('hosts.deny'), Buffer.from(`${old}ALL: 203.0.113.77\n`), T);
      const ctxB = b.ctx();
      await syncPull(ctxB);
      expect(b.denied()).toEqual(['192.0.2.7', '203.0.113.77']);
      expect(readState(ctxB).bans.find((x) => x.ip === '203.0.113.77')).toMatchObject({ origin: 'adopted', node: 'web2', expiresAt: null });
      await syncPush(b.ctx());
      await syncPull(a.ctx());
      expect(a.denied()).toEqual(['192.0.2.7', '203.0.113.77']);
      const shared = (await c.store.get(c.key('hosts.deny'), T))?.toString() ?? '';
      expect(shared.split('# END autoban')[1]).toBe('\n');
      expect(shared).toContain('ALL: 203.0.113.77\n# END autoban');
    } finally {
      c.cleanup();
    }
  });

  test('uploads only when the payload changed', async () => {
    const c = cluster(kind);
    try {
      const [a] = c.nodes as [TestNode];
      await runBan(a.ctx(), { ip: '192.0.2.7' });
      await syncPush(a.ctx());
      const first = (await c.store.get(c.key('nodes/web1.json'), T))?.toString();
      await new Promise((r) => setTimeout(r, 20));
      const again = await syncPush(a.ctx());
      expect(again.message).toBe('sync-push: node document up to date; hosts.deny up to date');
      expect((await c.store.get(c.key('nodes/web1.json'), T))?.toString()).toBe(first);
      await runBan(a.ctx(), { ip: '192.0.2.8' });
      expect((await syncPush(a.ctx())).message).toMatch(/node document published/);
    } finally {
      c.cleanup();
    }
  });

  test('--dry-run reads and reports but changes nothing, here or in the store', async () => {
    const c = cluster(kind);
    try {
      const [a, b] = c.nodes as [TestNode, TestNode];
      await runBan(a.ctx(), { ip: '192.0.2.7' });
      const dry = a.ctx({ dryRun: true });
      await syncPush(dry);
      expect(dry.log.lines.join('\n')).toMatch(/would publish/);
      expect(await c.store.get(c.key('nodes/web1.json'), T)).toBeNull();
      await syncPush(a.ctx());
      // With the stored document up to date but sync.json lost, a dry run still records nothing: it does not
      // hold sync-push.lock, so what it would record can be older than what a real push beside it records.
      const syncJson = path.join(a.dir, 'state', 'sync.json');
      fs.rmSync(syncJson);
      expect((await syncPush(a.ctx({ dryRun: true }))).message).toMatch(/node document up to date/);
      expect(fs.existsSync(syncJson)).toBe(false);
      const before = fs.readFileSync(b.denyFile, 'utf8');
      const dryB = b.ctx({ dryRun: true });
      await syncPull(dryB);
      expect(dryB.log.lines.join('\n')).toMatch(/would ban 192\.0\.2\.7/);
      expect(fs.readFileSync(b.denyFile, 'utf8')).toBe(before);
    } finally {
      c.cleanup();
    }
  });

  test('poisoned objects from a fake node change nothing for the worse; each is named in one warning', async () => {
    const c = cluster(kind, 2, '198.51.100.0/24\n');
    try {
      const [a, b] = c.nodes as [TestNode, TestNode];
      await runBan(a.ctx(), { ip: '192.0.2.7' });
      await syncPush(a.ctx());
      await syncPull(b.ctx());
      const denyBefore = fs.readFileSync(b.denyFile, 'utf8');
      expect(b.denied()).toEqual(['192.0.2.7']);

      const ban = (ip: string, extra: Record<string, unknown> = {}) => ({ ip, rule: 'x', reason: 'x', failures: 1, source: 'x', origin: 'scan', node: 'evil', bannedAt: new Date().toISOString(), expiresAt: null, banCount: 1, ...extra });
      const signed = (payload: unknown, node = 'evil') => Buffer.from(JSON.stringify({ version: 1, node, generatedAt: new Date().toISOString(), sha256: sha256Hex(canonicalJson(payload)), payload }));
      const badIps = ['ALL', 'LOCAL', 'evil.example.com', '*', '192.0.2.*', '0.0.0.0/0', '::/0', '192.0.2.1\nALL: ALL', '192.0.2.1 192.0.2.2'];
      await c.store.put(c.key('nodes/evil.json'), signed({ bans: badIps.map((ip) => ban(ip)), unbans: [{ ip: '192.0.2.7', at: new Date(Date.now() + 7 * 86_400_000).toISOString(), node: 'evil' }] /* a week ahead: past the 1-day skew allowed */ }), T);
      await c.store.put(c.key('nodes/shape.json'), Buffer.from('{"version":1,"node":"shape","bans":"all"}'), T);
      await c.store.put(c.key('nodes/impostor.json'), signed({ bans: [], unbans: [{ ip: '192.0.2.7', at: new Date().toISOString(), node: 'web1' }] }, 'web1'), T);
      await c.store.put(c.key('nodes/huge.json'), Buffer.alloc(50 * 1024 * 1024, 0x20), { timeoutMs: 30000 });
      await c.store.put(
        c.key('hosts.deny'),
        Buffer.from('ALL: ALL\nALL: LOCAL\nALL: evil.example.com\nALL: .example.com\nALL: 192.0.2.*\nALL: 0.0.0.0/0\nALL: [::]/0\nALL: 192.0.2.1 : spawn /bin/sh\nALL: 192.0.2.2\rALL: ALL\nsshd: 192.0.2.3\n'),
        T,
      );
      await c.store.put(c.key('whitelist.txt'), Buffer.from('198.51.100.0/24\n0.0.0.0/0\n::/0\nALL\n'), T);

      const ctx = b.ctx();
      const r = await syncPull(ctx);
      expect(fs.readFileSync(b.denyFile, 'utf8')).toBe(denyBefore);
      expect(readState(ctx).bans.map((x) => x.ip).sort()).toEqual(['192.0.2.7']);
      expect(fs.readFileSync(b.whitelistFile, 'utf8')).not.toMatch(/0\.0\.0\.0|::\/0/);
      const w = r.warnings.join('\n');
      expect(w).toContain(`${c.store.describe(c.key('nodes/evil.json'))}: bans[0]: ip`);
      expect(w).toMatch(/: \d+ more bad entries ignored/);
      expect(w).toContain(`skipped ${c.store.describe(c.key('nodes/shape.json'))}`);
      expect(w).toContain(`skipped ${c.store.describe(c.key('nodes/impostor.json'))} for this run: node`);
      expect(w).toMatch(new RegExp(`skipped ${c.store.describe(c.key('nodes/huge.json')).replace(/[/.]/g, '\\$&')} for this run: .*more than`));
      for (let line = 1; line <= 10; line++) expect(w).toContain(`${c.store.describe(c.key('hosts.deny'))}:${line}: `);
      expect(w).toContain(`${c.store.describe(c.key('whitelist.txt'))}:2: `);
      // Local banning goes on, and the next push repairs the shared hosts.deny.
      await runBan(b.ctx(), { ip: '192.0.2.99' });
      await syncPush(b.ctx());
      const shared = (await c.store.get(c.key('hosts.deny'), T))?.toString() ?? '';
      expect(shared).not.toMatch(/ALL: (ALL|LOCAL)|0\.0\.0\.0|evil/);
      expect(shared).toContain('ALL: 192.0.2.99\n');
    } finally {
      c.cleanup();
    }
  }, 60000);

  test('a corrupt hosts.deny or whitelist.txt with thousands of bad lines gives a few warnings, not one per line', async () => {
    const c = cluster(kind, 1, '198.51.100.0/24\n');
    try {
      const [a] = c.nodes as [TestNode];
      await runBan(a.ctx(), { ip: '192.0.2.7' });
      const junk = Array.from({ length: 5000 }, (_, i) => `sshd: host${i}.example\n`).join('');
      await c.store.put(c.key('hosts.deny'), Buffer.from(`ALL: 203.0.113.9\n${junk}`), T);
      await c.store.put(c.key('whitelist.txt'), Buffer.from(`198.51.100.0/24\n${junk}`), T);
      for (const step of [syncPull, syncPush]) {
        const ctx = a.ctx();
        const r = await step(ctx);
        expect(r.warnings.length).toBeLessThanOrEqual(50);
        expect(ctx.log.lines.length).toBeLessThan(100);
        expect(r.warnings.join('\n')).toContain(`${c.store.describe(c.key('hosts.deny'))}: 4980 more bad lines ignored`);
        if (step === syncPull) expect(r.warnings.join('\n')).toContain(`${c.store.describe(c.key('whitelist.txt'))}: 4980 more bad lines ignored`);
      }
      // The good lines are still used.
      expect(a.denied()).toEqual(['192.0.2.7', '203.0.113.9']);
      expect(fs.readFileSync(a.whitelistFile, 'utf8')).toContain('198.51.100.0/24');
    } finally {
      c.cleanup();
    }
  }, 60000);

  test('a node document that would outgrow what other nodes read leaves out the oldest expired bans, keeps the live ones', async () => {
    const c = cluster(kind);
    try {
      const [a, b] = c.nodes as [TestNode, TestNode];
      // 90 days of history on a busy server: ~75,000 expired bans (the deny file stays small), ~20 MB as JSON.
      const now = Date.now();
      const ipOf = (i: number) => `2001:db8::${(i >> 16).toString(16)}:${(i & 0xffff).toString(16)}`;
      const many = Array.from({ length: 75_000 }, (_, i) => ({
        ip: ipOf(i), rule: 'suspicious_users', reason: 'failed password for root, 3 times in 60s',
        failures: 3, source: '/var/log/auth.log', origin: 'scan' as const, node: 'web1',
        bannedAt: new Date(now - 30 * 86_400_000 + i * 1000), expiresAt: new Date(now - 29 * 86_400_000 + i * 1000), banCount: 1,
      }));
      await runBan(a.ctx(), { ip: '192.0.2.7' });
      await updateState(a.ctx(), (db) => ({ bans: [...db.bans, ...many], unbans: db.unbans }));
      const r = await syncPush(a.ctx());
      expect(r.warnings.join('\n')).toMatch(/nodes\/web1\.json: \d+ of this node's oldest expired bans left out, to stay under the 16777216 bytes a node reads/);
      const body = (await c.store.get(c.key('nodes/web1.json'), T)) as Buffer;
      expect(body.length).toBeLessThanOrEqual(16 * 1024 * 1024);
      const published = new Set((JSON.parse(body.toString('utf8')) as { payload: { bans: { ip: string }[] } }).payload.bans.map((x) => x.ip));
      expect(published.has('192.0.2.7')).toBe(true); // the live ban
      expect(published.has(ipOf(74_999))).toBe(true); // the most recently expired
      expect(published.has(ipOf(0))).toBe(false); // the oldest gave way
      // Another node can read it and applies the live ban.
      await syncPull(b.ctx());
      expect(b.denied()).toContain('192.0.2.7');
    } finally {
      c.cleanup();
    }
  }, 180000);

  test('an unreachable store: exit 69 with one line, local protection still applied, the next run catches up', async () => {
    const c = cluster(kind);
    try {
      const [a] = c.nodes as [TestNode];
      // Point the node at a store that is not there.
      const cfg = fs.readFileSync(a.cfgFile, 'utf8');
      const broken = kind === 'aws' ? cfg.replace(s3.endpoint, 'http://127.0.0.1:9') : cfg.replace(/shared_dir = .*/, `shared_dir = ${path.join(a.dir, 'not-mounted')}`);
      fs.writeFileSync(a.cfgFile, broken.replace('deadline = 30s', 'deadline = 3s'));
      await runBan(a.ctx(), { ip: '192.0.2.7' });
      for (const step of [syncPull, syncPush]) {
        const t0 = Date.now();
        const err = await step(a.ctx()).then(
          () => null,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(AppError);
        expect((err as AppError).code).toBe(ExitCode.Unavailable);
        expect((err as AppError).message).toMatch(/^sync-(pull|push): /);
        expect((err as AppError).message).not.toContain('\n');
        expect(Date.now() - t0).toBeLessThan(8000);
      }
      expect(a.denied()).toEqual(['192.0.2.7']);
      fs.writeFileSync(a.cfgFile, cfg);
      await syncPush(a.ctx());
      expect((await c.store.get(c.key('nodes/web1.json'), T))?.toString()).toContain('192.0.2.7');
    } finally {
      c.cleanup();
    }
  });
});
