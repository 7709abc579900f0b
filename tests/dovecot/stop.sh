#!/usr/bin/env bash
# Stops the Dovecot started by start.sh DIR.
dir=$(realpath -m "${1:?usage: stop.sh DIR}")
[ -f "$dir/dovecot.conf" ] && doveadm -c "$dir/dovecot.conf" stop 2>/dev/null || true
