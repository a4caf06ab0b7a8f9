/**
 * A journal source whose journalctl dies (a signal) or fails without a word on stderr: the scan exits 66 naming
 * it and keeps the saved cursor, so the next run reads the same entries again instead of skipping them. The
 * stand-in journalctl on PATH simulates the crash a real one cannot be made to have.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cli } from '../helpers/cli';
import { makeEnv } from '../helpers/context';
import { tmpdir } from '../helpers/tmpdir';

// Prints the entries in $FAKE_DIR/entries.json from --cursor on (that entry included, as journalctl does), then
// ends as $FAKE_DIR/mode says: ok (exit 0), kill (SIGKILL itself), exit3 (exit 3, stderr empty).
const FAKE = `#!/usr/bin/env node
const fs = require('fs'), path = require('path');
const dir = process.env.FAKE_DIR;
const entries = JSON.parse(fs.readFileSync(path.join(dir, 'entries.json'), 'utf8'));
const mode = fs.readFileSync(path.join(dir, 'mode'), 'utf8').trim();
const a = process.argv.slice(2);
const i = a.indexOf('--cursor');
const from = i < 0 ? 0 : Math.max(0, entries.findIndex((e) => e.__CURSOR >= a[i + 1]));
process.stdout.write(entries.slice(from).map((e) => JSON.stringify(e) + '\\n').join(''), () => {
  if (mode === 'kill') process.kill(process.pid, 'SIGKILL');
  else process.exit(mode === 'exit3' ? 3 : 0);
});
`;

const entry = (n: number, ip: string, user: string) => ({
  __CURSOR: `c${n}`,
  __REALTIME_TIMESTAMP: String(Date.parse(`2026-11-22T09:00:0${n}Z`) * 1000),
  MESSAGE: `Failed password for ${user} from ${ip} port 4242 ssh2`,
  _COMM: 'sshd',
  _UID: '0',
  _PID: '700',
});

test('journalctl killed or exiting 3 silently: exit 66 naming it, the cursor is kept, and the next run reads those entries', () => {
  const e = makeEnv('[sshd]\njournal = true\n');
  const bin = tmpdir();
  fs.writeFileSync(path.join(bin, 'journalctl'), FAKE, { mode: 0o755 });
  const env = { PATH: `${bin}:${process.env.PATH}`, FAKE_DIR: bin };
  const setup = (mode: string, entries: object[]) => {
    fs.writeFileSync(path.join(bin, 'mode'), mode);
    fs.writeFileSync(path.join(bin, 'entries.json'), JSON.stringify(entries));
  };
  const scan = () => cli(['scan', '--config', path.join(e.dir, 'autoban.cfg'), '--now', '2026-11-22T09:05:00Z'], { env, timeout: 20000 });
  const cursor = () => (JSON.parse(e.read('state/positions.json')) as { journal?: Record<string, string> }).journal?.sshd;

  setup('ok', [entry(1, '203.0.113.5', 'bob')]);
  expect(scan().code).toBe(0);
  expect(cursor()).toBe('c1');

  const later = [entry(1, '203.0.113.5', 'bob'), entry(2, '192.0.2.7', 'root'), entry(3, '192.0.2.7', 'root')];
  for (const [mode, how] of [
    ['kill', 'was killed by SIGKILL'],
    ['exit3', 'exited with 3'],
  ]) {
    setup(mode as string, later);
    const r = scan();
    expect(r.code).toBe(66);
    expect(r.stderr).toContain(`journalctl -o json --no-pager -q --cursor c1 _COMM=sshd`);
    expect(r.stderr).toContain(` ${how}`);
    expect(cursor()).toBe('c1');
    expect(e.denyTargets()).toEqual([]);
  }

  setup('ok', later);
  const r = scan();
  expect(r.code).toBe(0);
  expect(r.stderr).toContain('banned 192.0.2.7');
  expect(e.denyTargets()).toEqual(['192.0.2.7']);
  expect(cursor()).toBe('c3');
});
