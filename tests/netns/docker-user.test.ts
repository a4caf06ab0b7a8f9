/**
 * Ports Docker publishes are DNATed in PREROUTING and then forwarded, so they never pass INPUT: a ban there
 * does not reach them. This lab imitates Docker's firewall (DNAT, FORWARD policy DROP, a DOCKER-USER chain
 * jumped to first) with a "container" namespace behind the server, and checks the `chains` option.
 */
import { makeBackend, type BackendName } from '../../lib/backends';
import { CLIENT_V4, Lab, labUnavailable, SERVER_V4, warnSkipped } from './netns-lab';

const CTR_HOST = '198.19.0.1';
const CTR_IP = '198.19.0.2';
const why = labUnavailable();
const label = 'DOCKER-USER / forwarded traffic to a published port, in network namespaces';

describe(label, () => {
  const lab = new Lab();
  const ctr = `${lab.server.replace(/-srv$/, '')}-ctr`;
  const published = lab.port + 1000;

  beforeAll(async () => {
    if (why) {
      warnSkipped(label, why);
      return;
    }
    await lab.start();
    await lab.addNamespace(ctr);
    await lab.ip('-n', lab.server, 'link', 'add', 'ab2', 'type', 'veth', 'peer', 'name', 'ab3', 'netns', ctr);
    await lab.ip('-n', lab.server, 'addr', 'add', `${CTR_HOST}/24`, 'dev', 'ab2');
    await lab.ip('-n', ctr, 'addr', 'add', `${CTR_IP}/24`, 'dev', 'ab3');
    await lab.ip('-n', lab.server, 'link', 'set', 'ab2', 'up');
    await lab.ip('-n', ctr, 'link', 'set', 'ab3', 'up');
    await lab.ip('-n', ctr, 'route', 'add', 'default', 'via', CTR_HOST);
    await lab.listen(ctr, lab.port);
    await lab.sh('sysctl', '-q', '-w', 'net.ipv4.ip_forward=1'); // namespace-local
    // What dockerd sets up for `-p <published>:<port>`:
    await lab.sh('iptables', '-t', 'nat', '-A', 'PREROUTING', '-p', 'tcp', '--dport', String(published), '-j', 'DNAT', '--to-destination', `${CTR_IP}:${lab.port}`);
    await lab.sh('iptables', '-P', 'FORWARD', 'DROP');
    for (const cmd of ['iptables', 'ip6tables']) {
      await lab.sh(cmd, '-N', 'DOCKER-USER');
      await lab.sh(cmd, '-A', 'DOCKER-USER', '-j', 'RETURN');
      await lab.sh(cmd, '-A', 'FORWARD', '-j', 'DOCKER-USER');
    }
    await lab.sh('iptables', '-A', 'FORWARD', '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', '-j', 'ACCEPT');
    await lab.sh('iptables', '-A', 'FORWARD', '-d', CTR_IP, '-p', 'tcp', '--dport', String(lab.port), '-j', 'ACCEPT');
  }, 60_000);

  afterAll(() => lab.close(), 30_000);

  test.each(['iptables', 'ipset', 'nftables'] as BackendName[])(
    '%s: a ban in INPUT alone leaves the published port open; with DOCKER-USER it is closed too',
    async (name) => {
      if (why) return;
      const inputOnly = makeBackend(name, lab.run);
      const withDocker = makeBackend(name, lab.run, { chains: ['INPUT', 'DOCKER-USER'] });
      const dockerUser = () => lab.sh('iptables', '-S', 'DOCKER-USER');
      const dockerUserBefore = await dockerUser();
      expect(await lab.connect(SERVER_V4, published)).toBe('open');

      await inputOnly.apply([CLIENT_V4]);
      expect(await lab.connect(SERVER_V4)).toBe('timeout');
      expect(await lab.connect(SERVER_V4, published)).toBe('open');

      await withDocker.apply([CLIENT_V4]);
      expect(await lab.connect(SERVER_V4, published)).toBe('timeout');
      expect(await lab.connect(SERVER_V4)).toBe('timeout');
      expect(await withDocker.status([CLIENT_V4])).toMatchObject({ inSync: true });
      expect(await inputOnly.status([CLIENT_V4])).toMatchObject({ inSync: false });

      await withDocker.apply([]);
      expect(await lab.connect(SERVER_V4, published)).toBe('open');
      await withDocker.apply([CLIENT_V4]);

      // Dropping DOCKER-USER from the config takes autoban's rule out of it at the next apply.
      await inputOnly.apply([CLIENT_V4]);
      expect(await lab.connect(SERVER_V4, published)).toBe('open');
      expect(await dockerUser()).toBe(dockerUserBefore);

      await withDocker.apply([CLIENT_V4]);
      await withDocker.flush();
      expect(await lab.snapshot()).not.toMatch(/autoban/);
      expect(await dockerUser()).toBe(dockerUserBefore);
      expect(await lab.connect(SERVER_V4, published)).toBe('open');
    },
    60_000,
  );

  test('a DOCKER-USER chain that does not exist is a one-line error; INPUT is still protected', async () => {
    if (why) return;
    const fw = makeBackend('iptables', lab.run, { chains: ['INPUT', 'NO-SUCH-CHAIN'] });
    await expect(fw.apply([CLIENT_V4])).rejects.toThrow(/^iptables: chain NO-SUCH-CHAIN does not exist$/);
    expect(await lab.connect(SERVER_V4)).toBe('timeout');
    await fw.flush();
    expect(await lab.connect(SERVER_V4)).toBe('open');
  });
});
