/** `npm start`: the bundled demo bans the bundled attackers and nobody else. */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT } from '../helpers/cli';

test('the demo bans exactly the bundled attackers', () => {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'demo.js')], { cwd: ROOT, encoding: 'utf8' });
  expect(r.status).toBe(0);
  const deny = fs.readFileSync(path.join(ROOT, 'var', 'hosts.deny'), 'utf8');
  const banned = deny.split('\n').filter((l) => l.startsWith('ALL: ')).map((l) => l.slice(5));
  expect(banned).toEqual(['192.0.2.66', '192.0.2.77', '192.0.2.88', '198.51.100.23', '203.0.113.50', '203.0.113.99', '[2001:db8:bad::]/64']);
  expect(deny.startsWith('# /etc/hosts.deny as the old autoban left it')).toBe(true);
  expect(deny).toContain('in.telnetd: ALL\n');
  // Not banned: the legitimate user (also the address planted in a user name), the whitelisted host.
  for (const ip of ['192.0.2.10', '198.51.100.5', '192.0.2.20', '198.51.100.99']) expect(deny).not.toContain(ip);
  expect(r.stdout).toContain('7 active bans');
});
