/**
 * A throw-away network lab for firewall tests: a server and a client network namespace joined by a veth
 * pair, addressed from 198.18.0.0/15 and 2001:db8::/32, with a TCP listener in the server namespace. Every
 * firewall command runs inside the server namespace (`ip netns exec`), so the host's own firewall is never
 * touched. Needs root and iproute2; labUnavailable() says why not.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { execRunner, type CommandResult, type Runner } from '../../lib/backends';

export const SERVER_V4 = '198.18.0.1';
export const CLIENT_V4 = '198.18.0.2';
export const SERVER_V6 = '2001:db8:ab::1';
export const CLIENT_V6 = '2001:db8:ab::2';

/** Why the lab cannot run here, or null when it can. */
export function labUnavailable(): string | null {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'not running as root (network namespaces and firewalls need root)';
  const ip = spawnSync('ip', ['-V'], { encoding: 'utf8' });
  if (ip.error) return '`ip` (iproute2) is not installed';
  return null;
}

/** Prints, once per file, a warning nobody can miss, for suites that pass without running. */
export function warnSkipped(suite: string, why: string): void {
  const bar = '!'.repeat(78);
  console.warn(`${bar}\n!!! ${suite}: NOT RUN — ${why}.\n!!! These firewall tests only pass vacuously here; CI runs them as root on Debian.\n${bar}`);
}

/** Runner that executes every command inside namespace `ns` (argument vector, no shell). */
export function nsRunner(ns: string, prefix: readonly string[] = []): Runner {
  return (cmd, args, input) => execRunner('ip', ['netns', 'exec', ns, ...prefix, cmd, ...args], input);
}

async function must(cmd: string, args: string[], input?: string): Promise<CommandResult> {
  const r = await execRunner(cmd, args, input);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.code}): ${r.stderr.trim()}`);
  return r;
}

/** Connects from the client namespace; "open" after reading the server's greeting, "timeout" when dropped. */
const CONNECT_JS = `
const net = require('net');
const [host, port, ms] = process.argv.slice(1);
const s = net.connect({ host, port: Number(port) });
const done = (r) => { process.stdout.write(r); s.destroy(); process.exit(0); };
s.setTimeout(Number(ms), () => done('timeout'));
s.on('data', () => done('open'));
s.on('error', (e) => done(e.code === 'ECONNREFUSED' ? 'refused' : 'error:' + e.code));
`;

const LISTEN_JS = `
const net = require('net');
const srv = net.createServer((s) => s.end('hello\\n'));
srv.listen({ host: '::', port: Number(process.argv[1]), ipv6Only: false }, () => process.stdout.write('ready\\n'));
`;

export type Reach = 'open' | 'timeout' | 'refused' | string;

export class Lab {
  readonly server: string;
  readonly client: string;
  readonly port = 8000 + Math.floor(Math.random() * 1000);
  /** Runs commands inside the server namespace: what the backends use. */
  readonly run: Runner;
  private readonly procs: ChildProcess[] = [];
  private readonly namespaces: string[] = [];

  constructor() {
    const id = randomBytes(4).toString('hex');
    this.server = `autoban-t-${id}-srv`;
    this.client = `autoban-t-${id}-cli`;
    this.run = nsRunner(this.server);
  }

  /** Creates the namespaces, the veth pair and addresses, and starts the listener. */
  async start(): Promise<void> {
    for (const ns of [this.server, this.client]) {
      await must('ip', ['netns', 'add', ns]);
      this.namespaces.push(ns);
      await must('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    }
    // Created inside the server namespace with the peer moved straight into the client: no host interface, ever.
    await must('ip', ['-n', this.server, 'link', 'add', 'ab0', 'type', 'veth', 'peer', 'name', 'ab1', 'netns', this.client]);
    await must('ip', ['-n', this.server, 'addr', 'add', `${SERVER_V4}/24`, 'dev', 'ab0']);
    await must('ip', ['-n', this.client, 'addr', 'add', `${CLIENT_V4}/24`, 'dev', 'ab1']);
    await must('ip', ['-n', this.server, 'addr', 'add', `${SERVER_V6}/64`, 'dev', 'ab0', 'nodad']);
    await must('ip', ['-n', this.client, 'addr', 'add', `${CLIENT_V6}/64`, 'dev', 'ab1', 'nodad']);
    await must('ip', ['-n', this.server, 'link', 'set', 'ab0', 'up']);
    await must('ip', ['-n', this.client, 'link', 'set', 'ab1', 'up']);
    await this.listen(this.server, this.port);
    await this.waitOpen(SERVER_V4);
    await this.waitOpen(SERVER_V6);
  }

  /** Starts a TCP listener on [::]:port inside `ns` that greets every connection. */
  async listen(ns: string, port: number): Promise<void> {
    const p = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', LISTEN_JS, String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.procs.push(p);
    await new Promise<void>((resolve, reject) => {
      let err = '';
      p.stderr?.on('data', (b: Buffer) => (err += b.toString()));
      p.stdout?.on('data', (b: Buffer) => b.toString().includes('ready') && resolve());
      p.on('exit', (code) => reject(new Error(`listener in ${ns} exited (${code}): ${err.trim()}`)));
    });
  }

  /** Adds a namespace to the lab so close() removes it. */
  async addNamespace(ns: string): Promise<void> {
    await must('ip', ['netns', 'add', ns]);
    this.namespaces.push(ns);
    await must('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  }

  /** One TCP connection attempt from the client namespace. */
  async connect(host: string, port = this.port, timeoutMs = 700): Promise<Reach> {
    const r = await must('ip', ['netns', 'exec', this.client, process.execPath, '-e', CONNECT_JS, host, String(port), String(timeoutMs)]);
    return r.stdout.trim();
  }

  /** The veth link needs a moment (IPv6 especially) before the first connection goes through. */
  private async waitOpen(host: string): Promise<void> {
    for (let i = 0; i < 20; i++) {
      if ((await this.connect(host, this.port, 500)) === 'open') return;
    }
    throw new Error(`lab: ${host}:${this.port} never became reachable from the client namespace`);
  }

  /** Runs `ip <args>` (always with -n <namespace of this lab>); throws on failure. */
  async ip(...args: string[]): Promise<void> {
    if (args[0] !== '-n' || !this.namespaces.includes(args[1] ?? '')) throw new Error('lab.ip: only inside the lab namespaces');
    await must('ip', args);
  }

  /** Runs a command inside one of the lab's namespaces; throws on failure. */
  async exec(ns: string, cmd: string, ...args: string[]): Promise<string> {
    if (!this.namespaces.includes(ns)) throw new Error(`lab.exec: ${ns} is not a lab namespace`);
    return (await must('ip', ['netns', 'exec', ns, cmd, ...args])).stdout;
  }

  /** Runs a command in the server namespace and returns stdout; throws on failure. */
  async sh(cmd: string, ...args: string[]): Promise<string> {
    const r = await this.run(cmd, args);
    if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} in ${this.server} failed (${r.code}): ${r.stderr.trim()}`);
    return r.stdout;
  }

  /**
   * Everything the kernel firewall of the server namespace holds, with rule handles (so a rule deleted and
   * re-added shows up as a change) but without packet counters (which background traffic changes).
   */
  async snapshot(): Promise<string> {
    const nft = await this.sh('nft', '-a', '-s', 'list', 'ruleset');
    const ipset = await this.sh('ipset', 'save');
    const strip = (t: string) => t.split('\n').filter((l) => !l.startsWith('#')).join('\n').replace(/\[\d+:\d+\]/g, '');
    return `${nft}\n--- ipset\n${ipset}\n--- iptables\n${strip(await this.sh('iptables-save'))}\n--- ip6tables\n${strip(await this.sh('ip6tables-save'))}`;
  }

  /** Stops every process and deletes every namespace this lab made; safe to call twice or after a failed start. */
  async close(): Promise<void> {
    for (const p of this.procs.splice(0)) {
      if (p.exitCode === null && p.signalCode === null) {
        const gone = new Promise((r) => p.once('exit', r));
        p.kill('SIGKILL');
        await gone;
      }
    }
    for (const ns of this.namespaces.splice(0).reverse()) {
      const r = await execRunner('ip', ['netns', 'del', ns]);
      if (r.code !== 0) console.error(`lab: could not delete namespace ${ns}: ${r.stderr.trim()}`);
    }
  }
}
