import { type ObjectStore, StoreError } from '../../../lib/sync/object-store';
import { type Verdict, deadlineIn, readVerified, withRetries } from '../../../lib/sync/retry';

/** A store whose get() plays back a script: bytes, null (absent) or an error. Only get() is used here. */
function scripted(script: (Buffer | null | StoreError)[]): ObjectStore & { calls: number } {
  const s = {
    calls: 0,
    describe: (k: string) => `mem://${k}`,
    async get() {
      const step = script[Math.min(s.calls, script.length - 1)];
      s.calls++;
      if (step instanceof StoreError) throw step;
      return step ?? null;
    },
    async put() {},
    async list() {
      return [];
    },
    close() {},
  };
  return s;
}

const policy = { attempts: 3, timeoutMs: 1000, baseDelayMs: 1, maxDelayMs: 2, sleep: async () => undefined };
const good = Buffer.from('GOOD');
const check = (b: Buffer): Verdict<string> => (b.toString() === 'GOOD' ? { kind: 'ok', value: 'GOOD' } : b.toString().startsWith('PLAIN') ? { kind: 'unverified', value: b.toString() } : { kind: 'bad', reason: 'checksum mismatch' });

describe('verified reads', () => {
  test('a torn copy is read again and the good one is used', async () => {
    const store = scripted([Buffer.from('GO'), new StoreError('torn', 'broke'), good]);
    const r = await readVerified(store, 'k', check, policy, deadlineIn(5000));
    expect(r).toMatchObject({ status: 'ok', value: 'GOOD' });
    expect(store.calls).toBe(3);
  });

  test('bad bytes that never change are rejected once every attempt has been made (a slow writer gets its chance)', async () => {
    const store = scripted([Buffer.from('EVIL')]);
    const r = await readVerified(store, 'k', check, policy, deadlineIn(5000));
    expect(r).toEqual({ status: 'rejected', reason: 'checksum mismatch' });
    expect(store.calls).toBe(3);
  });

  test('a partial copy that stays the same for a moment is read again, and the finished copy is used', async () => {
    const store = scripted([Buffer.from('GO'), Buffer.from('GO'), good]);
    const r = await readVerified(store, 'k', check, policy, deadlineIn(5000));
    expect(r).toMatchObject({ status: 'ok', value: 'GOOD' });
  });

  test('different bad bytes every time: unreadable, skipped for this run', async () => {
    let n = 0;
    const store = scripted([]);
    store.get = async () => Buffer.from(`BAD${n++}`);
    const r = await readVerified(store, 'k', check, policy, deadlineIn(5000));
    expect(r.status).toBe('unreadable');
  });

  test('text without a checksum is trusted only when two reads agree', async () => {
    const store = scripted([Buffer.from('PLAIN a'), Buffer.from('PLAIN ab'), Buffer.from('PLAIN ab')]);
    const r = await readVerified(store, 'k', check, policy, deadlineIn(5000));
    expect(r).toMatchObject({ status: 'ok', value: 'PLAIN ab' });
    expect(store.calls).toBe(3);
  });

  test('absent is absent (nothing new), too large is rejected at once, access denied stops everything', async () => {
    expect(await readVerified(scripted([null]), 'k', check, policy, deadlineIn(5000))).toEqual({ status: 'absent' });
    expect((await readVerified(scripted([new StoreError('refused', 'big')]), 'k', check, policy, deadlineIn(5000))).status).toBe('rejected');
    await expect(readVerified(scripted([new StoreError('fatal', 'access denied')]), 'k', check, policy, deadlineIn(5000))).rejects.toThrow('access denied');
  });

  test('past the deadline nothing more is started', async () => {
    const store = scripted([good]);
    await expect(readVerified(store, 'k', check, policy, deadlineIn(0))).rejects.toThrow(/deadline/);
    expect(store.calls).toBe(0);
  });

  test('each request gets the per-request timeout, cut to what is left of the deadline', async () => {
    const seen: number[] = [];
    let t = 0;
    const deadline = deadlineIn(1500, () => t);
    await expect(
      withRetries(
        'op',
        async (ms) => {
          seen.push(ms);
          t += ms;
          throw new StoreError('timeout', 'slow');
        },
        policy,
        deadline,
      ),
    ).rejects.toThrow(/slow|deadline/);
    expect(seen).toEqual([1000, 500]);
  });
});
