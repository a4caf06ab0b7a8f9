/**
 * Which journal entries count as sshd's or ProFTPD's: the process name must match, and the sender must be root
 * or run inside the service's own systemd unit; a local user's process named sshd is neither.
 */
import { isTrustedEntry, type TrustFields } from '../../lib/journal-trust';

const e = (comm: string, uid: string, unit = ''): TrustFields => ({ comm, uid, unit });

describe('sshd', () => {
  test.each(['sshd', 'sshd-session', 'sshd-auth'])('%s sent by root is trusted', (comm) => {
    expect(isTrustedEntry(e(comm, '0'), 'sshd')).toBe(true);
  });

  test('a process named sshd run by uid 1000 is not (a copied binary)', () => {
    expect(isTrustedEntry(e('sshd', '1000'), 'sshd')).toBe(false);
    expect(isTrustedEntry(e('sshd-session', '1000', 'session-4.scope'), 'sshd')).toBe(false);
    expect(isTrustedEntry(e('sshd', '65534', 'user@1000.service'), 'sshd')).toBe(false);
  });

  test("uid 1000 even inside ssh's own unit is not (without pam_systemd, users' shells stay in ssh.service)", () => {
    expect(isTrustedEntry(e('sshd', '1000', 'ssh.service'), 'sshd')).toBe(false);
    expect(isTrustedEntry(e('sshd-session', '1000', 'sshd.service'), 'sshd')).toBe(false);
  });

  test('the right uid or unit does not help a process with another name', () => {
    expect(isTrustedEntry(e('logger', '0'), 'sshd')).toBe(false);
    expect(isTrustedEntry(e('logger', '0', 'ssh.service'), 'sshd')).toBe(false);
    expect(isTrustedEntry(e('python3', '1000', 'ssh.service'), 'sshd')).toBe(false);
    expect(isTrustedEntry(e('', '0', 'ssh.service'), 'sshd')).toBe(false);
  });

  test('uid must be exactly "0"; an absent uid or unit never matches', () => {
    for (const uid of ['', '00', ' 0', '0 ', '-0']) expect(isTrustedEntry(e('sshd', uid), 'sshd')).toBe(false);
    expect(isTrustedEntry(e('sshd', '', ''), 'sshd')).toBe(false);
    expect(isTrustedEntry(e('sshd', '1000', 'ssh.service.evil'), 'sshd')).toBe(false);
  });

  test("another service's unit does not vouch for sshd", () => {
    expect(isTrustedEntry(e('sshd', '1000', 'proftpd.service'), 'sshd')).toBe(false);
  });
});

describe('proftpd', () => {
  test('a session process (real uid root, effective uid User) is trusted', () => {
    expect(isTrustedEntry(e('proftpd', '0'), 'proftpd')).toBe(true);
  });

  test('proftpd run as a non-root daemon by proftpd.service is trusted', () => {
    expect(isTrustedEntry(e('proftpd', '107', 'proftpd.service'), 'proftpd')).toBe(true);
  });

  test('a process named proftpd run by a user is not; nor one in ssh.service', () => {
    expect(isTrustedEntry(e('proftpd', '1000'), 'proftpd')).toBe(false);
    expect(isTrustedEntry(e('proftpd', '1000', 'ssh.service'), 'proftpd')).toBe(false);
  });

  test("sshd's names do not count for proftpd, nor proftpd's for sshd", () => {
    expect(isTrustedEntry(e('sshd', '0'), 'proftpd')).toBe(false);
    expect(isTrustedEntry(e('proftpd', '0'), 'sshd')).toBe(false);
  });
});

test('an unknown parser trusts nothing (names on Object.prototype included)', () => {
  for (const p of ['ftp', '', 'constructor', '__proto__', 'toString']) {
    expect(isTrustedEntry(e('sshd', '0'), p)).toBe(false);
    expect(isTrustedEntry(e('constructor', '0', 'ssh.service'), p)).toBe(false);
  }
});
