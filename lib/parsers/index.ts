/** The parser registry: one pure line parser per service. */
import type { LoginEvent } from '../types';
import type { BannedSet } from '../banned-set';
import { parseProftpd, parseProftpdAt, parseProftpdJournal } from './proftpd';
import { parseSshd, parseSshdAt, parseSshdJournal } from './sshd';
import { headerTime, scanSyslogHeader } from './syslog-header';
import { parseClfTime, parseLocalDateTime } from './time';

/** What a parser may know besides the line: the scan's "now", for year-less dates and time-less lines. */
export interface ParseContext {
  nowMs: number;
  /**
   * Addresses the caller already bans (canonical form). A failure line about one of them is reported to
   * onBanned (with its connection key) instead of being parsed into an event: most lines of a big log under
   * attack come after their address was banned, and they then cost only finding the address.
   */
  banned?: BannedSet;
  /** The banned address is text[from, to). */
  onBanned?: (conn: number | undefined, text: string, from: number, to: number) => void;
}

export type LineParser = (line: string, ctx: ParseContext) => LoginEvent | null;

/** Parses the line s[start, end): the scanner parses lines in place in the reader's chunk. */
export type InPlaceParser = (s: string, start: number, end: number, ctx: ParseContext) => LoginEvent | null;

export const PARSERS_IN_PLACE: Record<string, InPlaceParser> = {
  proftpd: parseProftpdAt,
  sshd: parseSshdAt,
};

export const PARSERS: Record<string, LineParser> = {
  proftpd: parseProftpd,
  sshd: parseSshd,
};

export const PARSER_NAMES = Object.keys(PARSERS);

/** Parsers for messages whose header journald already split off into trusted fields. */
export type MessageParser = (msg: string, timeMs: number, conn: number | undefined) => LoginEvent | null;

export const JOURNAL_PARSERS: Record<string, MessageParser> = {
  proftpd: parseProftpdJournal,
  sshd: parseSshdJournal,
};

/**
 * The process names (journald's _COMM field) each parser accepts from the journal. SYSLOG_IDENTIFIER is what
 * `logger -t sshd` sets, so it is never trusted; _COMM alone is not enough either (lib/journal-trust.ts).
 */
export const JOURNAL_COMMS: Record<string, string[]> = {
  proftpd: ['proftpd'],
  sshd: ['sshd', 'sshd-session', 'sshd-auth'],
};

/**
 * The system units (journald's _SYSTEMD_UNIT, from the sender's cgroup) that vouch for a non-root sender: a
 * ProFTPD daemon run as non-root by its unit. None for sshd: it always logs failures as root, and without
 * pam_systemd the shells of users logged in over ssh stay in ssh.service, where they could name a program sshd.
 */
export const JOURNAL_UNITS: Record<string, string[]> = {
  proftpd: ['proftpd.service'],
  sshd: [],
};

/** The time written at the start of any supported log line (epoch ms), or NaN; used to seek in big logs. */
export function lineTimeMs(line: string, nowMs: number): number {
  const h = scanSyslogHeader(line);
  if (h) return headerTime(line, 0, h, nowMs);
  if (line.charCodeAt(0) === 91) return parseClfTime(line.slice(0, 28));
  const sp = line.indexOf(' ', 11);
  return sp > 0 ? parseLocalDateTime(line.slice(0, sp)) : NaN;
}
