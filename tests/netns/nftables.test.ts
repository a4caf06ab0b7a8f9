import { describeBackendInNetns } from './backend-scenarios';

describeBackendInNetns({
  name: 'nftables',
  bulk: 100_000,
  // e.g. a `nft -f /etc/nftables.conf` that starts with "flush ruleset" would do this to the chain
  breakHook: async (lab) => void (await lab.sh('nft', 'delete', 'chain', 'inet', 'autoban', 'input')),
});
