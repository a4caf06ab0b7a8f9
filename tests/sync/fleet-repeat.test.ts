/**
 * Issue 8: the fleet test against plain s3rver (which can serve torn and mixed bodies while an object is being
 * rewritten), five times in a row, two rounds each, without a single lost ban, missed unban or stalled run.
 * Every node sees new attackers in both rounds, so node documents are rewritten while the others read them.
 */
import { makeFleet } from './helpers/fleet';
import { requireBuiltCli } from './helpers/node';
import { type RunningS3, startS3rver, useTestAwsEnv } from './helpers/s3rver';

jest.setTimeout(180_000);

let s3: RunningS3;
beforeAll(async () => {
  requireBuiltCli();
  useTestAwsEnv();
  s3 = await startS3rver(['bucket']);
});
afterAll(async () => {
  await s3?.stop();
});

const REPETITIONS = 5;

test.each(Array.from({ length: REPETITIONS }, (_, i) => i + 1))('repetition %i: nothing lost over two simultaneous rounds', async (rep) => {
  const fleet = makeFleet(5, { kind: 'aws', endpoint: s3.endpoint, prefix: `rep${rep}/` });
  try {
    const [n1, , n3] = fleet.nodes;
    // An address banned on web1 and unbanned on web3 (which never had it) before the first round.
    const unbanned = `192.0.2.${200 + rep}`;
    expect((await fleet.cli(n1!, ['ban', unbanned])).code).toBe(0);
    expect((await fleet.cli(n3!, ['unban', unbanned])).code).toBe(0);

    const firstRound = fleet.nodes.map((_, i) => `203.0.113.${rep * 10 + i}`);
    const secondRound = fleet.nodes.map((_, i) => `198.51.100.${rep * 10 + i}`);
    fleet.nodes.forEach((n, i) => n.attack(firstRound[i]!));
    const r1 = await fleet.round(['--verbose']);
    fleet.nodes.forEach((n, i) => n.attack(secondRound[i]!));
    const r2 = await fleet.round(['--verbose']);

    fleet.nodes.forEach((n, i) => {
      const denied = n.denied();
      // Every ban published in round 1 is here, plus this node's own from round 2; the unban reached everyone.
      for (const ip of firstRound) expect({ node: n.id, ip, banned: denied.includes(ip) }).toEqual({ node: n.id, ip, banned: true });
      expect(denied).toContain(secondRound[i]);
      expect({ node: n.id, unbanned: denied.includes(unbanned) }).toEqual({ node: n.id, unbanned: false });
    });
    for (const r of [...r1, ...r2]) {
      expect(r.ms).toBeLessThan(20_000);
      // A torn read may be retried, but no node document may end up skipped after retries.
      expect(r.stderr).not.toMatch(/skipped .*nodes\/web\d\.json/);
    }
  } finally {
    fleet.cleanup();
  }
});
