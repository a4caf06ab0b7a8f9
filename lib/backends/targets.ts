/**
 * Ban targets as the firewall sees them: strict parsing of addresses and CIDRs into one canonical text form,
 * so what we ask the kernel for and what the kernel lists back compare equal. Pure.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { BackendError } from './backend-error';

export type Family = 4 | 6;

export interface Target {
  family: Family;
  /** Network address as an integer (host bits are zero). */
  bits: bigint;
  /** Prefix length; 32 / 128 for a single address. */
  len: number;
  /** Canonical text: "192.0.2.7", "192.0.2.0/24", "2001:db8::7", "2001:db8::/64". */
  key: string;
}

const WIDTH: Record<Family, number> = { 4: 32, 6: 128 };
/** Wider networks are refused: a typo like 0.0.0.0/1 would lock everybody out, the admin included. */
export const MIN_PREFIX: Record<Family, number> = { 4: 8, 6: 16 };

function v4ToBits(ip: string): bigint {
  return ip.split('.').reduce((n, part) => (n << 8n) | BigInt(Number(part)), 0n);
}

function bitsToV4(n: bigint): string {
  return [24n, 16n, 8n, 0n].map((s) => String((n >> s) & 255n)).join('.');
}

function v6ToBits(ip: string): bigint {
  let text = ip;
  let low32: bigint | null = null;
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    low32 = v4ToBits(text.slice(lastColon + 1));
    text = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const halves = text.split('::');
  const left = halves[0] ? halves[0].split(':') : [];
  const right = halves.length > 1 && halves[1] ? halves[1].split(':') : [];
  const zeros = halves.length > 1 ? 8 - left.length - right.length : 0;
  const groups = [...left, ...Array<string>(zeros).fill('0'), ...right];
  let n = groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
  if (low32 !== null) n = (n & ~0xffffffffn) | low32;
  return n;
}

/** RFC 5952: lower case, no leading zeros, the longest run (≥ 2) of zero groups becomes "::". */
function bitsToV6(n: bigint): string {
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((n >> BigInt(i * 16)) & 0xffffn));
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; i++) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    if (j > i) i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

function makeKey(family: Family, bits: bigint, len: number): string {
  const addr = family === 4 ? bitsToV4(bits) : bitsToV6(bits);
  return len === WIDTH[family] ? addr : `${addr}/${len}`;
}

/** Builds a Target from family/bits/len (bits must already be a network address). */
export function makeTarget(family: Family, bits: bigint, len: number): Target {
  return { family, bits, len, key: makeKey(family, bits, len) };
}

/**
 * Parses an address or CIDR strictly: no zone ids, no host bits set, no leading-zero octets; an
 * IPv4-mapped IPv6 address (::ffff:192.0.2.7) becomes its IPv4 address when `unmap` is set, because that
 * is how the kernel sees such a client. Returns null for anything else.
 */
export function parseTarget(text: string, opts: { unmap?: boolean; minPrefix?: boolean } = {}): Target | null {
  const m = /^([0-9A-Fa-f:.]+)(?:\/(\d{1,3}))?$/.exec(text);
  if (!m) return null;
  const addr = m[1] as string;
  const version = isIPv4(addr) ? 4 : isIPv6(addr) ? 6 : 0;
  if (version === 0) return null;
  const family: Family = version;
  const width = WIDTH[family];
  const len = m[2] === undefined ? width : Number(m[2]);
  if (m[2] !== undefined && m[2].length > 1 && m[2].startsWith('0')) return null;
  if (len > width || len < 0) return null;
  if (opts.minPrefix && len < MIN_PREFIX[family]) return null;
  let bits = family === 4 ? v4ToBits(addr) : v6ToBits(addr);
  if (family === 4 && bitsToV4(bits) !== addr) return null; // leading zeros like 010.0.0.1
  const hostMask = (1n << BigInt(width - len)) - 1n;
  if ((bits & hostMask) !== 0n) return null;
  if (opts.unmap && family === 6 && len === 128 && bits >> 32n === 0xffffn) {
    bits &= 0xffffffffn;
    return makeTarget(4, bits, 32);
  }
  return makeTarget(family, bits, len);
}

/**
 * Validates every requested target before any command runs; one bad entry refuses the whole call, so a
 * corrupted ban list can never turn into a half-applied firewall. Returns unique targets sorted by key.
 */
export function validateTargets(backend: string, targets: readonly string[]): Target[] {
  const byKey = new Map<string, Target>();
  for (const raw of targets) {
    const t = typeof raw === 'string' ? parseTarget(raw.trim(), { unmap: true, minPrefix: true }) : null;
    if (!t) {
      throw new BackendError(
        `${backend}: refusing invalid ban target ${JSON.stringify(raw)} (expected an IPv4/IPv6 address or a CIDR like 192.0.2.0/24 with host bits zero, at most /${MIN_PREFIX[4]} or /${MIN_PREFIX[6]} wide)`,
      );
    }
    byKey.set(t.key, t);
  }
  return sortTargets([...byKey.values()]);
}

/** Sorts by family, then address, then prefix length: stable output for logs and scripts. */
export function sortTargets(list: Target[]): Target[] {
  return list.sort((a, b) => a.family - b.family || (a.bits < b.bits ? -1 : a.bits > b.bits ? 1 : a.len - b.len));
}

/** True when network `outer` contains `inner` (same family). */
export function contains(outer: Target, inner: Target): boolean {
  if (outer.family !== inner.family || outer.len > inner.len) return false;
  const shift = BigInt(WIDTH[outer.family] - outer.len);
  return outer.bits >> shift === inner.bits >> shift;
}

/**
 * Drops targets already covered by a wider target in the list. nftables interval sets refuse overlapping
 * elements, and a covered address needs no entry of its own. O(n × distinct prefix lengths).
 */
export function collapseTargets(list: readonly Target[]): Target[] {
  const nets = new Map<string, Set<bigint>>(); // "family/len" -> network bits present
  for (const t of list) {
    const k = `${t.family}/${t.len}`;
    const s = nets.get(k) ?? new Set<bigint>();
    s.add(t.bits);
    nets.set(k, s);
  }
  const lens = [...nets.keys()].map((k) => k.split('/').map(Number) as [number, number]);
  return list.filter((t) =>
    !lens.some(([fam, len]) => {
      if (fam !== t.family || len >= t.len) return false;
      const shift = BigInt(WIDTH[t.family] - len);
      return nets.get(`${fam}/${len}`)?.has((t.bits >> shift) << shift) ?? false;
    }),
  );
}

/** What to add and remove so `current` becomes `desired` (compared by canonical key). */
export function diffTargets(desired: readonly string[], current: readonly string[]): { add: string[]; remove: string[] } {
  const want = new Set(desired);
  const have = new Set(current);
  return {
    add: desired.filter((k) => !have.has(k)),
    remove: current.filter((k) => !want.has(k)),
  };
}

/** Canonical key of an address/CIDR as a firewall tool printed it ("192.0.2.7/32" → "192.0.2.7"); the raw text if unparsable. */
export function canonicalKernelEntry(text: string): string {
  return parseTarget(text)?.key ?? text;
}

/** Sorts canonical keys like sortTargets (IPv4 first, by address); unparsable kernel entries go last. */
export function sortKeys(keys: readonly string[]): string[] {
  const withTargets = keys.map((key) => ({ key, t: parseTarget(key) }));
  withTargets.sort((a, b) => {
    if (a.t && b.t) return sortTargets([a.t, b.t])[0] === a.t ? -1 : 1;
    if (a.t || b.t) return a.t ? -1 : 1;
    return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
  });
  return withTargets.map((x) => x.key);
}
