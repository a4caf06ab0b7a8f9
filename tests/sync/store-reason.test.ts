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
import { wrappedDirStore } from './helpers/wrapped-dir-store';
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
  const factory = wrappedDirStore(() => ({
    put: async () => {
      throw new Error('');
    },
  }));
  const err = await syncPush(web1.ctx(), { factory }).then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(AppError);
  expect((err as AppError).code).toBe(ExitCode.Unavailable);
  expect((err as AppError).message).toMatch(/^sync-push: .*Error without a message/);
});
