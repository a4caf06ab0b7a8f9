/**
 * Checksums of autoban's own state files (stamp.txt, history.bin): they detect damage (a torn write, a hand
 * edit), not tampering — whoever can write state_dir can write the ban database itself. CRC-32 from zlib,
 * which the log reader loads anyway: a cron run that would otherwise load node:crypto (about 10 ms in a
 * fresh process, more than the rest of a run with a few new lines) for one SHA-1 never does.
 */
import * as zlib from 'node:zlib';
import type { createHash as CreateHash } from 'node:crypto';

/** zlib.crc32 came with Node 20.15; earlier 20.x get SHA-1, as before. */
const crc32 = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;

const sha1 = (data: Uint8Array): string => {
  const { createHash } = require('node:crypto') as { createHash: typeof CreateHash };
  return createHash('sha1').update(data).digest('hex');
};

export function checksum(data: Uint8Array): string {
  return crc32 ? `crc32:${crc32(data).toString(16)}` : sha1(data);
}

/** True when `sum` (from checksum(), or a SHA-1 in hex as earlier versions wrote) is that of `data`. */
export function checksumMatches(data: Uint8Array, sum: unknown): boolean {
  if (typeof sum !== 'string') return false;
  if (sum.startsWith('crc32:')) return crc32 !== undefined && checksum(data) === sum;
  return /^[0-9a-f]{40}$/.test(sum) && sha1(data) === sum;
}
