#!/usr/bin/env node
/**
 * `npm start`: runs the whole pipeline (autoban run) on the bundled demo logs, writing into ./var/,
 * then shows what was banned and the resulting deny file. The logs are from 2026-11-22 09:00-09:12, so
 * the run pretends it is 09:15 that day (--now), as if cron had just fired.
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const cli = path.join(root, 'dist', 'bin', 'autoban.js');
const cfg = path.join(root, 'etc', 'demo', 'autoban.cfg');
const varDir = path.join(root, 'var');
if (!fs.existsSync(cli)) {
  console.error('dist/ is missing: run `npm install` (it builds) or `npm run build` first');
  process.exit(1);
}
fs.rmSync(varDir, { recursive: true, force: true });
fs.mkdirSync(varDir, { recursive: true });
fs.copyFileSync(path.join(root, 'etc', 'demo', 'hosts.deny.initial'), path.join(varDir, 'hosts.deny'));

const now = '2026-11-22T09:15:00';
const run = (args) => {
  const r = spawnSync(process.execPath, [cli, ...args, '--config', cfg, '--now', new Date(now).toISOString()], { stdio: 'inherit' });
  return r.status;
};
console.log(`$ autoban run --no-jitter --config etc/demo/autoban.cfg   (logs: etc/demo/logs/*.log)\n`);
const code = run(['run', '--no-jitter']);
console.log('\n$ autoban status');
run(['status']);
console.log('\n$ cat var/hosts.deny');
process.stdout.write(fs.readFileSync(path.join(varDir, 'hosts.deny'), 'utf8'));
console.log('\nNot banned: 192.0.2.10 (alice, one typo then a good login; also the address planted in a user name),');
console.log('            198.51.100.5 (whitelisted), 192.0.2.20 (logged in). Run `npm start` again: it starts afresh.');
process.exitCode = code ?? 1;
