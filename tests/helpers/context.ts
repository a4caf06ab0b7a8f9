/** Builds a real Context over a temp directory: real files, a fixed clock, captured log lines. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseConfig } from '../../lib/config';
import { fixedClock } from '../../lib/clock';
import { memoryLogger } from '../../lib/log';
import type { Context } from '../../lib/context';
import { tmpdir } from './tmpdir';

export interface TestEnv {
  dir: string;
  ctx: (nowIso: string, opts?: { dryRun?: boolean }) => Context & { log: ReturnType<typeof memoryLogger> };
  write: (name: string, text: string) => string;
  append: (name: string, text: string) => void;
  read: (name: string) => string;
  denyTargets: () => string[];
}

/** A temp dir with autoban.cfg (given sections appended to a base [DEFAULT]), deny file and whitelist. */
export function makeEnv(cfgExtra = '', opts: { defaults?: string } = {}): TestEnv {
  const dir = tmpdir();
  const write = (name: string, text: string) => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, text);
    return p;
  };
  write('whitelist.txt', '');
  write('hosts.deny', '');
  const cfgText = `[DEFAULT]\ndeny_file = hosts.deny\nstate_dir = state\nwhitelist = whitelist.txt\nnode_id = test1\n${opts.defaults ?? ''}\n${cfgExtra}`;
  write('autoban.cfg', cfgText);
  return {
    dir,
    write,
    append: (name, text) => fs.appendFileSync(path.join(dir, name), text),
    read: (name) => fs.readFileSync(path.join(dir, name), 'utf8'),
    denyTargets: () =>
      fs
        .readFileSync(path.join(dir, 'hosts.deny'), 'utf8')
        .split('\n')
        .filter((l) => l.startsWith('ALL: '))
        .map((l) => l.slice(5)),
    ctx: (nowIso, o = {}) => {
      const config = parseConfig(fs.readFileSync(path.join(dir, 'autoban.cfg'), 'utf8'), { file: path.join(dir, 'autoban.cfg'), baseDir: dir, hostname: 'testhost' });
      return { config, clock: fixedClock(nowIso), log: memoryLogger(), dryRun: !!o.dryRun };
    },
  };
}

/** sshd syslog line at local time hh:mm:ss on Nov 22. */
export function sshdFail(hms: string, ip: string, user = 'bob', pid = 1000): string {
  return `Nov 22 ${hms} host sshd[${pid}]: Failed password for ${user} from ${ip} port 40000 ssh2\n`;
}
