/**
 * Retries, verified reads and the overall deadline of a sync step.
 *
 * A read is trusted only when its content verifies (checksum inside the document) or, for hand-made text
 * without a checksum, when two reads in a row return the same bytes. Anything else (a body that broke,
 * a timeout, a checksum mismatch, a parse error) is read again after a short, jittered backoff, so a
 * node never merges a torn or half-written object and never waits longer than the deadline.
 */
import { randomInt } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { type ObjectStore, StoreError, isRetryable } from './object-store';

/** A point in monotonic time after which the sync step stops talking to the store. */
export interface Deadline {
  remainingMs(): number;
}

/** Monotonic, so a clock step (NTP) cannot stretch or cut it. `nowMs` is for tests. */
export function deadlineIn(ms: number, nowMs: () => number = () => performance.now()): Deadline {
  const end = nowMs() + ms;
  return { remainingMs: () => Math.max(0, end - nowMs()) };
}

export interface RetryPolicy {
  /** Attempts per operation, the first included. */
  attempts: number;
  /** Per-request timeout (the [sync] timeout). */
  timeoutMs: number;
  /** First backoff; doubles each time, with ±50 % jitter so nodes that collided do not collide again. */
  baseDelayMs: number;
  maxDelayMs: number;
  sleep?: (ms: number) => Promise<void>;
  /** Told about every retry (logged with --verbose), so contention on a store can be seen. */
  onRetry?: (what: string, reason: string) => void;
}

export const DEFAULT_POLICY: Omit<RetryPolicy, 'timeoutMs'> = { attempts: 4, baseDelayMs: 150, maxDelayMs: 2000 };

/** Below this much time left, a request is not even started. */
const MIN_REQUEST_MS = 100;

export class DeadlineError extends StoreError {
  constructor(what: string) {
    super('timeout', `${what}: not started, the [sync] deadline was reached`);
    this.name = 'DeadlineError';
  }
}

const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function backoffMs(policy: RetryPolicy, attempt: number): number {
  const base = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(base / 2 + randomInt(0, Math.max(1, Math.round(base)) + 1) / 2);
}

/** Sleeps for the backoff unless that would cross the deadline. Returns false when there is no time left. */
async function pause(policy: RetryPolicy, attempt: number, deadline: Deadline): Promise<boolean> {
  const ms = backoffMs(policy, attempt);
  if (deadline.remainingMs() < ms + MIN_REQUEST_MS) return false;
  await (policy.sleep ?? realSleep)(ms);
  return true;
}

/** The per-request timeout, shortened so the request cannot outlive the deadline. */
function requestTimeout(policy: RetryPolicy, deadline: Deadline, what: string): number {
  const left = deadline.remainingMs();
  if (left < MIN_REQUEST_MS) throw new DeadlineError(what);
  return Math.min(policy.timeoutMs, left);
}

/** Runs `op` with retries on transient failures; non-retryable errors and the deadline end it at once. */
export async function withRetries<T>(what: string, op: (timeoutMs: number) => Promise<T>, policy: RetryPolicy, deadline: Deadline): Promise<T> {
  let last: unknown;
  for (let attempt = 1; attempt <= policy.attempts; attempt++) {
    try {
      return await op(requestTimeout(policy, deadline, what));
    } catch (e) {
      last = e;
      if (!isRetryable(e) || e instanceof DeadlineError) throw e;
      if (attempt < policy.attempts) policy.onRetry?.(what, (e as Error).message);
      if (attempt < policy.attempts && !(await pause(policy, attempt, deadline))) throw new DeadlineError(what);
    }
  }
  throw last;
}

/** What a content check says about the bytes it was given. */
export type Verdict<T> =
  /** Checksum verified: use it. */
  | { kind: 'ok'; value: T }
  /** Well-formed but carries no checksum (hand-made or old-tool text): use it once two reads agree. */
  | { kind: 'unverified'; value: T }
  /** Failed the check: maybe torn (read again), maybe just bad (rejected once two reads agree). */
  | { kind: 'bad'; reason: string };

export type ReadResult<T> =
  | { status: 'ok'; value: T; bytes: Buffer }
  | { status: 'absent' }
  /** The object is consistently bad (poisoned, wrong shape, too large): skipped for this run. */
  | { status: 'rejected'; reason: string }
  /** Could not get a consistent read before the attempts or the deadline ran out: skipped for this run. */
  | { status: 'unreadable'; reason: string };

/**
 * Reads `key` until `check` accepts it, or the attempts run out: `rejected` when the last two reads were the
 * same bad bytes (poisoned or broken for good), `unreadable` otherwise. A bad read is always read again:
 * a slow writer can leave the same partial bytes in place for a while, so "the same twice" proves nothing
 * there. Fatal store errors (access denied, no bucket) and the deadline throw.
 */
export async function readVerified<T>(
  store: ObjectStore,
  key: string,
  check: (bytes: Buffer) => Verdict<T>,
  policy: RetryPolicy,
  deadline: Deadline,
): Promise<ReadResult<T>> {
  const name = store.describe(key);
  let prev: { bytes: Buffer; kind: 'unverified' | 'bad' } | null = null;
  let lastReason = 'no attempt made';
  let sameBad = false;
  for (let attempt = 1; attempt <= policy.attempts; attempt++) {
    let bytes: Buffer | null;
    try {
      bytes = await store.get(key, { timeoutMs: requestTimeout(policy, deadline, `reading ${name}`) });
    } catch (e) {
      if (e instanceof StoreError && e.kind === 'refused') return { status: 'rejected', reason: e.message };
      if (!isRetryable(e) || e instanceof DeadlineError) throw e;
      lastReason = (e as Error).message;
      prev = null;
      sameBad = false;
      if (attempt < policy.attempts) {
        policy.onRetry?.(name, lastReason);
        if (!(await pause(policy, attempt, deadline))) return { status: 'unreadable', reason: `${lastReason}; the [sync] deadline was reached` };
      }
      continue;
    }
    if (bytes === null) return { status: 'absent' };
    const verdict = check(bytes);
    if (verdict.kind === 'ok') return { status: 'ok', value: verdict.value, bytes };
    const same = prev !== null && prev.bytes.equals(bytes);
    // Text without a checksum is trusted once two reads in a row agree.
    if (verdict.kind === 'unverified' && same) return { status: 'ok', value: verdict.value, bytes };
    sameBad = verdict.kind === 'bad' && same;
    lastReason = verdict.kind === 'bad' ? verdict.reason : 'changed while being read';
    prev = { bytes, kind: verdict.kind };
    if (attempt < policy.attempts && verdict.kind === 'bad') {
      policy.onRetry?.(name, lastReason);
      if (!(await pause(policy, attempt, deadline))) return { status: 'unreadable', reason: `${lastReason}; the [sync] deadline was reached` };
    }
  }
  return sameBad ? { status: 'rejected', reason: lastReason } : { status: 'unreadable', reason: lastReason };
}
