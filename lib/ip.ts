/**
 * IP addresses and networks. Everything that may become a ban passes through parseIp/parseTarget,
 * so one strict definition of "an address" protects every writer (deny file, firewall, sync).
 */
import { isIPv6 } from 'node:net';

export type Family = 4 | 6;

/** A parsed network: family, the network address as a bigint, and the prefix length. */
export interface Net {
  family: Family;
  addr: bigint;
  prefix: number;
}

/** Narrowest networks we accept as one ban target: anything wider is almost surely a mistake or an attack. */
export const MIN_PREFIX: Record<Family, number> = { 4: 8, 6: 16 };

function v4ToBig(ip: string): bigint {
  let n = 0n;
  for (const part of ip.split('.')) n = (n << 8n) | BigInt(Number(part));
  return n;
}

function bigToV4(n: bigint): string {
  return [24n, 16n, 8n, 0n].map((s) => String((n >> s) & 255n)).join('.');
}

function v6ToBig(ip: string): bigint {
  let head = ip;
  let tail32: bigint | null = null;
  const lastColon = ip.lastIndexOf(':');
  const dotted = ip.slice(lastColon + 1);
  if (dotted.includes('.')) {
    tail32 = v4ToBig(dotted);
    head = ip.slice(0, lastColon + 1) + '0:0';
  }
  const [l, r] = head.split('::') as [string, string | undefined];
  const left = l ? l.split(':') : [];
  const right = r !== undefined && r !== '' ? r.split(':') : [];
  const missing = 8 - left.length - right.length;
  const groups = [...left, ...Array(r !== undefined ? missing : 0).fill('0'), ...right];
  let n = 0n;
  for (const g of groups) n = (n << 16n) | BigInt(parseInt(g, 16));
  if (tail32 !== null) n = (n & ~0xffffffffn) | tail32;
  return n;
}

/** RFC 5952 text form: lower case, longest run of zero groups compressed. */
function bigToV6(n: bigint): string {
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((n >> BigInt(i * 16)) & 0xffffn));
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/**
 * Strict dotted quad (four decimal parts 0-255, no leading zeros, nothing else), returned as a NEW string
 * built from the parsed numbers. Hand-written because it runs for most lines of a busy log; and the copy
 * matters: a substring of a log chunk would keep the whole 1 MiB chunk alive for as long as the address is
 * remembered (V8 sliced strings), which made memory grow with the log.
 */
function strictV4(s: string): string | null {
  const n = s.length;
  if (n < 7 || n > 15) return null;
  const parts: number[] = [];
  let i = 0;
  while (i < n) {
    const start = i;
    let v = 0;
    while (i < n) {
      const c = s.charCodeAt(i);
      if (c === 46) break;
      if (c < 48 || c > 57) return null;
      v = v * 10 + (c - 48);
      i++;
    }
    const len = i - start;
    if (len === 0 || len > 3 || v > 255 || (len > 1 && s.charCodeAt(start) === 48)) return null;
    parts.push(v);
    if (i < n) {
      i++; // the dot
      if (i === n) return null;
    }
  }
  return parts.length === 4 ? `${parts[0]}.${parts[1]}.${parts[2]}.${parts[3]}` : null;
}

/** The dotted quad at text[from, to) as an unsigned 32-bit number, or -1 unless it is a strict one (as parseIp). */
export function v4At(text: string, from: number, to: number): number {
  if (to - from < 7 || to - from > 15) return -1;
  let addr = 0;
  let parts = 0;
  let i = from;
  for (;;) {
    const start = i;
    let v = 0;
    while (i < to) {
      const c = text.charCodeAt(i);
      if (c === 46) break;
      if (c < 48 || c > 57) return -1;
      v = v * 10 + (c - 48);
      i++;
    }
    const len = i - start;
    // No empty parts, no leading zeros (libwrap reads 010 as octal), each at most 255.
    if (len === 0 || len > 3 || v > 255 || (len > 1 && text.charCodeAt(start) === 48)) return -1;
    addr = addr * 256 + v;
    parts++;
    if (i === to) break;
    i++; // the dot
    if (i === to || parts === 4) return -1;
  }
  return parts === 4 ? addr : -1;
}

/** The dotted quad of a 32-bit address (the inverse of v4At). */
export const v4Text = (a: number): string => `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;

/**
 * Canonical form of a single address, or null when `text` is not exactly one valid IP.
 * `::ffff:192.0.2.1` becomes `192.0.2.1`; a `%zone` suffix is dropped; IPv4 with leading zeros is refused
 * (libwrap would read it as octal).
 */
export function parseIp(text: string): string | null {
  if (text.length > 64) return null;
  if (!text.includes(':')) return strictV4(text);
  let t = text;
  if (t.startsWith('[') && t.endsWith(']')) t = t.slice(1, -1);
  const pct = t.indexOf('%');
  if (pct >= 0) t = t.slice(0, pct);
  if (!isIPv6(t)) return null;
  const n = v6ToBig(t.toLowerCase());
  if (n >> 32n === 0xffffn) return bigToV4(n & 0xffffffffn);
  return bigToV6(n);
}

/** Family of a canonical address or network. */
export function familyOf(target: string): Family {
  return target.includes(':') ? 6 : 4;
}

/** Parses a canonical address or CIDR to a Net; null for anything else. Host bits must be zero in a CIDR. */
export function parseNet(text: string): Net | null {
  const slash = text.indexOf('/');
  const ipText = slash < 0 ? text : text.slice(0, slash);
  const ip = parseIp(ipText);
  if (!ip) return null;
  const family = familyOf(ip);
  const bits = family === 4 ? 32 : 128;
  let prefix = bits;
  if (slash >= 0) {
    const p = text.slice(slash + 1);
    if (!/^(?:0|[1-9]\d{0,2})$/.test(p)) return null; // no leading zeros: /024 is not /24 to every reader
    prefix = Number(p);
    if (prefix > bits) return null;
    // ::ffff:a.b.c.d/N is an IPv4 network in disguise; refuse rather than guess the prefix.
    if (family === 4 && ipText.includes(':')) return null;
  }
  const addr = family === 4 ? v4ToBig(ip) : v6ToBig(ip);
  const hostMask = (1n << BigInt(bits - prefix)) - 1n;
  if ((addr & hostMask) !== 0n) return null;
  return { family, addr, prefix };
}

/** Text of a Net: bare address for a full-length prefix, `addr/prefix` otherwise. */
export function formatNet(net: Net): string {
  const ip = net.family === 4 ? bigToV4(net.addr) : bigToV6(net.addr);
  return net.prefix === (net.family === 4 ? 32 : 128) ? ip : `${ip}/${net.prefix}`;
}

/**
 * Canonical ban target (address or network) or null. Refuses networks wider than MIN_PREFIX
 * (0.0.0.0/0, ::/0 and friends), host names, wildcards and anything with extra characters.
 */
export function parseTarget(text: string): string | null {
  // Fast path for the common case, a plain address (ban databases and deny files hold thousands).
  if (!text.includes('/')) return parseIp(text);
  const net = parseNet(text.trim() === text ? text : '');
  if (!net) return null;
  if (net.prefix < MIN_PREFIX[net.family]) return null;
  return formatNet(net);
}

/** The network of `prefix` bits that contains `ip` (for IPv6 range bans). */
export function networkOf(ip: string, prefix: number): string {
  const family = familyOf(ip);
  const bits = family === 4 ? 32 : 128;
  const addr = family === 4 ? v4ToBig(ip) : v6ToBig(ip);
  const mask = ((1n << BigInt(bits)) - 1n) ^ ((1n << BigInt(bits - prefix)) - 1n);
  return formatNet({ family, addr: addr & mask, prefix });
}

/** True when network `a` and network `b` share at least one address. */
export function netsOverlap(a: Net, b: Net): boolean {
  if (a.family !== b.family) return false;
  const bits = a.family === 4 ? 32 : 128;
  const p = Math.min(a.prefix, b.prefix);
  const shift = BigInt(bits - p);
  return a.addr >> shift === b.addr >> shift;
}

/**
 * Sorts items by their target in the stable, human-friendly order (IPv4 before IPv6, then by text). The
 * family is looked at once per item, not once per comparison: ban lists and deny files run to tens of thousands.
 */
export function sortByTarget<T>(items: readonly T[], target: (item: T) => string): T[] {
  const v4: T[] = [];
  const v6: T[] = [];
  for (const it of items) (target(it).includes(':') ? v6 : v4).push(it);
  const byText = (a: T, b: T) => {
    const x = target(a);
    const y = target(b);
    return x < y ? -1 : x > y ? 1 : 0;
  };
  return [...v4.sort(byText), ...v6.sort(byText)];
}

/** The order sortByTarget sorts in (and the deny file is written in): IPv4 before IPv6, then by text. */
export function targetBefore(a: string, b: string): boolean {
  const fa = a.includes(':');
  const fb = b.includes(':');
  return fa === fb ? a < b : fb;
}

/** The first index at or after `lo` whose target is not before `t` (`sorted` in deny-file order). */
export function lowerBound(sorted: readonly string[], t: string, lo: number): number {
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (targetBefore(sorted[mid] as string, t)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** `192.0.2.49/24` → `192.0.2.0/24`: the network a CIDR with host bits set names; null for anything else. */
export function hostBitsFix(text: string): string | null {
  const m = /^([^/]+)\/(0|[1-9]\d{0,2})$/.exec(text);
  const ip = m ? parseIp(m[1] as string) : null;
  if (!m || !ip || (familyOf(ip) === 4 && m[1]!.includes(':'))) return null;
  const prefix = Number(m[2]);
  if (prefix > (familyOf(ip) === 4 ? 32 : 128)) return null;
  const net = networkOf(ip, prefix);
  return net === `${ip}/${prefix}` ? null : net;
}

/** Why a typed address or network was refused, one line (`autoban ban`, `autoban whitelist`). */
export function badTargetMessage(text: string): string {
  const meant = hostBitsFix(text.trim());
  if (meant) return `'${text}' is a network with host bits set; write ${meant}`;
  return `not an IP address or network: '${text}' (networks wider than /8 for IPv4 or /16 for IPv6 are refused)`;
}

/** :: and ::1 as one /127, and 127.0.0.1, for the overlap tests below. */
const V6_LOOPBACK_OR_UNSPECIFIED: Net = { family: 6, addr: 0n, prefix: 127 };
const V4_LOOPBACK: Net = { family: 4, addr: 0x7f000001n, prefix: 32 };

/**
 * Why a canonical address or network must never be banned, or null for an ordinary one: no remote client
 * connects from these, and a ban of 127.0.0.1 or ::1 (the source of the host's own loopback traffic) drops,
 * with a firewall backend, every local connection; a local user failing `ssh root@localhost` twice must not
 * cause that. Other 127.x addresses stay bannable (only a client that binds one uses it: test rigs).
 * Cheap: looks only at the first octet or group, except for 127.x and IPv6 targets starting with a zero group.
 */
export function unbannableReason(target: string): string | null {
  if (!target.includes(':')) {
    const dot = target.indexOf('.');
    const first = Number(dot < 0 ? target : target.slice(0, dot));
    if (first === 127) {
      const net = parseNet(target);
      return net && netsOverlap(net, V4_LOOPBACK) ? 'the loopback address 127.0.0.1' : null;
    }
    if (first === 0) return 'the unspecified network 0.0.0.0/8';
    if (first >= 224 && first <= 239) return 'multicast (224.0.0.0/4)';
    if (first >= 240) return 'reserved or broadcast (240.0.0.0/4)';
    return null;
  }
  const colon = target.indexOf(':');
  const group = colon === 0 ? 0 : parseInt(target.slice(0, colon), 16);
  if (group >= 0xff00) return 'multicast (ff00::/8)';
  if (group !== 0) return null;
  const net = parseNet(target);
  if (!net || !netsOverlap(net, V6_LOOPBACK_OR_UNSPECIFIED)) return null;
  return target === '::' ? 'the unspecified address ::' : 'the loopback address ::1';
}

/**
 * Reads the eight 16-bit groups of a canonical IPv6 address (lower-case hex, `::` at most once, no `/`) into
 * `out`, without BigInt or splitting: the network-unban look-ups (lib/bans.ts) run it once per ban of a
 * 100k-ban database. False for anything that is not such an address.
 */
export function v6Groups(ip: string, out: Uint16Array): boolean {
  if (ip.includes('.')) {
    // An embedded dotted quad (never canonical, but valid): the slow, general way.
    const n = parseNet(ip);
    if (!n || n.family !== 6) return false;
    for (let i = 0; i < 8; i++) out[i] = Number((n.addr >> BigInt((7 - i) * 16)) & 0xffffn);
    return true;
  }
  const len = ip.length;
  let g = 0; // groups read
  let gap = -1; // where `::` stands, in groups
  let i = 0;
  if (len >= 2 && ip.charCodeAt(0) === 58 && ip.charCodeAt(1) === 58) {
    gap = 0;
    i = 2;
  }
  while (i < len) {
    let v = 0;
    const start = i;
    for (; i < len; i++) {
      const c = ip.charCodeAt(i);
      const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
      if (d < 0) break;
      v = v * 16 + d;
    }
    if (i === start || i - start > 4 || g === 8) return false;
    out[g++] = v;
    if (i === len) break;
    if (ip.charCodeAt(i) !== 58) return false;
    i++;
    if (i < len && ip.charCodeAt(i) === 58) {
      if (gap >= 0) return false;
      gap = g;
      i++;
    } else if (i === len) return false;
  }
  if (gap < 0) return g === 8;
  if (g > 7) return false;
  // Move the groups after `::` to the end and zero the gap.
  const shift = 8 - g;
  for (let k = g - 1; k >= gap; k--) out[k + shift] = out[k] as number;
  for (let k = gap; k < gap + shift; k++) out[k] = 0;
  return true;
}

/**
 * Networks by family and prefix length: finding every network that contains a target then costs one look-up
 * per prefix length present, whatever the number of networks. An IPv4 network is keyed by its first bits as a
 * number. An IPv6 one by its 32-bit chunks as int32 numbers (small integers: nothing is allocated per look-up),
 * in nested maps, the last chunk masked to the length: a look-up stops at the first chunk no network has, so a
 * peer's unbans of a hundred prefix lengths cost a hundred map reads per ban, not a hundred strings built.
 */
export interface NetIndex<V> {
  v4: { len: number; nets: Map<number, V> }[];
  v6: V6Level[];
}

/** The IPv6 networks of one prefix length: `chunks` levels of maps (see NetIndex), values at the last. */
interface V6Level {
  len: number;
  chunks: number;
  nets: Map<number, unknown>;
}

export const newNetIndex = <V>(): NetIndex<V> => ({ v4: [], v6: [] });

const groups = new Uint16Array(8);

/** Chunk `k` (bits 32k..32k+31) of the address whose groups are `g` (v6Groups), masked to the first `len` bits, as an int32. */
function v6Chunk(g: Uint16Array, k: number, len: number): number {
  const v = (((g[2 * k] as number) << 16) | (g[2 * k + 1] as number)) | 0;
  const bits = len - 32 * k;
  return bits >= 32 ? v : bits <= 0 ? 0 : v & (-1 << (32 - bits));
}

/** The value level `e` holds for the network around the address in `g`, or undefined. */
function v6Get(e: V6Level, g: Uint16Array): unknown {
  let m: Map<number, unknown> | undefined = e.nets;
  const last = e.chunks - 1;
  for (let k = 0; k < last; k++) {
    m = m.get(v6Chunk(g, k, e.len)) as Map<number, unknown> | undefined;
    if (m === undefined) return undefined;
  }
  return m.get(v6Chunk(g, last, e.len));
}

/** Where canonical network `net` sits in a NetIndex: family, prefix length, IPv4 key (IPv6: its groups left in `groups`); null when it is not one. */
function netSlot(net: string): { v4: boolean; len: number; key: number } | null {
  const slash = net.indexOf('/');
  if (slash < 0) return null;
  const len = Number(net.slice(slash + 1));
  if (!Number.isInteger(len) || len < 0) return null;
  if (!net.includes(':')) {
    const addr = v4At(net, 0, slash);
    return addr < 0 || len > 32 ? null : { v4: true, len, key: len === 0 ? 0 : addr >>> (32 - len) };
  }
  return len > 128 || !v6Groups(net.slice(0, slash), groups) ? null : { v4: false, len, key: 0 };
}

/** The value `idx` holds for canonical network `net` (undefined: none, or not a network). */
export function netIndexGet<V>(idx: NetIndex<V>, net: string): V | undefined {
  const s = netSlot(net);
  if (!s) return undefined;
  if (s.v4) return idx.v4.find((e) => e.len === s.len)?.nets.get(s.key);
  const e = idx.v6.find((x) => x.len === s.len);
  return e === undefined ? undefined : (v6Get(e, groups) as V | undefined);
}

/** Sets the value of canonical network `net` in `idx`; false (and nothing set) when `net` is not a network. */
export function netIndexSet<V>(idx: NetIndex<V>, net: string, value: V): boolean {
  const s = netSlot(net);
  if (!s) return false;
  if (s.v4) {
    let e = idx.v4.find((x) => x.len === s.len);
    if (!e) idx.v4.push((e = { len: s.len, nets: new Map() }));
    e.nets.set(s.key, value);
    return true;
  }
  let e = idx.v6.find((x) => x.len === s.len);
  if (!e) idx.v6.push((e = { len: s.len, chunks: Math.max(1, Math.ceil(s.len / 32)), nets: new Map() }));
  let m = e.nets;
  for (let k = 0; k < e.chunks - 1; k++) {
    const c = v6Chunk(groups, k, e.len);
    let next = m.get(c) as Map<number, unknown> | undefined;
    if (next === undefined) m.set(c, (next = new Map()));
    m = next;
  }
  m.set(v6Chunk(groups, e.chunks - 1, e.len), value);
  return true;
}

/**
 * Writes into `out` from index 0 the values of the networks in `idx` strictly wider than canonical target
 * `target` (an address or a network) that contain it, and returns how many (entries past that are stale: the
 * array is reused, since setting its length costs a runtime call). No closure, and integer arithmetic only:
 * it runs per ban.
 */
export function collectContaining<V>(idx: NetIndex<V>, target: string, out: V[]): number {
  const slash = target.indexOf('/');
  let k = 0;
  if (!target.includes(':')) {
    const n = idx.v4.length;
    if (n === 0) return 0;
    const addr = v4At(target, 0, slash < 0 ? target.length : slash);
    if (addr < 0) return 0;
    const own = slash < 0 ? 32 : Number(target.slice(slash + 1));
    for (let i = 0; i < n; i++) {
      const e = idx.v4[i] as NetIndex<V>['v4'][number];
      if (e.len >= own) continue;
      const v = e.nets.get(e.len === 0 ? 0 : addr >>> (32 - e.len));
      if (v !== undefined) out[k++] = v;
    }
    return k;
  }
  const n = idx.v6.length;
  if (n === 0 || !v6Groups(slash < 0 ? target : target.slice(0, slash), groups)) return 0;
  const own = slash < 0 ? 128 : Number(target.slice(slash + 1));
  for (let i = 0; i < n; i++) {
    const e = idx.v6[i] as V6Level;
    if (e.len >= own) continue;
    const v = v6Get(e, groups) as V | undefined;
    if (v !== undefined) out[k++] = v;
  }
  return k;
}

/** True when canonical network `outer` is strictly wider than canonical target `inner` and contains it. */
export function netContains(outer: string, inner: string): boolean {
  if (!outer.includes('/') || familyOf(outer) !== familyOf(inner)) return false;
  const o = parseNet(outer);
  const i = parseNet(inner);
  return o !== null && i !== null && o.prefix < i.prefix && netsOverlap(o, i);
}
