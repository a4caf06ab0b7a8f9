/** A StoreFactory for the shared-directory store with some calls replaced: slow, failing or hooked uploads and reads. */
import { DirObjectStore } from '../../../lib/sync/dir-store';
import type { StoreFactory } from '../../../lib/sync/layout';
import type { ObjectStore } from '../../../lib/sync/object-store';

/** `replace(inner)` gives the calls to change; the others go to the real store at `root`. */
export function wrappedDirStore(replace: (inner: DirObjectStore) => Partial<ObjectStore>): StoreFactory {
  return {
    s3: () => {
      throw new Error('not used');
    },
    dir: (root) => {
      const inner = new DirObjectStore(root);
      return {
        describe: (k) => inner.describe(k),
        get: (k, o) => inner.get(k, o),
        list: (p, o) => inner.list(p, o),
        put: (k, body, o) => inner.put(k, body, o),
        close: () => inner.close(),
        ...replace(inner),
      };
    },
  };
}
