#!/bin/sh
# ssh runs this (SSH_ASKPASS_REQUIRE=force) for every password prompt; the test puts the password
# in the environment so no extra package (sshpass, expect) is needed.
# With AUTOBAN_E2E_SSH_HANG_AFTER=N (and a counter file), the prompts after the N-th get no answer for
# AUTOBAN_E2E_SSH_HANG_SEC seconds: a client that stops answering, for sshd's LoginGraceTime to end.
if [ -n "$AUTOBAN_E2E_SSH_HANG_AFTER" ]; then
  n=$(( $(cat "$AUTOBAN_E2E_SSH_COUNTER" 2>/dev/null || echo 0) + 1 ))
  echo "$n" > "$AUTOBAN_E2E_SSH_COUNTER"
  if [ "$n" -gt "$AUTOBAN_E2E_SSH_HANG_AFTER" ]; then exec sleep "$AUTOBAN_E2E_SSH_HANG_SEC"; fi
fi
printf '%s\n' "$AUTOBAN_E2E_SSH_PASSWORD"
