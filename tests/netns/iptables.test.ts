import { describeBackendInNetns } from './backend-scenarios';

describeBackendInNetns({
  name: 'iptables',
  // One rule per address is linear per packet; the bulk test only proves a few thousand apply in one commit.
  bulk: 3_000,
  breakHook: async (lab) => void (await lab.sh('iptables', '-D', 'INPUT', '-j', 'autoban')),
});
