/**
 * A store that fails without saying why (an Error with an empty message, as some SDK and file-system wrappers
 * throw) still gets a sync failure that names something: "sync-push: " alone tells the admin nothing.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runBan } from '../../lib/commands/ban';
import { syncPush } from '../../lib/sync/push';
import { AppError, ExitCode } from '../../lib/errors';
import { DirObjectStore } from '../../lib/sync/dir-store';
import type { StoreFactory } from '../../lib/sync/layout';
import { type TestNode, makeNode } from './helpers/node';

let share: string;
let web1: TestNode;
beforeEach(() => {
  share = fs.mkdtempSync(path.join(os.tmpdir(), 'autoban-share-'));
  web1 = makeNode('web1', { kind: 'local', dir: share });
});
afterEach(() => {
  web1.cleanup();
  fs.rmSync(share, { recursive: true, force: true });
});

test('a store error with an empty message is reported as "Error without a message", exit 69', async () => {
  await runBan(web1.ctx(), { ip: '203.0.113.9' });
  const factory: StoreFactory = {
    s3: () => {
      throw new Error('not used');
    },
    dir: (root) => {
      const inner = new DirObjectStore(root);
      return {
        describe: (k) => inner.describe(k),
        get: (k, o) => inner.get(k, o),
        list: (p, o) => inner.list(p, o),
        close: () => inner.close(),
        put: async () => {
          throw new Error('');
        },
      };
    },
  };
  const err = await syncPush(web1.ctx(), { factory }).then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(AppError);
  expect((err as AppError).code).toBe(ExitCode.Unavailable);
  expect((err as AppError).message).toMatch(/^sync-push: .*Error without a message/);
});
