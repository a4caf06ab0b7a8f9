/**
 * A big scan on a machine with a second core: the reader (log-reader.ts) gives the second part of the
 * unread log to a worker thread (scan-worker.ts), which records its lines while this thread handles the
 * first part; then this thread replays the worker's records in order. The results are those of a
 * single-threaded scan (tests/unit/offload.test.ts compares them); only the time differs.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Offload } from './log-reader';
import type { RecordBatch, RecorderOptions } from './scan-records';
import type { WorkerJob } from './scan-worker';

const WORKER_FILE = path.join(__dirname, 'scan-worker.js');

/**
 * An Offload that records with a worker thread and replays into `replay` (up to where the worker got, should
 * it fail: the reader reads the rest itself); undefined when there is no
 * second core, when AUTOBAN_THREADS=1, or when running from TypeScript sources (no compiled worker).
 */
export function workerOffload(opts: RecorderOptions, replay: (b: RecordBatch) => void): Offload | undefined {
  if (process.env.AUTOBAN_THREADS === '1' || os.availableParallelism() < 2 || !fs.existsSync(WORKER_FILE)) return undefined;
  return (fd, from, to) => {
    const job: WorkerJob = { ...opts, suspicious: [...opts.suspicious], fd, from, to };
    let worker: Worker;
    try {
      // A small young generation: the worker only keeps one chunk's records at a time (less memory).
      worker = new Worker(WORKER_FILE, { workerData: job, resourceLimits: { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 64 } });
    } catch {
      return null;
    }
    // Batches that arrive while this thread still reads the first part wait; after that, each is replayed
    // as it arrives (messages of one worker arrive in order).
    const waiting: (RecordBatch & { to: number })[] = [];
    let replaying = false;
    let delivered = from;
    const deliver = (b: RecordBatch & { to: number }) => {
      replay(b);
      delivered = b.to;
    };
    // Settles once: done, or the worker failed or ended without finishing.
    const settled = new Promise<void>((resolve) => {
      worker.on('message', (m: RecordBatch & { to: number; done?: boolean; failed?: boolean }) => {
        if (m.done || m.failed) resolve();
        else if (replaying) deliver(m);
        else waiting.push(m);
      });
      worker.on('error', () => resolve());
      worker.on('exit', () => resolve());
    });
    return {
      finish: async () => {
        replaying = true;
        for (const b of waiting) deliver(b);
        waiting.length = 0;
        await settled;
        await worker.terminate();
        return delivered;
      },
      abort: async () => {
        await worker.terminate();
      },
    };
  };
}
