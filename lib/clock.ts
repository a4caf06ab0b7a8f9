import type { Clock } from './types';

/** The only place core code gets the real time from (everything else receives `now`). */
export const systemClock: Clock = { now: () => new Date() };

/** A clock frozen at `iso` (tests, and `--now` for replaying old logs). */
export function fixedClock(iso: string | Date): Clock {
  const t = new Date(iso);
  return { now: () => new Date(t.getTime()) };
}
