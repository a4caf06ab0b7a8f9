/** `autoban ban IP` and `autoban unban IP`: manual changes, under the same lock as scans. */
import type { Ban } from '../types';
import type { Context } from '../context';
import { reportApplied, withState } from '../state';
import { activeBans, addUnban, addUnbans, banLengthSec, previousBanCount, targetsInside } from '../bans';
import { parseDenyTarget } from '../deny-file';
import { isWhitelisted } from '../whitelist';
import { MIN_PREFIX, badTargetMessage, hostBitsFix, netContains, netsOverlap, parseNet, unbannableReason } from '../ip';
import { AppError, ExitCode } from '../errors';
import { parseBanDuration } from '../duration';
import { describeBan } from './scan';


/** Accepts an address or network in any form a user might type (`2001:db8::1`, `[2001:db8::1]`, `192.0.2.0/24`). */
export function parseUserTarget(text: string): string {
  const t = parseDenyTarget(text.trim());
  if (t) return t;
  // `192.0.2.1/0` has host bits set, but the network it names is too wide to ban: saying "write 0.0.0.0/0"
  // would send the user to another refusal.
  const meant = hostBitsFix(text.trim());
  const net = meant ? parseNet(meant) : null;
  if (net && net.prefix < MIN_PREFIX[net.family]) {
    throw new AppError(ExitCode.Usage, `refusing to ban '${text}': /${net.prefix} is wider than /${MIN_PREFIX[net.family]} (the widest network autoban bans${net.family === 4 ? ' for IPv4' : ' for IPv6'})`);
  }
  throw new AppError(ExitCode.Usage, badTargetMessage(text));
}

export async function runBan(ctx: Context, opts: { ip: string; reason?: string; duration?: string }): Promise<Ban> {
  const ip = parseUserTarget(opts.ip);
  const special = unbannableReason(ip);
  if (special) throw new AppError(ExitCode.DataErr, `refusing to ban ${ip}: it is or covers ${special}, never a remote client's address`);
  let durationSec: number | null | undefined;
  if (opts.duration !== undefined) {
    durationSec = parseBanDuration(opts.duration);
    if (durationSec === undefined) throw new AppError(ExitCode.Usage, `--duration: expected a duration like 1h, 1d (at most 100 years) or permanent, got '${opts.duration}'`);
  }
  const d = ctx.config.defaults;
  const { result, applied } = await withState(ctx, async (tx) => {
    if (isWhitelisted(ip, tx.whitelist)) {
      throw new AppError(ExitCode.DataErr, `refusing to ban ${ip}: it is whitelisted in ${ctx.config.whitelistFile} (remove it from the whitelist first)`);
    }
    // Banning an address that is banned already is no new offence: without --duration nothing changes (the
    // command can be repeated safely); with one, a ban of that length is added with the same count. The
    // longest-lasting ban is the one in force, so a --duration ending no later than it would change nothing
    // while its "banned … until" line claimed otherwise: say so instead (to shorten a ban, unban first).
    // Reported once committed, before the firewall backends' lines (their result comes after the ban).
    const report = (r: { ban: Ban; already: boolean; notShortened: boolean }) => () => {
      if (r.notShortened) {
        ctx.log.warn(`${r.ban.ip} stays banned: ${describeBan(r.ban, ctx.clock.now())}; --duration ${opts.duration} would end sooner, and the longest ban is the one in force (to shorten it: autoban unban ${r.ban.ip}, then ban it again)`);
      } else if (r.already) ctx.log.info(`${r.ban.ip} is already banned: ${describeBan(r.ban, ctx.clock.now())} (give a longer --duration to extend it)`);
      else ctx.log.info(`${ctx.dryRun ? 'would ban' : 'banned'} ${describeBan(r.ban, ctx.clock.now())}`);
    };
    const kept = (ban: Ban, notShortened: boolean) => {
      const result = { ban, already: true, notShortened };
      return { db: tx.db, result, onSaved: report(result) };
    };
    const current = activeBans(tx.db, tx.now).find((b) => b.ip === ip);
    if (current && durationSec === undefined) return kept(current, false);
    if (current && durationSec !== undefined && (current.expiresAt === null || (durationSec !== null && tx.now.getTime() + durationSec * 1000 <= current.expiresAt.getTime()))) return kept(current, true);
    const banCount = current ? current.banCount : previousBanCount(tx.db, ip) + 1;
    const len = durationSec !== undefined ? durationSec : banLengthSec(d.banDurationSec, d.banDurationMaxSec, banCount);
    const ban: Ban = {
      ip,
      rule: 'manual',
      reason: opts.reason?.replace(/[\r\n]+/g, ' ').slice(0, 200) || 'manual',
      failures: 0,
      source: 'manual',
      origin: 'manual',
      node: ctx.config.nodeId,
      bannedAt: tx.now,
      expiresAt: len === null ? null : new Date(tx.now.getTime() + len * 1000),
      banCount,
    };
    const result = { ban, already: false, notShortened: false };
    return { db: { bans: [...tx.db.bans, ban], unbans: tx.db.unbans }, result, onSaved: report(result) };
  });
  // What a ban's commit lifts is another ban whose time was up (expire's wording, not a bare "removed")
  reportApplied(ctx, applied, 'expired');
  return result.ban;
}

/** At most this many of the bans a network's unban lifts inside it are named; the rest are counted. */
const INSIDE_LISTED = 10;

/** "203.0.113.5, 203.0.113.9" or, past INSIDE_LISTED, the first ones "and 15 more". */
function listTargets(targets: readonly string[]): string {
  const shown = targets.slice(0, INSIDE_LISTED).join(', ');
  return targets.length > INSIDE_LISTED ? `${shown} and ${targets.length - INSIDE_LISTED} more` : shown;
}

/**
 * `autoban unban IP|NET`. A network's unban also lifts the bans of addresses and narrower networks inside it
 * (a scan's 203.0.113.5 inside a manual 203.0.113.0/24) that started before it: an admin lifting a network
 * expects its addresses free. Its tombstone alone does that on every node, also for bans a peer's sync brings
 * later (lib/bans.ts); each ban known here also gets its own tombstone, for nodes of older versions.
 */
export async function runUnban(ctx: Context, opts: { ip: string }): Promise<{ wasBanned: boolean }> {
  const ip = parseUserTarget(opts.ip);
  const isNet = ip.includes('/');
  const { result, applied } = await withState(ctx, async (tx) => {
    const nowMs = tx.now.getTime();
    // An unban cancels the bans that started at or before it. A peer whose clock runs ahead dates its bans in
    // our future, so this unban leaves them in force (on every node, once their time comes). Dating it at such
    // a ban instead would cancel every ban of this address made here until then, reported but never enforced:
    // say so, and leave fixing the clock to the admin.
    const ahead = tx.db.bans.filter((b) => b.bannedAt.getTime() > nowMs && (b.expiresAt === null || b.expiresAt.getTime() > nowMs) && (b.ip === ip || (isNet && netContains(ip, b.ip))));
    const latest = ahead.reduce<Ban | null>((m, b) => (!m || b.bannedAt > m.bannedAt ? b : m), null);
    const wasBanned = activeBans(tx.db, tx.now).some((b) => b.ip === ip);
    // An address inside a banned network (an IPv6 /64 from ipv6_prefix, a manual /24) stays blocked by it:
    // "not banned here" alone would leave the admin wondering why the client still cannot connect.
    const self = wasBanned ? null : parseNet(ip);
    const covers = (target: string) => {
      const n = self && target.includes('/') ? parseNet(target) : null;
      return n !== null && self !== null && n.prefix < self.prefix && netsOverlap(n, self);
    };
    const covering = self ? activeBans(tx.db, tx.now, tx.whitelist).filter((b) => covers(b.ip)).map((b) => b.ip) : [];
    // Whitelisted ones included: in force in the database, they would come back with the whitelist entry's removal.
    const inside = targetsInside(ip, activeBans(tx.db, tx.now));
    // The tombstone is recorded even when this node has no ban: another node may have one (sync spreads it).
    // Reported once committed, before the firewall backends' lines, as for ban.
    const onSaved = () => {
      if (latest) {
        const min = Math.round((latest.bannedAt.getTime() - nowMs) / 60_000);
        ctx.log.warn(
          `unban: ${latest.ip === ip ? ip : `${latest.ip} (inside ${ip})`} has a ban by ${latest.node} dated ${latest.bannedAt.toISOString()}, ${min} min ahead of this node's clock, which this unban cannot lift: unban ${ip} again after that time, and fix the clock of ${latest.node} (or of this node)`,
        );
      }
      const verb = ctx.dryRun ? 'would unban' : 'unbanned';
      const bansInside = inside.length === 1 ? 'the ban inside' : `the ${inside.length} bans inside`;
      if (wasBanned) ctx.log.info(inside.length ? `${verb} ${ip}, and ${bansInside} it: ${listTargets(inside)}` : `${verb} ${ip}`);
      else if (inside.length) ctx.log.info(`${verb} ${bansInside} ${ip}: ${listTargets(inside)} (${ip} itself is not banned here; its unban is recorded so other nodes lift theirs)`);
      if (!wasBanned && covering.length) {
        ctx.log.warn(`unban: ${ip} is not banned itself, but it lies inside ${covering.join(', ')}, which ${covering.length > 1 ? 'stay' : 'stays'} banned (autoban unban ${covering[0]} lifts that); recorded the unban of ${ip} so other nodes lift theirs`);
      } else if (!wasBanned && !inside.length) ctx.log.warn(`unban: ${ip} is not banned here; recorded the unban so other nodes lift it too`);
    };
    const db = addUnbans(addUnban(tx.db, ip, tx.now, ctx.config.nodeId), inside, tx.now, ctx.config.nodeId);
    return { db, result: { wasBanned, inside }, onSaved };
  });
  // The unbanned targets have their own line (onSaved); other bans the commit lifts (time up, whitelisted) are reported as expire does.
  const own = new Set([ip, ...result.inside]);
  reportApplied(ctx, { ...applied, removed: applied.removed.filter((t) => !own.has(t)) }, 'expired');
  return { wasBanned: result.wasBanned };
}
