/**
 * Worker thread of a big scan: records the lines of file bytes [from, to) (scan-records.ts) and posts the
 * records to the main thread chunk by chunk (each batch says up to which file offset it goes), then { done }. It reads through the main thread's open file
 * descriptor (file descriptors belong to the process), at explicit offsets. It keeps no state and decides
 * nothing: bans, reconciling and counting stay on the main thread, which replays the records in order.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as fs from 'node:fs';
import { type RecordBatch, type RecorderOptions, REC, createRecorder, growBatch, newBatch } from './scan-records';
import { MAX_LINE } from './log-reader';

export interface WorkerJob extends RecorderOptions {
  fd: number;
  from: number;
  to: number;
}

/** Records a batch has room for at first (a 1 MiB chunk of log lines makes about 8,000). */
const BATCH = 1 << 14;
const CHUNK = 1 << 20;

function run(job: WorkerJob): void {
  const port = parentPort;
  if (!port) return;
  const batch = newBatch(BATCH);
  const post = (b: RecordBatch, to: number) => {
    // A copy of the records made (the scratch array is reused), handed over without a second copy.
    const recs = b.recs.slice(0, b.n * REC);
    port.postMessage({ recs, n: b.n, fallbacks: b.fallbacks, lines: b.lines, to }, [recs.buffer as ArrayBuffer]);
    b.n = 0;
    b.fallbacks = [];
    b.lines = 0;
  };
  const record = createRecorder(job, batch, growBatch);
  let buf = Buffer.allocUnsafe(CHUNK);
  let pos = job.from;
  let carry = 0;
  while (pos + carry < job.to) {
    if (buf.length - carry < CHUNK / 2) {
      const bigger = Buffer.allocUnsafe(buf.length * 2);
      buf.copy(bigger, 0, 0, carry);
      buf = bigger;
    }
    const got = fs.readSync(job.fd, buf, carry, Math.min(buf.length - carry, job.to - pos - carry), pos + carry);
    if (got === 0) break;
    const end = carry + got;
    const last = buf.lastIndexOf(10, end - 1);
    if (last < 0) {
      if (end > MAX_LINE) {
        // The main thread's reader drops such lines; leave the whole range to it rather than differ.
        port.postMessage({ failed: true });
        return;
      }
      carry = end;
      continue;
    }
    record(buf, 0, last + 1);
    pos += last + 1;
    post(batch, pos);
    carry = end - (last + 1);
    if (carry) buf.copyWithin(0, last + 1, end);
  }
  port.postMessage({ done: true, to: pos });
}

run(workerData as WorkerJob);
