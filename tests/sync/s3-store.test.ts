/** S3ObjectStore against a real s3rver on 127.0.0.1 (and a silent TCP server for timeouts). */
import * as net from 'node:net';
import { S3ObjectStore } from '../../lib/sync/s3-store';
import { MAX_OBJECT_BYTES } from '../../lib/sync/object-store';
import { storeFailure } from './helpers/store-failure';
import { type RunningS3, startS3rver, useTestAwsEnv } from './helpers/s3rver';

let s3: RunningS3;
const stores: S3ObjectStore[] = [];
const open = (bucket = 'bucket', endpoint?: string) => {
  const st = new S3ObjectStore({ bucket, endpoint: endpoint ?? s3.endpoint, region: 'us-east-1' });
  stores.push(st);
  return st;
};
const T = { timeoutMs: 3000 };

beforeAll(async () => {
  useTestAwsEnv();
  s3 = await startS3rver(['bucket']);
});
afterAll(async () => {
  for (const st of stores) st.close();
  await s3?.stop();
});

const failure = storeFailure;

test('put, get and list round trip byte for byte (no chunk framing stored)', async () => {
  const st = open();
  const body = Buffer.from('{"version":1}\n');
  await st.put('etc/nodes/web1.json', body, T);
  await st.put('etc/nodes/web2.json', Buffer.from('x'), T);
  await st.put('etc/hosts.deny', Buffer.from('ALL: 192.0.2.1\n'), T);
  expect(await st.get('etc/nodes/web1.json', T)).toEqual(body);
  expect(await st.list('etc/nodes/', T)).toEqual(['etc/nodes/web1.json', 'etc/nodes/web2.json']);
  expect(st.describe('etc/hosts.deny')).toBe('s3://bucket/etc/hosts.deny');
});

test('a missing object is null: "nothing new", not an error', async () => {
  expect(await open().get('etc/nodes/nobody.json', T)).toBeNull();
});

test('a missing bucket is a clear, non-retryable failure', async () => {
  const e = await failure(open('no-such-bucket').get('etc/hosts.deny', T));
  expect(e.kind).toBe('fatal');
  expect(e.message).toBe("reading s3://no-such-bucket/etc/hosts.deny: bucket 'no-such-bucket' does not exist");
});

test('rejected credentials are a clear failure that never shows the keys', async () => {
  process.env.AWS_ACCESS_KEY_ID = 'AKIDWRONGWRONGWRONG';
  process.env.AWS_SECRET_ACCESS_KEY = 'sEcReTsEcReTsEcReT';
  try {
    const e = await failure(open().get('etc/hosts.deny', T));
    expect(e.kind).toBe('fatal');
    expect(e.message).toMatch(/credentials rejected \(InvalidAccessKeyId\)/);
    expect(e.message).not.toMatch(/AKIDWRONG|sEcReT/);
  } finally {
    useTestAwsEnv();
  }
});

test('no credentials anywhere in the standard chain: a clear failure', async () => {
  delete process.env.AWS_ACCESS_KEY_ID;
  delete process.env.AWS_SECRET_ACCESS_KEY;
  try {
    const e = await failure(open().get('etc/hosts.deny', T));
    expect(e.kind).toBe('fatal');
    expect(e.message).toBe('reading s3://bucket/etc/hosts.deny: no AWS credentials found (environment, ~/.aws or an instance/container role)');
  } finally {
    useTestAwsEnv();
  }
});

test('an object over the size cap (a 50 MB upload) is refused without being read into memory', async () => {
  const st = open();
  await st.put('etc/nodes/huge.json', Buffer.alloc(50 * 1024 * 1024, 0x20), { timeoutMs: 20000 });
  const e = await failure(st.get('etc/nodes/huge.json', T));
  expect(e.kind).toBe('refused');
  expect(e.message).toContain(`more than the ${MAX_OBJECT_BYTES} allowed`);
}, 30000);

test('a server that accepts the connection and never answers times out after the per-request timeout', async () => {
  const sockets: net.Socket[] = [];
  const silent = net.createServer((s) => void sockets.push(s));
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  const port = (silent.address() as net.AddressInfo).port;
  try {
    const t0 = Date.now();
    const e = await failure(open('bucket', `http://127.0.0.1:${port}`).get('etc/hosts.deny', { timeoutMs: 700 }));
    expect(e.kind).toBe('timeout');
    expect(e.message).toMatch(/no answer within 700ms/);
    expect(Date.now() - t0).toBeLessThan(5000);
  } finally {
    for (const s of sockets) s.destroy();
    silent.close();
  }
});

test('nothing listening is a transient failure (retried by the caller)', async () => {
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  const e = await failure(open('bucket', `http://127.0.0.1:${port}`).list('etc/nodes/', T));
  expect(e.kind).toBe('transient');
});
