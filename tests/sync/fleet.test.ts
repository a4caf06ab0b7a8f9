/**
 * Issue 3's fleet test: five nodes, each with its own state dir, deny file and log with different attackers,
 * run `autoban run --no-jitter` at the same moment, over a real s3rver and over a shared directory.
 * After two rounds every deny file holds every attacker and no whitelisted address; an unban on one node
 * and an expiry reach all; poisoned objects pushed by a fake node change nothing for the worse.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFile } from 'node:child_process';
import { canonicalJson, sha256Hex } from '../../lib/sync/canonical-json';
import { DirObjectStore } from '../../lib/sync/dir-store';
import { parseSharedHostsDeny } from '../../lib/sync/legacy';
import type { ObjectStore } from '../../lib/sync/object-store';
import { S3ObjectStore } from '../../lib/sync/s3-store';
import { type Fleet, makeFleet, makeShareDir } from './helpers/fleet';
import { CLI, requireBuiltCli } from './helpers/node';
import { type RunningS3, S3_TEST_ENV, startS3rver, useTestAwsEnv } from './helpers/s3rver';

jest.setTimeout(180_000);

let s3: RunningS3;
beforeAll(async () => {
  requireBuiltCli();
  useTestAwsEnv();
  s3 = await startS3rver(['bucket']);
});
afterAll(async () => {
  await s3?.stop();
});

const T = { timeoutMs: 5000 };
const WHITELISTED = '198.51.100.66';

/** Each node's own attackers; the union is what every node must end up refusing. */
const ATTACKERS: Record<string, string[]> = {
  web1: ['203.0.113.11', '2001:db8:1::7'],
  web2: ['203.0.113.12', WHITELISTED],
  web3: ['203.0.113.13'],
  web4: ['203.0.113.14', '192.0.2.44'],
  web5: ['203.0.113.15', '2001:db8:5::7'],
};
const EXPECTED = ['192.0.2.44', '203.0.113.11', '203.0.113.12', '203.0.113.13', '203.0.113.14', '203.0.113.15', '2001:db8:1::/64', '2001:db8:5::/64'].sort();

function attackAll(fleet: Fleet): void {
  for (const n of fleet.nodes) for (const ip of ATTACKERS[n.id] ?? []) n.attack(ip);
}

function expectEveryNode(fleet: Fleet, want: string[]): void {
  for (const n of fleet.nodes) expect({ node: n.id, denied: n.denied() }).toEqual({ node: n.id, denied: want });
}

async function fleetScenario(fleet: Fleet, store: ObjectStore, key: (name: string) => string): Promise<void> {
  // The shared whitelist exists before the fleet starts, as in a real deployment.
  await store.put(key('whitelist.txt'), Buffer.from(`# office\n198.51.100.0/24\n`), T);
  attackAll(fleet);

  await fleet.round();
  const round2 = await fleet.round();
  expectEveryNode(fleet, EXPECTED);
  for (const n of fleet.nodes) expect(fs.readFileSync(n.denyFile, 'utf8')).toContain('sshd: 198.51.100.250\n');
  for (const r of round2) expect(r.stderr).not.toMatch(/NodeVersionSupportWarning|AWS SDK for JavaScript|DeprecationWarning/);

  // status shows where each ban came from.
  const status = await fleet.cli(fleet.nodes[2]!, ['status', '--json']);
  const bans = JSON.parse(status.stdout) as { ip: string; node: string }[];
  expect(bans.find((b) => b.ip === '203.0.113.11')?.node).toBe('web1');
  expect(bans.find((b) => b.ip === '203.0.113.13')?.node).toBe('web3');

  // An unban on web3 of web1's attacker, and a short manual ban on web5, reach everybody.
  expect((await fleet.cli(fleet.nodes[2]!, ['unban', '203.0.113.11'])).code).toBe(0);
  expect((await fleet.cli(fleet.nodes[4]!, ['ban', '192.0.2.55', '--duration', '1h'])).code).toBe(0);
  await fleet.round();
  await fleet.round();
  const afterUnban = EXPECTED.filter((ip) => ip !== '203.0.113.11').concat('192.0.2.55').sort();
  expectEveryNode(fleet, afterUnban);

  // Two hours later the 1h ban has expired on every node, and no peer or shared file brings it back.
  const later = new Date(Date.now() + 2 * 3600_000).toISOString();
  await fleet.round(['--now', later]);
  await fleet.round(['--now', later]);
  const afterExpiry = afterUnban.filter((ip) => ip !== '192.0.2.55');
  expectEveryNode(fleet, afterExpiry);
  const sharedDeny = (await store.get(key('hosts.deny'), T))?.toString() ?? '';
  expect(sharedDeny).not.toContain('192.0.2.55');
  expect(sharedDeny).not.toContain('203.0.113.11');

  // A fake node pushes every bad form; no node's deny file changes for the worse (still two hours later).
  const before = fleet.nodes.map((n) => fs.readFileSync(n.denyFile, 'utf8'));
  await poison(store, key);
  const poisoned = await fleet.round(['--now', later]);
  fleet.nodes.forEach((n, i) => expect(fs.readFileSync(n.denyFile, 'utf8')).toBe(before[i]));
  const log = poisoned.map((r) => r.stderr).join('\n');
  for (const name of ['nodes/evil.json', 'nodes/shape.json', 'nodes/impostor.json', 'nodes/huge.json', 'hosts.deny:1:', 'whitelist.txt:3:']) {
    expect(log).toContain(name);
  }
  // ...and the next round repairs the shared hosts.deny for old nodes.
  await fleet.round(['--now', later]);
  fleet.nodes.forEach((n, i) => expect(fs.readFileSync(n.denyFile, 'utf8')).toBe(before[i]));
  const repaired = (await store.get(key('hosts.deny'), T))?.toString() ?? '';
  expect(repaired).not.toMatch(/ALL: (ALL|LOCAL)|0\.0\.0\.0|example/);
  expect(repaired).toContain('ALL: 203.0.113.12\n');
  // Five nodes rewrote it at the same second; what is left is one whole copy, not a mix.
  expect(parseSharedHostsDeny(repaired, 'hosts.deny').integrity).toBe('verified');
}

async function poison(store: ObjectStore, key: (name: string) => string): Promise<void> {
  const now = new Date().toISOString();
  const ban = (ip: string, node = 'evil') => ({ ip, rule: 'x', reason: 'x', failures: 1, source: 'x', origin: 'scan', node, bannedAt: now, expiresAt: null, banCount: 1 });
  const signed = (node: string, payload: unknown) => Buffer.from(JSON.stringify({ version: 1, node, generatedAt: now, sha256: sha256Hex(canonicalJson(payload)), payload }));
  const badTargets = ['ALL', 'LOCAL', 'evil.example.com', '.example.com', '*', '192.0.2.*', '0.0.0.0/0', '::/0', '192.0.2.1\nALL: ALL', '192.0.2.1 192.0.2.2'];
  await store.put(key('nodes/evil.json'), signed('evil', { bans: badTargets.map((ip) => ban(ip)), unbans: [{ ip: '203.0.113.12', at: new Date(Date.now() + 7 * 86_400_000).toISOString(), node: 'evil' }] /* a week ahead: past the 1-day skew allowed */ }), T);
  await store.put(key('nodes/shape.json'), Buffer.from('{"version":1,"node":"shape","payload":{"bans":"ALL"}}'), T);
  await store.put(key('nodes/impostor.json'), signed('web2', { bans: [], unbans: [{ ip: '203.0.113.12', at: now, node: 'web2' }] }), T);
  await store.put(key('nodes/huge.json'), Buffer.alloc(50 * 1024 * 1024, 0x20), { timeoutMs: 30_000 });
  await store.put(
    key('hosts.deny'),
    Buffer.from('ALL: ALL\nALL: LOCAL\nALL: evil.example.com\nALL: .example.com\nALL: *\nALL: 0.0.0.0/0\nALL: [::]/0\nALL: 192.0.2.1 : spawn /bin/sh\nALL: 192.0.2.2\rALL: ALL\n'),
    T,
  );
  await store.put(key('whitelist.txt'), Buffer.from('# office\n198.51.100.0/24\n0.0.0.0/0\n::/0\nALL\n*.example.com\n'), T);
}

test('fleet over s3rver: 5 nodes at the same second, unban, expiry, poisoned objects', async () => {
  const prefix = 'fleet/';
  const fleet = makeFleet(5, { kind: 'aws', endpoint: s3.endpoint, prefix });
  const store = new S3ObjectStore({ bucket: 'bucket', endpoint: s3.endpoint, region: 'us-east-1' });
  try {
    await fleetScenario(fleet, store, (n) => (n === 'whitelist.txt' ? `${prefix}ban/whitelist.txt` : `${prefix}${n}`));
  } finally {
    store.close();
    fleet.cleanup();
  }
});

test('fleet over a shared directory: the same, and a local-only run never loads the AWS SDK', async () => {
  const share = makeShareDir();
  const fleet = makeFleet(5, { kind: 'local', dir: share });
  const store = new DirObjectStore(share);
  try {
    await fleetScenario(fleet, store, (n) => n);
    // No temp file of a finished write is left on the share.
    expect(fs.readdirSync(path.join(share, 'nodes')).filter((f) => f.startsWith('.'))).toEqual([]);
    const probe = `const M=require('module');const o=M._load;let aws=false;M._load=function(r,...a){if(String(r).includes('@aws-sdk'))aws=true;return o.call(this,r,...a)};process.on('exit',()=>{process.stderr.write('aws-sdk-loaded='+aws+'\\n')});require(${JSON.stringify(path.join(path.dirname(CLI), '..', 'lib', 'cli.js'))}).main(['sync-pull','--config',${JSON.stringify(fleet.nodes[0]!.cfgFile)}])`;
    const stderr = await new Promise<string>((resolve) => execFile(process.execPath, ['-e', probe], { env: { ...process.env, ...S3_TEST_ENV } }, (_e, _o, err) => resolve(err)));
    expect(stderr).toContain('aws-sdk-loaded=false');
  } finally {
    fleet.cleanup();
    fs.rmSync(share, { recursive: true, force: true });
  }
});
