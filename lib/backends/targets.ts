/**
 * Ban targets as the firewall sees them: strict parsing of addresses and CIDRs into one canonical text form,
 * so what we ask the kernel for and what the kernel lists back compare equal. Pure.
 */
import { type Family, MIN_PREFIX, formatNet, parseNet } from '../ip';
import { BackendError } from './backend-error';

export type { Family };

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
export { MIN_PREFIX };

/** Builds a Target from family/bits/len (bits must already be a network address). */
export function makeTarget(family: Family, bits: bigint, len: number): Target {
  return { family, bits, len, key: formatNet({ family, addr: bits, prefix: len }) };
}

/**
 * Parses an address or CIDR strictly (lib/ip.ts does the work, so the firewall and the deny file agree on
 * what an address is): no zone ids or brackets, no host bits set, no leading-zero octets; an IPv4-mapped
 * IPv6 address (::ffff:192.0.2.7) is its IPv4 address, as the kernel sees such a client. Null otherwise.
 */
export function parseTarget(text: string, opts: { minPrefix?: boolean } = {}): Target | null {
  if (!/^[0-9A-Fa-f:.]+(?:\/\d{1,3})?$/.test(text)) return null;
  const net = parseNet(text);
  if (!net) return null;
  if (opts.minPrefix && net.prefix < MIN_PREFIX[net.family]) return null;
  return makeTarget(net.family, net.addr, net.prefix);
}

/**
 * Validates every requested target before any command runs; one bad entry refuses the whole call, so a
 * corrupted ban list can never turn into a half-applied firewall. Returns unique targets sorted by key.
 */
export function validateTargets(backend: string, targets: readonly string[]): Target[] {
  const byKey = new Map<string, Target>();
  for (const raw of targets) {
    const t = typeof raw === 'string' ? parseTarget(raw.trim(), { minPrefix: true }) : null;
    if (!t) {
      throw new BackendError(
        `${backend}: refusing invalid ban target ${JSON.stringify(raw)} (expected an IPv4/IPv6 address or a CIDR like 192.0.2.0/24 with host bits zero, at most /${MIN_PREFIX[4]} or /${MIN_PREFIX[6]} wide)`,
      );
    }
    byKey.set(t.key, t);
  }
  return sortTargets([...byKey.values()]);
}

/** Validated targets split by address family, as canonical keys (what the iptables and ipset modes apply). */
export function keysByFamily(backend: string, targets: readonly string[]): Record<Family, string[]> {
  const list = validateTargets(backend, targets);
  return { 4: list.filter((t) => t.family === 4).map((t) => t.key), 6: list.filter((t) => t.family === 6).map((t) => t.key) };
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
