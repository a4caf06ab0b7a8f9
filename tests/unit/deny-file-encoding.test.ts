/**
 * Lines autoban did not write are kept byte for byte, whatever their encoding: an admin's comment in
 * ISO-8859-1 (or any bytes that are not UTF-8) must not come back as U+FFFD replacement characters.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runBan, runUnban } from '../../lib/commands/ban';
import { BEGIN_MARKER, END_MARKER } from '../../lib/deny-file';
import { makeEnv } from '../helpers/context';

const NOW = '2026-11-22T02:00:00.000Z';

test('foreign lines that are not UTF-8 survive a full commit byte for byte', async () => {
  const env = makeEnv('[sshd]\nlog = auth.log\n');
  const file = path.join(env.dir, 'hosts.deny');
  const head = Buffer.from('# r\xe8gles de Fran\xe7ois\nsshd: 198.51.100.0/255.255.255.0 # caf\xe9 \xff\n', 'latin1');
  const utf8 = Buffer.from('# rédigé en UTF-8\n', 'utf8');
  fs.writeFileSync(file, Buffer.concat([head, utf8, Buffer.from('ALL: 192.0.2.1\n')]));
  await runBan(env.ctx(NOW), { ip: '192.0.2.50' });
  const block = (ips: string[]) => Buffer.from(`${[BEGIN_MARKER, ...ips.map((ip) => `ALL: ${ip}`), END_MARKER].join('\n')}\n`);
  expect(fs.readFileSync(file)).toEqual(Buffer.concat([head, utf8, block(['192.0.2.1', '192.0.2.50'])]));
  await runUnban(env.ctx(NOW), { ip: '192.0.2.1' });
  expect(fs.readFileSync(file)).toEqual(Buffer.concat([head, utf8, block(['192.0.2.50'])]));
});
