/** Fixture logs are the parser spec: every annotated line must parse to exactly the expected event. */
import * as fs from 'node:fs';
import { PARSERS, PARSER_NAMES } from '../../../lib/parsers';
import { FIXTURE_DIR, readFixture } from '../../helpers/fixtures';

const ctx = { nowMs: Date.parse('2026-11-27T00:00:00Z') };

test('every parser has a fixture log', () => {
  for (const name of PARSER_NAMES) expect(fs.existsSync(`${FIXTURE_DIR}/${name}.log`)).toBe(true);
});

describe.each(PARSER_NAMES)('%s fixture', (name) => {
  const cases = readFixture(`${name}.log`);
  const parse = PARSERS[name]!;
  test('has both positive and negative cases', () => {
    expect(cases.filter((c) => c.expect).length).toBeGreaterThan(5);
    expect(cases.filter((c) => !c.expect).length).toBeGreaterThan(0);
  });
  test.each(cases.map((c) => [c.lineNo, c.line, c.expect] as const))('line %i', (_n, line, want) => {
    const got = parse(line, ctx);
    if (want === null) {
      expect(got).toBeNull();
      return;
    }
    expect(got).not.toBeNull();
    const picked = Object.fromEntries(Object.keys(want).map((k) => [k, (got as unknown as Record<string, unknown>)[k]]));
    expect(picked).toEqual(want);
    expect(got!.parser).toBe(name);
    expect(Number.isNaN(got!.timeMs)).toBe(false);
  });
});
