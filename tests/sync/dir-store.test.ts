/** DirObjectStore on a real temp directory. */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { storeFailure } from './helpers/store-failure';
import { DirObjectStore } from '../../lib/sync/dir-store';

let root: string;
const T = { timeoutMs: 3000 };
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'autoban-share-'));
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

const failure = storeFailure;

test('put, get and list round trip; files are 0644 and no temp file is left behind', async () => {
  const st = new DirObjectStore(root);
  await st.put('nodes/web1.json', Buffer.from('one'), T);
  await st.put('nodes/web1.json', Buffer.from('two'), T);
  await st.put('hosts.deny', Buffer.from('ALL: 192.0.2.1\n'), T);
  expect((await st.get('nodes/web1.json', T))?.toString()).toBe('two');
  expect(await st.list('nodes/', T)).toEqual(['nodes/web1.json']);
  expect(fs.readdirSync(path.join(root, 'nodes'))).toEqual(['web1.json']);
  expect(fs.statSync(path.join(root, 'hosts.deny')).mode & 0o777).toBe(0o644);
  expect(await st.get('nodes/web9.json', T)).toBeNull();
  expect(await st.list('other/', T)).toEqual([]);
});

test("another node's temp file in the middle of a write is not listed", async () => {
  const st = new DirObjectStore(root);
  fs.mkdirSync(path.join(root, 'nodes'));
  fs.writeFileSync(path.join(root, 'nodes', '.web2.json.123.abc.tmp'), '{"half');
  expect(await st.list('nodes/', T)).toEqual([]);
});

test('a reader never sees half a file while another node rewrites it', async () => {
  const st = new DirObjectStore(root);
  const a = Buffer.alloc(300_000, 'a');
  const b = Buffer.alloc(200_000, 'b');
  await st.put('hosts.deny', a, T);
  let stop = false;
  const writer = (async () => {
    for (let i = 0; !stop; i++) await st.put('hosts.deny', i % 2 ? a : b, T);
  })();
  const seen = new Set<string>();
  for (let i = 0; i < 150; i++) {
    const got = (await st.get('hosts.deny', T)) as Buffer;
    seen.add(got.equals(a) ? 'a' : got.equals(b) ? 'b' : `torn(${got.length})`);
  }
  stop = true;
  await writer;
  expect([...seen].filter((s) => s.startsWith('torn'))).toEqual([]);
});

test('symbolic links on the share are refused: no read or write outside shared_dir', async () => {
  const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'autoban-outside-'));
  try {
    const st = new DirObjectStore(root);
    fs.writeFileSync(path.join(outside, 'secret'), 'root:$6$hash:19000:0:99999:7:::\n');
    fs.mkdirSync(path.join(root, 'nodes'));
    fs.symlinkSync(path.join(outside, 'secret'), path.join(root, 'nodes', 'evil.json'));
    const e1 = await failure(st.get('nodes/evil.json', T));
    expect(e1.kind).toBe('refused');
    expect(e1.message).toContain(`${path.join(root, 'nodes', 'evil.json')}: a symbolic link`);
    expect(e1.message).not.toContain('root:');
    // A directory replaced by a link: nothing listed, read or written there.
    fs.rmSync(path.join(root, 'nodes'), { recursive: true });
    fs.symlinkSync(outside, path.join(root, 'nodes'));
    fs.writeFileSync(path.join(outside, 'web2.json'), '{}');
    for (const p of [st.put('nodes/web1.json', Buffer.from('{}'), T), st.get('nodes/web2.json', T), st.list('nodes/', T)]) {
      const e = await failure(p);
      expect(e.message).toMatch(/a symbolic link leads out of shared_dir/);
    }
    expect(fs.readdirSync(outside).sort()).toEqual(['secret', 'web2.json']);
  } finally {
    fs.rmSync(outside, { recursive: true, force: true });
  }
});

test('an object over the size cap is refused; names that leave the directory are refused', async () => {
  const st = new DirObjectStore(root, 1024);
  fs.writeFileSync(path.join(root, 'hosts.deny'), Buffer.alloc(2048, 0x41));
  expect((await failure(st.get('hosts.deny', T))).kind).toBe('refused');
  for (const key of ['../etc/passwd', '/etc/passwd', 'nodes/../../x', 'a//b']) {
    expect((await failure(st.get(key, T))).message).toMatch(/invalid object name/);
  }
});

test('a share that is not mounted (missing directory) is a clear failure, never an empty cluster', async () => {
  const st = new DirObjectStore(path.join(root, 'not-mounted'));
  const e = await failure(st.list('nodes/', T));
  expect(e.kind).toBe('fatal');
  expect(e.message).toBe(`shared_dir ${path.join(root, 'not-mounted')} does not exist (is the share mounted?)`);
});

test('a FIFO planted on the share is refused at once instead of blocking the reader', async () => {
  const st = new DirObjectStore(root);
  fs.mkdirSync(path.join(root, 'nodes'));
  execFileSync('mkfifo', [path.join(root, 'nodes', 'web9.json')]);
  const t0 = Date.now();
  const e = await failure(st.get('nodes/web9.json', T));
  expect(e.kind).toBe('refused');
  expect(e.message).toMatch(/not a regular file/);
  expect(Date.now() - t0).toBeLessThan(3000); // not waiting for a writer that never comes (that hangs forever)
});

describe('a file system call that never returns (a hung NFS server)', () => {
  const hang = (stuckNames: string[]) => (file: string, flags: number) =>
    stuckNames.some((n) => file.endsWith(n)) ? new Promise<never>(() => undefined) : fs.promises.open(file, flags);

  test('times out, is not started again while stuck, and other objects are still read', async () => {
    const st = new DirObjectStore(root, undefined, hang(['web9.json']));
    await st.put('nodes/web1.json', Buffer.from('ok'), T);
    const t0 = Date.now();
    expect((await failure(st.get('nodes/web9.json', { timeoutMs: 300 }))).kind).toBe('timeout');
    expect(Date.now() - t0).toBeLessThan(3000); // 300 ms, with room for a loaded machine
    expect((await failure(st.get('nodes/web9.json', { timeoutMs: 300 }))).message).toMatch(/still waiting for an earlier attempt/);
    expect((await st.get('nodes/web1.json', T))?.toString()).toBe('ok');
  });

  test('two stuck calls: the share is reported unreachable instead of tying up more threads', async () => {
    const st = new DirObjectStore(root, undefined, hang(['web8.json', 'web9.json']));
    await failure(st.get('nodes/web8.json', { timeoutMs: 200 }));
    await failure(st.get('nodes/web9.json', { timeoutMs: 200 }));
    const e = await failure(st.get('nodes/web1.json', T));
    expect(e.kind).toBe('fatal');
    expect(e.message).toBe(`shared_dir ${root} is not responding (hung network mount?)`);
  });
});
