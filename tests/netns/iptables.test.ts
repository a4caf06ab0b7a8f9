import { describeBackendInNetns } from './backend-scenarios';
import { makeBackend, type Runner } from '../../lib/backends';
import { CLIENT_V4, CLIENT_V6, Lab, labUnavailable, SERVER_V4, SERVER_V6, warnSkipped } from './netns-lab';

describeBackendInNetns({
  name: 'iptables',
  // One rule per address is linear per packet; the bulk test only proves a few thousand apply in one commit.
  bulk: 3_000,
  breakHook: async (lab) => void (await lab.sh('iptables', '-D', 'INPUT', '-j', 'autoban')),
});

const why = labUnavailable();
const LABEL = 'iptables backend rebuilding a chain that holds rules autoban did not write';

describe(LABEL, () => {
  const lab = new Lab();
  const live = (fn: () => Promise<void>) => async () => {
    if (why) return;
    await fn();
  };

  beforeAll(async () => {
    if (why) {
      warnSkipped(LABEL, why);
      return;
    }
    await lab.start();
  }, 60_000);

  afterAll(() => lab.close(), 30_000);

  /**
   * A runner that, after every command the backend runs, lists autoban's chain in both families and notes
   * each moment the kernel did not drop `keep` (what a packet arriving then would have seen).
   */
  function watching(keep: { 4: string; 6: string }) {
    const commands: { cmd: string; args: string[]; input?: string }[] = [];
    const gaps: string[] = [];
    const run: Runner = async (cmd, args, input) => {
      const r = await lab.run(cmd, args, input);
      commands.push({ cmd, args, input });
      for (const [list, ip] of [['iptables', keep[4]], ['ip6tables', keep[6]]] as const) {
        const s = await lab.run(list, ['-S', 'autoban']);
        if (!s.stdout.includes(`-A autoban -s ${ip}/`)) gaps.push(`after ${cmd} ${args.join(' ')}: ${list} chain autoban without ${ip}`);
      }
      return r;
    };
    return { run, commands, gaps };
  }

  test.each([
    ['a rule someone else added', ['-I', 'autoban', '1', '-s', '203.0.113.50', '-j', 'ACCEPT']],
    ['a second copy of a DROP rule', ['-A', 'autoban', '-s', '192.0.2.7/32', '-j', 'DROP']],
  ])('%s: the chain is emptied and refilled in one restore per family, never dropping a ban meanwhile', (_what, extra) =>
    live(async () => {
      const targets = [CLIENT_V4, '192.0.2.7', CLIENT_V6, '2001:db8:ff::7'];
      await makeBackend('iptables', lab.run).flush();
      await makeBackend('iptables', lab.run).apply(targets);
      await lab.sh('iptables', ...extra);
      await lab.sh('ip6tables', '-A', 'autoban', '-j', 'RETURN');

      const w = watching({ 4: CLIENT_V4, 6: CLIENT_V6 });
      const fw = makeBackend('iptables', w.run);
      expect(await fw.apply([...targets, '198.51.100.9'])).toEqual({ added: ['198.51.100.9'], removed: [] });

      expect(w.gaps).toEqual([]);
      // The flush travels inside the restore input, never as a command of its own.
      expect(w.commands.filter((c) => c.args.includes('-F'))).toEqual([]);
      const restores = w.commands.filter((c) => c.cmd.endsWith('tables-restore'));
      expect(restores.map((c) => [c.cmd, c.input?.split('\n')[1]])).toEqual([
        ['iptables-restore', '-F autoban'],
        ['ip6tables-restore', '-F autoban'],
      ]);
      // The result: exactly autoban's rules, each once, and they work.
      expect((await lab.sh('iptables', '-S', 'autoban')).trim().split('\n')).toEqual([
        '-N autoban',
        ...[CLIENT_V4, '192.0.2.7', '198.51.100.9'].sort().map((ip) => `-A autoban -s ${ip}/32 -j DROP`),
      ]);
      expect((await lab.sh('ip6tables', '-S', 'autoban')).trim().split('\n')).toEqual([
        '-N autoban',
        ...[CLIENT_V6, '2001:db8:ff::7'].sort().map((ip) => `-A autoban -s ${ip}/128 -j DROP`),
      ]);
      expect(await fw.status([...targets, '198.51.100.9'])).toEqual({ backend: 'iptables', inSync: true, missing: [], extra: [] });
      expect(await lab.connect(SERVER_V4)).toBe('timeout');
      expect(await lab.connect(SERVER_V6)).toBe('timeout');
      await fw.flush();
    })(),
  );
});
