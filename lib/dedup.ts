/**
 * sshd reports one password attempt several ways: "Invalid user", a pam_unix failure, "Failed password",
 * and at the end "PAM N more authentication failures". Counting every line would ban a user who mistyped
 * twice. Per connection we keep, for each kind of evidence, how many attempts it shows; the attempts
 * the connection stands for are the largest of those, and each line only adds what it raises that maximum by.
 * Deterministic, bounded memory, no I/O.
 */
import type { LoginEvent } from './types';
import { v4At } from './ip';

interface ConnState {
  ip: string;
  attempt: number;
  pam: number;
  pamMore: number;
  connection: number;
  counted: number;
  invalid: boolean;
  lastMs: number;
  /** The address as a 32-bit number (-1: not IPv4), worked out when first needed. */
  v4: number;
}

const UNKNOWN = -2;


const MAX_CONNS = 20_000;
/** Connections silent for this long are forgotten (sshd's LoginGraceTime is 2 minutes). */
const CONN_IDLE_MS = 15 * 60_000;

/**
 * Creates a reconciler; feed it every event of one source in log order. It returns how many new attempts
 * the event stands for (0: none), and marks the event `invalid_user` when its connection is known to be for
 * a user that does not exist (sshd says so once per connection, not on every line).
 */
export interface Deduper {
  /** How many new attempts `ev` stands for. */
  count: (ev: LoginEvent) => number;
  /**
   * A line of connection `conn` from the address text[from, to) that is not counted (its address is already banned): a pid now
   * used by that address no longer belongs to the earlier connection, exactly as if the line had been counted.
   */
  seen: (conn: number | undefined, text: string, from: number, to: number) => void;
  /** seen() for an IPv4 address given as its 32-bit value (the scan's fast path). */
  seenV4: (conn: number, v4: number) => void;
}

export function createDeduper(): Deduper {
  // Two generations instead of evicting entries one by one: deleting from the front of a big Map leaves
  // holes V8 must skip on every later iteration, which made floods of new connections quadratic.
  let conns = new Map<number | string, ConnState>();
  let older = new Map<number | string, ConnState>();
  const lookup = (key: number | string): ConnState | undefined => {
    const st = conns.get(key);
    if (st) return st;
    const old = older.get(key);
    if (old) {
      older.delete(key);
      conns.set(key, old);
    }
    return old;
  };
  const seen = (conn: number | undefined, text: string, from: number, to: number): void => {
    if (conn === undefined) return;
    const st = conns.get(conn) ?? older.get(conn);
    if (st && !(st.ip.length === to - from && text.startsWith(st.ip, from))) {
      conns.delete(conn);
      older.delete(conn);
    }
  };
  const seenV4 = (conn: number, v4: number): void => {
    const st = conns.get(conn) ?? older.get(conn);
    if (st === undefined) return;
    if (st.v4 === UNKNOWN) st.v4 = v4At(st.ip, 0, st.ip.length);
    if (st.v4 !== v4) {
      conns.delete(conn);
      older.delete(conn);
    }
  };
  const count = (ev: LoginEvent): number => {
    if (ev.outcome !== 'failure') return 0;
    const invalidHint = ev.kind === 'invalid_user';
    if (ev.conn === undefined) return ev.count;
    const key = ev.conn;
    const t = ev.timeMs;
    let st = lookup(key);
    // A pid is reused by a later connection from elsewhere: that is a new connection.
    if (st && (st.ip !== ev.ip || t - st.lastMs > CONN_IDLE_MS)) {
      conns.delete(key);
      st = undefined;
    }
    if (!st) {
      st = { ip: ev.ip, attempt: 0, pam: 0, pamMore: 0, connection: 0, counted: 0, invalid: false, lastMs: t, v4: UNKNOWN };
      if (conns.size >= MAX_CONNS / 2) {
        older = conns;
        conns = new Map();
      }
      conns.set(key, st);
    }
    st.lastMs = t;
    st.invalid ||= invalidHint;
    switch (ev.evidence) {
      case 'attempt':
        st.attempt += ev.count;
        break;
      case 'pam':
        st.pam += ev.count;
        break;
      case 'pam_more':
        // "PAM 2 more authentication failures" follows the first failure PAM already reported.
        st.pamMore = Math.max(st.pamMore, ev.count + 1);
        break;
      case 'connection':
        st.connection = 1;
        break;
    }
    const total = Math.max(st.attempt, st.pam, st.pamMore, st.connection);
    const n = total - st.counted;
    if (n <= 0) return 0;
    st.counted = total;
    if (st.invalid) ev.kind = 'invalid_user';
    return n;
  };
  return { count, seen, seenV4 };
}
