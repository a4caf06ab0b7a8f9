#!/usr/bin/env bash
# Installs the Debian packages the end-to-end and firewall test suites drive for real
# (ProFTPD, OpenSSH, iptables/ipset/nftables, iproute2), and xz/zstd/bzip2, which the rotation tests use to
# compress rotated logs as logrotate's compresscmd would, and logrotate itself. Root on Debian only; elsewhere it says why and
# does nothing (those suites then print loudly that they skipped). Never starts system daemons:
# a temporary policy-rc.d refuses service starts during the install.
set -euo pipefail
PKGS=(proftpd-core openssh-server openssh-client iptables ipset nftables iproute2 python3 procps rsyslog util-linux openssl systemd xz-utils zstd bzip2 logrotate)

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "install-test-deps: not root on a Debian-like system; skipping package install" >&2
  exit 0
fi
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-test-deps: all packages present"
  exit 0
fi
echo "install-test-deps: installing ${missing[*]}"
made_policy=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
  made_policy=1
fi
trap '[ $made_policy = 1 ] && rm -f /usr/sbin/policy-rc.d' EXIT
export DEBIAN_FRONTEND=noninteractive
# Wait for another apt (unattended-upgrades) instead of failing.
APT=(apt-get -o DPkg::Lock::Timeout=600 -o Acquire::Retries=3 -q -y)
"${APT[@]}" update >/dev/null
"${APT[@]}" install --no-install-recommends "${missing[@]}" >/dev/null
echo "install-test-deps: done"
