/**
 * A tiny HTTP proxy in front of s3rver that can misbehave for one object: tear its body half-way (close the
 * connection after half the bytes), hang (send headers and a few bytes, then nothing), or answer 403
 * AccessDenied the way S3 does when the IAM policy lacks a permission (s3rver has no policies).
 * Everything else is passed through untouched. Listens on 127.0.0.1, a random port.
 */
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type Fault = 'pass' | 'tear' | 'hang' | 'deny';

export interface FaultProxy {
  endpoint: string;
  /** Sets the behaviour for GETs of paths ending in `keySuffix` (e.g. `nodes/web2.json`). */
  set(keySuffix: string, fault: Fault): void;
  /** How many GETs of `keySuffix` were faulted. */
  faulted(keySuffix: string): number;
  stop(): Promise<void>;
}

export async function startFaultProxy(upstreamPort: number): Promise<FaultProxy> {
  const faults = new Map<string, Fault>();
  const counts = new Map<string, number>();
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    const pathOnly = decodeURIComponent(url.split('?')[0] ?? '');
    const hit = req.method === 'GET' ? [...faults.entries()].find(([k, f]) => f !== 'pass' && pathOnly.endsWith(k)) : undefined;
    if (hit?.[1] === 'deny') {
      counts.set(hit[0], (counts.get(hit[0]) ?? 0) + 1);
      req.resume();
      res.writeHead(403, { 'content-type': 'application/xml' });
      res.end('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Access Denied</Message><RequestId>0</RequestId></Error>');
      return;
    }
    const up = http.request({ host: '127.0.0.1', port: upstreamPort, method: req.method, path: url, headers: req.headers }, (upRes) => {
      if (!hit) {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
        return;
      }
      counts.set(hit[0], (counts.get(hit[0]) ?? 0) + 1);
      const chunks: Buffer[] = [];
      upRes.on('data', (c: Buffer) => chunks.push(c));
      upRes.on('end', () => {
        const body = Buffer.concat(chunks);
        res.writeHead(upRes.statusCode ?? 200, { ...upRes.headers, 'content-length': String(body.length) });
        if (hit[1] === 'tear') {
          res.write(body.subarray(0, Math.floor(body.length / 2)), () => res.socket?.destroy());
        } else {
          res.write(body.subarray(0, 10)); // then nothing: a hung body
        }
      });
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    set: (k, f) => void faults.set(k, f),
    faulted: (k) => counts.get(k) ?? 0,
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
