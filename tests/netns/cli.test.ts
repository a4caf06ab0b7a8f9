/**
 * The built CLI, run inside the server namespace (`ip netns exec`) exactly as an admin runs it on a host:
 * `backend = hostsdeny, <firewall>` bans into both the deny file and the kernel, unban lifts both, and
 * flush clears the firewall only. Needs `npm run build` first (npm test does it).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execRunner, type BackendName } from '../../lib/backends';
import { CLIENT_V4, CLIENT_V6, Lab, labUnavailable, SERVER_V4, SERVER_V6, warnSkipped } from './netns-lab';

const BIN = resolve(__dirname, '../../dist/bin/autoban.js');
const why = labUnavailable();
const label = 'autoban CLI with firewall backends, inside a network namespace';

describe(label, () => {
  const lab = new Lab();
  let dir = '';

  beforeAll(async () => {
    if (why) {
      warnSkipped(label, why);
      return;
    }
    if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run \`npm run build\` before these tests`);
    dir = mkdtempSync(join(tmpdir(), 'autoban-netns-cli-'));
    await lab.start();
    // An admin's own rules (which also make iptables-nft create its standard tables up front: those are not
    // autoban's, and flush leaves them, so the before/after comparison is fair to every backend).
    await lab.sh('iptables', '-A', 'INPUT', '-s', '203.0.113.10', '-j', 'DROP');
    await lab.sh('ip6tables', '-A', 'INPUT', '-s', '2001:db8:ff::10', '-j', 'DROP');
  }, 60_000);

  afterAll(async () => {
    await lab.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  /** Writes a fresh config + empty state for one backend and returns a function running the CLI with it. */
  function setup(backend: BackendName, backends = `hostsdeny, ${backend}`) {
    const base = join(dir, backend);
    rmSync(base, { recursive: true, force: true });
    mkdirSync(join(base, 'state'), { recursive: true });
    writeFileSync(join(base, 'hosts.deny'), '# the admin\'s own line\nsshd: 203.0.113.5\n');
    writeFileSync(join(base, 'whitelist.txt'), '');
    const cfg = join(base, 'autoban.cfg');
    writeFileSync(
      cfg,
      [
        '[DEFAULT]',
        `deny_file = ${join(base, 'hosts.deny')}`,
        `state_dir = ${join(base, 'state')}`,
        `whitelist = ${join(base, 'whitelist.txt')}`,
        `backend = ${backends}`,
        '',
      ].join('\n'),
    );
    const autoban = async (args: string[], envPath?: string) => {
      const env = envPath ? ['env', `PATH=${envPath}`] : [];
      return execRunner('ip', ['netns', 'exec', lab.server, ...env, process.execPath, BIN, ...args, '--config', cfg]);
    };
    const denyFile = () => readFileSync(join(base, 'hosts.deny'), 'utf8');
    return { autoban, denyFile };
  }

  test.each(['nftables', 'ipset', 'iptables'] as BackendName[])(
    'backend = hostsdeny, %s: ban blocks the client, unban lets it back, flush clears only the firewall',
    async (backend) => {
      if (why) return;
      const { autoban, denyFile } = setup(backend);
      const clean = await lab.snapshot();
      expect(await lab.connect(SERVER_V4)).toBe('open');

      for (const ip of [CLIENT_V4, CLIENT_V6]) {
        const r = await autoban(['ban', ip]);
        expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 0 });
        expect(r.stderr).toContain(`${backend}: blocked ${ip}`);
      }
      expect(await lab.connect(SERVER_V4)).toBe('timeout');
      expect(await lab.connect(SERVER_V6)).toBe('timeout');
      expect(denyFile()).toContain(`ALL: ${CLIENT_V4}\n`);
      expect(denyFile()).toContain(`ALL: [${CLIENT_V6}]\n`);

      const status = await autoban(['status']);
      expect(status.code).toBe(0);
      expect(status.stdout).toContain(`backend ${backend}: in sync`);

      // Nothing changed, so another run leaves the kernel exactly as it was.
      const banned = await lab.snapshot();
      expect((await autoban(['expire'])).code).toBe(0);
      expect(await lab.snapshot()).toBe(banned);

      expect((await autoban(['unban', CLIENT_V4])).code).toBe(0);
      expect(await lab.connect(SERVER_V4)).toBe('open');
      expect(await lab.connect(SERVER_V6)).toBe('timeout');
      expect(denyFile()).not.toContain(`ALL: ${CLIENT_V4}\n`);

      const flushed = await autoban(['flush']);
      expect({ code: flushed.code, stderr: flushed.stderr }).toMatchObject({ code: 0 });
      expect(await lab.connect(SERVER_V6)).toBe('open');
      expect(await lab.snapshot()).toBe(clean);
      // flush is about the firewall: the ban and the deny file (with the admin's own line) stay.
      expect(denyFile()).toContain(`ALL: [${CLIENT_V6}]\n`);
      expect(denyFile()).toContain('sshd: 203.0.113.5\n');
      const after = await autoban(['status']);
      expect(after.code).not.toBe(0);
      expect(after.stdout).toMatch(new RegExp(`backend ${backend}: OUT OF SYNC \\(missing 1: ${CLIENT_V6}`));

      // The next run puts the firewall back in line with the database.
      expect((await autoban(['ban', CLIENT_V4])).code).toBe(0);
      expect(await lab.connect(SERVER_V6)).toBe('timeout');
      expect((await autoban(['status'])).stdout).toContain(`backend ${backend}: in sync`);
      expect((await autoban(['flush'])).code).toBe(0);
    },
    60_000,
  );

  test.each(['nftables', 'ipset', 'iptables'] as BackendName[])(
    'backend = hostsdeny, %s: unban of a network lets back in the client whose own address was banned inside it',
    async (backend) => {
      if (why) return;
      const { autoban, denyFile } = setup(backend);
      const net = CLIENT_V4.replace(/\.\d+$/, '.0/24');
      for (const t of [CLIENT_V4, net, CLIENT_V6]) expect((await autoban(['ban', t])).code).toBe(0);
      expect(await lab.connect(SERVER_V4)).toBe('timeout');
      const r = await autoban(['unban', net]);
      expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 0, stderr: expect.stringContaining(`unbanned ${net}, and the ban inside it: ${CLIENT_V4}`) });
      expect(await lab.connect(SERVER_V4)).toBe('open');
      expect(await lab.connect(SERVER_V6)).toBe('timeout'); // another family: not inside, stays banned
      expect(denyFile()).not.toContain(`ALL: ${CLIENT_V4}\n`);
      expect((await autoban(['status'])).stdout).toContain(`backend ${backend}: in sync`);
      expect((await autoban(['flush'])).code).toBe(0);
    },
    60_000,
  );

  test('backend = nftables alone: expire reports the bans it lifts, and a hand flush is re-blocked, not re-banned', async () => {
    if (why) return;
    const { autoban, denyFile } = setup('nftables', 'nftables');
    const at = (hhmm: string) => ['--now', `2026-11-22T${hhmm}:00Z`];
    expect((await autoban(['ban', CLIENT_V4, '--duration', '1h', ...at('02:00')])).code).toBe(0);
    expect((await autoban(['ban', CLIENT_V6, '--duration', '1d', ...at('02:00')])).code).toBe(0);
    expect(await lab.connect(SERVER_V4)).toBe('timeout');

    // The admin flushes the firewall by hand: the next run puts the rules back, but no ban is new or lifted.
    await lab.sh('nft', 'delete', 'table', 'inet', 'autoban');
    const refill = await autoban(['expire', ...at('02:30')]);
    expect(refill.code).toBe(0);
    expect(refill.stderr).toContain(`nftables: blocked ${CLIENT_V4}`);
    expect(refill.stderr).toContain('expire: 0 bans lifted');
    expect(refill.stderr).not.toContain('expired:');

    const r = await autoban(['expire', ...at('04:00')]);
    expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code: 0 });
    expect(r.stderr).toContain(`nftables: unblocked ${CLIENT_V4}`);
    expect(r.stderr).toContain(`expired: ${CLIENT_V4}`);
    expect(r.stderr).toContain('expire: 1 ban lifted');
    expect(r.stderr).not.toContain(`expired: ${CLIENT_V6}`);
    expect(await lab.connect(SERVER_V4)).toBe('open');
    expect(await lab.connect(SERVER_V6)).toBe('timeout');
    expect((await autoban(['expire', ...at('04:05')])).stderr).toContain('expire: 0 bans lifted');
    // Never written without the hostsdeny backend.
    expect(denyFile()).toBe("# the admin's own line\nsshd: 203.0.113.5\n");
    expect((await autoban(['flush'])).code).toBe(0);
  }, 60_000);

  test('with the firewall tool missing, the deny file is still written and the error names the command', async () => {
    if (why) return;
    const { autoban, denyFile } = setup('nftables');
    const r = await autoban(['ban', CLIENT_V4], '/nonexistent-autoban-path');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('nft: command not found (install nftables)');
    expect(denyFile()).toContain(`ALL: ${CLIENT_V4}\n`);
    expect(await lab.connect(SERVER_V4)).toBe('open');
  });
});
