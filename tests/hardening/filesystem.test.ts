/**
 * Full disks, single-file bind mounts and symlinks, with real mounts in a private mount namespace
 * (`unshare -m`), so nothing outside the test's temp dir is touched.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CLI, cli } from '../helpers/cli';
import { tmpdir } from '../helpers/tmpdir';
import { canUseMountNamespaces, warnSkip } from '../helpers/root';

const ROOT_OK = canUseMountNamespaces();
if (!ROOT_OK) warnSkip('hardening/filesystem', 'needs root and unshare -m for tmpfs and bind mounts');

/** Runs a shell script inside a private mount namespace; the script's own mounts vanish with it. */
function inNamespace(script: string): { code: number | null; out: string } {
  const r = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout + r.stderr };
}

function writeCfg(dir: string, denyFile: string, stateDir: string, extra = ''): string {
  const cfg = path.join(dir, 'autoban.cfg');
  fs.writeFileSync(cfg, `deny_file = ${denyFile}\nstate_dir = ${stateDir}\nnode_id = fs\n${extra}`);
  return cfg;
}

const node = process.execPath;

test('deny file on a full disk: the write fails cleanly, says no space, exit 73, old file intact', () => {
  if (!ROOT_OK) return;
  const dir = tmpdir();
  const full = path.join(dir, 'full');
  fs.mkdirSync(full);
  const cfg = writeCfg(dir, path.join(full, 'hosts.deny'), path.join(dir, 'state'));
  const script = `
    set -e
    mount -t tmpfs -o size=256k tmpfs ${full}
    printf 'in.telnetd: ALL\\n' > ${full}/hosts.deny
    ${node} ${CLI} ban 192.0.2.1 --config ${cfg} 2>/dev/null
    dd if=/dev/zero of=${full}/filler bs=4k 2>/dev/null || true
    set +e
    ${node} ${CLI} ban 192.0.2.2 --config ${cfg}
    echo "rc=$?"
    echo "---"; cat ${full}/hosts.deny; echo "==="`;
  const r = inNamespace(script);
  expect(r.out).toContain('rc=73');
  expect(r.out).toMatch(/cannot write .*hosts\.deny: no space left on device/);
  const deny = r.out.split('---\n')[1]?.split('===')[0];
  expect(deny).toBe('in.telnetd: ALL\n# BEGIN autoban -- managed by autoban, edits between these markers are overwritten\nALL: 192.0.2.1\n# END autoban\n');
  // The ban was recorded in the database; the next run (with space) writes it.
  expect(JSON.parse(cli(['status', '--json', '--config', cfg, '--deny-file', path.join(dir, 'other.deny')]).stdout).map((b: { ip: string }) => b.ip)).toEqual(['192.0.2.1', '192.0.2.2']);
});

test('state dir on a full disk: exit 73 naming the file, the deny file untouched', () => {
  if (!ROOT_OK) return;
  const dir = tmpdir();
  const full = path.join(dir, 'state');
  fs.mkdirSync(full);
  const deny = path.join(dir, 'hosts.deny');
  fs.writeFileSync(deny, 'ALL: 198.51.100.1\n');
  const cfg = writeCfg(dir, deny, full);
  const script = `
    mount -t tmpfs -o size=128k tmpfs ${full}
    ${node} ${CLI} ban 192.0.2.1 --config ${cfg} 2>/dev/null
    cp ${deny} ${dir}/before.deny
    dd if=/dev/zero of=${full}/filler bs=4k 2>/dev/null
    ${node} ${CLI} ban 192.0.2.2 --config ${cfg}
    echo "rc=$?"`;
  const r = inNamespace(script);
  const before = fs.readFileSync(path.join(dir, 'before.deny'), 'utf8');
  expect(r.out).toContain('rc=73');
  expect(r.out).toMatch(/no space left on device/);
  expect(fs.readFileSync(deny, 'utf8')).toBe(before);
  expect(before).toContain('ALL: 192.0.2.1');
});

test('a single bind-mounted deny file (docker -v file:file): rewritten in place, the ban reaches the host file', () => {
  if (!ROOT_OK) return;
  const dir = tmpdir();
  const hostFile = path.join(dir, 'host-hosts.deny');
  fs.writeFileSync(hostFile, '# host copy\n');
  fs.mkdirSync(path.join(dir, 'container'));
  const mounted = path.join(dir, 'container', 'hosts.deny');
  fs.writeFileSync(mounted, '');
  const cfg = writeCfg(dir, mounted, path.join(dir, 'state'));
  const r = inNamespace(`
    mount --bind ${hostFile} ${mounted}
    ${node} ${CLI} ban 203.0.113.7 --config ${cfg}; echo "rc=$?"
    ${node} ${CLI} ban 203.0.113.8 --config ${cfg}; echo "rc=$?"
    ${node} ${CLI} unban 203.0.113.7 --config ${cfg}; echo "rc=$?"`);
  expect(r.out.match(/rc=\d+/g)).toEqual(['rc=0', 'rc=0', 'rc=0']);
  expect(fs.readFileSync(hostFile, 'utf8')).toBe('# host copy\n# BEGIN autoban -- managed by autoban, edits between these markers are overwritten\nALL: 203.0.113.8\n# END autoban\n');
  expect(fs.statSync(hostFile).mode & 0o777).toBe(0o644);
});

test('symlinks: followed inside the deny file’s directory, refused when they lead elsewhere', () => {
  const dir = tmpdir();
  fs.mkdirSync(path.join(dir, 'etc'));
  fs.mkdirSync(path.join(dir, 'secret'));
  fs.writeFileSync(path.join(dir, 'etc', 'real.deny'), '');
  fs.symlinkSync('real.deny', path.join(dir, 'etc', 'hosts.deny'));
  const cfg = writeCfg(dir, path.join(dir, 'etc', 'hosts.deny'), path.join(dir, 'state'));
  expect(cli(['ban', '192.0.2.1', '--config', cfg]).code).toBe(0);
  expect(fs.lstatSync(path.join(dir, 'etc', 'hosts.deny')).isSymbolicLink()).toBe(true);
  expect(fs.readFileSync(path.join(dir, 'etc', 'real.deny'), 'utf8')).toContain('ALL: 192.0.2.1\n');

  fs.writeFileSync(path.join(dir, 'secret', 'passwd'), 'root:x:0:0\n');
  fs.symlinkSync(path.join(dir, 'secret', 'passwd'), path.join(dir, 'etc', 'evil.deny'));
  const cfg2 = writeCfg(dir, path.join(dir, 'etc', 'evil.deny'), path.join(dir, 'state2'));
  const r = cli(['ban', '192.0.2.2', '--config', cfg2]);
  expect(r.code).toBe(73);
  expect(r.stderr).toContain('refusing to write');
  expect(fs.readFileSync(path.join(dir, 'secret', 'passwd'), 'utf8')).toBe('root:x:0:0\n');
  fs.appendFileSync(cfg2, 'follow_symlinks = true\n');
  expect(cli(['ban', '192.0.2.2', '--config', cfg2]).code).toBe(0);
});

test('the deny file keeps its owner and group, and is 0644, when root rewrites it', () => {
  if (!ROOT_OK) return;
  const dir = tmpdir();
  const deny = path.join(dir, 'hosts.deny');
  fs.writeFileSync(deny, '# owned by the ftp container user\n', { mode: 0o600 });
  fs.chownSync(deny, 65534, 65534);
  const cfg = writeCfg(dir, deny, path.join(dir, 'state'));
  expect(cli(['ban', '192.0.2.9', '--config', cfg]).code).toBe(0);
  const st = fs.statSync(deny);
  expect([st.uid, st.gid, st.mode & 0o777]).toEqual([65534, 65534, 0o644]);
  expect(fs.readFileSync(deny, 'utf8')).toContain('ALL: 192.0.2.9\n');
});
