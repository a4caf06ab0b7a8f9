#!/bin/sh
# ssh runs this (SSH_ASKPASS_REQUIRE=force) for every password prompt; the test puts the password
# in the environment so no extra package (sshpass, expect) is needed.
printf '%s\n' "$AUTOBAN_E2E_SSH_PASSWORD"
