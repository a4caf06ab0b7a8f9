/**
 * Rule windows are measured in log time, whatever order the lines arrive in: a glob that reads the live log
 * before its rotated predecessor, or merged logs, deliver failures out of order.
 */
import { FLAG_SUSPICIOUS, type History, recordFailure } from '../../lib/detect';
import type { RuleSet } from '../../lib/types';

const DAY = 86_400;
const rules: RuleSet = {
  suspiciousUsers: ['root'],
  suspiciousThreshold: 2,
  suspiciousPeriodSec: DAY,
  loginThreshold: 5,
  loginPeriodSec: 300,
  invalidUserThreshold: 3,
  invalidUserPeriodSec: 300,
  slowThreshold: 20,
  slowPeriodSec: DAY,
};
const T0 = Date.UTC(2026, 10, 20, 10) / 1000;
const fail = (h: History, tSec: number, flags = 0) => recordFailure(h, '192.0.2.46', tSec, 1, flags, rules, 'sshd');

test('in order: two root failures within a day ban, at the time of the second', () => {
  const h: History = new Map();
  expect(fail(h, T0, FLAG_SUSPICIOUS)).toBeNull();
  expect(fail(h, T0 + 3600, FLAG_SUSPICIOUS)).toMatchObject({ rule: 'suspicious_users', failures: 2, at: new Date((T0 + 3600) * 1000) });
});

test('out of order: a failure six days older than the one on record does not share its window', () => {
  const h: History = new Map();
  expect(fail(h, T0 + 6 * DAY, FLAG_SUSPICIOUS)).toBeNull();
  expect(fail(h, T0, FLAG_SUSPICIOUS)).toBeNull();
  // Nor do five quick failures an hour apart from five others add up under the 5-minute rule.
  const g: History = new Map();
  for (let i = 0; i < 4; i++) expect(fail(g, T0 + 3600 + i)).toBeNull();
  for (let i = 0; i < 4; i++) expect(fail(g, T0 + i)).toBeNull();
});

test('out of order: an older failure that completes a later window bans at that window end', () => {
  const h: History = new Map();
  for (let i = 1; i <= 4; i++) expect(fail(h, T0 + 60 * i)).toBeNull();
  // The fifth failure of the 5-minute window arrives last, though it happened first.
  expect(fail(h, T0)).toMatchObject({ rule: 'login_attempts', failures: 5, at: new Date((T0 + 240) * 1000) });
});
