/** Reads an annotated fixture log: each sample line preceded by `# expect: {json}` or `# expect: null`. */
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface FixtureCase {
  lineNo: number;
  line: string;
  expect: Record<string, unknown> | null;
}

export const FIXTURE_DIR = path.join(__dirname, '..', 'fixtures', 'logs');

export function readFixture(name: string): FixtureCase[] {
  const lines = fs.readFileSync(path.join(FIXTURE_DIR, name), 'utf8').split('\n');
  const cases: FixtureCase[] = [];
  let pending: Record<string, unknown> | null | undefined;
  lines.forEach((line, i) => {
    const m = /^# expect: (.*)$/.exec(line);
    if (m) {
      pending = JSON.parse(m[1] as string);
      return;
    }
    if (line.startsWith('#') || line === '') return;
    if (pending === undefined) throw new Error(`${name}:${i + 1}: sample line without a '# expect:' annotation`);
    cases.push({ lineNo: i + 1, line, expect: pending });
    pending = undefined;
  });
  return cases;
}
