/**
 * A real S3-compatible server (s3rver) on 127.0.0.1, a random port and a temp directory, for the sync tests.
 * Also points the AWS SDK's credential chain at s3rver's fixed keys and away from any real AWS config.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';

interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const S3rver = require('s3rver') as new (opts: Record<string, unknown>) => S3rverInstance;

export interface RunningS3 {
  endpoint: string;
  port: number;
  dir: string;
  stop(): Promise<void>;
}

/** Environment for anything that talks to the test server: s3rver's keys, and no real AWS config or metadata service. */
export const S3_TEST_ENV: Record<string, string> = {
  AWS_ACCESS_KEY_ID: 'S3RVER',
  AWS_SECRET_ACCESS_KEY: 'S3RVER',
  AWS_REGION: 'us-east-1',
  AWS_CONFIG_FILE: '/nonexistent/autoban-test/config',
  AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/autoban-test/credentials',
  AWS_EC2_METADATA_DISABLED: 'true',
};

/** Sets S3_TEST_ENV in this process (for stores created in-process). */
export function useTestAwsEnv(): void {
  for (const [k, v] of Object.entries(S3_TEST_ENV)) process.env[k] = v;
  delete process.env.AWS_PROFILE;
  delete process.env.AWS_SESSION_TOKEN;
}

export async function startS3rver(buckets: string[] = ['bucket']): Promise<RunningS3> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'autoban-s3rver-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: dir, configureBuckets: buckets.map((name) => ({ name })) });
  const addr = await server.run();
  return {
    endpoint: `http://127.0.0.1:${addr.port}`,
    port: addr.port,
    dir,
    async stop() {
      await server.close().catch(() => undefined);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
