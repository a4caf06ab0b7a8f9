/**
 * sync-push: publish this node's own bans and unbans as its node document (only when they changed), then
 * keep the merged hosts.deny up to date for people and old nodes, and create the shared whitelist from the
 * local one if there is none yet. Each upload is read back and checked, because several nodes write
 * hosts.deny at the same second and some stores (and NFS) can then hand out a mix of two writes.
 */
import { randomInt } from 'node:crypto';
import * as path from 'node:path';
import type { Context } from '../context';
import { AppError, ExitCode } from '../errors';
import { formatDuration } from '../duration';
import { assertHeld, ensureStateDir, withLock } from '../lock';
import { activeBans } from '../bans';
import { loadWhitelist, readState, reportApplied, withState } from '../state';
import type { BanDb } from '../types';
import type { Whitelist } from '../whitelist';
import { nodeKey } from './layout';
import { MAX_OBJECT_BYTES } from './object-store';
import { adoptSharedLines } from './merge';
import { buildPayload, decodeNodeDoc, encodeNodeDoc, fitPayload, payloadSha } from './node-doc';
import { parseSharedHostsDeny, renderSharedHostsDeny, renderWhitelist } from './legacy';
import { parseTarget } from '../ip';
import { hostsDenyVerdict, reportCapped, whitelistVerdict } from './pull';
import { type Verdict, readVerified, withRetries } from './retry';
import { type Session, type SyncDeps, type SyncResult, closeSession, openSession, reasonOf, syncFailure } from './session';
import { type SyncStateWriter, readSyncState, syncStateWriter } from './sync-state';
import { plural } from '../plural';

/** Uploads of a multi-writer object retried when the read-back shows a mixed copy. */
const WRITE_VERIFY_ROUNDS = 3;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Every upload of a push, each attempt: only while this push still holds its lock. withLock looks only after
 * the whole push, so a push whose lock was taken over (or went stale) would otherwise go on uploading an
 * older database over the newer push's documents.
 */
function pushPut(s: Session, store: Session['layout']['hostsDeny']['store'], key: string, body: Buffer, timeoutMs: number): Promise<void> {
  assertHeld(s.ctx.config.stateDir, PUSH_LOCK);
  return store.put(key, body, { timeoutMs });
}

/** Uploads `body` and reads it back until `ok` accepts the stored copy (another node's valid copy counts for shared objects). */
async function putVerified(s: Session, store: Session['layout']['hostsDeny']['store'], key: string, body: Buffer, ok: (stored: Buffer) => boolean): Promise<boolean> {
  const name = store.describe(key);
  for (let round = 1; round <= WRITE_VERIFY_ROUNDS; round++) {
    await withRetries(`writing ${name}`, (t) => pushPut(s, store, key, body, t), s.policy, s.deadline);
    // Let writers that collided with us finish before looking, then compare.
    await sleep(randomInt(20, 120) * round);
    const back = await readVerified(store, key, (b): Verdict<Buffer> => (ok(b) ? { kind: 'ok', value: b } : { kind: 'bad', reason: 'read-back differs' }), { ...s.policy, attempts: 2 }, s.deadline);
    if (back.status === 'ok') return true;
    await sleep(randomInt(50, 250) * round);
  }
  return false;
}

async function pushNodeDoc(s: Session, w: SyncStateWriter, db: BanDb): Promise<string> {
  const { ctx, layout } = s;
  const nodeId = ctx.config.nodeId;
  const key = nodeKey(layout, nodeId);
  const name = layout.nodes.store.describe(key);
  // A busy node's history can outgrow what every node reads (MAX_OBJECT_BYTES): the oldest expired bans give way.
  const fitted = fitPayload(buildPayload(db, nodeId), nodeId, ctx.clock.now(), MAX_OBJECT_BYTES);
  const payload = fitted.payload;
  if (fitted.dropped) s.warn(`${name}: ${fitted.dropped} of this node's oldest expired bans left out, to stay under the ${MAX_OBJECT_BYTES} bytes a node reads (a shorter history_retention keeps fewer)`);
  const sha = payloadSha(payload);
  const state = readSyncState(ctx.config.stateDir);
  // Compare with what is really stored, not only with what we remember: a deleted or damaged document
  // (bucket cleanup, a torn write) is published again, and a stranger writing our key is noticed.
  const stored = await readVerified(
    layout.nodes.store,
    key,
    (b): Verdict<string> => {
      const d = decodeNodeDoc(b, name, nodeId, ctx.clock.now());
      return d.ok ? { kind: 'ok', value: d.sha256 } : { kind: 'bad', reason: d.reason };
    },
    s.policy,
    s.deadline,
  );
  if (stored.status === 'ok') {
    if (stored.value === sha) {
      if ((state.nodeDoc?.object !== name || state.nodeDoc.sha256 !== sha) && !ctx.dryRun) await w.update({ nodeDoc: { object: name, sha256: sha } });
      return 'node document up to date';
    }
    if (state.nodeDoc?.object === name && state.nodeDoc.sha256 !== stored.value) {
      s.warn(`${name} holds events this node did not publish: is node_id '${nodeId}' used by another node too? (overwriting it)`);
    }
  }
  const counts = `${plural(payload.bans.length, 'ban')}, ${plural(payload.unbans.length, 'unban')}`;
  if (ctx.dryRun) {
    ctx.log.info(`sync-push: would publish ${name} (${counts})`);
    return 'node document would be published';
  }
  const body = encodeNodeDoc(nodeId, payload, ctx.clock.now());
  // Every node refuses to read a larger object (size cap against poisoned files): uploading it would fail the read-back.
  if (body.length > MAX_OBJECT_BYTES) {
    throw new Error(`${name}: ${counts} make ${body.length} bytes, more than the ${MAX_OBJECT_BYTES} a node reads, even without expired bans; not published`);
  }
  const ok = await putVerified(s, layout.nodes.store, key, body, (b) => {
    const d = decodeNodeDoc(b, name, nodeId, ctx.clock.now());
    return d.ok && d.sha256 === sha;
  });
  if (!ok) throw new Error(`${name}: the stored copy did not match what was written`);
  await w.update({ nodeDoc: { object: name, sha256: sha } });
  ctx.log.info(`sync-push: published ${name} (${counts})`);
  return 'node document published';
}

async function pushHostsDeny(s: Session, w: SyncStateWriter): Promise<string> {
  const { ctx, layout } = s;
  const { store, key } = layout.hostsDeny;
  const name = store.describe(key);
  const r = await readVerified(store, key, hostsDenyVerdict(name), s.policy, s.deadline);
  let db: BanDb;
  let whitelist: Whitelist;
  let now: Date;
  const foreign = r.status === 'ok' ? r.value.foreign : [];
  if (r.status === 'ok') reportCapped(s, name, r.value.warnings, 'lines');
  if (foreign.length && !ctx.dryRun) {
    // Lines an old node appended since the last pull: adopt them now, or our rewrite would drop them.
    const tx = await withState(ctx, async (t) => {
      const adopted = adoptSharedLines(t.db, foreign, { localNode: ctx.config.nodeId, now: t.now, object: path.basename(key), whitelist: t.whitelist });
      for (const b of adopted) ctx.log.info(`sync-push: adopted ${b.ip} from ${name}`);
      const next = adopted.length ? { bans: [...t.db.bans, ...adopted], unbans: t.db.unbans } : t.db;
      return { db: next, result: { db: next, whitelist: t.whitelist, now: t.now } };
    });
    // The adopted bans have their lines above; bans the commit lifts (time up, whitelisted) are reported as expire does.
    reportApplied(ctx, tx.applied, 'expired');
    ({ db, whitelist, now } = tx.result);
  } else {
    db = readState(ctx);
    whitelist = loadWhitelist(ctx);
    now = ctx.clock.now();
  }
  const targets = activeBans(db, now, whitelist).map((b) => b.ip);
  const { text, sha } = renderSharedHostsDeny(targets, ctx.config.nodeId);
  const stateSha = readSyncState(ctx.config.stateDir).hostsDeny;
  if (r.status === 'ok' && r.value.integrity === 'verified' && r.value.blockSha === sha && foreign.length === 0) {
    if (stateSha?.sha256 !== sha && !ctx.dryRun) await w.update({ hostsDeny: { object: name, sha256: sha } });
    return 'hosts.deny up to date';
  }
  if (ctx.dryRun) {
    ctx.log.info(`sync-push: would rewrite ${name} (${plural(targets.length, 'ban')})`);
    return 'hosts.deny would be rewritten';
  }
  const ok = await putVerified(s, store, key, Buffer.from(text), (b) => {
    // Another node's complete copy is as good as ours: the block is derived, the next run converges.
    const hd = parseSharedHostsDeny(b.toString('utf8'), name);
    return hd.integrity === 'verified';
  });
  if (!ok) {
    s.warn(`${name}: still mixed after ${WRITE_VERIFY_ROUNDS} uploads (several nodes writing at once); the next run rewrites it`);
    return 'hosts.deny not verified';
  }
  await w.update({ hostsDeny: { object: name, sha256: sha } });
  ctx.log.info(`sync-push: wrote ${name} (${plural(targets.length, 'ban')})`);
  return 'hosts.deny rewritten';
}

/**
 * First push of a cluster: the shared whitelist does not exist yet, so it is created from the local one.
 * Nodes that race to create it end up with the union of their local whitelists. Once it exists, the shared
 * copy is the one that counts (sync-pull copies it over the local file).
 */
async function seedWhitelist(s: Session, w: SyncStateWriter): Promise<string | null> {
  const { ctx, layout } = s;
  const { store, key } = layout.whitelist;
  const name = store.describe(key);
  if (readSyncState(ctx.config.stateDir).whitelistShared?.object === name) return null;
  const markShared = async () => {
    if (!ctx.dryRun) await w.update({ whitelistShared: { object: name } });
  };
  const first = await readVerified(store, key, whitelistVerdict(name), s.policy, s.deadline);
  if (first.status === 'ok') {
    await markShared();
    return null;
  }
  if (first.status !== 'absent') return null;
  const local = loadWhitelist(ctx).entries.map((e) => parseTarget(e)).filter((e): e is string => e !== null);
  if (ctx.dryRun) {
    ctx.log.info(`sync-push: would create ${name} from the local whitelist (${plural(local.length, 'entry', 'entries')})`);
    return 'whitelist would be created';
  }
  let entries = local;
  for (let round = 1; round <= WRITE_VERIFY_ROUNDS; round++) {
    const text = renderWhitelist(entries, ctx.config.nodeId, 'Shared autoban whitelist: one IP address or CIDR network per line.\nChange it with `autoban whitelist add|remove`, or edit it and delete the first line.');
    await withRetries(`writing ${name}`, (t) => pushPut(s, store, key, Buffer.from(text), t), s.policy, s.deadline);
    await sleep(randomInt(50, 200) * round);
    const back = await readVerified(store, key, whitelistVerdict(name), s.policy, s.deadline);
    if (back.status === 'ok') {
      if (local.every((e) => back.value.entries.includes(e))) {
        await markShared();
        ctx.log.info(`sync-push: created ${name} from the local whitelist (${plural(back.value.entries.length, 'entry', 'entries')})`);
        return 'whitelist created';
      }
      entries = [...new Set([...back.value.entries, ...local])];
    }
  }
  s.warn(`${name}: could not confirm the shared whitelist after ${WRITE_VERIFY_ROUNDS} uploads; the next run tries again`);
  return null;
}

/** `state_dir/sync-push.lock`: one push of this node at a time (see withPushLock). */
export const PUSH_LOCK = 'sync-push';

/**
 * Runs `fn` holding the push lock. Two pushes of one node (cron's and an admin's) that overlap could
 * otherwise finish out of order and leave the older node document in the store; serialised, the later one
 * reads the newer database and its upload lands last. Not the state lock: a slow store must not hold up
 * scans and bans. A dry run only reads, so it does not wait. The wait counts against the [sync] deadline.
 */
async function withPushLock<T>(s: Session, fn: () => Promise<T>): Promise<T> {
  const { ctx } = s;
  const cfg = ctx.config;
  if (ctx.dryRun) return fn();
  ensureStateDir(cfg.stateDir);
  const leftSec = s.deadline.remainingMs() / 1000;
  const byDeadline = leftSec < cfg.lockTimeoutSec;
  const limit = byDeadline ? `the [sync] deadline, ${formatDuration(leftSec)} from now` : `lock_timeout = ${formatDuration(cfg.lockTimeoutSec)}`;
  const onWait = (lock: string) => ctx.log.info(`waiting for the lock ${lock} (another sync-push of this node is running; giving up after ${limit})`);
  let started = false;
  try {
    return await withLock(
      cfg.stateDir,
      Math.min(cfg.lockTimeoutSec, leftSec),
      () => {
        started = true;
        return fn();
      },
      onWait,
      PUSH_LOCK,
    );
  } catch (e) {
    if (byDeadline && !started && e instanceof AppError && e.code === ExitCode.LockBusy) {
      const lock = path.join(cfg.stateDir, `${PUSH_LOCK}.lock`);
      throw new AppError(ExitCode.LockBusy, `another autoban is running (lock ${lock} held until the [sync] deadline, ${formatDuration(leftSec)}); try again later`);
    }
    throw e;
  }
}

/** sync-push. Returns skipped when [sync] context = none; throws AppError(69) when the store failed. */
export async function syncPush(ctx: Context, deps: SyncDeps = {}): Promise<SyncResult> {
  const s = openSession('sync-push', ctx, deps);
  if (!s) return { skipped: true, message: 'sync-push: sync not configured ([sync] context = none)', warnings: [] };
  try {
    const parts: string[] = [];
    // What was uploaded or found up to date is remembered in sync.json; failing that is a warning (see syncStateWriter).
    const w = syncStateWriter(ctx.config.stateDir, (m) => s.warn(m));
    // Everything uploaded (database, whitelist) is read only once the lock is held.
    await withPushLock(s, async () => {
      try {
        // Our own events first: they are what no other node can publish for us.
        parts.push(await pushNodeDoc(s, w, readState(ctx)));
        parts.push(await pushHostsDeny(s, w));
        const wl = await seedWhitelist(s, w);
        if (wl) parts.push(wl);
      } catch (e) {
        if (e instanceof AppError) throw e;
        throw syncFailure('sync-push', reasonOf(e));
      } finally {
        w.finish();
      }
    });
    return { skipped: false, message: `sync-push: ${parts.join('; ')}`, warnings: s.warnings };
  } finally {
    closeSession(s);
  }
}
