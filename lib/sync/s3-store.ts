/**
 * ObjectStore on an S3 bucket (or an S3-compatible store via s3_endpoint). The only file that touches
 * @aws-sdk/client-s3, and it loads the SDK with require() on first use, so runs without [sync] context = aws
 * never pay for it. Credentials come only from the SDK's standard chain (environment, ~/.aws, container or
 * instance role); they are never read from autoban's config and never appear in messages.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type * as S3Types from '@aws-sdk/client-s3';
import { MAX_OBJECT_BYTES, type ObjectStore, type OpOptions, StoreError, formatMs } from './object-store';

export interface S3StoreOptions {
  bucket: string;
  /** http(s)://host:port of an S3-compatible store; switches to path-style addressing. */
  endpoint?: string;
  region?: string;
  maxBytes?: number;
}

let sdk: typeof S3Types | null = null;

/** Loads the SDK once. The env switch stops its "Node.js version will not be supported" notice from mailing cron users. */
function loadSdk(): typeof S3Types {
  if (!sdk) {
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    sdk = require('@aws-sdk/client-s3') as typeof S3Types;
  }
  return sdk;
}

const TRANSIENT_NAMES = new Set([
  'InternalError',
  'ServiceUnavailable',
  'SlowDown',
  'RequestTimeout',
  'RequestTimeTooSkewed',
  'ThrottlingException',
  'TimeoutError',
  'NetworkingError',
]);
const TRANSIENT_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED']);

export class S3ObjectStore implements ObjectStore {
  private readonly client: S3Types.S3Client;
  private readonly maxBytes: number;

  constructor(private readonly opts: S3StoreOptions) {
    const { S3Client } = loadSdk();
    this.maxBytes = opts.maxBytes ?? MAX_OBJECT_BYTES;
    this.client = new S3Client({
      region: opts.region || process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || 'us-east-1',
      ...(opts.endpoint ? { endpoint: opts.endpoint, forcePathStyle: true } : {}),
      // We retry ourselves, within the sync deadline, and also retry bodies that break mid-read (the SDK does not).
      maxAttempts: 1,
      // Plain single-part PUTs: S3-compatible stores such as s3rver otherwise store the aws-chunked framing.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  describe(key: string): string {
    return `s3://${this.opts.bucket}/${key}`;
  }

  /** Runs one SDK call with an abort timer that also covers reading the body (`read`). */
  private async op<T>(what: string, key: string | null, timeoutMs: number, run: (signal: AbortSignal, onBody: (b: Readable) => void) => Promise<T>): Promise<T> {
    const ac = new AbortController();
    let body: Readable | null = null;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      ac.abort();
      body?.destroy(new Error('timeout'));
    }, timeoutMs);
    try {
      return await run(ac.signal, (b) => {
        body = b;
      });
    } catch (e) {
      if (timedOut) throw new StoreError('timeout', `${what} ${key === null ? `s3://${this.opts.bucket}` : this.describe(key)}: no answer within ${formatMs(timeoutMs)}`);
      throw this.classify(e, what, key);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Maps SDK and socket errors to a StoreError with a message an operator can act on. */
  private classify(err: unknown, what: string, key: string | null): StoreError {
    if (err instanceof StoreError) return err;
    const e = err as { name?: string; Code?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
    const name = e?.name ?? e?.Code ?? '';
    const status = e?.$metadata?.httpStatusCode;
    const bucket = this.opts.bucket;
    const obj = key === null ? `s3://${bucket}` : this.describe(key);
    if (name === 'NoSuchBucket') return new StoreError('fatal', `${what} ${obj}: bucket '${bucket}' does not exist`);
    if (name === 'AccessDenied' || name === 'Forbidden' || name === 'AllAccessDisabled' || (status === 403 && !name.includes('Signature') && name !== 'InvalidAccessKeyId')) {
      return new StoreError('fatal', `${what} ${obj}: access denied (check the IAM policy for this node; see README "Cluster sharing")`);
    }
    if (name === 'InvalidAccessKeyId' || name === 'SignatureDoesNotMatch' || name === 'ExpiredToken' || name === 'InvalidToken' || name === 'TokenRefreshRequired') {
      return new StoreError('fatal', `${what} ${obj}: AWS credentials rejected (${name})`);
    }
    if (name === 'CredentialsProviderError' || (/credential/i.test(e?.message ?? '') && !status)) {
      return new StoreError('fatal', `${what} ${obj}: no AWS credentials found (environment, ~/.aws or an instance/container role)`);
    }
    if (name === 'PermanentRedirect' || name === 'AuthorizationHeaderMalformed' || status === 301) {
      return new StoreError('fatal', `${what} ${obj}: bucket is in another region; set s3_region in [sync]`);
    }
    if (name === 'AbortError') return new StoreError('timeout', `${what} ${obj}: aborted`);
    if (TRANSIENT_CODES.has(e?.code ?? '')) return new StoreError('transient', `${what} ${obj}: connection failed (${e?.code})`);
    if (TRANSIENT_NAMES.has(name) || (status !== undefined && (status >= 500 || status === 429))) {
      return new StoreError('transient', `${what} ${obj}: ${name || e?.code || 'error'}${status ? ` (HTTP ${status})` : ''}`);
    }
    // Sockets that close early surface as plain Errors ("aborted", "socket hang up", "Premature close").
    if (/aborted|hang up|premature|ECONNRESET|terminated|socket/i.test(e?.message ?? '')) {
      return new StoreError('torn', `${what} ${obj}: connection broke (${(e?.message ?? '').slice(0, 80)})`);
    }
    return new StoreError('transient', `${what} ${obj}: ${name || 'error'}: ${(e?.message ?? String(err)).split('\n')[0]?.slice(0, 160)}`);
  }

  get(key: string, opts: OpOptions): Promise<Buffer | null> {
    const { GetObjectCommand } = loadSdk();
    return this.op('reading', key, opts.timeoutMs, async (abortSignal, onBody) => {
      let out: S3Types.GetObjectCommandOutput;
      try {
        out = await this.client.send(new GetObjectCommand({ Bucket: this.opts.bucket, Key: key }), { abortSignal });
      } catch (e) {
        const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
        if (err?.name === 'NoSuchKey' || (err?.$metadata?.httpStatusCode === 404 && err?.name !== 'NoSuchBucket')) return null;
        throw e;
      }
      const body = out.Body as Readable | undefined;
      if (!body) return Buffer.alloc(0);
      onBody(body);
      const declared = out.ContentLength;
      if (declared !== undefined && declared > this.maxBytes) {
        body.destroy();
        throw new StoreError('refused', `${this.describe(key)}: ${declared} bytes, more than the ${this.maxBytes} allowed`);
      }
      const chunks: Buffer[] = [];
      let total = 0;
      for await (const chunk of body) {
        const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
        total += b.length;
        if (total > this.maxBytes) {
          body.destroy();
          throw new StoreError('refused', `${this.describe(key)}: more than the ${this.maxBytes} bytes allowed`);
        }
        chunks.push(b);
      }
      if (declared !== undefined && total !== declared) {
        throw new StoreError('torn', `reading ${this.describe(key)}: body ended after ${total} of ${declared} bytes`);
      }
      return Buffer.concat(chunks, total);
    });
  }

  put(key: string, body: Buffer, opts: OpOptions): Promise<void> {
    const { PutObjectCommand } = loadSdk();
    return this.op('writing', key, opts.timeoutMs, async (abortSignal) => {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.opts.bucket,
          Key: key,
          Body: body,
          ContentLength: body.length,
          // The store checks the upload against this, so a write cut short is refused instead of stored.
          ContentMD5: createHash('md5').update(body).digest('base64'),
          ContentType: key.endsWith('.json') ? 'application/json' : 'text/plain; charset=utf-8',
        }),
        { abortSignal },
      );
    });
  }

  list(prefix: string, opts: OpOptions): Promise<string[]> {
    const { ListObjectsV2Command } = loadSdk();
    return this.op('listing', prefix, opts.timeoutMs, async (abortSignal) => {
      const keys: string[] = [];
      let token: string | undefined;
      // 20 pages of 1000 keys is far beyond any fleet; the cap keeps a flooded prefix from stalling the run.
      for (let page = 0; page < 20; page++) {
        const out = await this.client.send(new ListObjectsV2Command({ Bucket: this.opts.bucket, Prefix: prefix, ContinuationToken: token }), { abortSignal });
        for (const o of out.Contents ?? []) if (o.Key) keys.push(o.Key);
        if (!out.IsTruncated || !out.NextContinuationToken) break;
        token = out.NextContinuationToken;
      }
      return keys.sort();
    });
  }

  close(): void {
    this.client.destroy();
  }
}
