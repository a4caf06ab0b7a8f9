/** `autoban status`: the bans in force, as a table or JSON, and whether each firewall backend matches. */
import type { Ban } from '../types';
import type { Context } from '../context';
import { loadWhitelist, readState } from '../state';
import { activeBans } from '../bans';
import { encodeBan, type EncodedBan } from '../ban-codec';
import { formatRemaining } from '../duration';
import { firewallBackends } from '../backends-apply';
import { plural } from '../plural';

export interface StatusResult {
  bans: Ban[];
  backends: { backend: string; inSync: boolean; missing: string[]; extra: string[]; problems?: string[]; error?: string }[];
}

export async function runStatus(ctx: Context): Promise<StatusResult> {
  const now = ctx.clock.now();
  const bans = activeBans(readState(ctx), now, loadWhitelist(ctx));
  const backends: StatusResult['backends'] = [];
  for (const { name, backend } of firewallBackends(ctx)) {
    try {
      const s = await backend.status(bans.map((b) => b.ip));
      backends.push({ backend: name, inSync: s.inSync, missing: s.missing, extra: s.extra, problems: s.problems });
    } catch (e) {
      backends.push({ backend: name, inSync: false, missing: [], extra: [], error: (e as Error).message });
    }
  }
  return { bans, backends };
}

export function statusJson(r: StatusResult): EncodedBan[] {
  return r.bans.map(encodeBan);
}

/** A plain table, widths fitted to the content. */
export function formatStatusTable(r: StatusResult, now: Date): string {
  const rows = [
    ['IP', 'REASON', 'BANNED AT', 'EXPIRES IN', 'NODE', 'SOURCE'],
    ...r.bans.map((b) => [
      b.ip,
      b.reason,
      b.bannedAt.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      b.expiresAt ? formatRemaining(b.expiresAt, now) : 'never',
      b.node,
      b.source,
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => (row[i] as string).length)));
  const lines = rows.map((row) => row.map((c, i) => c.padEnd(widths[i] as number)).join('  ').trimEnd());
  lines.push(plural(r.bans.length, 'active ban'));
  for (const b of r.backends) {
    lines.push(
      b.error
        ? `backend ${b.backend}: ERROR ${b.error}`
        : `backend ${b.backend}: ${b.inSync ? 'in sync' : `OUT OF SYNC (missing ${b.missing.length}: ${b.missing.slice(0, 5).join(' ')}; extra ${b.extra.length}: ${b.extra.slice(0, 5).join(' ')})`}${b.problems?.length ? `; ${b.problems.join('; ')}` : ''}`,
    );
  }
  return `${lines.join('\n')}\n`;
}
