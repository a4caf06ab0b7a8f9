/** Awaits a store call that must fail, and returns its StoreError (for asserting its kind and message). */
import { StoreError } from '../../../lib/sync/object-store';

export async function storeFailure(p: Promise<unknown>): Promise<StoreError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(StoreError);
    return e as StoreError;
  }
  throw new Error('expected a failure');
}
