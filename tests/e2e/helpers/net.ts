/** Loopback ports for the private servers: a random free one, and waiting until a server listens. */
import * as fs from 'node:fs';
import * as net from 'node:net';

/** Asks the kernel for a free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * Resolves once a socket listens on 127.0.0.1:port. Reads /proc/net/tcp instead of connecting, so
 * the wait itself puts no "connection closed" line into the server's log.
 */
export async function waitForPort(port: number, what: string, alive: () => boolean, timeoutMs = 15_000): Promise<void> {
  const want = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const until = Date.now() + timeoutMs;
  for (;;) {
    const table = fs.readFileSync('/proc/net/tcp', 'utf8');
    // columns: sl local_address rem_address st ...; st 0A = LISTEN
    if (table.split('\n').some((l) => { const c = l.trim().split(/\s+/); return c[1] === want && c[3] === '0A'; })) return;
    if (!alive()) throw new Error(`${what} exited before listening on 127.0.0.1:${port}`);
    if (Date.now() > until) throw new Error(`${what} did not listen on 127.0.0.1:${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
