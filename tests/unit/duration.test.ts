import { formatDuration, formatRemaining, parseBanDuration, parseDuration } from '../../lib/duration';

test.each([
  ['300', 300],
  ['30s', 30],
  ['10m', 600],
  ['1h', 3600],
  ['1d', 86400],
  ['1w', 604800],
  [' 2D ', 172800],
])('parseDuration(%j) = %i', (t, s) => expect(parseDuration(t)).toBe(s));

test.each(['', 'ten', '1y', '-5', '1.5h', '10 minutes', '1M'])('parseDuration(%j) is null', (t) => expect(parseDuration(t)).toBeNull());

test('ban durations: 0 and permanent mean no expiry', () => {
  expect(parseBanDuration('0')).toBeNull();
  expect(parseBanDuration('permanent')).toBeNull();
  expect(parseBanDuration('1d')).toBe(86400);
  expect(parseBanDuration('soon')).toBeUndefined();
});

test('formatDuration', () => {
  expect(formatDuration(90061)).toBe('1d1h');
  expect(formatDuration(82805)).toBe('23h');
  expect(formatDuration(86400)).toBe('1d'); // check-config printed ban_duration=1d0h
  expect(formatDuration(5400)).toBe('1h30m');
  expect(formatDuration(59)).toBe('59s');
});

test.each(['999999999w', '999999999d', '36501d'])('parseDuration(%j) beyond 100 years is null, not a date past the end of time', (t) => {
  expect(parseDuration(t)).toBeNull();
  expect(parseBanDuration(t)).toBeUndefined();
});

test.each([
  [1000, 3, '1s'], // a 1s ban printed 3 ms after it was made said "(0s)"
  [600_000, 600, '10m'], // not "9m59s"
  [86_400_000, 1, '1d'], // not "23h59m"
  [90_000_000, 400, '1d1h'],
  [600_000, 30_000, '9m30s'],
  [1000, 1000, '0s'],
  [1000, 5000, '0s'],
])('formatRemaining: %i ms ban seen %i ms after it started is %j (rounded up to the second)', (len, elapsed, text) => {
  const start = new Date('2026-11-22T02:00:00.000Z');
  expect(formatRemaining(new Date(start.getTime() + len), new Date(start.getTime() + elapsed))).toBe(text);
});
