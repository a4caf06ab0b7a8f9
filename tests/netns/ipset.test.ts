import { describeBackendInNetns } from './backend-scenarios';

describeBackendInNetns({
  name: 'ipset',
  bulk: 100_000,
  // e.g. an iptables-restore of the admin's own rules file drops autoban's rule
  breakHook: async (lab) => void (await lab.sh('iptables', '-D', 'INPUT', '-m', 'set', '--match-set', 'autoban4', 'src', '-j', 'DROP')),
});
