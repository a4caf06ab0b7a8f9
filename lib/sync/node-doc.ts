/**
 * The per-node document `<prefix>nodes/<node_id>.json`: the only object a node writes for its own events,
 * so nodes never overwrite each other however they collide.
 *
 *   { "version": 1, "node": "web1", "generatedAt": "2026-11-22T01:02:03.000Z",
 *     "sha256": "<hex of the canonical JSON of payload>",
 *     "payload": { "bans": [ {ip, rule, reason, failures, source, origin, node, bannedAt, expiresAt, banCount} ],
 *                  "unbans": [ {ip, at, node} ] } }
 *
 * Pure. Decoding treats the document as hostile: shape, checksum, node id (must match the object name and
 * every entry), every address (parseTarget) and every string (no control characters) are checked; bad entries
 * are reported by index and dropped, the rest is used.
 */
import { parseTarget } from '../ip';
import { type EncodedBan, type EncodedUnban, encodeBan, encodeUnban } from '../ban-codec';
import type { Ban, BanDb, Unban } from '../types';
import { canonicalJson, sha256Hex } from './canonical-json';

export const NODE_DOC_VERSION = 1;

/** How far in the future a peer's timestamps may be (clock skew) before the entry is refused. */
export const MAX_FUTURE_MS = 24 * 3600 * 1000;

/** On the wire a ban and an unban look as in the local database (lib/ban-codec.ts); peers never publish 'peer' bans. */
export type WireBan = EncodedBan;
export type WireUnban = EncodedUnban;
export interface Payload {
  bans: WireBan[];
  unbans: WireUnban[];
}

/** The events one node publishes: its own bans (not those it learnt from peers) and its own unbans. */
export interface NodeEvents {
  node: string;
  bans: Ban[];
  unbans: Unban[];
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Own events of `nodeId` in the database, in wire form, sorted so equal contents give equal checksums. */
export function buildPayload(db: BanDb, nodeId: string): Payload {
  const bans: WireBan[] = db.bans
    .filter((b) => b.node === nodeId && b.origin !== 'peer')
    .map(encodeBan)
    .sort((x, y) => cmp(x.ip, y.ip) || cmp(x.bannedAt, y.bannedAt) || cmp(x.rule, y.rule));
  const unbans: WireUnban[] = db.unbans
    .filter((u) => u.node === nodeId)
    .map(encodeUnban)
    .sort((x, y) => cmp(x.ip, y.ip) || cmp(x.at, y.at));
  // The same event can be in the db twice only by accident; publishing it once keeps the checksum stable.
  const dedup = <T>(list: T[]) => list.filter((v, i) => i === 0 || canonicalJson(v) !== canonicalJson(list[i - 1]));
  return { bans: dedup(bans), unbans: dedup(unbans) };
}

/**
 * A payload whose document fits in `maxBytes`: when it would not, the bans that expired longest ago are left
 * out first (they only serve repeat-offender doubling on peers; live bans and unbans are always kept).
 * `dropped` counts what was left out; a payload that still does not fit is returned as it is then.
 */
export function fitPayload(payload: Payload, nodeId: string, now: Date, maxBytes: number): { payload: Payload; dropped: number } {
  // encodeNodeDoc's length without its checksum (canonical JSON and SHA-256, which every push computes once
  // anyway): the payload's JSON (key order does not change its length) inside the fixed-size envelope.
  const envelope = Buffer.byteLength(`${JSON.stringify({ version: NODE_DOC_VERSION, node: nodeId, generatedAt: now.toISOString(), sha256: '0'.repeat(64), payload: 0 })}\n`) - 1;
  const size = envelope + Buffer.byteLength(JSON.stringify(payload));
  if (size <= maxBytes) return { payload, dropped: 0 };
  const nowIso = now.toISOString();
  // ISO times of one format sort as text; oldest expiry first.
  const expired = payload.bans.filter((b) => b.expiresAt !== null && b.expiresAt <= nowIso).sort((x, y) => cmp(x.expiresAt as string, y.expiresAt as string));
  const left = new Set<WireBan>();
  let excess = size - maxBytes;
  for (const b of expired) {
    if (excess <= 0) break;
    left.add(b);
    excess -= Buffer.byteLength(JSON.stringify(b)) + 1; // the entry and its comma
  }
  return { payload: { bans: payload.bans.filter((b) => !left.has(b)), unbans: payload.unbans }, dropped: left.size };
}

/** Checksum of a payload: SHA-256 of its canonical JSON. */
export function payloadSha(payload: Payload): string {
  return sha256Hex(canonicalJson(payload));
}

/** The document bytes for `payload`. */
export function encodeNodeDoc(nodeId: string, payload: Payload, generatedAt: Date): Buffer {
  const doc = { version: NODE_DOC_VERSION, node: nodeId, generatedAt: generatedAt.toISOString(), sha256: payloadSha(payload), payload };
  return Buffer.from(`${JSON.stringify(doc)}\n`, 'utf8');
}

export type DecodeResult =
  /** The document as a whole is unusable (torn, wrong shape, wrong node): nothing from it is used. */
  | { ok: false; reason: string }
  /** Verified; `errors` lists the entries that were refused (by index), `events` the rest. */
  | { ok: true; sha256: string; generatedAt: Date; events: NodeEvents; errors: string[] };

const ISO_RE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,3})?Z$/;
// eslint-disable-next-line no-control-regex
const CONTROL_RE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
const ORIGINS = new Set(['scan', 'manual', 'adopted']);
const BAN_KEYS = ['ip', 'rule', 'reason', 'failures', 'source', 'origin', 'node', 'bannedAt', 'expiresAt', 'banCount'];
const UNBAN_KEYS = ['ip', 'at', 'node'];
const DOC_KEYS = ['version', 'node', 'generatedAt', 'sha256', 'payload'];

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Quoted, shortened, single-line rendering of an untrusted value for a warning. */
export function quote(v: unknown): string {
  let s: string;
  try {
    s = typeof v === 'string' ? v : JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  const short = s.length > 60 ? `${s.slice(0, 57)}...` : s;
  return JSON.stringify(short);
}

function unknownKeys(o: Record<string, unknown>, allowed: string[]): string[] {
  return Object.keys(o).filter((k) => !allowed.includes(k));
}

function parseTime(v: unknown): Date | null {
  if (typeof v !== 'string' || !ISO_RE.test(v)) return null;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? null : d;
}

function text(v: unknown, max: number, allowEmpty = false): string | null {
  if (typeof v !== 'string' || v.length > max || CONTROL_RE.test(v) || (!allowEmpty && v === '')) return null;
  return v;
}

function int(v: unknown, min: number, max: number): number | null {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max ? v : null;
}

/** Canonical target or null; shared objects may only ban what a local `autoban ban` could. */
function target(v: unknown): string | null {
  return typeof v === 'string' ? parseTarget(v) : null;
}

function decodeBan(raw: unknown, node: string, now: Date): { ban: Ban } | { error: string } {
  if (!isPlainObject(raw)) return { error: `not an object: ${quote(raw)}` };
  const extra = unknownKeys(raw, BAN_KEYS);
  if (extra.length) return { error: `unexpected field ${quote(extra[0])}` };
  const ip = target(raw.ip);
  if (!ip) return { error: `ip: not an IP address or CIDR network (or too wide): ${quote(raw.ip)}` };
  if (raw.node !== node) return { error: `node: ${quote(raw.node)} is not the document's node '${node}'` };
  const rule = text(raw.rule, 64);
  if (rule === null) return { error: `rule: expected a short single-line text, got ${quote(raw.rule)}` };
  const reason = text(raw.reason, 256, true);
  if (reason === null) return { error: `reason: expected single-line text of at most 256 characters, got ${quote(raw.reason)}` };
  const src = text(raw.source, 128, true);
  if (src === null) return { error: `source: expected single-line text of at most 128 characters, got ${quote(raw.source)}` };
  if (typeof raw.origin !== 'string' || !ORIGINS.has(raw.origin)) return { error: `origin: expected scan, manual or adopted, got ${quote(raw.origin)}` };
  const failures = int(raw.failures, 0, 1e9);
  if (failures === null) return { error: `failures: expected a whole number, got ${quote(raw.failures)}` };
  const banCount = int(raw.banCount, 1, 1e6);
  if (banCount === null) return { error: `banCount: expected a whole number from 1, got ${quote(raw.banCount)}` };
  const bannedAt = parseTime(raw.bannedAt);
  if (!bannedAt) return { error: `bannedAt: expected an ISO-8601 UTC time, got ${quote(raw.bannedAt)}` };
  if (bannedAt.getTime() > now.getTime() + MAX_FUTURE_MS) return { error: `bannedAt: ${raw.bannedAt} is in the future` };
  let expiresAt: Date | null = null;
  if (raw.expiresAt !== null) {
    expiresAt = parseTime(raw.expiresAt);
    if (!expiresAt) return { error: `expiresAt: expected an ISO-8601 UTC time or null, got ${quote(raw.expiresAt)}` };
    if (expiresAt.getTime() <= bannedAt.getTime()) return { error: `expiresAt: ${raw.expiresAt} is not after bannedAt` };
  }
  return { ban: { ip, rule, reason, failures, source: src, origin: raw.origin as Ban['origin'], node, bannedAt, expiresAt, banCount } };
}

function decodeUnban(raw: unknown, node: string, now: Date): { unban: Unban } | { error: string } {
  if (!isPlainObject(raw)) return { error: `not an object: ${quote(raw)}` };
  const extra = unknownKeys(raw, UNBAN_KEYS);
  if (extra.length) return { error: `unexpected field ${quote(extra[0])}` };
  const ip = target(raw.ip);
  if (!ip) return { error: `ip: not an IP address or CIDR network (or too wide): ${quote(raw.ip)}` };
  if (raw.node !== node) return { error: `node: ${quote(raw.node)} is not the document's node '${node}'` };
  const at = parseTime(raw.at);
  if (!at) return { error: `at: expected an ISO-8601 UTC time, got ${quote(raw.at)}` };
  // An unban dated in the future would silently cancel every later ban of the address: refuse it.
  if (at.getTime() > now.getTime() + MAX_FUTURE_MS) return { error: `at: ${raw.at} is in the future` };
  return { unban: { ip, at, node } };
}

/**
 * Decodes and verifies a node document read from `objectName`, which must belong to `expectedNode`.
 * `now` bounds timestamps (a peer cannot date events in the future to make them stick).
 */
export function decodeNodeDoc(bytes: Buffer, objectName: string, expectedNode: string, now: Date): DecodeResult {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    return { ok: false, reason: `not valid JSON (truncated or torn?): ${(e as Error).message.slice(0, 80)}` };
  }
  if (!isPlainObject(doc)) return { ok: false, reason: 'not a JSON object' };
  if (typeof doc.version === 'number' && doc.version > NODE_DOC_VERSION) {
    return { ok: false, reason: `written by a newer autoban (document version ${doc.version}); upgrade this node` };
  }
  if (doc.version !== NODE_DOC_VERSION) return { ok: false, reason: `version: expected ${NODE_DOC_VERSION}, got ${quote(doc.version)}` };
  const extra = unknownKeys(doc, DOC_KEYS);
  if (extra.length) return { ok: false, reason: `unexpected field ${quote(extra[0])}` };
  if (doc.node !== expectedNode) return { ok: false, reason: `node: ${quote(doc.node)} does not match the object name (expected '${expectedNode}')` };
  if (typeof doc.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(doc.sha256)) return { ok: false, reason: `sha256: expected 64 hex digits, got ${quote(doc.sha256)}` };
  const generatedAt = parseTime(doc.generatedAt);
  if (!generatedAt) return { ok: false, reason: `generatedAt: expected an ISO-8601 UTC time, got ${quote(doc.generatedAt)}` };
  const payload = doc.payload;
  if (!isPlainObject(payload) || !Array.isArray(payload.bans) || !Array.isArray(payload.unbans) || unknownKeys(payload, ['bans', 'unbans']).length) {
    return { ok: false, reason: 'payload: expected {"bans": [...], "unbans": [...]}' };
  }
  if (sha256Hex(canonicalJson(payload)) !== doc.sha256) return { ok: false, reason: 'checksum mismatch (torn or partly written)' };

  const errors: string[] = [];
  const bans: Ban[] = [];
  const unbans: Unban[] = [];
  payload.bans.forEach((raw, i) => {
    const r = decodeBan(raw, expectedNode, now);
    if ('error' in r) errors.push(`${objectName}: bans[${i}]: ${r.error}; entry ignored`);
    else bans.push(r.ban);
  });
  payload.unbans.forEach((raw, i) => {
    const r = decodeUnban(raw, expectedNode, now);
    if ('error' in r) errors.push(`${objectName}: unbans[${i}]: ${r.error}; entry ignored`);
    else unbans.push(r.unban);
  });
  return { ok: true, sha256: doc.sha256, generatedAt, events: { node: expectedNode, bans, unbans }, errors };
}
