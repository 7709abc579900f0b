#!/usr/bin/env bash
# Stops the Dovecot started by start.sh DIR and waits until it is gone, so
# that its ports are free again when this returns.
dir=$(realpath -m "${1:?usage: stop.sh DIR}")
[ -f "$dir/dovecot.conf" ] || exit 0
pidfile="$dir/run/master.pid"
pid=$(cat "$pidfile" 2>/dev/null || true)
doveadm -c "$dir/dovecot.conf" stop 2>/dev/null || true
[ -n "$pid" ] || exit 0
for _ in $(seq 50); do
	kill -0 "$pid" 2>/dev/null || exit 0
	sleep 0.1
done
echo "stop.sh: dovecot (pid $pid) did not stop; killing it" >&2
kill -KILL "$pid" 2>/dev/null || true
