/**
 * Issue 8 over a shared directory: a peer file that another machine rewrites slowly in place (as the old tool
 * did) and a FIFO planted on the share. The reader warns once naming the file, keeps what it had from that
 * peer, finishes within the deadline, and picks the file up at the next run.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runBan } from '../../lib/commands/ban';
import { syncPull } from '../../lib/sync/pull';
import { syncPush } from '../../lib/sync/push';
import { makeShareDir } from './helpers/fleet';
import { type TestNode, makeNode, requireBuiltCli, runCli } from './helpers/node';

let share: string;
let a: TestNode;
let b: TestNode;
beforeEach(() => {
  share = makeShareDir();
  a = makeNode('web1', { kind: 'local', dir: share });
  b = makeNode('web2', { kind: 'local', dir: share });
  fs.writeFileSync(b.cfgFile, fs.readFileSync(b.cfgFile, 'utf8').replace('timeout = 2s', 'timeout = 1s').replace('deadline = 30s', 'deadline = 10s'));
});
afterEach(() => {
  a.cleanup();
  b.cleanup();
  fs.rmSync(share, { recursive: true, force: true });
});

test('a peer document rewritten slowly in place: warned about once, old bans kept, picked up next run', async () => {
  await runBan(a.ctx(), { ip: '192.0.2.1' });
  await syncPush(a.ctx());
  await syncPull(b.ctx());
  await runBan(a.ctx(), { ip: '192.0.2.2' });
  // Build web1's next document without publishing it, then write it byte range by byte range over ~2 s.
  const doc = path.join(share, 'nodes', 'web1.json');
  const aside = path.join(a.dir, 'next.json');
  await syncPush(a.ctx());
  fs.renameSync(doc, aside);
  fs.copyFileSync(aside, doc);
  const next = fs.readFileSync(aside);
  const fd = fs.openSync(doc, 'r+');
  fs.ftruncateSync(fd, 0);
  let off = 0;
  const step = Math.ceil(next.length / 20);
  const slowWriter = setInterval(() => {
    if (off >= next.length) return;
    fs.writeSync(fd, next, off, Math.min(step, next.length - off), off);
    off += step;
  }, 100);
  try {
    const t0 = Date.now();
    const r = await syncPull(b.ctx());
    expect(Date.now() - t0).toBeLessThan(10_000);
    if (off < next.length) {
      // Read while half-written: skipped with one warning, nothing lost.
      expect(r.warnings.filter((w) => w.includes('web1.json'))).toEqual([expect.stringMatching(/skipped .*web1\.json for this run: .*keeping everything already merged from web1/)]);
    }
    expect(b.denied()).toContain('192.0.2.1');
  } finally {
    await new Promise<void>((resolve) => {
      const wait = setInterval(() => {
        if (off >= next.length) {
          clearInterval(wait);
          resolve();
        }
      }, 50);
    });
    clearInterval(slowWriter);
    fs.closeSync(fd);
  }
  const r2 = await syncPull(b.ctx());
  expect(r2.warnings).toEqual([]);
  expect(b.denied()).toEqual(['192.0.2.1', '192.0.2.2']);
}, 30_000);

test('`autoban run` with a FIFO planted among the node documents: one warning, the rest merged, exit 0', async () => {
  requireBuiltCli();
  a.attack('203.0.113.21');
  expect((await runCli(['run', '--no-jitter', '--config', a.cfgFile])).code).toBe(0);
  execFileSync('mkfifo', [path.join(share, 'nodes', 'web0.json')]);
  b.attack('203.0.113.22');
  const r = await runCli(['run', '--no-jitter', '--config', b.cfgFile], { timeoutMs: 20_000 });
  expect(r.code).toBe(0);
  expect(r.ms).toBeLessThan(10_000);
  expect(r.stderr.match(/web0\.json/g)).toHaveLength(1);
  expect(r.stderr).toMatch(/warning: sync-pull: skipped .*nodes\/web0\.json for this run: not a regular file/);
  expect(b.denied()).toEqual(['203.0.113.21', '203.0.113.22']);
}, 30_000);
