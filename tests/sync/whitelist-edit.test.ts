/** `autoban whitelist add|remove|list` on the shared whitelist (s3rver and a shared directory) and on a local file. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runBan } from '../../lib/commands/ban';
import { AppError, ExitCode } from '../../lib/errors';
import { syncPull } from '../../lib/sync/pull';
import { syncPush } from '../../lib/sync/push';
import { runWhitelistEdit } from '../../lib/sync/whitelist-edit';
import { type RunningS3, startS3rver, useTestAwsEnv } from './helpers/s3rver';
import { type SyncTarget, type TestNode, makeNode } from './helpers/node';

let s3: RunningS3;
beforeAll(async () => {
  useTestAwsEnv();
  s3 = await startS3rver(['bucket']);
});
afterAll(async () => {
  await s3?.stop();
});

let seq = 0;
function setup(kind: 'aws' | 'local', n: number): { nodes: TestNode[]; cleanup(): void } {
  const share = kind === 'local' ? fs.mkdtempSync(path.join(os.tmpdir(), 'autoban-share-')) : '';
  const target: SyncTarget = kind === 'aws' ? { kind: 'aws', endpoint: s3.endpoint, prefix: `wl${++seq}/` } : { kind: 'local', dir: share };
  const nodes = Array.from({ length: n }, (_, i) => makeNode(`web${i + 1}`, target, { whitelist: '# office\n192.0.2.10\n' }));
  return {
    nodes,
    cleanup() {
      for (const x of nodes) x.cleanup();
      if (share) fs.rmSync(share, { recursive: true, force: true });
    },
  };
}

describe.each(['aws', 'local'] as const)('shared whitelist over %s', (kind) => {
  test('add takes effect here at once and on other nodes at their next pull; remove undoes it', async () => {
    const { nodes, cleanup } = setup(kind, 2);
    try {
      const [a, b] = nodes as [TestNode, TestNode];
      await runBan(a.ctx(), { ip: '203.0.113.5' });
      await syncPush(a.ctx());
      await syncPull(b.ctx());
      expect(b.denied()).toEqual(['203.0.113.5']);

      const added = await runWhitelistEdit(a.ctx(), 'add', '203.0.113.0/24');
      expect(added.changed).toBe(true);
      expect(added.entries).toEqual(['192.0.2.10', '203.0.113.0/24']); // started from web1's local whitelist
      expect(a.denied()).toEqual([]);
      await syncPull(b.ctx());
      expect(b.denied()).toEqual([]);
      expect((await runWhitelistEdit(b.ctx(), 'list')).entries).toEqual(['192.0.2.10', '203.0.113.0/24']);

      expect((await runWhitelistEdit(b.ctx(), 'add', '203.0.113.0/24')).changed).toBe(false);
      await runWhitelistEdit(b.ctx(), 'remove', '203.0.113.0/24');
      expect(b.denied()).toEqual(['203.0.113.5']);
      await syncPull(a.ctx());
      expect(a.denied()).toEqual(['203.0.113.5']);
    } finally {
      cleanup();
    }
  });

  test('three nodes adding at the same moment: no edit is lost', async () => {
    const { nodes, cleanup } = setup(kind, 3);
    try {
      await runWhitelistEdit(nodes[0]!.ctx(), 'list');
      const ips = ['198.51.100.1', '198.51.100.2', '198.51.100.3'];
      await Promise.all(nodes.map((n, i) => runWhitelistEdit(n.ctx(), 'add', ips[i])));
      const final = await runWhitelistEdit(nodes[0]!.ctx(), 'list');
      for (const ip of ips) expect(final.entries).toContain(ip);
    } finally {
      cleanup();
    }
  });
});

test('without sync the local file is edited, comments kept; everyone-networks and names are refused', async () => {
  const n = makeNode('solo', { kind: 'local', dir: '/unused' });
  try {
    fs.writeFileSync(n.cfgFile, fs.readFileSync(n.cfgFile, 'utf8').replace(/\[sync\][\s\S]*$/, ''));
    fs.writeFileSync(n.whitelistFile, '# office\n192.0.2.10  # gateway\n');
    await runWhitelistEdit(n.ctx(), 'add', '2001:db8::/32');
    expect(fs.readFileSync(n.whitelistFile, 'utf8')).toBe('# office\n192.0.2.10  # gateway\n2001:db8::/32\n');
    await runWhitelistEdit(n.ctx(), 'remove', '192.0.2.10');
    expect(fs.readFileSync(n.whitelistFile, 'utf8')).toBe('# office\n2001:db8::/32\n');
    for (const bad of ['0.0.0.0/0', '::/0', 'office.example.com', '*']) {
      const err = await runWhitelistEdit(n.ctx(), 'add', bad).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).code).toBe(ExitCode.Usage);
    }
  } finally {
    n.cleanup();
  }
});

test('without sync, editing the local file keeps the bytes of other lines: a Latin-1 or UTF-8 comment is not turned into U+FFFD', async () => {
  const n = makeNode('solo', { kind: 'local', dir: '/unused' });
  try {
    fs.writeFileSync(n.cfgFile, fs.readFileSync(n.cfgFile, 'utf8').replace(/\[sync\][\s\S]*$/, ''));
    const latin1 = Buffer.from('# B\xfcro M\xfcnchen (Latin-1)\n', 'latin1');
    const utf8 = Buffer.from('# Büro Zürich (UTF-8)\n', 'utf8');
    fs.writeFileSync(n.whitelistFile, Buffer.concat([latin1, Buffer.from('192.0.2.10\n'), utf8]));
    await runWhitelistEdit(n.ctx(), 'add', '198.51.100.1');
    expect(fs.readFileSync(n.whitelistFile)).toEqual(Buffer.concat([latin1, Buffer.from('192.0.2.10\n'), utf8, Buffer.from('198.51.100.1\n')]));
    await runWhitelistEdit(n.ctx(), 'remove', '192.0.2.10');
    expect(fs.readFileSync(n.whitelistFile)).toEqual(Buffer.concat([latin1, utf8, Buffer.from('198.51.100.1\n')]));
    expect((await runWhitelistEdit(n.ctx(), 'list')).entries).toEqual(['198.51.100.1']);
    // A byte order mark (Notepad) stays, and the entry after it is still found.
    fs.writeFileSync(n.whitelistFile, Buffer.from('\ufeff192.0.2.10\n198.51.100.1\n', 'utf8'));
    await runWhitelistEdit(n.ctx(), 'remove', '192.0.2.10');
    expect(fs.readFileSync(n.whitelistFile)).toEqual(Buffer.from('198.51.100.1\n'));
  } finally {
    n.cleanup();
  }
});

test('without sync, a whitelist that is a symlink (kept under config management) is edited through the link, not replaced by a copy', async () => {
  // The link leads into another directory: followed because follow_symlinks = true (see the next test).
  const n = makeNode('solo', { kind: 'local', dir: '/unused' }, { defaultsExtra: 'follow_symlinks = true\n' });
  try {
    fs.writeFileSync(n.cfgFile, fs.readFileSync(n.cfgFile, 'utf8').replace(/\[sync\][\s\S]*$/, ''));
    const managed = path.join(path.dirname(n.whitelistFile), 'managed', 'whitelist.txt');
    fs.mkdirSync(path.dirname(managed));
    fs.writeFileSync(managed, '# office\n192.0.2.10\n');
    fs.rmSync(n.whitelistFile, { force: true });
    fs.symlinkSync(managed, n.whitelistFile);
    await runWhitelistEdit(n.ctx(), 'add', '198.51.100.1');
    expect(fs.lstatSync(n.whitelistFile).isSymbolicLink()).toBe(true);
    expect(fs.readFileSync(managed, 'utf8')).toBe('# office\n192.0.2.10\n198.51.100.1\n');
    await runWhitelistEdit(n.ctx(), 'remove', '192.0.2.10');
    expect(fs.lstatSync(n.whitelistFile).isSymbolicLink()).toBe(true);
    expect(fs.readFileSync(managed, 'utf8')).toBe('# office\n198.51.100.1\n');
    // A later edit of the managed file still counts.
    fs.writeFileSync(managed, '203.0.113.5\n');
    expect((await runWhitelistEdit(n.ctx(), 'list')).entries).toEqual(['203.0.113.5']);
  } finally {
    n.cleanup();
  }
});

test('without sync and without follow_symlinks, a whitelist symlink leading out of its directory is refused (exit 73), the file it names left alone; one inside it is edited through', async () => {
  const n = makeNode('solo', { kind: 'local', dir: '/unused' });
  const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'autoban-victim-'));
  try {
    fs.writeFileSync(n.cfgFile, fs.readFileSync(n.cfgFile, 'utf8').replace(/\[sync\][\s\S]*$/, ''));
    // What a link planted in a directory others can write would lead to (/etc/passwd, say).
    const victim = path.join(elsewhere, 'passwd');
    fs.writeFileSync(victim, 'root:x:0:0:root:/root:/bin/bash\n');
    fs.rmSync(n.whitelistFile, { force: true });
    fs.symlinkSync(victim, n.whitelistFile);
    await expect(runWhitelistEdit(n.ctx(), 'add', '198.51.100.1')).rejects.toMatchObject({
      code: ExitCode.CantCreate,
      message: `refusing to write ${n.whitelistFile}: it is a symlink to ${victim}, outside ${path.dirname(n.whitelistFile)} (set follow_symlinks = true if that is intended)`,
    });
    expect(fs.readFileSync(victim, 'utf8')).toBe('root:x:0:0:root:/root:/bin/bash\n');
    expect(fs.readlinkSync(n.whitelistFile)).toBe(victim);
    // A link to a file beside it (whitelist.txt -> whitelist.real) is written through.
    const beside = path.join(path.dirname(n.whitelistFile), 'whitelist.real');
    fs.writeFileSync(beside, '192.0.2.10\n');
    fs.rmSync(n.whitelistFile);
    fs.symlinkSync(beside, n.whitelistFile);
    await runWhitelistEdit(n.ctx(), 'add', '198.51.100.1');
    expect(fs.lstatSync(n.whitelistFile).isSymbolicLink()).toBe(true);
    expect(fs.readFileSync(beside, 'utf8')).toBe('192.0.2.10\n198.51.100.1\n');
  } finally {
    n.cleanup();
    fs.rmSync(elsewhere, { recursive: true, force: true });
  }
});

test('shared whitelist: remove of an address a listed network covers says so instead of "not in"; add of one adds no redundant entry', async () => {
  const share = fs.mkdtempSync(path.join(os.tmpdir(), 'autoban-share-'));
  const a = makeNode('web1', { kind: 'local', dir: share }, { whitelist: '203.0.113.0/24\n' });
  try {
    const name = path.join(share, 'whitelist.txt');
    await runWhitelistEdit(a.ctx(), 'add', '198.51.100.7'); // creates the shared copy from the local whitelist
    const rm = a.ctx();
    const r = await runWhitelistEdit(rm, 'remove', '203.0.113.7');
    expect(r.changed).toBe(false);
    expect(rm.log.lines).toContain(
      `warning: whitelist: 203.0.113.7 is not in ${name} itself, but 203.0.113.0/24 covers it, so it stays whitelisted: removing 203.0.113.7 alone cannot change that (autoban whitelist remove 203.0.113.0/24 removes the network)`,
    );
    const add = a.ctx();
    expect((await runWhitelistEdit(add, 'add', '203.0.113.8')).changed).toBe(false);
    expect(add.log.lines).toContain(`whitelist: 203.0.113.8 is already whitelisted: 203.0.113.0/24 covers it; not added`);
    expect((await runWhitelistEdit(a.ctx(), 'list')).entries).toEqual(['198.51.100.7', '203.0.113.0/24']);
  } finally {
    a.cleanup();
    fs.rmSync(share, { recursive: true, force: true });
  }
});
