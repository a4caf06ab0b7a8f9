#!/bin/sh
# Runs as pid 1 of a private pid + mount namespace that a test created with
#   unshare --pid --fork --kill-child --mount --propagation private -- sandbox.sh DIR SYSLOG COMMAND...
# Every mount below exists only inside that namespace and disappears with its last process,
# so the host's /etc/hosts.deny, /etc/passwd, /run and /dev are never touched.
#   DIR     test work dir holding etc-upper/ (private files shown over /etc), etc-work/, hostdev/
#           and rsyslog.conf
#   SYSLOG  "yes": start a private rsyslogd on this namespace's own /dev/log first
set -eu
dir=$1
syslog=$2
shift 2

# A private /etc: the host's /etc underneath, the test's files on top. etc-upper/hosts.deny is a
# symlink to the deny file autoban writes, so libwrap follows it even after autoban replaces
# that file by rename; etc-upper also holds passwd/shadow/group with the test user.
mount -t overlay autoban-e2e-etc -o "lowerdir=/etc,upperdir=$dir/etc-upper,workdir=$dir/etc-work" /etc

# sshd wants /run/sshd (its privilege-separation directory); keep it off the host's /run.
mount -t tmpfs -o mode=755 autoban-e2e-run /run
mkdir -m 755 /run/sshd

if [ "$syslog" = yes ]; then
  # glibc's syslog(3) always writes to /dev/log, so this namespace gets its own /dev with the
  # few device nodes sshd needs, and a private rsyslogd listening on its /dev/log.
  mount --bind /dev "$dir/hostdev"
  mount -t tmpfs -o mode=755 autoban-e2e-dev /dev
  for n in null zero full random urandom tty; do
    : > "/dev/$n"
    mount --bind "$dir/hostdev/$n" "/dev/$n"
  done
  mkdir /dev/pts
  mount --bind "$dir/hostdev/pts" /dev/pts
  ln -s pts/ptmx /dev/ptmx
  /usr/sbin/rsyslogd -n -f "$dir/rsyslog.conf" -i "$dir/rsyslogd.pid" &
  i=0
  while [ ! -S /dev/log ]; do
    i=$((i + 1))
    if [ $i -gt 100 ]; then echo "sandbox: rsyslogd did not create /dev/log within 10 s" >&2; exit 1; fi
    sleep 0.1
  done
fi

# Not exec: this shell stays pid 1 of the namespace. The kernel ends the whole namespace when pid 1
# dies, and unshare's --kill-child (a parent-death signal) reaches this shell reliably, whereas a
# daemon that switches user ids (proftpd does) loses its parent-death signal.
"$@" &
wait $!
