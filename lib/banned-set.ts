/**
 * The targets a scan already bans, answering "is the address written at text[from, to) banned?" without
 * building a string. A first scan of a big log under attack asks this for most of its lines (an attacker
 * keeps trying after the ban it is about to get), so IPv4 addresses, the common case, are parsed straight
 * from the text into a 32-bit number and looked up in an open-addressing table. Pure, no I/O.
 */
import { v4At } from './ip';

export class BannedSet {
  /** IPv4 addresses + 1 (0 marks an empty slot), open addressing with linear probing. */
  private table = new Float64Array(1024);
  private v4Count = 0;
  /** Everything else: IPv6 addresses and networks, IPv4 networks. */
  private others = new Set<string>();

  constructor(targets: Iterable<string> = []) {
    for (const t of targets) this.add(t);
  }

  get size(): number {
    return this.v4Count + this.others.size;
  }

  add(target: string): void {
    const a = v4At(target, 0, target.length);
    if (a < 0) {
      this.others.add(target);
      return;
    }
    if ((this.v4Count + 1) * 2 > this.table.length) this.grow();
    if (this.insert(this.table, a + 1)) this.v4Count++;
  }

  has(target: string): boolean {
    const a = v4At(target, 0, target.length);
    return a < 0 ? this.others.has(target) : this.find(a + 1);
  }

  /** True when the IPv4 address with this value (a 32-bit number) is banned. */
  hasV4(addr: number): boolean {
    return this.find(addr + 1);
  }

  /** True when text[from, to) is a banned address (a canonical IPv4 address, or exactly a banned target). */
  hasAt(text: string, from: number, to: number): boolean {
    const a = v4At(text, from, to);
    if (a >= 0) return this.find(a + 1);
    return this.others.size > 0 && this.others.has(text.slice(from, to));
  }

  private find(key: number): boolean {
    const t = this.table;
    const mask = t.length - 1;
    for (let i = hash(key) & mask; ; i = (i + 1) & mask) {
      const k = t[i];
      if (k === key) return true;
      if (k === 0) return false;
    }
  }

  private insert(t: Float64Array, key: number): boolean {
    const mask = t.length - 1;
    for (let i = hash(key) & mask; ; i = (i + 1) & mask) {
      const k = t[i];
      if (k === key) return false;
      if (k === 0) {
        t[i] = key;
        return true;
      }
    }
  }

  /** Quadruples the table: a first scan that bans tens of thousands gets there in a few steps. */
  private grow(): void {
    const old = this.table;
    this.table = new Float64Array(old.length * 4);
    for (let i = 0; i < old.length; i++) if (old[i] !== 0) this.insert(this.table, old[i] as number);
  }
}

/** Spreads addresses of one subnet over the table (a botnet's addresses often share their first octets). */
function hash(key: number): number {
  return Math.imul(key | 0, 0x9e3779b1) >>> 7;
}
