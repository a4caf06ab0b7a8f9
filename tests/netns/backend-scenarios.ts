/**
 * The behaviour every firewall backend must show against real kernel state, inside a Lab's namespaces.
 * Each backend's *.test.ts calls describeBackendInNetns(name) with how to break its hook (for status/repair).
 */
import { BackendError, makeBackend, type BackendName, type FirewallBackend } from '../../lib/backends';
import { CLIENT_V4, CLIENT_V6, Lab, labUnavailable, nsRunner, SERVER_V4, SERVER_V6, warnSkipped } from './netns-lab';

/** Rules, sets, chains and a table an admin made; autoban must leave all of them exactly as they are. */
export async function addForeignObjects(lab: Lab): Promise<void> {
  const r = await lab.run('nft', ['-f', '-'], [
    'table inet admin {',
    '  set keep4 { type ipv4_addr; elements = { 203.0.113.9 } }',
    '  chain input { type filter hook input priority 0; policy accept; ip saddr @keep4 drop; }',
    '}',
    '',
  ].join('\n'));
  if (r.code !== 0) throw new Error(`nft: ${r.stderr}`);
  await lab.sh('ipset', 'create', 'admin4', 'hash:ip', 'family', 'inet');
  await lab.sh('ipset', 'add', 'admin4', '203.0.113.10');
  await lab.sh('iptables', '-N', 'admin');
  await lab.sh('iptables', '-A', 'admin', '-s', '203.0.113.11', '-j', 'DROP');
  await lab.sh('iptables', '-A', 'INPUT', '-j', 'admin');
  await lab.sh('iptables', '-A', 'INPUT', '-m', 'set', '--match-set', 'admin4', 'src', '-j', 'DROP');
  await lab.sh('ip6tables', '-A', 'INPUT', '-s', '2001:db8:ff::11', '-j', 'DROP');
}

/** The admin's objects as the tools list them (compared before and after autoban runs). */
export async function foreignObjects(lab: Lab): Promise<string> {
  const parts = [
    await lab.sh('nft', '-s', 'list', 'table', 'inet', 'admin'),
    await lab.sh('ipset', 'save', 'admin4'),
    await lab.sh('iptables', '-S', 'admin'),
    (await lab.sh('iptables', '-S', 'INPUT')).split('\n').filter((l) => !l.includes('autoban')).join('\n'),
    (await lab.sh('ip6tables', '-S', 'INPUT')).split('\n').filter((l) => !l.includes('autoban')).join('\n'),
  ];
  return parts.join('\n---\n').replace(/initval 0x[0-9a-f]+/, '');
}

export interface BackendCase {
  name: BackendName;
  /** Breaks autoban's hook the way a careless admin or a firewall reload would. */
  breakHook(lab: Lab): Promise<void>;
  /** How many addresses the bulk test applies (iptables keeps one rule per address, so fewer). */
  bulk: number;
}

function v4Many(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
}

export function describeBackendInNetns(c: BackendCase): void {
  const why = labUnavailable();
  const label = `${c.name} backend against real kernel state in a network namespace`;

  describe(label, () => {
    const lab = new Lab();
    let fw: FirewallBackend;
    /** Tests pass without running when the lab cannot exist here (warned loudly in beforeAll). */
    const live = (fn: () => Promise<void>) => async () => {
      if (why) return;
      await fn();
    };

    beforeAll(async () => {
      if (why) {
        warnSkipped(label, why);
        return;
      }
      await lab.start();
      await addForeignObjects(lab);
      fw = makeBackend(c.name, lab.run);
    }, 60_000);

    afterAll(() => lab.close(), 30_000);

    beforeEach(
      live(async () => {
        await fw.flush();
      }),
    );

    test.each([
      ['IPv4', SERVER_V4, CLIENT_V4, SERVER_V6],
      ['IPv6', SERVER_V6, CLIENT_V6, SERVER_V4],
    ])('%s: a banned client is dropped and gets through again once unbanned; the other family is untouched', (_fam, server, client, otherServer) =>
      live(async () => {
        expect(await lab.connect(server)).toBe('open');
        const r = await fw.apply([client, '192.0.2.7', '2001:db8:ff::7']);
        expect(r.added.sort()).toEqual([client, '192.0.2.7', '2001:db8:ff::7'].sort());
        expect(r.removed).toEqual([]);
        expect(await lab.connect(server)).toBe('timeout');
        expect(await lab.connect(otherServer)).toBe('open');

        expect(await fw.apply(['192.0.2.7', '2001:db8:ff::7'])).toEqual({ added: [], removed: [client] });
        expect(await lab.connect(server)).toBe('open');
        expect(await fw.apply([])).toEqual({ added: [], removed: ['192.0.2.7', '2001:db8:ff::7'] });
      })(),
    );

    test(
      'a banned network blocks the client inside it, also when a single address inside it is banned too',
      live(async () => {
        await fw.apply(['198.18.0.0/24', CLIENT_V4, '2001:db8:ab::/64', CLIENT_V6]);
        expect(await lab.connect(SERVER_V4)).toBe('timeout');
        expect(await lab.connect(SERVER_V6)).toBe('timeout');
        expect((await fw.status(['198.18.0.0/24', CLIENT_V4, '2001:db8:ab::/64', CLIENT_V6])).inSync).toBe(true);
        await fw.apply([]);
        expect(await lab.connect(SERVER_V4)).toBe('open');
        expect(await lab.connect(SERVER_V6)).toBe('open');
      }),
    );

    test(
      'applying the same bans again changes nothing in the kernel',
      live(async () => {
        const targets = [CLIENT_V4, '192.0.2.7', '198.51.100.0/24', CLIENT_V6, '2001:db8:ff::7', '2001:db8:1::/48'];
        await fw.apply(targets);
        const before = await lab.snapshot();
        expect(await fw.apply([...targets].reverse())).toEqual({ added: [], removed: [] });
        expect(await lab.snapshot()).toBe(before);
        expect(await lab.connect(SERVER_V4)).toBe('timeout');
      }),
    );

    test(
      'status reports in sync, missing and extra addresses',
      live(async () => {
        expect(await fw.status([])).toEqual({ backend: c.name, inSync: true, missing: [], extra: [] });
        expect(await fw.status([CLIENT_V4])).toMatchObject({ backend: c.name, inSync: false, missing: [CLIENT_V4], extra: [] });
        await fw.apply([CLIENT_V4, '2001:db8:ff::7']);
        expect(await fw.status([CLIENT_V4, '2001:db8:ff::7'])).toEqual({ backend: c.name, inSync: true, missing: [], extra: [] });
        expect(await fw.status([CLIENT_V4, '192.0.2.9'])).toEqual({
          backend: c.name,
          inSync: false,
          missing: ['192.0.2.9'],
          extra: ['2001:db8:ff::7'],
        });
      }),
    );

    test(
      "when autoban's hook is removed behind its back, status says so and the next apply repairs it",
      live(async () => {
        await fw.apply([CLIENT_V4]);
        await c.breakHook(lab);
        expect(await lab.connect(SERVER_V4)).toBe('open');
        const s = await fw.status([CLIENT_V4]);
        expect(s.inSync).toBe(false);
        expect(s.problems?.length).toBeGreaterThan(0);
        await fw.apply([CLIENT_V4]);
        expect(await fw.status([CLIENT_V4])).toMatchObject({ inSync: true });
        expect(await lab.connect(SERVER_V4)).toBe('timeout');
      }),
    );

    test(
      'rules, sets, chains and tables autoban did not create survive apply and flush',
      live(async () => {
        const before = await foreignObjects(lab);
        await fw.apply([CLIENT_V4, CLIENT_V6, '203.0.113.0/24']);
        expect(await foreignObjects(lab)).toBe(before);
        await fw.apply(['192.0.2.1']);
        expect(await foreignObjects(lab)).toBe(before);
        await fw.flush();
        expect(await foreignObjects(lab)).toBe(before);
      }),
    );

    test(
      'flush removes every object autoban made and nothing else, and may run twice',
      live(async () => {
        const clean = await lab.snapshot();
        expect(clean).not.toMatch(/autoban/);
        await fw.apply([CLIENT_V4, CLIENT_V6]);
        expect(await lab.snapshot()).toMatch(/autoban/);
        await fw.flush();
        await fw.flush();
        expect(await lab.snapshot()).toBe(clean);
        expect(await lab.connect(SERVER_V4)).toBe('open');
        expect(await lab.connect(SERVER_V6)).toBe('open');
      }),
    );

    test(
      `a bulk list (${c.bulk} addresses) is applied in one go, and removing one is quick`,
      live(async () => {
        const many = [...v4Many(c.bulk), CLIENT_V4, '2001:db8:ff::1'];
        let t0 = Date.now();
        expect((await fw.apply(many)).added).toHaveLength(many.length);
        const addMs = Date.now() - t0;
        expect(await lab.connect(SERVER_V4)).toBe('timeout');
        t0 = Date.now();
        expect(await fw.apply(many.filter((ip) => ip !== CLIENT_V4))).toEqual({ added: [], removed: [CLIENT_V4] });
        const removeMs = Date.now() - t0;
        expect(await lab.connect(SERVER_V4)).toBe('open');
        console.log(`${c.name}: applied ${many.length} bans in ${addMs} ms, removed one in ${removeMs} ms`);
        expect(addMs).toBeLessThan(30_000);
        expect(removeMs).toBeLessThan(15_000);
      }),
      90_000,
    );

    test(
      'without root privileges every operation fails with one line naming the command',
      live(async () => {
        const unprivileged = makeBackend(c.name, nsRunner(lab.server, ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups']));
        for (const op of [() => unprivileged.apply([CLIENT_V4]), () => unprivileged.status([]), () => unprivileged.flush()]) {
          const err = await op().catch((e: unknown) => e);
          expect(err).toBeInstanceOf(BackendError);
          expect((err as Error).message).toMatch(/^(nft|iptables|ip6tables|ipset): permission denied \(run as root\)$/);
        }
        expect(await lab.connect(SERVER_V4)).toBe('open');
      }),
    );

    test(
      'a firewall tool missing from PATH is a one-line "command not found"',
      live(async () => {
        const noTools = makeBackend(c.name, nsRunner(lab.server, ['env', 'PATH=/nonexistent']));
        const err = await noTools.apply([CLIENT_V4]).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(BackendError);
        expect((err as Error).message).toMatch(/^(nft|iptables|ipset): command not found \(install (nftables|iptables|ipset)\)$/);
      }),
    );
  });
}
