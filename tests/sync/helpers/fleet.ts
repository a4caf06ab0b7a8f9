/** A fleet of CLI nodes sharing one store, run round by round with every node started at the same moment. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type CliResult, type SyncTarget, type TestNode, makeNode, runCli } from './node';

export interface Fleet {
  nodes: TestNode[];
  target: SyncTarget;
  /** `autoban run --no-jitter` on every node at once; fails the test on a non-zero exit or a run slower than `maxMs`. */
  round(extra?: string[], opts?: { maxMs?: number; allowCodes?: number[] }): Promise<CliResult[]>;
  cli(node: TestNode, args: string[]): Promise<CliResult>;
  cleanup(): void;
}

export function makeFleet(size: number, target: SyncTarget, opts: { whitelist?: string } = {}): Fleet {
  const nodes = Array.from({ length: size }, (_, i) => makeNode(`web${i + 1}`, target, { whitelist: opts.whitelist }));
  const cli = (node: TestNode, args: string[]) => runCli([...args, '--config', node.cfgFile]);
  return {
    nodes,
    target,
    cli,
    async round(extra = [], o = {}) {
      const results = await Promise.all(nodes.map((n) => cli(n, ['run', '--no-jitter', ...extra])));
      results.forEach((r, i) => {
        const ok = (o.allowCodes ?? [0]).includes(r.code);
        if (!ok || r.ms > (o.maxMs ?? 25_000)) {
          throw new Error(`node web${i + 1}: exit ${r.code} after ${Math.round(r.ms)} ms\n${r.stderr}`);
        }
      });
      return results;
    },
    cleanup() {
      for (const n of nodes) n.cleanup();
    },
  };
}

/** A temp shared directory (the "NAS"). */
export function makeShareDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'autoban-nas-'));
}
