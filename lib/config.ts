/**
 * Configuration: one table of keys (type, default, doc), a pure parser that reports every problem at once,
 * and a loader that does the file I/O. After loadConfig returns, the Config is trusted everywhere.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ini from 'ini';
import { parseBanDuration, parseDuration } from './duration';
import { AppError, ConfigError, ExitCode } from './errors';
import type { RuleSet } from './types';
import { JOURNAL_COMMS, PARSER_NAMES } from './parsers';
import { expandLogGlob } from './glob';
import { logFileProblem, missingLogMessage } from './log-file';
import { kindOf, openRegularFile, readRegularFile } from './regular-file';
import { parseWhitelist } from './whitelist';

type KeyType = 'int' | 'duration' | 'banDuration' | 'string' | 'words' | 'bool' | 'backends';
interface KeySpec {
  type: KeyType;
  default: string;
  /** May a source section override it? */
  perSource: boolean;
  doc: string;
}

export const BACKENDS = ['hostsdeny', 'iptables', 'ipset', 'nftables', 'none'] as const;
export type Backend = (typeof BACKENDS)[number];

/** Every [DEFAULT] key. etc/autoban.cfg.example documents the same table (a test keeps them in step). */
export const KEYS: Record<string, KeySpec> = {
  suspicious_users: { type: 'words', default: 'root admin administrator', perSource: true, doc: 'user names whose failures are suspicious' },
  suspicious_users_attempts_threshold: { type: 'int', default: '2', perSource: true, doc: 'failures as a suspicious user that ban' },
  suspicious_users_period: { type: 'duration', default: '1d', perSource: true, doc: 'window for suspicious_users_attempts_threshold' },
  login_attempts_threshold: { type: 'int', default: '5', perSource: true, doc: 'failed logins within login_attempts_period that ban' },
  login_attempts_period: { type: 'duration', default: '300', perSource: true, doc: 'window for login_attempts_threshold and invalid_user_attempts_threshold' },
  invalid_user_attempts_threshold: { type: 'int', default: '3', perSource: true, doc: 'failures for users that do not exist, within login_attempts_period' },
  slow_attempts_threshold: { type: 'int', default: '20', perSource: true, doc: 'failed logins within slow_attempts_period that ban (slow attacks)' },
  slow_attempts_period: { type: 'duration', default: '1d', perSource: true, doc: 'window for slow_attempts_threshold' },
  whitelist: { type: 'string', default: '', perSource: false, doc: 'whitelist file: IPs and CIDRs never banned (empty = none)' },
  deny_file: { type: 'string', default: '/etc/hosts.deny', perSource: false, doc: 'TCP-wrappers deny file autoban maintains' },
  state_dir: { type: 'string', default: '/var/lib/autoban', perSource: false, doc: 'ban database, log positions, failure history, lock' },
  node_id: { type: 'string', default: '', perSource: false, doc: 'this node’s name in shared bans (default: host name)' },
  jitter: { type: 'duration', default: '60', perSource: false, doc: 'autoban run sleeps a random 0..jitter seconds first' },
  ban_duration: { type: 'banDuration', default: '1d', perSource: true, doc: 'first ban length; 0 or permanent = never expires' },
  ban_duration_max: { type: 'banDuration', default: '30d', perSource: true, doc: 'cap for repeat offenders (each ban doubles the previous)' },
  ipv6_prefix: { type: 'int', default: '64', perSource: true, doc: 'ban the attacker’s whole IPv6 /N (128 = single address)' },
  backend: { type: 'backends', default: 'hostsdeny', perSource: false, doc: 'hostsdeny, iptables, ipset, nftables or none; several comma-separated' },
  firewall_chains: { type: 'words', default: 'INPUT', perSource: false, doc: 'filter chains the iptables/ipset backends hook into, e.g. INPUT, DOCKER-USER' },
  lock_timeout: { type: 'duration', default: '30s', perSource: false, doc: 'how long to wait for another autoban to finish' },
  history_retention: { type: 'duration', default: '90d', perSource: false, doc: 'how long expired bans are remembered for repeat-offender doubling' },
  follow_symlinks: { type: 'bool', default: 'false', perSource: false, doc: 'allow deny_file and the whitelist (or its synced copy) to be a symlink pointing outside its directory' },
};

/** Keys only a source section has. */
const SOURCE_KEYS: Record<string, KeyType> = { log: 'string', parser: 'string', enabled: 'bool', journal: 'bool', journal_match: 'string', journal_directory: 'string', olddir: 'string' };

const SYNC_KEYS: Record<string, { type: KeyType; default: string }> = {
  context: { type: 'string', default: 'none' },
  s3_hostsdeny: { type: 'string', default: '' },
  s3_whitelist: { type: 'string', default: '' },
  s3_endpoint: { type: 'string', default: '' },
  s3_region: { type: 'string', default: '' },
  shared_dir: { type: 'string', default: '' },
  timeout: { type: 'duration', default: '5s' },
  deadline: { type: 'duration', default: '60s' },
};

export interface SourceConfig {
  name: string;
  /** Log path or glob pattern ('' for a journal source). */
  log: string;
  /** Read the systemd journal instead of a file. */
  journal?: { match: string[]; directory?: string };
  /** logrotate's `olddir`: where rotated files go, relative to each log's directory unless absolute. */
  olddir?: string;
  parser: string;
  rules: RuleSet;
  banDurationSec: number | null;
  banDurationMaxSec: number | null;
  ipv6Prefix: number;
}

export interface SyncConfig {
  context: 'none' | 'aws' | 'local';
  s3Hostsdeny?: string;
  s3Whitelist?: string;
  s3Endpoint?: string;
  s3Region?: string;
  sharedDir?: string;
  timeoutSec: number;
  deadlineSec: number;
}

export interface Config {
  file: string;
  nodeId: string;
  stateDir: string;
  denyFile: string;
  /** The path settings this run took from the command line (--state-dir, --deny-file): messages name the option, not the key. */
  overridden: { stateDir: boolean; denyFile: boolean };
  whitelistFile: string | null;
  jitterSec: number;
  lockTimeoutSec: number;
  historyRetentionSec: number;
  followSymlinks: boolean;
  backends: Backend[];
  /** Chains the iptables/ipset backends hook into (nftables: anything but INPUT means its forward hook). */
  firewallChains: string[];
  /** Values of [DEFAULT]; used for manual bans. */
  defaults: { rules: RuleSet; banDurationSec: number | null; banDurationMaxSec: number | null; ipv6Prefix: number };
  sources: SourceConfig[];
  sync: SyncConfig;
}

/** Options from the command line that add to or override the file. */
export interface ConfigOverrides {
  log?: string;
  parser?: string;
  stateDir?: string;
  denyFile?: string;
}

/** The path settings a command-line option can override: the key in the file and the option that replaces it. */
const PATH_SETTINGS = {
  stateDir: { key: 'state_dir', option: '--state-dir' },
  denyFile: { key: 'deny_file', option: '--deny-file' },
} as const;
export type PathSetting = keyof typeof PATH_SETTINGS;

/** What a message calls a path setting: `--deny-file` when the command line set it, else `deny_file`. */
export function settingName(cfg: Pick<Config, 'overridden'>, s: PathSetting): string {
  return cfg.overridden[s] ? PATH_SETTINGS[s].option : PATH_SETTINGS[s].key;
}

/** Where a problem with a path setting is: `command line: --deny-file`, or `FILE: [DEFAULT] deny_file`. */
export function settingWhere(cfg: Pick<Config, 'overridden' | 'file'>, s: PathSetting): string {
  return cfg.overridden[s] ? `command line: ${PATH_SETTINGS[s].option}` : `${cfg.file}: [DEFAULT] ${PATH_SETTINGS[s].key}`;
}

type Raw = Record<string, unknown>;

function convert(type: KeyType, value: string): { ok: true; v: unknown } | { ok: false; expected: string } {
  switch (type) {
    case 'int': {
      if (!/^\s*\d{1,9}\s*$/.test(value)) return { ok: false, expected: 'a whole number' };
      return { ok: true, v: Number(value) };
    }
    case 'duration': {
      const d = parseDuration(value);
      return d === null ? { ok: false, expected: 'a duration like 300, 30s, 10m, 1h, 1d or 1w (at most 100 years)' } : { ok: true, v: d };
    }
    case 'banDuration': {
      const d = parseBanDuration(value);
      return d === undefined ? { ok: false, expected: 'a duration like 1h or 1d (at most 100 years), or 0/permanent' } : { ok: true, v: d };
    }
    case 'bool': {
      if (/^(true|yes|on|1)$/i.test(value)) return { ok: true, v: true };
      if (/^(false|no|off|0)$/i.test(value)) return { ok: true, v: false };
      return { ok: false, expected: 'true or false' };
    }
    case 'words':
      return { ok: true, v: value.split(/[\s,]+/).filter(Boolean) };
    case 'backends': {
      const list = value.split(/[\s,]+/).filter(Boolean);
      const bad = list.filter((b) => !(BACKENDS as readonly string[]).includes(b));
      if (bad.length || list.length === 0) return { ok: false, expected: `one or more of ${BACKENDS.join(', ')}` };
      return { ok: true, v: list.filter((b) => b !== 'none') };
    }
    default:
      return { ok: true, v: value.trim() };
  }
}

/** ini gives strings, booleans (for true/false) or nested objects; we want the text back for our own types. */
function asText(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean' || typeof v === 'number') return String(v);
  if (v === null) return '';
  return null;
}

function resolvePath(p: string, baseDir: string): string {
  return path.isAbsolute(p) ? p : path.resolve(baseDir, p);
}

const isDefaultSection = (name: string) => name === 'DEFAULT' || name === 'default';

/**
 * Lines that are not INI, and repeated sections and keys, with their line numbers. The ini package merges a repeated section and keeps the
 * last of a repeated key, so either would silently drop a value. As in Python's configparser, [DEFAULT] may
 * appear more than once (its blocks and the keys before any section are one section) but a key only once in it.
 * Lines are read as ini reads them; `key[]` arrays are left to parseConfig, which refuses them.
 */
function structureProblems(text: string, where: string): { lines: string[]; duplicates: string[] } {
  const lines: string[] = [];
  const problems: string[] = [];
  const sectionLines = new Map<string, number>();
  const defaultKeys = new Map<string, number>();
  let section = 'DEFAULT';
  let keyLines = defaultKeys;
  text.split(/\r\n|\r|\n/).forEach((line, i) => {
    if (/^\s*(?:[;#]|$)/.test(line)) return;
    const m = /^\[([^\]]*)\]\s*$|^([^=]+)(=(.*))?$/.exec(line);
    if (!m) return;
    if (m[1] === undefined && m[3] === undefined) {
      // ini reads a bare word (or an unclosed `[sshd`) as `word = true`, which would surface only as an
      // "unknown key" with no line; configparser refuses such a line, and so do we, saying where it is.
      const shown = line.trim().length > 60 ? `${line.trim().slice(0, 60)}…` : line.trim();
      lines.push(`${where}: line ${i + 1}: expected 'key = value', a [section] or a comment, got ${JSON.stringify(shown)}`);
      return;
    }
    if (m[1] !== undefined) {
      section = m[1].trim();
      if (isDefaultSection(section)) {
        keyLines = defaultKeys;
        return;
      }
      const first = sectionLines.get(section);
      if (first !== undefined) problems.push(`${where}: [${section}]: section repeated on line ${i + 1} (first on line ${first}); merge them into one`);
      else sectionLines.set(section, i + 1);
      keyLines = new Map(); // a repeated section is reported once, above, not again for each key it repeats
      return;
    }
    const key = (m[2] as string).trim();
    if (key.endsWith('[]')) return;
    const first = keyLines.get(key);
    if (first !== undefined) problems.push(`${where}: [${isDefaultSection(section) ? 'DEFAULT' : section}] ${key}: set again on line ${i + 1} (first on line ${first}); keep one`);
    else keyLines.set(key, i + 1);
  });
  return { lines, duplicates: problems };
}

/**
 * Parses and validates config text. Pure apart from `hostname`, which is passed in.
 * Relative paths are resolved against `baseDir` (the config file's directory), so a config can travel with its files.
 */
export function parseConfig(
  text: string,
  opts: { file: string; baseDir: string; hostname: string; overrides?: ConfigOverrides },
): Config {
  const problems: string[] = [];
  const where = opts.file;
  let raw: Raw;
  try {
    raw = ini.parse(text) as Raw;
  } catch (e) {
    throw new ConfigError([`${where}: cannot parse INI: ${(e as Error).message}`]);
  }
  const structure = structureProblems(text, where);
  // A line that is not INI at all makes every later message a guess (an unclosed [section] puts its keys in
  // the wrong section), so those lines are reported alone.
  if (structure.lines.length) throw new ConfigError(structure.lines);
  problems.push(...structure.duplicates);
  const bad = (section: string, key: string, msg: string) => problems.push(`${where}: [${section}] ${key}: ${msg}`);

  // Keys before any section and keys in [DEFAULT] both count as defaults, as in the Python tool this replaces.
  const top: Record<string, string> = {};
  const sections: Record<string, Raw> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      if (isDefaultSection(k)) {
        for (const [dk, dv] of Object.entries(v as Raw)) {
          const t = asText(dv);
          if (t === null) bad('DEFAULT', dk, 'expected a value, got a section');
          else top[dk] = t;
        }
      } else sections[k] = v as Raw;
    } else {
      const t = asText(v);
      if (t === null) bad('DEFAULT', k, 'expected a single value');
      else top[k] = t;
    }
  }

  // `own`: the keys this section set to a valid value; range checks blame only the section that wrote a value.
  const readKeys = (section: string, values: Record<string, string>, base: Record<string, unknown>) => {
    const out: Record<string, unknown> = { ...base };
    const own = new Set<string>();
    for (const [k, v] of Object.entries(values)) {
      const spec = KEYS[k];
      if (!spec) continue;
      const c = convert(spec.type, v);
      if (!c.ok) bad(section, k, `expected ${c.expected}, got '${v}'`);
      else {
        out[k] = c.v;
        own.add(k);
      }
    }
    return { v: out, own };
  };

  for (const k of Object.keys(top)) {
    if (!KEYS[k]) bad('DEFAULT', k, `unknown key (known keys: ${Object.keys(KEYS).join(', ')})`);
  }
  const defaultsRaw: Record<string, unknown> = {};
  for (const [k, spec] of Object.entries(KEYS)) {
    const c = convert(spec.type, spec.default);
    if (c.ok) defaultsRaw[k] = c.v;
  }
  const { v: g, own: gOwn } = readKeys('DEFAULT', top, defaultsRaw);

  const toRules = (v: Record<string, unknown>): RuleSet => ({
    suspiciousUsers: v.suspicious_users as string[],
    suspiciousThreshold: v.suspicious_users_attempts_threshold as number,
    suspiciousPeriodSec: v.suspicious_users_period as number,
    loginThreshold: v.login_attempts_threshold as number,
    loginPeriodSec: v.login_attempts_period as number,
    invalidUserThreshold: v.invalid_user_attempts_threshold as number,
    invalidUserPeriodSec: v.login_attempts_period as number,
    slowThreshold: v.slow_attempts_threshold as number,
    slowPeriodSec: v.slow_attempts_period as number,
  });
  // Range checks of the keys `own` holds (the built-in defaults are in range, inherited values were checked where written).
  const checkRules = (section: string, v: Record<string, unknown>, own: Set<string>) => {
    for (const k of ['suspicious_users_attempts_threshold', 'login_attempts_threshold', 'invalid_user_attempts_threshold', 'slow_attempts_threshold']) {
      if (own.has(k) && v[k] === 0) bad(section, k, 'expected at least 1, got 0');
    }
    for (const k of ['login_attempts_period', 'slow_attempts_period', 'suspicious_users_period']) {
      if (own.has(k) && v[k] === 0) bad(section, k, 'expected a period longer than 0');
    }
    const p = v.ipv6_prefix as number;
    if (own.has('ipv6_prefix') && (p < 16 || p > 128)) bad(section, 'ipv6_prefix', `expected a prefix length from 16 to 128, got ${p}`);
  };
  // The cap on repeat-offender doubling: below ban_duration it would be silently ignored. Checked where either is set.
  const checkBanCap = (section: string, v: Record<string, unknown>, own: Set<string>, textOf: (k: string) => string) => {
    const first = v.ban_duration as number | null;
    const max = v.ban_duration_max as number | null;
    if (first === null || max === null || max >= first) return;
    if (!own.has('ban_duration') && !own.has('ban_duration_max')) return;
    bad(section, own.has('ban_duration_max') ? 'ban_duration_max' : 'ban_duration', `ban_duration_max (${textOf('ban_duration_max')}) is shorter than ban_duration (${textOf('ban_duration')})`);
  };
  // A value as its section wrote it; an inherited one says where it came from.
  const builtIn = (k: string) => `${KEYS[k]?.default}, the default`;
  const inDefault = (k: string) => (gOwn.has(k) ? (top[k] ?? '').trim() : builtIn(k));
  const inherited = (k: string) => (gOwn.has(k) ? `${inDefault(k)}, from [DEFAULT]` : builtIn(k));
  checkRules('DEFAULT', g, gOwn);
  const chains = g.firewall_chains as string[];
  if (!chains.length || chains.some((c) => !/^[A-Za-z][A-Za-z0-9_-]{0,28}$/.test(c))) bad('DEFAULT', 'firewall_chains', `expected chain names like INPUT, DOCKER-USER, got '${chains.join(' ')}'`);
  checkBanCap('DEFAULT', g, gOwn, inDefault);

  const baseDir = opts.baseDir;
  const sources: SourceConfig[] = [];
  let sync: SyncConfig = { context: 'none', timeoutSec: 5, deadlineSec: 60 };
  for (const [name, sec] of Object.entries(sections)) {
    const values: Record<string, string> = {};
    for (const [k, v] of Object.entries(sec)) {
      const t = asText(v);
      if (t === null) bad(name, k, 'expected a single value (nested sections are not supported)');
      else values[k] = t;
    }
    if (name === 'sync') {
      const s: Record<string, unknown> = {};
      for (const [k, spec] of Object.entries(SYNC_KEYS)) s[k] = convert(spec.type, spec.default).ok ? (convert(spec.type, spec.default) as { v: unknown }).v : undefined;
      for (const [k, v] of Object.entries(values)) {
        const spec = SYNC_KEYS[k];
        if (!spec) {
          bad(name, k, `unknown key (known keys: ${Object.keys(SYNC_KEYS).join(', ')})`);
          continue;
        }
        const c = convert(spec.type, v);
        if (!c.ok) bad(name, k, `expected ${c.expected}, got '${v}'`);
        else s[k] = c.v;
      }
      const context = s.context as string;
      if (!['none', 'aws', 'local'].includes(context)) bad(name, 'context', `expected aws, local or none, got '${context}'`);
      if (context === 'aws') {
        for (const k of ['s3_hostsdeny', 's3_whitelist']) {
          const u = s[k] as string;
          if (!u) bad(name, k, 'required when context = aws (an s3://bucket/prefix/ URL)');
          else if (!/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/.test(u)) bad(name, k, `expected an s3://bucket/prefix URL, got '${u}'`);
        }
      }
      if (context === 'local' && !s.shared_dir) bad(name, 'shared_dir', 'required when context = local (a directory shared by the nodes)');
      sync = {
        context: context as SyncConfig['context'],
        s3Hostsdeny: (s.s3_hostsdeny as string) || undefined,
        s3Whitelist: (s.s3_whitelist as string) || undefined,
        s3Endpoint: (s.s3_endpoint as string) || undefined,
        s3Region: (s.s3_region as string) || undefined,
        sharedDir: s.shared_dir ? resolvePath(s.shared_dir as string, baseDir) : undefined,
        timeoutSec: s.timeout as number,
        deadlineSec: s.deadline as number,
      };
      continue;
    }
    // Any other section is a log source.
    for (const k of Object.keys(values)) {
      if (SOURCE_KEYS[k]) continue;
      const spec = KEYS[k];
      if (!spec) bad(name, k, `unknown key (a source section takes ${[...Object.keys(SOURCE_KEYS), ...Object.keys(KEYS).filter((key) => KEYS[key]!.perSource)].join(', ')})`);
      else if (!spec.perSource) bad(name, k, 'can only be set in [DEFAULT]');
    }
    let enabled = true;
    if (values.enabled !== undefined) {
      const c = convert('bool', values.enabled);
      if (!c.ok) bad(name, 'enabled', `expected true or false, got '${values.enabled}'`);
      else enabled = c.v as boolean;
    }
    const parser = values.parser ?? (PARSER_NAMES.includes(name) ? name : '');
    if (!parser) bad(name, 'parser', `missing (expected one of ${PARSER_NAMES.join(', ')})`);
    else if (!PARSER_NAMES.includes(parser)) bad(name, 'parser', `expected one of ${PARSER_NAMES.join(', ')}, got '${parser}'`);
    let journal: SourceConfig['journal'];
    if (values.journal !== undefined) {
      const c = convert('bool', values.journal);
      if (!c.ok) bad(name, 'journal', `expected true or false, got '${values.journal}'`);
      else if (c.v) {
        const match = (values.journal_match ?? (JOURNAL_COMMS[parser] ?? []).map((c2) => `_COMM=${c2}`).join(' ')).split(/\s+/).filter(Boolean);
        for (const m of match) if (!/^(?:[A-Z0-9_]+=\S*|\+)$/.test(m)) bad(name, 'journal_match', `expected journalctl matches like _COMM=sshd or _SYSTEMD_UNIT=ssh.service, got '${m}'`);
        journal = { match, directory: values.journal_directory ? resolvePath(values.journal_directory, baseDir) : undefined };
      }
    }
    if (!values.log && !journal) bad(name, 'log', 'missing (expected the path or glob of the log file, or journal = true)');
    if (values.log && journal) bad(name, 'journal', 'a source reads either a log file (log =) or the journal (journal = true), not both');
    const olddir = values.olddir?.trim();
    if (values.olddir !== undefined && !olddir) bad(name, 'olddir', "expected a directory (logrotate's olddir), got nothing");
    if (olddir && journal) bad(name, 'olddir', 'only for a log file source (log =), not the journal');
    const { v, own } = readKeys(name, values, g);
    checkRules(name, v, own);
    checkBanCap(name, v, own, (k) => (own.has(k) ? (values[k] ?? '').trim() : inherited(k)));
    if (!enabled) continue;
    sources.push({
      name,
      log: values.log ? resolvePath(values.log, baseDir) : '',
      journal,
      ...(olddir ? { olddir } : {}),
      parser,
      rules: toRules(v),
      banDurationSec: v.ban_duration as number | null,
      banDurationMaxSec: v.ban_duration_max as number | null,
      ipv6Prefix: v.ipv6_prefix as number,
    });
  }

  const ov = opts.overrides ?? {};
  if (ov.log || ov.parser) {
    if (!ov.log || !ov.parser) problems.push(`command line: --log and --parser go together`);
    else if (!PARSER_NAMES.includes(ov.parser)) problems.push(`command line: --parser: expected one of ${PARSER_NAMES.join(', ')}, got '${ov.parser}'`);
    else {
      // --log/--parser replaces the configured sources: it is for "scan this file now".
      sources.length = 0;
      sources.push({
        name: ov.parser,
        log: path.resolve(ov.log),
        parser: ov.parser,
        rules: toRules(g),
        banDurationSec: g.ban_duration as number | null,
        banDurationMaxSec: g.ban_duration_max as number | null,
        ipv6Prefix: g.ipv6_prefix as number,
      });
    }
  }

  const nodeId = (g.node_id as string) || opts.hostname;
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(nodeId)) bad('DEFAULT', 'node_id', `expected letters, digits, '.', '_' or '-' (max 63), got '${nodeId}'`);

  if (problems.length) throw new ConfigError(problems);
  return {
    file: opts.file,
    nodeId,
    stateDir: ov.stateDir ? path.resolve(ov.stateDir) : resolvePath(g.state_dir as string, baseDir),
    denyFile: ov.denyFile ? path.resolve(ov.denyFile) : resolvePath(g.deny_file as string, baseDir),
    overridden: { stateDir: !!ov.stateDir, denyFile: !!ov.denyFile },
    // With sync on, the shared whitelist needs a local copy even when no whitelist key is set.
    whitelistFile: g.whitelist ? resolvePath(g.whitelist as string, baseDir) : sync.context !== 'none' ? path.join(ov.stateDir ? path.resolve(ov.stateDir) : resolvePath(g.state_dir as string, baseDir), 'whitelist.txt') : null,
    jitterSec: g.jitter as number,
    lockTimeoutSec: g.lock_timeout as number,
    historyRetentionSec: g.history_retention as number,
    followSymlinks: g.follow_symlinks as boolean,
    backends: g.backend as Backend[],
    firewallChains: g.firewall_chains as string[],
    defaults: {
      rules: toRules(g),
      banDurationSec: g.ban_duration as number | null,
      banDurationMaxSec: g.ban_duration_max as number | null,
      ipv6Prefix: g.ipv6_prefix as number,
    },
    sources,
    sync,
  };
}

/** Reads and validates the config file; a missing or unreadable file is a config error naming it. */
export function loadConfig(file: string, overrides?: ConfigOverrides): Config {
  let text: string;
  try {
    text = readRegularFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ConfigError([`${file}: cannot read config file: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`]);
  }
  const cfg = parseConfig(text, { file, baseDir: path.dirname(path.resolve(file)), hostname: os.hostname().split('.')[0] || 'localhost', overrides });
  // Checks that need the file system, still before anything is touched.
  const problems: string[] = [];
  if (cfg.whitelistFile && cfg.sync.context === 'none' && !fs.existsSync(cfg.whitelistFile)) {
    problems.push(`${file}: [DEFAULT] whitelist: file ${cfg.whitelistFile} does not exist (create it, even empty, or remove the key)`);
  }
  const deny = denyFileProblem(cfg.denyFile);
  if (deny) problems.push(`${settingWhere(cfg, 'denyFile')}: ${deny}`);
  if (problems.length) throw new ConfigError(problems);
  // A whitelist that is there but cannot be read must stop the run: read as empty, it would let scan ban
  // the addresses it lists. Exit 66 (NoInput), like an unreadable deny file or ban database.
  if (cfg.whitelistFile) {
    const why = unreadableFile(cfg.whitelistFile);
    if (why) throw new AppError(ExitCode.NoInput, `cannot read whitelist ${cfg.whitelistFile}: ${why}`);
  }
  return cfg;
}

/** Why an existing file cannot be read (permission, a directory, a FIFO), else null; a missing file is null. */
function unreadableFile(file: string): string | null {
  try {
    fs.closeSync(openRegularFile(file).fd);
    return null;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? null : (e as Error).message;
  }
}

/** Why the deny file cannot be written (its directory is missing or not a directory, or it is one), else null. */
function denyFileProblem(denyFile: string): string | null {
  const dir = path.dirname(denyFile);
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return `directory ${dir} does not exist`;
    if (code === 'ENOTDIR') return `${dir} is not a directory (a part of the path is a file)`;
    return `cannot use directory ${dir}: ${(e as Error).message}`;
  }
  if (!st.isDirectory()) return `${dir} is not a directory (it is a file)`;
  // A FIFO would hang the read that adopts its lines; a directory, a socket or a device cannot be replaced by the written file.
  const deny = fs.statSync(denyFile, { throwIfNoEntry: false });
  if (deny && !deny.isFile()) return `${denyFile} is ${kindOf(deny)}, not a file`;
  return null;
}

/** What check-config warns about but scan tolerates (a log not there yet, whitelist lines scan ignores): likely mistakes. */
export function configWarnings(cfg: Config): string[] {
  return [...cfg.sources.flatMap((s) => [...missingLogWarning(cfg.file, s), ...olddirWarning(cfg.file, s)]), ...stateDirWarning(cfg), ...(cfg.whitelistFile ? whitelistWarnings(cfg.whitelistFile) : [])];
}

/**
 * A state_dir that can never be created (it, or the nearest part of its path that exists, is a file): every
 * command would exit 73. A missing state_dir is fine (the first run creates it), so this is only a warning.
 */
function stateDirWarning(cfg: Config): string[] {
  for (let dir = cfg.stateDir; ; dir = path.dirname(dir)) {
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(dir, { throwIfNoEntry: false });
    } catch {
      st = undefined; // ENOTDIR: a part above is a file; the walk up finds it
    }
    if (st) return st.isDirectory() ? [] : [`${settingWhere(cfg, 'stateDir')}: ${dir} is not a directory, so ${cfg.stateDir} cannot be created (scan, ban and the other commands that change something exit 73)`];
    if (path.dirname(dir) === dir) return [];
  }
}

/** A source whose log (or glob) names no file (until the daemon creates it), or one that is no log file (a directory): scan exits 66. */
function missingLogWarning(file: string, src: SourceConfig): string[] {
  if (src.journal || !src.log) return [];
  const files = expandLogGlob(src.log);
  if (files.length === 0) return [`${file}: [${src.name}] log: ${missingLogMessage(src.log)} (yet); scan exits 66 until it does`];
  // In scan's words, with its exit 66: missing, a directory, a FIFO, a part of the path a file, permission denied.
  return files.flatMap((f) => {
    const p = logFileProblem(f);
    if (!p) return [];
    return [`${file}: [${src.name}] log: ${f}: ${p.why}${p.missing ? ' (yet); scan exits 66 until it does' : '; scan exits 66 until this is fixed'}`];
  });
}

/** An olddir that is not a directory for the log's files: their rotations would not be followed there. */
function olddirWarning(file: string, src: SourceConfig): string[] {
  if (!src.olddir) return [];
  const dirs = [...new Set(expandLogGlob(src.log).map((f) => path.resolve(path.dirname(f), src.olddir as string)))];
  const bad = dirs.filter((d) => !fs.statSync(d, { throwIfNoEntry: false })?.isDirectory());
  return bad.map((d) => `${file}: [${src.name}] olddir: ${d} is not a directory; rotated files are looked for there and beside the log`);
}

/** Each line the whitelist's parser refuses, with its number (lib/whitelist.ts says what is wrong with it). */
function whitelistWarnings(wlFile: string): string[] {
  let text: string;
  try {
    text = readRegularFile(wlFile, 'utf8');
  } catch {
    return []; // not readable: loadConfig refused it (exit 66); missing without sync is a config error (loadConfig); with sync, the local copy comes with the first pull
  }
  return parseWhitelist(text, wlFile).errors.map((e) => `${e} (scan ignores this line)`);
}

