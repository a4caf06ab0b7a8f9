/**
 * Checksums of autoban's own state files (stamp.txt, history.bin): they detect damage (a torn write, a hand
 * edit), not tampering — whoever can write state_dir can write the ban database itself. CRC-32 from zlib,
 * which the log reader loads anyway: a cron run that would otherwise load node:crypto (about 10 ms in a
 * fresh process, more than the rest of a run with a few new lines) for one SHA-1 never does.
 */
import * as zlib from 'node:zlib';
import type { createHash as CreateHash } from 'node:crypto';

/** zlib.crc32 came with Node 20.15; earlier 20.x get SHA-1, as before. */
const crc32 = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

const sha1 = (parts: readonly Uint8Array[]): string => {
  const { createHash } = require('node:crypto') as { createHash: typeof CreateHash };
  const h = createHash('sha1');
  for (const p of parts) h.update(p);
  return h.digest('hex');
};

/** The checksum of `data`, or of the concatenation of a list of pieces (without making it). */
export function checksum(data: Uint8Array | readonly Uint8Array[]): string {
  const parts = data instanceof Uint8Array ? [data] : data;
  if (!crc32) return sha1(parts);
  let c = 0;
  for (const p of parts) c = crc32(p, c);
  return `crc32:${c.toString(16)}`;
}

/** True when `sum` (from checksum(), or a SHA-1 in hex as earlier versions wrote) is that of `data`. */
export function checksumMatches(data: Uint8Array | readonly Uint8Array[], sum: unknown): boolean {
  if (typeof sum !== 'string') return false;
  if (sum.startsWith('crc32:')) return crc32 !== undefined && checksum(data) === sum;
  return /^[0-9a-f]{40}$/.test(sum) && sha1(data instanceof Uint8Array ? [data] : data) === sum;
}
