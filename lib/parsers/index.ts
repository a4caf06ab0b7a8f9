/** The parser registry: one pure line parser per service. */
import type { LoginEvent } from '../types';
import { parseProftpd } from './proftpd';
import { parseSshd } from './sshd';

/** What a parser may know besides the line: the scan's "now", for year-less dates and time-less lines. */
export interface ParseContext {
  nowMs: number;
}

export type LineParser = (line: string, ctx: ParseContext) => LoginEvent | null;

export const PARSERS: Record<string, LineParser> = {
  proftpd: parseProftpd,
  sshd: parseSshd,
};

export const PARSER_NAMES = Object.keys(PARSERS);
