/** Small builders for sync unit tests (documentation addresses only). */
import type { Ban, Unban } from '../../../lib/types';

export const T0 = new Date('2026-11-22T01:00:00.000Z');
export const at = (min: number) => new Date(T0.getTime() + min * 60_000);

export function makeBan(over: Partial<Ban> = {}): Ban {
  return {
    ip: '192.0.2.7',
    rule: 'login_attempts',
    reason: 'login_attempts failures=6',
    failures: 6,
    source: 'sshd',
    origin: 'scan',
    node: 'web1',
    bannedAt: at(0),
    expiresAt: at(24 * 60),
    banCount: 1,
    ...over,
  };
}

export function makeUnban(over: Partial<Unban> = {}): Unban {
  return { ip: '192.0.2.7', at: at(10), node: 'web1', ...over };
}
