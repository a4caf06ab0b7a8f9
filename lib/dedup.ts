/**
 * sshd reports one password attempt several ways: "Invalid user", a pam_unix failure, "Failed password",
 * and at the end "PAM N more authentication failures". Counting every line would ban a user who mistyped
 * twice. Per connection we keep, for each kind of evidence, how many attempts it shows; the attempts
 * the connection stands for are the largest of those, and each line only adds what it raises that maximum by.
 * Deterministic, bounded memory, no I/O. The connections still open where a read ends are saved (DedupState)
 * and carried on by the next read of the same log, so where a run ends changes nothing.
 *
 * A log under attack opens a connection every few lines, so the per-connection state lives in typed arrays
 * (open addressing on the connection key) rather than one object per connection: a first scan of a big log
 * then allocates nothing per connection, and the garbage collector has nothing to copy.
 */
import type { LoginEvent } from './types';
import { v4At } from './ip';

/** Connections remembered at most (two generations of half as many). */
const MAX_CONNS = 20_000;
/** Connections silent for this long are forgotten (sshd's LoginGraceTime is 2 minutes). */
const CONN_IDLE_MS = 15 * 60_000;

/**
 * Connections carried to the next run: those whose last line is at most this old when the read ends. A
 * connection's failures all fall within its login deadline (sshd's LoginGraceTime, 2 minutes by default;
 * ProFTPD's TimeoutLogin, 5 minutes), so one silent for longer has ended; keeping the deduper's whole idle span
 * (15 minutes) instead cost a cron run under attack a few thousand connections to restore and save again,
 * about 10 ms of a run that reads 1,000 new lines.
 */
const CARRY_MS = 6 * 60_000;

/**
 * Connections carried to the next run at most, the most recent ones (see DedupState): one generation, so a flood
 * of pids keeps the scan state at a few hundred kilobytes. A connection's lines span sshd's LoginGraceTime, so
 * those still open when a run ends are far fewer.
 */
const MAX_SAVED = MAX_CONNS / 2;
/** Values per connection in DedupState.c. */
const FIELDS = 9;
/** In a connection's `connection` value: bit 0, a line that counts the connection itself; ENDED, its end was logged. */
const ENDED = 2;
/** Named ("ip:port") keys get numbers from here up; a pid is far below. */
const NAMED_BASE = 2 ** 40;

/** Slots at most: > MAX_CONNS / 2 at a load of at most 0.31. */
const MAX_BITS = 15;
/**
 * Slots at first: a cron run that reads a few hundred lines should not clear megabytes of tables. Growth
 * quadruples, so that a big scan reaches full size in a few steps (each one fresh memory to clear).
 */
const MIN_BITS = 12;
const MAX_LOAD = 0.31;
const EMPTY = -1;
const GONE = -2; // a deleted slot (probing goes on past it)

/**
 * One generation of connection states, keyed by a non-negative number (the pid, or an id standing for an
 * "ip:port" key). Field arrays are indexed by slot. The table starts small and quadruples (up to 2^MAX_BITS
 * slots) when its slots fill: slot numbers change only inside insert(), which returns the new one.
 */
class ConnTable {
  bits: number;
  mask: number;
  key: Float64Array;
  /** The address: as a 32-bit number when IPv4 (else -1), and as text. */
  v4: Float64Array;
  ip: string[];
  attempt: Int32Array;
  pam: Int32Array;
  pamMore: Int32Array;
  connection: Uint8Array;
  counted: Int32Array;
  invalid: Uint8Array;
  lastMs: Float64Array;

  /** A table of 2^bits slots (a new generation starts as big as the one that just filled). */
  constructor(bits = MIN_BITS) {
    const size = 1 << bits;
    this.bits = bits;
    this.mask = size - 1;
    this.key = new Float64Array(size).fill(EMPTY);
    this.v4 = new Float64Array(size);
    this.ip = new Array<string>(size).fill('');
    this.attempt = new Int32Array(size);
    this.pam = new Int32Array(size);
    this.pamMore = new Int32Array(size);
    this.connection = new Uint8Array(size);
    this.counted = new Int32Array(size);
    this.invalid = new Uint8Array(size);
    this.lastMs = new Float64Array(size);
  }
  /** Slots taken since the last clear, live or deleted (see room() in createDeduper). */
  used = 0;
  /** Slots not empty (live or deleted) in the arrays as they are now: what probing has to walk past. */
  private occupied = 0;

  /** The slot holding `k`, or -1. */
  find(k: number): number {
    const keys = this.key;
    const mask = this.mask;
    for (let i = hash(k, this.bits); ; i = (i + 1) & mask) {
      const x = keys[i];
      if (x === k) return i;
      if (x === EMPTY) return -1;
    }
  }

  /** Makes the arrays four times as big (at most 2^MAX_BITS slots), keeping the live slots (deleted ones are dropped). */
  private grow(): void {
    const old = { key: this.key, v4: this.v4, ip: this.ip, attempt: this.attempt, pam: this.pam, pamMore: this.pamMore, connection: this.connection, counted: this.counted, invalid: this.invalid, lastMs: this.lastMs };
    const used = this.used; // slots taken this generation: growing is not a new generation (see room())
    Object.assign(this, new ConnTable(Math.min(MAX_BITS, this.bits + 2)));
    this.used = used;
    this.occupied = 0;
    for (let i = 0; i < old.key.length; i++) {
      const k = old.key[i] as number;
      if (k < 0) continue;
      let j = hash(k, this.bits);
      while ((this.key[j] as number) !== EMPTY) j = (j + 1) & this.mask;
      this.key[j] = k;
      this.v4[j] = old.v4[i] as number;
      this.ip[j] = old.ip[i] as string;
      this.attempt[j] = old.attempt[i] as number;
      this.pam[j] = old.pam[i] as number;
      this.pamMore[j] = old.pamMore[i] as number;
      this.connection[j] = old.connection[i] as number;
      this.counted[j] = old.counted[i] as number;
      this.invalid[j] = old.invalid[i] as number;
      this.lastMs[j] = old.lastMs[i] as number;
      this.occupied++;
    }
  }

  /** A fresh slot for `k` (not present). */
  insert(k: number, ip: string, v4: number, t: number): number {
    if (this.occupied + 1 > (this.mask + 1) * MAX_LOAD && this.bits < MAX_BITS) this.grow();
    const keys = this.key;
    let i = hash(k, this.bits);
    while ((keys[i] as number) >= 0) i = (i + 1) & this.mask;
    if (keys[i] === EMPTY) this.occupied++;
    keys[i] = k;
    this.ip[i] = ip;
    this.v4[i] = v4;
    this.attempt[i] = 0;
    this.pam[i] = 0;
    this.pamMore[i] = 0;
    this.connection[i] = 0;
    this.counted[i] = 0;
    this.invalid[i] = 0;
    this.lastMs[i] = t;
    this.used++;
    return i;
  }

  remove(i: number): void {
    this.key[i] = GONE;
    this.ip[i] = '';
  }

  /** Copies slot i into `to` (a connection on its way to the other generation). */
  save(i: number, to: Moving): void {
    to.key = this.key[i] as number;
    to.ip = this.ip[i] as string;
    to.v4 = this.v4[i] as number;
    to.attempt = this.attempt[i] as number;
    to.pam = this.pam[i] as number;
    to.pamMore = this.pamMore[i] as number;
    to.connection = this.connection[i] as number;
    to.counted = this.counted[i] as number;
    to.invalid = this.invalid[i] as number;
    to.lastMs = this.lastMs[i] as number;
  }

  /** A fresh slot holding what save() copied. */
  restore(from: Moving): number {
    const j = this.insert(from.key, from.ip, from.v4, from.lastMs);
    this.attempt[j] = from.attempt;
    this.pam[j] = from.pam;
    this.pamMore[j] = from.pamMore;
    this.connection[j] = from.connection;
    this.counted[j] = from.counted;
    this.invalid[j] = from.invalid;
    return j;
  }

  clear(): void {
    this.key.fill(EMPTY);
    this.ip.fill('');
    this.used = 0;
    this.occupied = 0;
  }
}

/** One connection's state between two generations. */
interface Moving {
  key: number;
  ip: string;
  v4: number;
  attempt: number;
  pam: number;
  pamMore: number;
  connection: number;
  counted: number;
  invalid: number;
  lastMs: number;
}

/** Spreads consecutive pids over a table of 2^bits slots. */
function hash(k: number, bits: number): number {
  return (Math.imul(k | 0, 0x9e3779b1) ^ Math.floor(k / 4294967296)) >>> (32 - bits);
}

/**
 * Creates a reconciler; feed it every event of one source in log order. It returns how many new attempts
 * the event stands for (0: none), and marks the event `invalid_user` when its connection is known to be for
 * a user that does not exist (sshd says so once per connection, not on every line).
 */
export interface Deduper {
  /** How many new attempts `ev` stands for (`v4`: its address as a number, when the caller knows it). */
  count: (ev: LoginEvent, v4?: number) => number;
  /**
   * A line of connection `conn` from the address text[from, to) that is not counted (its address is already banned): a pid now
   * used by that address no longer belongs to the earlier connection, exactly as if the line had been counted.
   */
  seen: (conn: number | undefined, text: string, from: number, to: number) => void;
  /** seen() for an IPv4 address given as its 32-bit value (the scan's fast path). */
  seenV4: (conn: number, v4: number) => void;
  /**
   * The scan's fast path for an 'address' line (count 0, "Connection closed by authenticating user U IP port N
   * [preauth]", `ends` true) or an 'address_open' one ("Postponed keyboard-interactive … from IP port N", `ends`
   * false: the connection goes on) of pid `conn` from `ip` at `t`: does what count() does with it and answers
   * false when count() would answer 0 (nearly always: nothing is held for the pid); true: call count() with the
   * event. One line in twelve of a password attack, so it skips count()'s and the caller's event handling.
   */
  address: (conn: number, ip: string, t: number, ends: boolean) => boolean;
  /** What the next read of the same log carries on from (null: nothing worth keeping). */
  save: () => DedupState | null;
}

/**
 * What a deduper carries to the next run, so that a run ending between two lines of one connection (Monit runs a scan
 * whenever the log grows) counts what one run over both parts counts: the connections whose last line is within
 * CARRY_MS of the newest line (older ones have ended), at most MAX_SAVED of them.
 * JSON-friendly flat lists (lib/scan-state.ts keeps it in history.bin's header). Not kept: sshd -E's "Postponed"
 * waits (see count()): a Failed line whose wait began in an earlier run already counts as paired.
 */
export interface DedupState {
  /** Log time (epoch ms) of the newest line a connection had. */
  t: number;
  /** FIELDS values per connection: key (a pid, or "ip:port"), address, attempt, pam, pamMore, connection, counted, invalid, t − its last line's time. */
  c: (number | string)[];
}

const isCount = (x: unknown): boolean => Number.isSafeInteger(x) && (x as number) >= 0 && (x as number) <= 0x7fffffff;

/** `v` if it is a DedupState this module wrote (a damaged one is refused whole, not half used), else null. */
export function checkDedupState(v: unknown): DedupState | null {
  const s = v as DedupState;
  if (!s || typeof s !== 'object' || !Number.isFinite(s.t) || !Array.isArray(s.c) || s.c.length % FIELDS !== 0 || s.c.length > MAX_SAVED * FIELDS) return null;
  const c = s.c;
  for (let o = 0; o < c.length; o += FIELDS) {
    const k = c[o];
    const ip = c[o + 1];
    if (typeof k === 'number' ? !Number.isSafeInteger(k) || k < 0 || k >= NAMED_BASE : typeof k !== 'string' || k.length === 0 || k.length > 64) return null;
    // '' : a connection whose lines so far named a host, not an address (see count()).
    if (typeof ip !== 'string' || ip.length > 45) return null;
    for (let f = 2; f < 7; f++) if (!isCount(c[o + f])) return null;
    if (c[o + 5] !== 0 && c[o + 5] !== 1 && c[o + 5] !== ENDED && c[o + 5] !== (ENDED | 1)) return null;
    if (c[o + 7] !== 0 && c[o + 7] !== 1) return null;
    const age = c[o + 8];
    if (!Number.isFinite(age) || (age as number) < 0 || (age as number) > CONN_IDLE_MS) return null;
  }
  return s;
}

/** Creates a deduper, carrying on from `saved` (what save() returned at the end of the previous read of the same log). */
export function createDeduper(saved?: DedupState): Deduper {
  // Two generations instead of evicting entries one by one: when the current one has taken MAX_CONNS / 2
  // connections, it becomes the older one and the older one is emptied; a connection used again moves back
  // to the current one. Every slot taken goes through room(), so neither table ever holds more than
  // MAX_CONNS / 2 slots, live or deleted: probes always meet an empty one.
  let conns = new ConnTable();
  // The older generation exists once the first one has filled (most cron runs never get there).
  let older: ConnTable | null = null;
  // Connections keyed "ip:port" (sshd -E lines carry no pid) get numbers above any pid, remembered for as
  // long as their generation.
  let namedCur = new Map<string, number>();
  let namedOld = new Map<string, number>();
  let nextNamed = NAMED_BASE;
  const keyOf = (conn: number | string): number => {
    if (typeof conn === 'number') return conn;
    let k = namedCur.get(conn);
    if (k === undefined) {
      k = namedOld.get(conn);
      if (k === undefined) k = nextNamed++;
      else namedOld.delete(conn);
      namedCur.set(conn, k);
    }
    return k;
  };

  const room = (): void => {
    if (conns.used < MAX_CONNS / 2) return;
    const emptied = older ?? new ConnTable(conns.bits);
    emptied.clear();
    older = conns;
    conns = emptied;
    namedOld = namedCur;
    namedCur = new Map();
  };

  const moving: Moving = { key: 0, ip: '', v4: 0, attempt: 0, pam: 0, pamMore: 0, connection: 0, counted: 0, invalid: 0, lastMs: 0 };
  /** The current slot of `k` (moved from the older generation if need be), or -1. */
  const lookup = (k: number): number => {
    const i = conns.find(k);
    if (i >= 0) return i;
    const j = older ? older.find(k) : -1;
    if (j < 0 || !older) return -1;
    // Copied out first: making room may empty the table it is in.
    older.save(j, moving);
    older.remove(j);
    room();
    return conns.restore(moving);
  };

  // A line not counted (its address is banned) still tells that its pid now belongs to that address: an
  // earlier connection of the pid from another address is over.
  const seen = (conn: number | undefined, text: string, from: number, to: number): void => {
    if (conn === undefined) return;
    let t = conns;
    let i = t.find(conn);
    if (i < 0 && older) i = (t = older).find(conn);
    if (i < 0) return;
    const ip = t.ip[i] as string;
    if (!(ip.length === to - from && text.startsWith(ip, from))) t.remove(i);
  };
  const seenV4 = (conn: number, v4: number): void => {
    let t = conns;
    let i = t.find(conn);
    if (i < 0 && older) i = (t = older).find(conn);
    if (i >= 0 && t.v4[i] !== v4) t.remove(i);
  };

  // sshd -E: "PAM: Authentication failure for U from IP" names no port, so it cannot join its connection. It is
  // counted at once (for a connection's first MaxAuthTries / 2 failures it is the only line). From then on sshd
  // logs each attempt as "Postponed keyboard-interactive … port N" (the attempt starts), the PAM line, then
  // "Failed keyboard-interactive/pam … port N", all at one level. So a Failed line counts only when its
  // connection's Postponed line came in this read and no PAM line of "IP U" came after it (a PAM line leaves a
  // token only while a connection of "IP U" waits for its result; the Failed line takes one). A Failed line
  // without its Postponed line began in an earlier run, whose read counted its PAM line: it counts nothing. No
  // token outlives the wait that made it, so nothing is carried between runs and no stale token can take the
  // place of an attempt. Bounded: emptied when big (a wait forgotten makes its Failed line count nothing).
  let pamAhead = new Map<string, { waiting: number; tokens: number }>();
  let waitingConns = new Map<string, string>(); // "ip:port" → "IP U"
  const aheadKey = (ev: LoginEvent): string => `${ev.ip} ${ev.user.slice(0, 100)}`; // sshd cuts the PAM line's user at 100

  // The time of the last event, in log order: where the read ends (see save()).
  let lastT = saved ? saved.t : -Infinity;
  const count = (ev: LoginEvent, v4 = -2): number => {
    if (Number.isFinite(ev.timeMs)) lastT = ev.timeMs;
    if (ev.outcome !== 'failure') return 0;
    const invalidHint = ev.kind === 'invalid_user';
    if (ev.evidence === 'pam_bare') {
      const w = pamAhead.get(aheadKey(ev));
      if (w !== undefined && w.tokens < w.waiting) w.tokens++;
      return ev.count;
    }
    if (ev.evidence === 'kbd_postponed') {
      const c = String(ev.conn);
      if (waitingConns.has(c)) return 0;
      if (waitingConns.size >= MAX_CONNS) {
        waitingConns = new Map();
        pamAhead = new Map();
      }
      const key = aheadKey(ev);
      waitingConns.set(c, key);
      const w = pamAhead.get(key);
      if (w) w.waiting++;
      else pamAhead.set(key, { waiting: 1, tokens: 0 });
      return 0;
    }
    // A host-named PAM line (ip '') without a pid (the syslog lines of an `sshd -E`) cannot be told to any
    // connection: not counted. Never guessed from the name.
    if (ev.conn === undefined) return ev.ip === '' ? 0 : ev.count;
    const k = keyOf(ev.conn);
    const t = ev.timeMs;
    let i = lookup(k);
    if (i >= 0) {
      const known = conns.ip[i] as string;
      const idle = t - (conns.lastMs[i] as number);
      if (ev.ip === '') {
        // A host-named line (UseDNS yes) belongs to its pid's connection: one whose address is known counts it
        // at once. After that connection ended ('address' lines) the pid's next connection has begun, except for
        // "PAM N more authentication failures", which sshd logs after the end.
        const ended = ((conns.connection[i] as number) & ENDED) !== 0;
        if (idle > CONN_IDLE_MS || (ended && ev.evidence !== 'pam_more')) {
          conns.remove(i);
          i = -1;
        } else ev.ip = known;
      } else if (known === '') {
        // The held (host-named) lines of this pid get the address its first address-carrying line names; held
        // longer than a login lasts (CARRY_MS), they were of a connection whose end was not seen: dropped.
        if (idle > CARRY_MS) {
          conns.remove(i);
          i = -1;
        } else {
          conns.ip[i] = ev.ip;
          conns.v4[i] = v4 === -2 ? v4At(ev.ip, 0, ev.ip.length) : v4;
        }
      } else if (known !== ev.ip || idle > CONN_IDLE_MS) {
        // A pid is reused by a later connection from elsewhere: that is a new connection.
        conns.remove(i);
        i = -1;
      }
    }
    if (i < 0) {
      // A pam_unix failure as the first line of its pid is either keyboard-interactive's PAM child (sshd forks one
      // per attempt, and the connection's own pid then logs "error: PAM: Authentication failure for U from IP"
      // for the same attempt) or a password attempt that its "Failed password" line counts a moment later. Both
      // are counted by sshd's own line; counting this one too made one mistyped password two failures.
      if (ev.evidence === 'pam_unix') return 0;
      // An address line with nothing held for its pid: nothing to count, nothing to remember.
      if (ev.evidence === 'address' || ev.evidence === 'address_open') return 0;
      room();
      i = conns.insert(k, ev.ip, ev.ip === '' ? -1 : v4 === -2 ? v4At(ev.ip, 0, ev.ip.length) : v4, t);
    }
    const c = conns;
    c.lastMs[i] = t;
    if (invalidHint) c.invalid[i] = 1;
    // Held until its connection's address is known (see above): counted then, by what it raised the maximum to.
    const held = c.ip[i] === '';
    switch (ev.evidence) {
      case 'attempt':
        c.attempt[i] = (c.attempt[i] as number) + ev.count;
        break;
      case 'attempt_kbd': {
        c.attempt[i] = (c.attempt[i] as number) + ev.count;
        const key = waitingConns.get(String(ev.conn));
        const w = key === undefined ? undefined : pamAhead.get(key);
        let paired = true; // no wait seen: its PAM line was read (and counted) by an earlier run
        if (key !== undefined && w !== undefined) {
          waitingConns.delete(String(ev.conn));
          w.waiting--;
          if (w.tokens > 0) w.tokens--;
          else paired = false; // no PAM line counted this attempt
          if (w.waiting === 0) pamAhead.delete(key);
          else w.tokens = Math.min(w.tokens, w.waiting);
        }
        // Its PAM line already counted this attempt: it is counted for this connection too.
        if (paired) c.counted[i] = (c.counted[i] as number) + 1;
        break;
      }
      case 'pam':
      case 'pam_unix':
        c.pam[i] = (c.pam[i] as number) + ev.count;
        break;
      case 'pam_more':
        // "PAM 2 more authentication failures" follows the first failure PAM already reported.
        c.pamMore[i] = Math.max(c.pamMore[i] as number, ev.count + 1);
        break;
      case 'connection':
        c.connection[i] = (c.connection[i] as number) | 1;
        break;
      case 'address':
        // "Connection closed by authenticating user …": the connection is over (its pid may serve another next).
        c.connection[i] = (c.connection[i] as number) | ENDED;
        break;
    }
    if (held) return 0;
    const total = Math.max(c.attempt[i] as number, c.pam[i] as number, c.pamMore[i] as number, (c.connection[i] as number) & 1);
    const n = total - (c.counted[i] as number);
    if (n <= 0) return 0;
    c.counted[i] = total;
    if (c.invalid[i]) ev.kind = 'invalid_user';
    return n;
  };

  const save = (): DedupState | null => {
    // Live slots of both generations, older first.
    const tables: ConnTable[] = [];
    const slots: number[] = [];
    let newest = -Infinity;
    const times: number[] = [];
    // The read ends at its last line, in log order, not at its newest time: one line dated in the future (a clock
    // ahead, a forged date) would otherwise leave every real connection behind and be carried itself run after
    // run. A connection whose last line is more than CARRY_MS after that end is not carried: it expires at the
    // first run whose last line is more than CARRY_MS before it.
    const latest = Number.isFinite(lastT) ? lastT + CARRY_MS : Infinity;
    for (const t of older ? [older, conns] : [conns]) {
      // Locals, not t.key[i]: this loop walks thousands of slots once per run, in code V8 still interprets.
      const keys = t.key;
      const lastMs = t.lastMs;
      for (let i = 0, n = keys.length; i < n; i++) {
        if ((keys[i] as number) < 0) continue;
        const at = lastMs[i] as number;
        if (at > latest) continue;
        tables.push(t);
        slots.push(i);
        times.push(at);
        if (at > newest) newest = at;
      }
    }
    const last = Float64Array.from(times);
    // The newest MAX_SAVED: those from the MAX_SAVED-th newest time on (a numeric typed-array sort, no comparator).
    let from = Math.min(newest, latest - CARRY_MS) - CARRY_MS;
    if (slots.length > MAX_SAVED) from = Math.max(from, last.slice().sort()[slots.length - MAX_SAVED] as number);
    const keep: number[] = [];
    for (let j = 0; j < slots.length && keep.length < MAX_SAVED; j++) if ((last[j] as number) >= from) keep.push(j);
    if (keep.length === 0) return null;
    const names = new Map<number, string>();
    for (const m of [namedOld, namedCur]) for (const [name, k] of m) names.set(k, name);
    // Sized once and filled by index: a nine-argument push per connection cost ~1 µs each in a fresh process.
    const c: (number | string)[] = new Array<number | string>(keep.length * FIELDS);
    let o = 0;
    for (let n = 0; n < keep.length; n++) {
      const j = keep[n] as number;
      const t = tables[j] as ConnTable;
      const i = slots[j] as number;
      const k = t.key[i] as number;
      const key = k >= NAMED_BASE ? names.get(k) : k;
      if (key === undefined) continue;
      c[o] = key;
      c[o + 1] = t.ip[i] as string;
      c[o + 2] = t.attempt[i] as number;
      c[o + 3] = t.pam[i] as number;
      c[o + 4] = t.pamMore[i] as number;
      c[o + 5] = t.connection[i] as number;
      c[o + 6] = t.counted[i] as number;
      c[o + 7] = t.invalid[i] as number;
      c[o + 8] = newest - (t.lastMs[i] as number);
      o += FIELDS;
    }
    c.length = o;
    return { t: newest, c };
  };

  if (saved) {
    const c = saved.c;
    for (let o = 0; o + FIELDS <= c.length; o += FIELDS) {
      const k = keyOf(c[o] as number | string);
      if (conns.find(k) >= 0) continue; // a key twice (a damaged state): the first one stands
      const ip = c[o + 1] as string;
      room();
      const i = conns.insert(k, ip, ip === '' ? -1 : v4At(ip, 0, ip.length), saved.t - (c[o + 8] as number));
      conns.attempt[i] = c[o + 2] as number;
      conns.pam[i] = c[o + 3] as number;
      conns.pamMore[i] = c[o + 4] as number;
      conns.connection[i] = c[o + 5] as number;
      conns.counted[i] = c[o + 6] as number;
      conns.invalid[i] = c[o + 7] as number;
    }
  }
  const address = (conn: number, ip: string, t: number, ends: boolean): boolean => {
    lastT = t;
    const i = lookup(conn);
    if (i < 0) return false;
    const known = conns.ip[i] as string;
    // Held host-named lines (ip ''): count() gives them this address.
    if (known === '') return true;
    if (known !== ip || t - (conns.lastMs[i] as number) > CONN_IDLE_MS) {
      conns.remove(i);
      return false;
    }
    conns.lastMs[i] = t;
    if (ends) conns.connection[i] = (conns.connection[i] as number) | ENDED;
    // count() would now count what its maximum rose by: nothing, unless a damaged saved state said otherwise.
    return Math.max(conns.attempt[i] as number, conns.pam[i] as number, conns.pamMore[i] as number, (conns.connection[i] as number) & 1) > (conns.counted[i] as number);
  };
  return { count, seen, seenV4, address, save };
}
