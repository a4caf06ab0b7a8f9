import { BackendError, makeBackend, makeExecRunner, type BackendName, type Runner } from '../../../lib/backends';

const nowhere = makeExecRunner({ env: { PATH: '/nonexistent-autoban-test' } });

test.each([
  ['nftables', 'nft: command not found (install nftables)'],
  ['iptables', 'iptables: command not found (install iptables)'],
  ['ipset', 'ipset: command not found (install ipset)'],
] as Array<[BackendName, string]>)('%s with its binary missing says so in one line', async (name, message) => {
  const b = makeBackend(name, nowhere);
  for (const op of [() => b.apply(['192.0.2.7']), () => b.status([])]) {
    const err = await op().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect((err as Error).message).toBe(message);
  }
  // flush of ipset first takes its rules out of iptables, so that is the command it finds missing.
  await expect(b.flush()).rejects.toThrow(/^(nft|iptables|ipset): command not found \(install \w+\)$/);
});

test('a wrapper that cannot exec the program (ip netns exec) is also "command not found"', async () => {
  const run: Runner = async (cmd) => ({ code: 1, stdout: '', stderr: `exec of "${cmd}" failed: No such file or directory\n` });
  await expect(makeBackend('nftables', run).apply([])).rejects.toThrow('nft: command not found (install nftables)');
});

test.each([
  ['nftables', 'netlink: Error: cache initialization failed: Operation not permitted', 'nft: permission denied (run as root)'],
  ['iptables', 'iptables v1.8.9 (nf_tables): Could not fetch rule set generation id: Permission denied (you must be root)', 'iptables: permission denied (run as root)'],
  ['ipset', 'ipset v7.17: Kernel error received: Operation not permitted', 'ipset: permission denied (run as root)'],
] as Array<[BackendName, string, string]>)('%s without privileges: one line naming the command', async (name, stderr, message) => {
  const run: Runner = async () => ({ code: name === 'iptables' ? 4 : 1, stdout: '', stderr });
  await expect(makeBackend(name, run).status(['192.0.2.7'])).rejects.toThrow(new BackendError(message));
});

test('invalid targets are refused before any command runs', async () => {
  const calls: string[] = [];
  const run: Runner = async (cmd) => {
    calls.push(cmd);
    return { code: 0, stdout: '', stderr: '' };
  };
  for (const name of ['nftables', 'iptables', 'ipset'] as BackendName[]) {
    await expect(makeBackend(name, run).apply(['192.0.2.7', '192.0.2.8 -j ACCEPT'])).rejects.toThrow(BackendError);
  }
  expect(calls).toEqual([]);
});

test('an unexpected failure names the command and its first error line', async () => {
  const run: Runner = async () => ({ code: 1, stdout: '', stderr: 'Error: Could not process rule: Invalid argument\nadd element ...\n   ^^^\n' });
  await expect(makeBackend('nftables', run).apply(['192.0.2.7'])).rejects.toThrow(
    'nft -j list table inet autoban: Error: Could not process rule: Invalid argument',
  );
});

test('makeBackend refuses an unknown name', () => {
  expect(() => makeBackend('pf' as BackendName)).toThrow(BackendError);
});
