/**
 * The local copy of the shared whitelist may be a symlink the admin points at a file elsewhere (a bind mount,
 * configuration management). sync-pull and `autoban whitelist add|remove` with sync on write through it, as a
 * local whitelist edit does: the link stays, the file it leads to gets the entries. A link that leads out of
 * the copy's directory is followed only with follow_symlinks = true, as for the deny file: a link planted in a
 * shared directory must not make root overwrite /etc/passwd. Real shared directory.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { syncPull } from '../../lib/sync/pull';
import { runWhitelistEdit } from '../../lib/sync/whitelist-edit';
import { DirObjectStore } from '../../lib/sync/dir-store';
import { type TestNode, makeNode } from './helpers/node';

const T = { timeoutMs: 5000 };

let share: string;
let web1: TestNode;
let mount: string;
beforeEach(() => {
  share = fs.mkdtempSync(path.join(os.tmpdir(), 'autoban-share-'));
  mount = fs.mkdtempSync(path.join(os.tmpdir(), 'autoban-mount-'));
  web1 = makeNode('web1', { kind: 'local', dir: share }, { defaultsExtra: 'follow_symlinks = true\n' });
});
afterEach(() => {
  web1.cleanup();
  fs.rmSync(share, { recursive: true, force: true });
  fs.rmSync(mount, { recursive: true, force: true });
});

const shared = (entries: string) => new DirObjectStore(share).put('whitelist.txt', Buffer.from(`# office\n${entries}`), T);

test('sync-pull writes the shared whitelist through a symlink at the local path: the link stays, the file it leads to holds the entries, and later pulls reach it too', async () => {
  const target = path.join(mount, 'whitelist.txt');
  fs.writeFileSync(target, '192.0.2.1\n');
  fs.rmSync(web1.whitelistFile);
  fs.symlinkSync(target, web1.whitelistFile);
  await shared('192.0.2.10\n198.51.100.7\n');
  await syncPull(web1.ctx());
  expect(fs.lstatSync(web1.whitelistFile).isSymbolicLink()).toBe(true);
  expect(fs.readlinkSync(web1.whitelistFile)).toBe(target);
  const text = fs.readFileSync(target, 'utf8');
  expect(text).toContain('\n192.0.2.10\n198.51.100.7\n');
  expect(text).not.toContain('192.0.2.1\n');
  // A later pull of a changed shared copy still reaches the file behind the link.
  await shared('203.0.113.9\n');
  await syncPull(web1.ctx());
  expect(fs.lstatSync(web1.whitelistFile).isSymbolicLink()).toBe(true);
  expect(fs.readFileSync(target, 'utf8')).toContain('\n203.0.113.9\n');
  expect((await runWhitelistEdit(web1.ctx(), 'list')).entries).toEqual(['203.0.113.9']);
});

test('a symlink (relative, through a second link) whose file does not exist yet: sync-pull creates the file where it points, the links stay', async () => {
  const target = path.join(mount, 'whitelist.txt');
  fs.symlinkSync(target, path.join(mount, 'current'));
  fs.rmSync(web1.whitelistFile);
  fs.symlinkSync(path.relative(path.dirname(web1.whitelistFile), path.join(mount, 'current')), web1.whitelistFile);
  await shared('192.0.2.10\n');
  await syncPull(web1.ctx());
  expect([fs.lstatSync(web1.whitelistFile).isSymbolicLink(), fs.lstatSync(path.join(mount, 'current')).isSymbolicLink()]).toEqual([true, true]);
  expect(fs.readFileSync(target, 'utf8')).toContain('\n192.0.2.10\n');
});

test('`autoban whitelist add` with sync on updates the local copy through its symlink too', async () => {
  const target = path.join(mount, 'whitelist.txt');
  fs.writeFileSync(target, '');
  fs.rmSync(web1.whitelistFile);
  fs.symlinkSync(target, web1.whitelistFile);
  await shared('192.0.2.10\n');
  await runWhitelistEdit(web1.ctx(), 'add', '198.51.100.1');
  expect(fs.lstatSync(web1.whitelistFile).isSymbolicLink()).toBe(true);
  expect(fs.readFileSync(target, 'utf8')).toContain('\n192.0.2.10\n198.51.100.1\n');
});

describe('without follow_symlinks (the default), a link that leads out of the copy\'s directory', () => {
  let web2: TestNode;
  let victim: string;
  beforeEach(() => {
    web2 = makeNode('web2', { kind: 'local', dir: share });
    // What a planted link would lead to (/etc/passwd, say): a file outside the copy's directory.
    victim = path.join(mount, 'passwd');
    fs.writeFileSync(victim, 'root:x:0:0:root:/root:/bin/bash\n');
    fs.rmSync(web2.whitelistFile);
    fs.symlinkSync(victim, web2.whitelistFile);
  });
  afterEach(() => web2.cleanup());

  test('sync-pull refuses it by name (exit 73) and leaves the file it names and the link alone', async () => {
    await shared('192.0.2.10\n');
    await expect(syncPull(web2.ctx())).rejects.toMatchObject({
      code: 73,
      message: `refusing to write ${web2.whitelistFile}: it is a symlink to ${victim}, outside ${path.dirname(web2.whitelistFile)} (set follow_symlinks = true if that is intended)`,
    });
    expect(fs.readFileSync(victim, 'utf8')).toBe('root:x:0:0:root:/root:/bin/bash\n');
    expect(fs.readlinkSync(web2.whitelistFile)).toBe(victim);
  });

  test('a dangling one (its file not there yet) too: nothing is created where it points', async () => {
    fs.rmSync(victim);
    await shared('192.0.2.10\n');
    await expect(syncPull(web2.ctx())).rejects.toMatchObject({ code: 73 });
    expect(fs.existsSync(victim)).toBe(false);
  });

  test('`autoban whitelist add` with sync on refuses it too, after the shared copy was updated', async () => {
    await shared('192.0.2.10\n');
    await expect(runWhitelistEdit(web2.ctx(), 'add', '198.51.100.1')).rejects.toMatchObject({ code: 73 });
    expect(fs.readFileSync(victim, 'utf8')).toBe('root:x:0:0:root:/root:/bin/bash\n');
  });
});
