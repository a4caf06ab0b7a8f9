/** The whitelist: addresses and networks that are never banned. Pure parsing and matching. */
import { type Net, hostBitsFix, parseNet, netsOverlap } from './ip';

export interface Whitelist {
  entries: string[];
  nets: Net[];
}

/** Parses whitelist text (one IP or CIDR per line, `#` comments); bad lines are reported with their number. */
export function parseWhitelist(text: string, fileName: string): { whitelist: Whitelist; errors: string[] } {
  const entries: string[] = [];
  const nets: Net[] = [];
  const errors: string[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) return;
    const net = parseNet(line);
    if (!net) {
      const meant = hostBitsFix(line);
      errors.push(meant ? `${fileName}:${i + 1}: '${line.slice(0, 80)}' is a network with host bits set; write ${meant}` : `${fileName}:${i + 1}: not an IP address or CIDR network: '${line.slice(0, 80)}'`);
      return;
    }
    entries.push(line);
    nets.push(net);
  });
  return { whitelist: { entries, nets }, errors };
}

export const emptyWhitelist: Whitelist = { entries: [], nets: [] };

/** True when the address or network `target` overlaps any whitelisted address or network. */
export function isWhitelisted(target: string, wl: Whitelist): boolean {
  if (wl.nets.length === 0) return false;
  const net = parseNet(target);
  if (!net) return false;
  return wl.nets.some((w) => netsOverlap(w, net));
}
