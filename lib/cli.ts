/**
 * The command line: yargs parses, the config is loaded and validated once, the command runs, and this
 * file's main() is the only place that sets the exit code (errors map to sysexits values, see errors.ts).
 */
// First: it sets V8's tiering for a short run before the other modules' functions are created (see there).
import './tiering';
import * as fs from 'node:fs';
import * as os from 'node:os';
import yargs, { type Argv } from 'yargs';
import type { Config, ConfigOverrides } from './config';
import { configWarnings, loadConfig, parseConfig } from './config';
import { AppError, ConfigError, ExitCode, type ExitCodeValue } from './errors';
import { stderrLogger } from './log';
import { fixedClock, systemClock } from './clock';
import type { Context } from './context';
import type { WhitelistOp } from './sync/whitelist-edit';
import { PARSER_NAMES } from './parsers';
import { formatDuration } from './duration';
import { FIREWALL_BACKENDS } from './backends-apply';
import { plural } from './plural';

export const DEFAULT_CONFIG = '/etc/autoban/autoban.cfg';

/**
 * A command's work. Each loads its own modules when it runs (import() compiles to a plain require): a cron
 * `scan` then never loads the sync, status or firewall-flush code, which was a tenth of its start-up.
 */
type Job = (argv: Record<string, unknown>) => Promise<ExitCodeValue | void>;

function contextFor(argv: Record<string, unknown>, opts: { configOptional?: boolean } = {}): Context {
  const overrides: ConfigOverrides = {
    log: argv.log as string | undefined,
    parser: argv.parser as string | undefined,
    stateDir: argv['state-dir'] as string | undefined,
    denyFile: argv['deny-file'] as string | undefined,
  };
  const file = argv.config as string;
  let config: Config;
  if (opts.configOptional && !argv.configGiven && !fs.existsSync(file)) {
    config = parseConfig('', { file: '(built-in defaults)', baseDir: process.cwd(), hostname: os.hostname().split('.')[0] || 'localhost' });
  } else {
    config = loadConfig(file, overrides);
  }
  let clock = systemClock;
  if (argv.now) {
    const t = new Date(argv.now as string);
    if (Number.isNaN(t.getTime())) throw new AppError(ExitCode.Usage, `--now: expected an ISO date, got '${argv.now}'`);
    clock = fixedClock(t);
  }
  const log = stderrLogger({ verbose: !!argv.verbose, quiet: !!argv.quiet });
  return { config, clock, log, dryRun: !!argv['dry-run'], quiet: !!argv.quiet };
}

const mutating = (y: Argv) => y.option('dry-run', { type: 'boolean', describe: 'print what would change, change nothing' });

/** `ban <ip>` → `$0 <ip>`: a one-command entrypoint takes the same positionals as `autoban ban`. */
function asDefaultCommand(cmd: string): string {
  return cmd.replace(/^\S+/, '$0');
}

/** yargs' messages may span lines (`Invalid values:\n  Argument: …`); a usage error is one line. */
function usageError(msg: string): AppError {
  const one = msg.replace(/\s*\n\s*/g, ' ').trim();
  // yargs names the option bare ("Not enough arguments following: reason"): name it as typed.
  const missing = /^Not enough arguments following: (\S+)$/.exec(one);
  return new AppError(ExitCode.Usage, missing ? `${missing[1]!.length === 1 ? '-' : '--'}${missing[1]} needs a value` : one);
}

/** The options that take a value (`requiresArg` below; a test keeps the two in step). */
export const VALUE_OPTIONS = ['--config', '-c', '--state-dir', '--deny-file', '--now', '--log', '--reason', '--duration'];

/** Builds the parser; `only` restricts it to one command (the autoban-scan style entrypoints). */
function buildCli(args: string[], setJob: (j: Job) => void, only?: string): Argv {
  const base = yargs(args).scriptName(only ? `autoban-${only}` : 'autoban');
  // A one-command entrypoint's usage line is its default command's (`autoban-ban <ip>`).
  const y = (only ? base : base.usage('$0 <command> [options]'))
    .option('config', { alias: 'c', type: 'string', default: DEFAULT_CONFIG, describe: 'config file', requiresArg: true })
    .option('verbose', { alias: 'v', type: 'boolean', describe: 'debug logging' })
    .option('quiet', { alias: 'q', type: 'boolean', describe: 'only warnings and errors on stderr' })
    .option('state-dir', { type: 'string', describe: 'override state_dir', requiresArg: true })
    .option('deny-file', { type: 'string', describe: 'override deny_file', requiresArg: true })
    .option('now', { type: 'string', describe: 'pretend the time is this ISO date (replaying old logs)', requiresArg: true })
    .middleware((argv) => {
      argv.configGiven = args.some((a) => a === '--config' || a === '-c' || a.startsWith('--config='));
    })
    .strict()
    .help()
    .alias('help', 'h')
    .version(false)
    .wrap(Math.min(100, process.stdout.columns || 100))
    .epilogue('Exit codes: 0 ok, 1 internal error, 64 usage, 65 refused (damaged deny-file markers, ban of a whitelisted, loopback, unspecified or multicast address), 66 input missing or unreadable (log file, journalctl, deny file, ban database, whitelist), 69 sync failed, 71 firewall command failed or kernel rules differ, 73 cannot write, 75 lock busy, 78 bad config. See README.md.')
    .fail((msg, err) => {
      // yargs reports its own validation failures as a YError (or only a message): usage errors, exit 64.
      // Anything else thrown while parsing is a bug and keeps its stack.
      if (!err || err.name === 'YError') throw usageError(msg || err?.message || 'invalid command line');
      throw err;
    });

  const scanOpts = (c: Argv) =>
    mutating(c)
      .option('log', { type: 'string', describe: 'scan this log instead of the configured sources (with --parser)', requiresArg: true })
      .option('parser', { type: 'string', choices: PARSER_NAMES, describe: 'parser for --log' })
      .option('from-start', { type: 'boolean', describe: 'ignore saved positions and read the logs from the beginning' });

  const commands: Record<string, [string, string, (c: Argv) => Argv, Job]> = {
    run: [
      'run',
      'jitter sleep, then sync-pull → scan → expire → sync-push (the cron job)',
      (c) => scanOpts(c).option('jitter', { type: 'boolean', default: true, describe: 'sleep 0..jitter seconds first (--no-jitter to skip)' }),
      async (argv) => {
        const ctx = contextFor(argv);
        const { runAll } = await import('./commands/run');
        const r = await runAll(ctx, { random: Math.random, sleep: (ms) => new Promise((res) => setTimeout(res, ms)) }, { jitter: argv.jitter !== false, fromStart: !!argv['from-start'] });
        return r.code;
      },
    ],
    scan: ['scan', 'read new log lines and ban offenders', scanOpts, async (argv) => void (await (await import('./commands/scan')).runScan(contextFor(argv), { fromStart: !!argv['from-start'] }))],
    expire: ['expire', 'lift bans whose time is up', mutating, async (argv) => void (await (await import('./commands/expire')).runExpire(contextFor(argv)))],
    'sync-pull': ['sync-pull', 'merge bans and whitelist shared by other nodes', mutating, async (argv) => void (await (await import('./commands/sync-pull')).runSyncPull(contextFor(argv)))],
    'sync-push': ['sync-push', "publish this node's bans and unbans", mutating, async (argv) => void (await (await import('./commands/sync-push')).runSyncPush(contextFor(argv)))],
    ban: [
      'ban <ip>',
      'ban an address or network by hand',
      (c) =>
        mutating(c)
          .positional('ip', { type: 'string', describe: 'IPv4/IPv6 address or CIDR network' })
          .option('reason', { type: 'string', describe: 'why (shown by status)', requiresArg: true })
          .option('duration', { type: 'string', describe: 'ban length (1h, 7d, permanent); default: ban_duration with repeat doubling', requiresArg: true }),
      async (argv) => void (await (await import('./commands/ban')).runBan(contextFor(argv), { ip: String(argv.ip), reason: argv.reason as string | undefined, duration: argv.duration as string | undefined })),
    ],
    unban: ['unban <ip>', 'lift a ban (on every node, once synced)', (c) => mutating(c).positional('ip', { type: 'string' }), async (argv) => void (await (await import('./commands/ban')).runUnban(contextFor(argv), { ip: String(argv.ip) }))],
    status: [
      'status',
      'show the bans in force',
      (c) => c.option('json', { type: 'boolean', describe: 'print a JSON array of ban objects' }),
      async (argv) => {
        const ctx = contextFor(argv);
        const { formatStatusTable, runStatus, statusJson } = await import('./commands/status');
        const r = await runStatus(ctx);
        process.stdout.write(argv.json ? `${JSON.stringify(statusJson(r), null, 2)}\n` : formatStatusTable(r, ctx.clock.now()));
        return r.backends.some((b) => !b.inSync) ? ExitCode.Backend : ExitCode.Ok;
      },
    ],
    test: [
      'test <logfile>',
      'show the login events a parser finds in a log and the bans the rules would make (changes nothing)',
      (c) =>
        c
          .positional('logfile', { type: 'string', describe: 'a log file, - (stdin) or a pipe' })
          .option('parser', { type: 'string', choices: PARSER_NAMES, demandOption: true })
          .option('json', { type: 'boolean', describe: 'one JSON object per event' }),
      async (argv) => {
        const ctx = contextFor({ ...argv, log: undefined, parser: undefined }, { configOptional: true });
        const json = !!argv.json;
        const out: string[] = [];
        const flush = () => {
          if (out.length) process.stdout.write(out.join(''));
          out.length = 0;
        };
        const { runTestLog } = await import('./commands/test-log');
        const r = await runTestLog(ctx, {
          file: String(argv.logfile),
          parser: String(argv.parser),
          stdin: process.stdin,
          onEvent: (e) => {
            out.push(json ? `${JSON.stringify(e)}\n` : `${String(e.lineNo).padStart(6)}  ${e.time}  ${e.outcome.padEnd(7)}  ${e.ip.padEnd(15)}  ${JSON.stringify(e.user)}\n`);
            if (out.length > 1000) flush();
          },
        });
        for (const o of r.offenses) {
          out.push(
            json
              ? `${JSON.stringify({ ban: o.ip, rule: o.rule, failures: o.failures, at: o.at.toISOString() })}\n`
              : `would ban ${o.ip} rule=${o.rule} failures=${o.failures} at ${o.at.toISOString()}\n`,
          );
        }
        if (!json) out.push(`${plural(r.lines, 'line')}, ${plural(r.events, 'login event')}, ${plural(r.offenses.length, 'ban')}\n`);
        flush();
      },
    ],
    'check-config': [
      'check-config',
      'validate the config and show the sources it defines',
      (c) => c,
      async (argv) => {
        const ctx = contextFor(argv);
        const c = ctx.config;
        const warnings = configWarnings(c);
        if (c.sources.length === 0) warnings.push('no log sources: scan will do nothing (add a section like [sshd] log = /var/log/auth.log)');
        // Warnings go to stderr, like every other diagnostic; stdout stays the summary.
        for (const w of warnings) process.stderr.write(`autoban: warning: ${w}\n`);
        const lines = [
          `${c.file}: OK${warnings.length ? ` (${plural(warnings.length, 'warning')} on stderr)` : ''}`,
          `node_id=${c.nodeId} state_dir=${c.stateDir} deny_file=${c.denyFile} whitelist=${c.whitelistFile ?? '(none)'}`,
          `backend=${c.backends.join(',') || 'none'} sync=${c.sync.context} ban_duration=${c.defaults.banDurationSec === null ? 'permanent' : formatDuration(c.defaults.banDurationSec)}`,
          // A journal source has no log path: show what it reads instead of an empty `log=`.
          ...c.sources.map((s) => `source [${s.name}] parser=${s.parser} ${s.journal ? `journal=${s.journal.match.join(',')}${s.journal.directory ? ` journal_directory=${s.journal.directory}` : ''}` : `log=${s.log}${s.olddir ? ` olddir=${s.olddir}` : ''}`}`),
        ];
        process.stdout.write(`${lines.join('\n')}\n`);
      },
    ],
    whitelist: [
      'whitelist <op> [entry]',
      'add, remove or list whitelist entries (the shared whitelist when sync is on, else the local file)',
      (c) =>
        mutating(c)
          .positional('op', { type: 'string', choices: ['add', 'remove', 'list'] })
          .positional('entry', { type: 'string', describe: 'IP address or CIDR network (add/remove)' }),
      async (argv) => {
        const op = String(argv.op) as WhitelistOp;
        if (op !== 'list' && !argv.entry) throw new AppError(ExitCode.Usage, `whitelist ${op}: name the address or network`);
        const { runWhitelistEdit } = await import('./sync/whitelist-edit');
        const r = await runWhitelistEdit(contextFor(argv), op, argv.entry as string | undefined);
        if (op === 'list') process.stdout.write(r.entries.length ? `${r.entries.join('\n')}\n` : '');
      },
    ],
    flush: [
      'flush',
      'remove every firewall rule and set autoban added',
      // choices: a mistyped name would otherwise match no backend and "flush" nothing with exit 0.
      (c) => mutating(c).option('backend', { type: 'string', array: true, choices: FIREWALL_BACKENDS, describe: 'only these backends' }),
      async (argv) => void (await (await import('./commands/flush')).runFlush(contextFor(argv), { backends: argv.backend as string[] | undefined })),
    ],
  };

  if (only) {
    const spec = commands[only];
    if (!spec) throw new Error(`unknown entrypoint ${only}`);
    return y.command(asDefaultCommand(spec[0]), spec[1], spec[2], () => setJob(spec[3]));
  }
  let withCmds = y;
  for (const [cmd, desc, builder, job] of Object.values(commands)) withCmds = withCmds.command(cmd, desc, builder, () => setJob(job));
  return withCmds.demandCommand(1, 'name a command (autoban --help lists them)');
}

/**
 * `--` ends the options, as in every Unix tool (`autoban ban -- 192.0.2.7`). yargs keeps the words after it
 * out of the positionals ("Not enough non-option arguments"), so the marker is dropped and each later word
 * that looks like an option is replaced by a stand-in yargs takes as a positional (a private-use character
 * and a number: no `-`, and yargs quotes it unescaped in its messages), put back once parsed. A bare `-`
 * (standard input: `autoban test -`) is never an option, but yargs makes such a positional '' (or true):
 * it gets a stand-in too, wherever it is.
 */
export function endOfOptions(args: string[]): { args: string[]; restore: (text: string) => string } {
  const at = args.indexOf('--');
  const words: string[] = [];
  const standIn = (a: string) => `\uE000${words.push(a) - 1}\uE000`;
  const before = (at < 0 ? args : args.slice(0, at)).map((a) => (a === '-' ? standIn(a) : a));
  const out = at < 0 ? before : [...before, ...args.slice(at + 1).map((a) => (a.startsWith('-') ? standIn(a) : a))];
  if (!words.length) return { args: out, restore: (t) => t };
  return { args: out, restore: (t) => t.replace(/\uE000(\d+)\uE000/g, (_m, i: string) => words[Number(i)] ?? '') };
}

/** Entry point of every bin: the only place that decides the process's exit code. */
export async function main(rawArgs: string[], only?: string): Promise<void> {
  let job: Job | null = null;
  let code: ExitCodeValue = ExitCode.Ok;
  const { args, restore } = endOfOptions(rawArgs);
  try {
    // `ban --reason -- 192.0.2.7`: once `--` is dropped, --reason would take the address and the command
    // would report a missing address. The `--` ends the options, so --reason was given no value: say that.
    const marker = rawArgs.indexOf('--');
    const before = marker > 0 ? rawArgs[marker - 1] : undefined;
    if (before && VALUE_OPTIONS.includes(before)) throw usageError(`${before} needs a value (the '--' after it ends the options)`);
    const parsed = (await buildCli(args, (j) => (job = j), only).parseAsync()) as Record<string, unknown>;
    const argv = Object.fromEntries(
      Object.entries(parsed).map(([k, v]) => [k, typeof v === 'string' ? restore(v) : Array.isArray(v) ? v.map((x) => (typeof x === 'string' ? restore(x) : x)) : v]),
    );
    if (job) code = ((await (job as Job)(argv)) as ExitCodeValue | undefined) ?? ExitCode.Ok;
  } catch (e) {
    if (e instanceof ConfigError) {
      for (const p of e.problems) process.stderr.write(`autoban: config error: ${p}\n`);
      code = e.code;
    } else if (e instanceof AppError) {
      // A usage error may quote a word given after `--` (see endOfOptions).
      process.stderr.write(`autoban: ${restore(e.message)}\n`);
      code = e.code;
    } else {
      process.stderr.write(`autoban: internal error: ${(e as Error)?.stack ?? e}\n`);
      code = ExitCode.Internal;
    }
  }
  process.exitCode = code;
  // Leave now rather than when the event loop drains: a file system call stuck on a hung NFS share
  // (shared_dir) must not keep a cron run alive. The callbacks run once stdout and stderr are flushed.
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}
