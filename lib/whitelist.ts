/** The whitelist: addresses and networks that are never banned. Pure parsing and matching. */
import { type Net, MIN_PREFIX, formatNet, hostBitsFix, parseNet, netsOverlap } from './ip';
import { parseDenyTarget } from './deny-file';

export interface Whitelist {
  /** Canonical addresses and networks, in file order. */
  entries: string[];
  nets: Net[];
  /** The 1-based line of each entry in the text it was parsed from. */
  lineNos: number[];
}

/**
 * Why a network is too wide to whitelist, or null. The limit is the one for bans (lib/ip.ts MIN_PREFIX: /8
 * for IPv4, /16 for IPv6), and it holds everywhere a whitelist is read: the local file, the shared copy and
 * `autoban whitelist add`. A wider entry would exempt a large part of the Internet from banning (0.0.0.0/0
 * all of it), which no admin means; such a line is refused with this reason rather than silently obeyed.
 */
export function tooWideReason(net: Net): string | null {
  const min = MIN_PREFIX[net.family];
  if (net.prefix >= min) return null;
  const fam = net.family === 4 ? 'IPv4' : 'IPv6';
  const what = net.prefix === 0 ? `every ${fam} address` : `1/${2 ** net.prefix} of all ${fam} addresses`;
  return `/${net.prefix} is wider than /${min}, the widest ${fam} network a whitelist entry may be (it would exempt ${what} from banning)`;
}

/**
 * Canonical text of an address or network in any form autoban reads (`2001:DB8::1`, `[2001:db8::]/32`,
 * `192.0.2.0/255.255.255.0`), however wide; null for anything else. Wide ones are only matched (to remove such
 * a line), never used.
 */
export function canonicalEntry(text: string): string | null {
  const t = parseDenyTarget(text);
  if (t) return t;
  const v6 = /^\[([0-9A-Fa-f:.]+)\](?:\/(\d{1,3}))?$/.exec(text);
  const plain = v6 ? (v6[2] ? `${v6[1]}/${v6[2]}` : (v6[1] as string)) : text;
  const net = parseNet(plain);
  return net ? formatNet(net) : null;
}

/** One whitelist entry (a line without its comment, trimmed): its canonical form, or why it is refused. */
export function checkWhitelistEntry(text: string): { entry: string; net: Net } | { error: string; tooWide: boolean } {
  const entry = canonicalEntry(text);
  const net = entry === null ? null : parseNet(entry);
  if (entry !== null && net) {
    const wide = tooWideReason(net);
    return wide ? { error: `'${text.slice(0, 80)}': ${wide}`, tooWide: true } : { entry, net };
  }
  const meant = hostBitsFix(text);
  const meantNet = meant ? parseNet(meant) : null;
  const wide = meantNet && tooWideReason(meantNet);
  if (wide) return { error: `'${text.slice(0, 80)}': ${wide}`, tooWide: true };
  return { error: meant ? `'${text.slice(0, 80)}' is a network with host bits set; write ${meant}` : `not an IP address or CIDR network: '${text.slice(0, 80)}'`, tooWide: false };
}

/** Parses whitelist text (one IP or CIDR per line, `#` comments); bad lines are reported with their number. */
export function parseWhitelist(text: string, fileName: string): { whitelist: Whitelist; errors: string[] } {
  const entries: string[] = [];
  const nets: Net[] = [];
  const lineNos: number[] = [];
  const errors: string[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) return;
    const c = checkWhitelistEntry(line);
    if ('error' in c) {
      errors.push(`${fileName}:${i + 1}: ${c.error}`);
      return;
    }
    entries.push(c.entry);
    nets.push(c.net);
    lineNos.push(i + 1);
  });
  return { whitelist: { entries, nets, lineNos }, errors };
}

export const emptyWhitelist: Whitelist = { entries: [], nets: [], lineNos: [] };

/** True when the address or network `target` overlaps any whitelisted address or network. */
export function isWhitelisted(target: string, wl: Whitelist): boolean {
  if (wl.nets.length === 0) return false;
  const net = parseNet(target);
  if (!net) return false;
  return wl.nets.some((w) => netsOverlap(w, net));
}

/** The entries other than `target` itself that contain all of it (a network around an address), with their lines. */
export function coveringEntries(target: string, wl: Whitelist): { entry: string; lineNo: number }[] {
  const net = parseNet(target);
  if (!net) return [];
  const out: { entry: string; lineNo: number }[] = [];
  wl.nets.forEach((w, i) => {
    if (w.prefix < net.prefix && netsOverlap(w, net)) out.push({ entry: wl.entries[i] as string, lineNo: wl.lineNos[i] as number });
  });
  return out;
}
