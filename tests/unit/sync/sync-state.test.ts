/**
 * sync.json: a pull and a push of one node update it at the same time (cron run plus a Monit-triggered run);
 * neither may lose the other's patch. The interleaving is real: while the first update writes, the second
 * one runs, through the real lock and the real file.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as jsonFile from '../../../lib/json-file';
import { type SyncState, readSyncState, syncStateFile, updateSyncState } from '../../../lib/sync/sync-state';
import { tmpdir } from '../../helpers/tmpdir';

const OLD_DOC = { object: 'share/nodes/web1.json', sha256: 'a'.repeat(64) };
const NEW_DOC = { object: 'share/nodes/web1.json', sha256: 'b'.repeat(64) };
const pushPatch: Partial<SyncState> = { nodeDoc: NEW_DOC };
const pullPatch: Partial<SyncState> = { whitelistShared: { object: 'share/whitelist.txt' } };

afterEach(() => jest.restoreAllMocks());

test.each([
  ['a push updates while a pull writes (the push\'s nodeDoc sha must not revert)', pullPatch, pushPatch],
  ['a pull updates while a push writes (the pull\'s whitelistShared must not vanish)', pushPatch, pullPatch],
])('%s', async (_name, first, second) => {
  const dir = tmpdir();
  fs.writeFileSync(syncStateFile(dir), JSON.stringify({ version: 1, nodeDoc: OLD_DOC, hostsDeny: null, whitelistShared: null }));
  const realWrite = jsonFile.writeJsonFile;
  let during: Promise<void> | undefined;
  const writes: unknown[] = [];
  jest.spyOn(jsonFile, 'writeJsonFile').mockImplementation((file, value) => {
    writes.push(value);
    // The first update has read and merged; before its write lands, the other one runs.
    if (writes.length === 1) during = Promise.resolve(updateSyncState(dir, second));
    return realWrite(file, value);
  });

  await updateSyncState(dir, first);
  expect(during).toBeDefined();
  await during;

  expect(writes).toHaveLength(2);
  expect(readSyncState(dir)).toEqual({ nodeDoc: NEW_DOC, hostsDeny: null, whitelistShared: { object: 'share/whitelist.txt' } });
  expect(fs.existsSync(path.join(dir, 'sync-state.lock'))).toBe(false);
});
