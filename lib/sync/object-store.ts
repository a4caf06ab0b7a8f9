/**
 * The storage seam of cluster sharing: a tiny key/value interface that the S3 bucket and the shared
 * directory both implement, so the sync logic is the same for both and never sees an SDK type.
 */

/** Objects larger than this are refused unread: no autoban document gets near it, an attacker's 50 MB file does. */
export const MAX_OBJECT_BYTES = 16 * 1024 * 1024;

/** Options of one store operation. */
export interface OpOptions {
  /** Give up on this one request after this many milliseconds (headers and body together). */
  timeoutMs: number;
}

/** A flat key space (`etc/hosts.deny`, `etc/nodes/web1.json`). Keys never start with '/'. */
export interface ObjectStore {
  /** Human name of a key for messages: `s3://bucket/etc/hosts.deny` or `/mnt/share/hosts.deny`. */
  describe(key: string): string;
  /** The object's bytes, or null when it does not exist. Throws StoreError. */
  get(key: string, opts: OpOptions): Promise<Buffer | null>;
  /** Replaces the object as a whole: a reader sees the old or the new bytes (as far as the store allows). */
  put(key: string, body: Buffer, opts: OpOptions): Promise<void>;
  /** Keys that start with `prefix`, sorted. */
  list(prefix: string, opts: OpOptions): Promise<string[]>;
  /** Releases sockets and the like; the store is not used afterwards. */
  close(): void;
}

/**
 * Why an operation failed, which decides what the caller does:
 * `transient` and `timeout` are retried, `torn` (a body that broke mid-read) too,
 * `refused` (too large, not a regular file) skips the object, `fatal` (access denied, no such bucket) stops the sync step at once.
 */
export type StoreErrorKind = 'transient' | 'timeout' | 'torn' | 'refused' | 'fatal';

/** A store failure with a one-line message that names the object. Never carries credentials. */
export class StoreError extends Error {
  constructor(
    readonly kind: StoreErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'StoreError';
  }
}

/** True for failures worth another attempt. */
export function isRetryable(err: unknown): boolean {
  return err instanceof StoreError && (err.kind === 'transient' || err.kind === 'timeout' || err.kind === 'torn');
}

/** Rejects with a `timeout` StoreError when `work` has not settled after `ms`; `onTimeout` may cancel the work. */
export function withTimeout<T>(work: Promise<T>, ms: number, what: string, onTimeout?: () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      onTimeout?.();
      reject(new StoreError('timeout', `${what}: no answer within ${formatMs(ms)}`));
    }, ms);
    work.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

/** `1.5s` / `200ms` for messages. */
export function formatMs(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 100) / 10}s` : `${Math.round(ms)}ms`;
}
