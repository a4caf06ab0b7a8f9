/**
 * Issue 8's targeted test: a proxy in front of s3rver tears or hangs the body of one peer document.
 * The reader warns once, keeps what it had from that peer, finishes within the deadline, and picks the
 * document up at the next run.
 */
import * as fs from 'node:fs';
import { runBan } from '../../lib/commands/ban';
import { syncPull } from '../../lib/sync/pull';
import { syncPush } from '../../lib/sync/push';
import { AppError, ExitCode } from '../../lib/errors';
import { type RunningS3, startS3rver, useTestAwsEnv } from './helpers/s3rver';
import { type FaultProxy, startFaultProxy } from './helpers/fault-proxy';
import { type TestNode, makeNode } from './helpers/node';

let s3: RunningS3;
let proxy: FaultProxy;
let a: TestNode;
let b: TestNode;
const DOC = 'etc/nodes/web1.json';

beforeAll(async () => {
  useTestAwsEnv();
  s3 = await startS3rver(['bucket']);
  proxy = await startFaultProxy(s3.port);
  a = makeNode('web1', { kind: 'aws', endpoint: proxy.endpoint });
  b = makeNode('web2', { kind: 'aws', endpoint: proxy.endpoint });
  for (const n of [a, b]) {
    const cfg = fs.readFileSync(n.cfgFile, 'utf8');
    fs.writeFileSync(n.cfgFile, cfg.replace('timeout = 2s', 'timeout = 1s').replace('deadline = 30s', 'deadline = 10s'));
  }
  await runBan(a.ctx(), { ip: '192.0.2.1' });
  await syncPush(a.ctx());
  await syncPull(b.ctx());
  expect(b.denied()).toEqual(['192.0.2.1']);
  // web1 learns of a second attacker; web2 has not read it yet.
  await runBan(a.ctx(), { ip: '192.0.2.2' });
  await syncPush(a.ctx());
});

afterAll(async () => {
  await proxy?.stop();
  await s3?.stop();
  a?.cleanup();
  b?.cleanup();
});

test.each(['tear', 'hang'] as const)('a %s body: one warning naming the object, previous bans kept, done within the deadline', async (fault) => {
  proxy.set(DOC, fault);
  const before = proxy.faulted(DOC);
  const ctx = b.ctx();
  const t0 = Date.now();
  const r = await syncPull(ctx);
  const ms = Date.now() - t0;
  expect(proxy.faulted(DOC) - before).toBeGreaterThanOrEqual(2); // it was retried
  const about = r.warnings.filter((w) => w.includes(`s3://bucket/${DOC}`));
  expect(about).toHaveLength(1);
  expect(about[0]).toMatch(/skipped s3:\/\/bucket\/etc\/nodes\/web1\.json for this run: .*keeping everything already merged from web1/);
  expect(b.denied()).toEqual(['192.0.2.1']);
  expect(ms).toBeLessThan(10_000);
}, 20000);

test('a hang longer than the whole deadline: the pull stops at the deadline with exit 69 and a one-line reason', async () => {
  proxy.set(DOC, 'hang');
  const cfg = fs.readFileSync(b.cfgFile, 'utf8');
  fs.writeFileSync(b.cfgFile, cfg.replace('deadline = 10s', 'deadline = 2s'));
  try {
    const t0 = Date.now();
    const err = await syncPull(b.ctx()).then(
      () => null,
      (e: unknown) => e,
    );
    expect(Date.now() - t0).toBeLessThan(6000); // the 2 s deadline, not the default 10 s
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe(ExitCode.Unavailable);
    expect((err as AppError).message).toMatch(/^sync-pull: .*deadline/);
    expect(b.denied()).toEqual(['192.0.2.1']);
  } finally {
    fs.writeFileSync(b.cfgFile, cfg);
  }
}, 20000);

test('access denied by the IAM policy: exit 69 at once with a message that says so, local deny file intact', async () => {
  proxy.set('etc/ban/whitelist.txt', 'deny');
  try {
    const t0 = Date.now();
    const err = await syncPull(b.ctx()).then(
      () => null,
      (e: unknown) => e,
    );
    expect(Date.now() - t0).toBeLessThan(2000); // not retried
    expect((err as AppError).code).toBe(ExitCode.Unavailable);
    expect((err as AppError).message).toBe('sync-pull: reading s3://bucket/etc/ban/whitelist.txt: access denied (check the IAM policy for this node; see README "Cluster sharing")');
    expect(b.denied()).toEqual(['192.0.2.1']);
  } finally {
    proxy.set('etc/ban/whitelist.txt', 'pass');
  }
});

test('the next run, with the store behaving again, picks the document up', async () => {
  proxy.set(DOC, 'pass');
  const r = await syncPull(b.ctx());
  expect(r.warnings).toEqual([]);
  expect(b.denied()).toEqual(['192.0.2.1', '192.0.2.2']);
});
